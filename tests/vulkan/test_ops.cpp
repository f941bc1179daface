// The activation kernels (norms, RoPE, attention, softmax, activations, adds) against CPU computations.
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <optional>
#include <span>

#include "inference/model/model_description.h"
#include "inference/vulkan/gpu_layout.h"
#include "inference/vulkan/rope_table.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing::vulkan;
using namespace glasswing::vulkan::test;

namespace {

// Records one op with `record`, runs it, returns nothing; the caller reads its buffers.
template <typename F>
void run(F&& record) {
  Recorder rec(context());
  rec.begin();
  record(rec);
  rec.end();
  rec.submit_and_wait();
}

// factors: divisors of each pair's angle (none: 1), then (a rope table) the magnitude of cos and sin
std::vector<float> cpu_rope(std::vector<float> d, uint32_t n_tokens, uint32_t n_heads, uint32_t head_dim,
                            uint32_t n_rot, uint32_t n_past, bool neox, float base,
                            const std::vector<float>& factors = {}) {
  for (uint32_t t = 0; t < n_tokens; ++t)
    for (uint32_t h = 0; h < n_heads; ++h)
      for (uint32_t i = 0; i < n_rot / 2; ++i) {
        const double theta = double(n_past + t) * std::pow(double(base), -2.0 * i / n_rot) /
                             (factors.empty() ? 1.0 : double(factors[i]));
        // the factors end in the magnitude of cos and sin
        const double m = factors.size() > n_rot / 2 ? double(factors[n_rot / 2]) : 1.0;
        float* x = &d[(t * n_heads + h) * head_dim];
        const uint32_t a = neox ? i : 2 * i, b = neox ? i + n_rot / 2 : 2 * i + 1;
        const double x0 = x[a], x1 = x[b], c = std::cos(theta) * m, s = std::sin(theta) * m;
        x[a] = static_cast<float>(x0 * c - x1 * s);
        x[b] = static_cast<float>(x0 * s + x1 * c);
      }
  return d;
}

// Causal GQA attention of queries at positions n_past.. over keys 0..pos (the last `window` of them when
// window > 0; with kKeysInChunks, those of the query's chunk of `window & ~kKeysInChunks` positions, from
// ⌊pos / chunk⌋·chunk), scores soft-capped when softcap > 0, then ALiBi's slopes[h] · (key − query position)
// added when `slopes` are given; q [t][h][d], k/v [pos][kvh][d].
std::vector<float> cpu_attention(const std::vector<float>& q, const std::vector<float>& k,
                                 const std::vector<float>& v, uint32_t n_tokens, uint32_t n_past,
                                 uint32_t n_heads, uint32_t n_kv, uint32_t hd, float scale,
                                 uint32_t window = 0, float softcap = 0, const std::vector<float>& sinks = {},
                                 const std::vector<float>& slopes = {}) {
  std::vector<float> out(n_tokens * n_heads * hd);
  for (uint32_t t = 0; t < n_tokens; ++t)
    for (uint32_t h = 0; h < n_heads; ++h) {
      const uint32_t kvh = h / (n_heads / n_kv), n_keys = n_past + t + 1;
      std::vector<double> s(n_keys);
      double mx = -1e300;
      for (uint32_t j = 0; j < n_keys; ++j) {
        double acc = 0;
        for (uint32_t i = 0; i < hd; ++i)
          acc += double(q[(t * n_heads + h) * hd + i]) * k[(j * n_kv + kvh) * hd + i];
        const bool chunks = (window & kKeysInChunks) != 0;
        const uint32_t chunk = window & ~kKeysInChunks;
        const bool outside = chunks ? j < (n_keys - 1) / chunk * chunk : window && n_keys - j > window;
        s[j] = outside ? -INFINITY : softcap > 0 ? softcap * std::tanh(acc * scale / softcap) : acc * scale;
        if (!slopes.empty()) s[j] += double(slopes[h]) * (double(j) - double(n_keys - 1));
        mx = std::max(mx, s[j]);
      }
      const double sink = sinks.empty() ? -INFINITY : sinks[h];  // (joins the softmax without a value)
      mx = std::max(mx, sink);
      double sum = std::exp(sink - mx);
      for (auto& x : s) sum += (x = std::exp(x - mx));
      for (uint32_t i = 0; i < hd; ++i) {
        double acc = 0;
        for (uint32_t j = 0; j < n_keys; ++j) acc += s[j] * v[(j * n_kv + kvh) * hd + i];
        out[(t * n_heads + h) * hd + i] = static_cast<float>(acc / sum);
      }
    }
  return out;
}

}  // namespace

TEST_CASE("rmsnorm and layernorm match the CPU") {
  std::mt19937 rng(10);
  const uint32_t n = 172, rows = 5;
  const auto x = random_floats(rng, n * rows, -3, 3), w = random_floats(rng, n), b = random_floats(rng, n);
  Buffer xb = device_buffer(x), wb = device_buffer(w), bb = device_buffer(b);
  Buffer rms = device_buffer({}, n * rows), ln = device_buffer({}, n * rows);
  run([&](Recorder& r) {
    r.rmsnorm(whole(xb), whole(wb), whole(rms), {n, rows}, 1e-5f);
    r.layernorm(whole(xb), whole(wb), whole(bb), whole(ln), {n, rows}, 1e-5f);
  });
  std::vector<float> e_rms(n * rows), e_ln(n * rows);
  for (uint32_t t = 0; t < rows; ++t) {
    double ss = 0, mean = 0, var = 0;
    for (uint32_t i = 0; i < n; ++i) ss += double(x[t * n + i]) * x[t * n + i], mean += x[t * n + i];
    mean /= n;
    for (uint32_t i = 0; i < n; ++i) var += (x[t * n + i] - mean) * (x[t * n + i] - mean);
    const double s = 1.0 / std::sqrt(ss / n + 1e-5), sl = 1.0 / std::sqrt(var / n + 1e-5);
    for (uint32_t i = 0; i < n; ++i) {
      e_rms[t * n + i] = static_cast<float>(x[t * n + i] * s * w[i]);
      e_ln[t * n + i] = static_cast<float>((x[t * n + i] - mean) * sl * w[i] + b[i]);
    }
  }
  CHECK(max_rel_diff(read_floats(rms, n * rows), e_rms) < 1e-5);
  CHECK(max_rel_diff(read_floats(ln, n * rows), e_ln) < 1e-5);
  require_no_validation_messages();
}

namespace {
// rope_store's parameters for q, k and v as views of one q|k|v buffer, `stride` floats per token, with the
// RoPE table `table` (rope_table_buffer).
RopeStoreParams fused_qkv_rope(uint32_t n_tokens, uint32_t n_heads, uint32_t n_kv, uint32_t hd,
                               uint32_t n_rot, bool neox, uint32_t stride, uint32_t q_cache_offset,
                               uint32_t kv_cache_offset, const BufferRange& table) {
  const uint32_t q_dim = n_heads * hd, kv_dim = n_kv * hd;
  return {.n_tokens = n_tokens,
          .n_heads = n_heads,
          .n_kv_heads = n_kv,
          .head_dim = hd,
          .n_rot = n_rot,
          .neox = neox,
          .q_stride = stride,
          .q_offset = 0,
          .k_stride = stride,
          .k_offset = q_dim,
          .v_stride = stride,
          .v_offset = q_dim + kv_dim,
          .q_cache_offset = q_cache_offset,
          .kv_cache_offset = kv_cache_offset,
          .rope_table = table};
}

// A rope table: divisors of each RoPE pair's frequency as Llama 3.1's rope_freqs spreads them, 1 for the fast
// pairs up to 40 for the slow ones, then a magnitude of cos and sin of 1.25 (YaRN, LongRoPE), so that a
// kernel ignoring either is far off.
std::vector<float> rope_divisors(uint32_t n_rot) {
  std::vector<float> f(n_rot / 2);
  for (uint32_t i = 0; i < f.size(); ++i)
    f[i] = 1.0f + 39.0f * float(i) / float(std::max<size_t>(1, f.size() - 1));
  f.push_back(1.25f);
  return f;
}

// The device's RoPE table (rope_table.h) for base 10000 and cpu_rope's factors (n_rot / 2 divisors, then the
// magnitude; none: 1 and 1).
Buffer rope_table_buffer(uint32_t n_rot, const std::vector<float>& factors = {}) {
  const size_t n_div = std::min<size_t>(factors.size(), n_rot / 2);
  const float magnitude = factors.size() > n_rot / 2 ? factors[n_rot / 2] : 1.0f;
  return device_buffer_u32(rope_table(10000, n_rot, std::span(factors.data(), n_div), magnitude));
}

// Attention of one decode step reading q from that q|k|v row (`stride` floats), keys and values of one
// layer at `kv_offset` in caches of n_ctx positions.
AttentionParams decode_attention(uint32_t n_heads, uint32_t n_kv, uint32_t hd, uint32_t stride,
                                 uint32_t kv_offset, uint32_t n_ctx) {
  return {.n_tokens = 1,
          .n_heads = n_heads,
          .n_kv_heads = n_kv,
          .head_dim = hd,
          .q_stride = stride,
          .q_offset = 0,
          .o_stride = n_heads * hd,
          .kv_offset = kv_offset,
          .n_ctx = n_ctx,
          .scale = 1.0f / std::sqrt(float(hd)),
          .sinks = {}};
}
}  // namespace

TEST_CASE("rope_store rotates q and k (both pairings) and stores q, k and v at the step's positions") {
  std::mt19937 rng(11);
  const uint32_t n_tokens = 3, n_heads = 4, n_kv = 2, hd = 16, n_past = 9, n_ctx = 16;
  const uint32_t q_dim = n_heads * hd, kv_dim = n_kv * hd, row = q_dim + 2 * kv_dim;
  const uint32_t q_cache_off = 5 * q_dim, kv_cache_off = 3 * kv_dim;  // a layer's place in the caches
  for (bool neox : {false, true}) {
    for (uint32_t n_rot : {16u, 8u, 0u}) {
      // q, k and v as views of one fused q|k|v buffer, each token's row followed by 2 spare floats
      const uint32_t stride = row + 2;
      const auto qkv = random_floats(rng, n_tokens * stride);
      const auto divisors = rope_divisors(n_rot);
      Buffer b = device_buffer(qkv), st = state_buffer(n_past, n_tokens),
             table = rope_table_buffer(n_rot, divisors);
      Buffer qc = device_buffer({}, q_cache_off + n_ctx * q_dim),
             kc = device_buffer({}, kv_cache_off + n_ctx * kv_dim),
             vc = device_buffer({}, kv_cache_off + n_ctx * kv_dim);
      run([&](Recorder& r) {
        r.rope_store(whole(b), whole(b), whole(b), whole(qc), whole(kc), whole(vc), whole(st),
                     fused_qkv_rope(n_tokens, n_heads, n_kv, hd, n_rot, neox, stride, q_cache_off,
                                    kv_cache_off, whole(table)));
      });
      std::vector<float> q, k, v;
      for (uint32_t t = 0; t < n_tokens; ++t) {
        const float* r = &qkv[t * stride];
        q.insert(q.end(), r, r + q_dim);
        k.insert(k.end(), r + q_dim, r + q_dim + kv_dim);
        v.insert(v.end(), r + q_dim + kv_dim, r + row);
      }
      const auto eq = cpu_rope(q, n_tokens, n_heads, hd, n_rot, n_past, neox, 10000, divisors);
      const auto ek = cpu_rope(k, n_tokens, n_kv, hd, n_rot, n_past, neox, 10000, divisors);
      const auto all = read_floats(b, n_tokens * stride), qcs = read_floats(qc, q_cache_off + n_ctx * q_dim),
                 kcs = read_floats(kc, kv_cache_off + n_ctx * kv_dim),
                 vcs = read_floats(vc, kv_cache_off + n_ctx * kv_dim);
      std::vector<float> q_in_place, k_v_in_place, k_v_before;
      for (uint32_t t = 0; t < n_tokens; ++t) {
        q_in_place.insert(q_in_place.end(), &all[t * stride], &all[t * stride] + q_dim);
        k_v_in_place.insert(k_v_in_place.end(), &all[t * stride] + q_dim, &all[(t + 1) * stride]);
        k_v_before.insert(k_v_before.end(), &qkv[t * stride] + q_dim, &qkv[(t + 1) * stride]);
      }
      const auto at = [](const std::vector<float>& c, uint32_t off, uint32_t n) {
        return std::vector<float>(c.begin() + off, c.begin() + off + n);
      };
      INFO("neox " << neox << " n_rot " << n_rot);
      CHECK(max_rel_diff(q_in_place, eq) < 1e-4);
      CHECK(k_v_in_place == k_v_before);  // k and v are only read
      CHECK(max_rel_diff(at(qcs, q_cache_off + n_past * q_dim, n_tokens * q_dim), eq) < 1e-4);
      CHECK(max_rel_diff(at(kcs, kv_cache_off + n_past * kv_dim, n_tokens * kv_dim), ek) < 1e-4);
      CHECK(at(vcs, kv_cache_off + n_past * kv_dim, n_tokens * kv_dim) == v);
      // nothing outside this step's rows
      CHECK(at(qcs, 0, q_cache_off + n_past * q_dim) ==
            std::vector<float>(q_cache_off + n_past * q_dim, 0.0f));
      CHECK(at(kcs, kv_cache_off + (n_past + n_tokens) * kv_dim, (n_ctx - n_past - n_tokens) * kv_dim) ==
            std::vector<float>((n_ctx - n_past - n_tokens) * kv_dim, 0.0f));
    }
  }
  require_no_validation_messages();
}

TEST_CASE("the RoPE table gives every pair's angle to 1e-6 at any position, reduced to one turn") {
  // (the angle the CPU engine computes in double, pos · base^(−2i/n_rot) / divisor, against the table's)
  for (const auto& [base, n_rot] :
       {std::pair{10000.0f, 128u}, std::pair{1e6f, 64u}, std::pair{500000.0f, 16u}}) {
    std::vector<float> divisors(n_rot / 2);
    for (uint32_t i = 0; i < divisors.size(); ++i)
      divisors[i] = 1.0f + 7.0f * float(i) / float(divisors.size());
    const auto table = rope_table(base, n_rot, divisors, 1.5f);
    REQUIRE(table.size() == n_rot + 1);
    CHECK(std::bit_cast<float>(table[n_rot]) == 1.5f);
    double worst = 0;
    for (const uint32_t pos : {0u, 1u, 599u, 4096u, 131071u, 1000000u, 16777215u})
      for (uint32_t i = 0; i < n_rot / 2; ++i) {
        const double exact = double(pos) * std::pow(double(base), -2.0 * i / n_rot) / double(divisors[i]);
        const double got = rope_table_angle(table, pos, i);
        REQUIRE(std::abs(got) <= std::numbers::pi);
        worst = std::max(worst, std::abs(std::remainder(exact - got, 2 * std::numbers::pi)));
      }
    INFO("base " << base << " n_rot " << n_rot);
    CHECK(worst < 1e-6);
  }
  CHECK_THROWS_WITH(rope_table(10000, 7, {}, 1.0f), Catch::Contains("even"));
}

TEST_CASE("rope_store rotates exactly at positions far past where float angles fail") {
  // A float angle pos · θ is off by ~pos · 2^-24 radians (0.03 at position 500000); the table's is not.
  std::mt19937 rng(31);
  const uint32_t hd = 16, n_rot = 16;
  const auto divisors = rope_divisors(n_rot);
  for (const uint32_t pos : {70000u, 500000u}) {
    for (const bool neox : {false, true}) {
      INFO("position " << pos << " neox " << neox);
      const auto qkv = random_floats(rng, 3 * hd);
      Buffer b = device_buffer(qkv), st = state_buffer(pos, 1), table = rope_table_buffer(n_rot, divisors);
      Buffer qc = device_buffer({}, (pos + 1) * hd), kc = device_buffer({}, (pos + 1) * hd),
             vc = device_buffer({}, (pos + 1) * hd);
      run([&](Recorder& r) {
        r.rope_store(whole(b), whole(b), whole(b), whole(qc), whole(kc), whole(vc), whole(st),
                     fused_qkv_rope(1, 1, 1, hd, n_rot, neox, 3 * hd, 0, 0, whole(table)));
      });
      const auto q = std::vector<float>(qkv.begin(), qkv.begin() + hd);
      const auto k = std::vector<float>(qkv.begin() + hd, qkv.begin() + 2 * hd);
      const auto all = read_floats(b, 3 * hd);
      CHECK(max_rel_diff(std::vector<float>(all.begin(), all.begin() + hd),
                         cpu_rope(q, 1, 1, hd, n_rot, pos, neox, 10000, divisors)) < 1e-5);
      const auto kcs = read_floats(kc, (pos + 1) * hd);
      CHECK(max_rel_diff(std::vector<float>(kcs.end() - hd, kcs.end()),
                         cpu_rope(k, 1, 1, hd, n_rot, pos, neox, 10000, divisors)) < 1e-5);
    }
  }
  require_no_validation_messages();
}

TEST_CASE("attention_rope_store of a one-token step equals rope_store then attention", "[attention]") {
  std::mt19937 rng(13);
  const uint32_t n_heads = 6, n_kv = 2, hd = 16, n_ctx = 24, n_past = 11;
  const uint32_t q_dim = n_heads * hd, kv_dim = n_kv * hd, row = q_dim + 2 * kv_dim;
  const uint32_t layer_off = n_ctx * kv_dim, q_layer_off = n_ctx * q_dim;  // layer 1 of two in the caches
  int fused_runs = 0;
  for (bool neox : {false, true}) {
    for (uint32_t n_rot : {16u, 8u, 0u}) {
      INFO("neox " << neox << " n_rot " << n_rot);
      const auto qkv = random_floats(rng, row, -2, 2);
      // the keys and values of the n_past earlier positions, already in both caches
      auto kv0 = random_floats(rng, 2 * layer_off, -2, 2);
      Buffer table = rope_table_buffer(n_rot, rope_divisors(n_rot));
      const RopeStoreParams rope =
          fused_qkv_rope(1, n_heads, n_kv, hd, n_rot, neox, row, q_layer_off, layer_off, whole(table));
      const AttentionParams att = decode_attention(n_heads, n_kv, hd, row, layer_off, n_ctx);
      struct Run {
        std::vector<float> out, qc, kc, vc;
      };
      const auto go = [&](bool fused) -> std::optional<Run> {
        Buffer b = device_buffer(qkv), st = state_buffer(n_past, 1);
        Buffer qc = device_buffer({}, 2 * q_layer_off), kc = device_buffer(kv0), vc = device_buffer(kv0);
        Buffer out = device_buffer({}, q_dim), scores = device_buffer({}, n_heads * n_ctx);
        bool recorded = true;
        run([&](Recorder& r) {
          if (fused) {
            recorded = r.attention_rope_store(whole(b), whole(qc), whole(kc), whole(vc), whole(out),
                                              whole(scores), whole(st), rope, att);
          } else {
            r.rope_store(whole(b), whole(b), whole(b), whole(qc), whole(kc), whole(vc), whole(st), rope);
            r.barrier();
            r.attention(whole(b), whole(kc), whole(vc), whole(out), whole(scores), whole(st), att);
          }
        });
        if (!recorded) return std::nullopt;
        return Run{read_floats(out, q_dim), read_floats(qc, 2 * q_layer_off), read_floats(kc, 2 * layer_off),
                   read_floats(vc, 2 * layer_off)};
      };
      const auto fused = go(true);
      if (!fused) continue;  // the device's kernel does not take this rotation
      ++fused_runs;
      const auto plain = go(false);
      CHECK(max_rel_diff(fused->out, plain->out) < 1e-5);
      CHECK(max_rel_diff(fused->qc, plain->qc) < 1e-5);
      CHECK(max_rel_diff(fused->kc, plain->kc) < 1e-5);
      CHECK(fused->vc == plain->vc);
    }
  }
  CHECK(fused_runs >= 2);  // both kernels take at least no rotation and a whole-head rotation, both pairings
  require_no_validation_messages();
}

TEST_CASE("split-K decode attention (GPU kernels) matches the CPU over long contexts step after step",
          "[attention]") {
  auto& ctx = context();
  if (!use_gpu_kernels(ctx.device().info())) {
    SUCCEED("the CPU devices' kernels do not split (vulkan_tests_gpu runs this with the GPU kernels)");
    return;
  }
  std::mt19937 rng(29);
  const uint32_t n_heads = 4, n_kv = 2, hd = 32, n_ctx = 600;
  const uint32_t q_dim = n_heads * hd, kv_dim = n_kv * hd, row = q_dim + 2 * kv_dim;
  // one decode step: q, k and v in one row, RoPE over whole heads, one layer in the caches
  Buffer table = rope_table_buffer(hd);  // no divisors, magnitude 1
  const RopeStoreParams rope = fused_qkv_rope(1, n_heads, n_kv, hd, hd, false, row, 0, 0, whole(table));
  AttentionParams att = decode_attention(n_heads, n_kv, hd, row, 0, n_ctx);
  ScopedEnv split("GLASSWING_VULKAN_ATTN_SPLIT", nullptr);
  // 256 keys per workgroup (the default) and 16 (up to 38 runs per head); all keys, and a sliding window of
  // 100 (gemma's local layers), whose runs start at its first key, with soft-capped scores (gemma2); and with
  // attention sinks (gpt-oss: its windows of 128 keys), one head's sink far above every score; and chunks of
  // 200 positions (Llama 4's, whose runs start at the query's chunk: 0, 200, 400)
  const std::vector<float> sink_logits = {0.5f, -1.0f, 40.0f, 2.0f};
  Buffer sinks = device_buffer(sink_logits);
  for (const auto& [keys, window, with_sinks] :
       {std::tuple{"256", 0u, false}, std::tuple{"16", 0u, false}, std::tuple{"256", 100u, false},
        std::tuple{"16", 100u, false}, std::tuple{"256", 0u, true}, std::tuple{"16", 0u, true},
        std::tuple{"16", 100u, true}, std::tuple{"256", 200u | kKeysInChunks, false},
        std::tuple{"16", 200u | kKeysInChunks, false}}) {
    INFO("GLASSWING_VULKAN_ATTN_SPLIT=" << keys << " window " << (window & ~kKeysInChunks) << " chunks "
                                        << ((window & kKeysInChunks) != 0) << " sinks " << with_sinks);
    att.softcap = window && !with_sinks ? 1.5f : 0.0f;  // gemma2's soft-capping, with the window
    att.window = window;
    att.sinks = with_sinks ? whole(sinks) : BufferRange{};
    split.set(keys);
    const uint64_t split_bytes = Recorder::attention_split_bytes(n_heads, hd, n_ctx);
    REQUIRE(split_bytes > 0);
    Buffer split = device_buffer_u32(std::vector<uint32_t>(split_bytes / 4, 0));
    // earlier positions' keys and values already in the caches; each step adds its own
    std::vector<float> kv_k = random_floats(rng, n_ctx * kv_dim, -2, 2),
                       kv_v = random_floats(rng, n_ctx * kv_dim, -2, 2);
    Buffer kc = device_buffer(kv_k), vc = device_buffer(kv_v), qc = device_buffer({}, n_ctx * q_dim);
    Buffer out = device_buffer({}, q_dim), scores = device_buffer({}, n_heads * n_ctx);
    // one run, a run boundary on both sides, the last position: the same scratch throughout
    for (const uint32_t n_past : {5u, 255u, 256u, 599u}) {
      INFO("n_past " << n_past);
      const auto qkv = random_floats(rng, row, -2, 2);
      Buffer b = device_buffer(qkv), st = state_buffer(n_past, 1);
      bool recorded = false;
      run([&](Recorder& r) {
        recorded = r.attention_rope_store(whole(b), whole(qc), whole(kc), whole(vc), whole(out),
                                          whole(scores), whole(st), rope, att, whole(split));
      });
      REQUIRE(recorded);
      const std::vector<float> q(qkv.begin(), qkv.begin() + q_dim);
      const auto k = cpu_rope(std::vector<float>(qkv.begin() + q_dim, qkv.begin() + q_dim + kv_dim), 1, n_kv,
                              hd, hd, n_past, false, 10000);
      std::copy(k.begin(), k.end(), kv_k.begin() + n_past * kv_dim);
      std::copy(qkv.begin() + q_dim + kv_dim, qkv.end(), kv_v.begin() + n_past * kv_dim);
      const auto eq = cpu_rope(q, 1, n_heads, hd, hd, n_past, false, 10000);
      CHECK(max_rel_diff(read_floats(out, q_dim),
                         cpu_attention(eq, kv_k, kv_v, 1, n_past, n_heads, n_kv, hd, att.scale, window,
                                       att.softcap, with_sinks ? sink_logits : std::vector<float>{})) < 1e-4);
      const auto qcs = read_floats(qc, n_ctx * q_dim);
      CHECK(max_rel_diff(std::vector<float>(qcs.begin() + n_past * q_dim, qcs.begin() + (n_past + 1) * q_dim),
                         eq) < 1e-4);
    }
    // every head's counter back at zero for the next step
    std::vector<uint32_t> counters(n_heads);
    ctx.download(BufferRange{split.handle(), 0, n_heads * sizeof(uint32_t)}, counters.data(),
                 n_heads * sizeof(uint32_t));
    CHECK(counters == std::vector<uint32_t>(n_heads, 0));
    // a scratch too small for the context is refused
    Recorder rec(ctx);
    rec.begin();
    Buffer small = device_buffer_u32(std::vector<uint32_t>(16, 0)), st = state_buffer(0, 1);
    Buffer b = device_buffer(random_floats(rng, row));
    CHECK_THROWS_WITH(rec.attention_rope_store(whole(b), whole(qc), whole(kc), whole(vc), whole(out),
                                               whole(scores), whole(st), rope, att, whole(small)),
                      Catch::Contains("split-K scratch is smaller"));
    rec.end();
  }
  require_no_validation_messages();
}

TEST_CASE("causal GQA attention over the device KV cache, prefill then decode", "[attention]") {
  // (with_sinks: gpt-oss's sink logits, the plain kernel's or the GPU kernel's variant)
  const bool with_sinks = GENERATE(false, true);
  // all keys, or Llama 4's chunks (of 4 positions: the prefill's last two queries and both decode steps see
  // only the keys from position 4); heads of 16 (the vec4 kernels: the lanes on CPU devices, the GPU kernel),
  // of 18 (the plain kernel) and of 520 (attention_v4: wider than the lanes and the GPU kernel take)
  const uint32_t window = GENERATE(0u, 4u | kKeysInChunks), hd = GENERATE(16u, 18u, 520u);
  // ALiBi (BLOOM's max bias 8 over 6 heads: heads 0-3 take m0's powers, 4 and 5 m1's odd ones)
  const bool alibi = GENERATE(false, true);
  INFO("sinks " << with_sinks << " chunks " << (window != 0) << " head_dim " << hd << " alibi " << alibi);
  const std::vector<float> sink_logits = {0.3f, -2.0f, 1.0f, 5.0f, 0.0f, -0.5f, 2.5f, 30.0f};
  Buffer sinks = device_buffer(sink_logits);
  std::mt19937 rng(12);
  const uint32_t n_heads = alibi ? 6 : 8, n_kv = 2, n_ctx = 32, prefill = 6;
  std::vector<float> slopes;
  if (alibi)
    for (uint32_t h = 0; h < n_heads; ++h)
      slopes.push_back(glasswing::model::ModelDescription::alibi_slope_of(h, n_heads, 8));
  const float scale = 1.0f / std::sqrt(float(hd));
  const uint32_t kv_row = n_kv * hd, q_row = n_heads * hd;
  // Two layers in one cache; this test uses layer 1 so the layer offset is exercised.
  const uint32_t layer_off = n_ctx * kv_row;
  Buffer kc = device_buffer({}, 2 * layer_off), vc = device_buffer({}, 2 * layer_off);
  Buffer scores = device_buffer({}, prefill * n_heads * n_ctx);
  std::vector<float> all_k, all_v;

  auto step = [&](uint32_t n_past, uint32_t n_tokens) {
    const auto q = random_floats(rng, n_tokens * q_row, -2, 2);
    const auto k = random_floats(rng, n_tokens * kv_row, -2, 2), v = random_floats(rng, n_tokens * kv_row);
    all_k.insert(all_k.end(), k.begin(), k.end());
    all_v.insert(all_v.end(), v.begin(), v.end());
    Buffer qb = device_buffer(q), kb = device_buffer(k), vb = device_buffer(v),
           qc = device_buffer({}, n_ctx * q_row);
    Buffer out = device_buffer({}, n_tokens * q_row), st = state_buffer(n_past, n_tokens);
    run([&](Recorder& r) {
      r.rope_store(whole(qb), whole(kb), whole(vb), whole(qc), whole(kc), whole(vc), whole(st),
                   {.n_tokens = n_tokens,
                    .n_heads = n_heads,
                    .n_kv_heads = n_kv,
                    .head_dim = hd,
                    .kv_cache_offset = layer_off,
                    .rope_table = {}});
      r.barrier();
      r.attention(whole(qb), whole(kc), whole(vc), whole(out), whole(scores), whole(st),
                  {.n_tokens = n_tokens,
                   .n_heads = n_heads,
                   .n_kv_heads = n_kv,
                   .head_dim = hd,
                   .kv_offset = layer_off,
                   .n_ctx = n_ctx,
                   .scale = scale,
                   .window = window,
                   .alibi_m0 = alibi ? slopes[0] : 0.0f,
                   .alibi_m1 = alibi ? slopes[4] : 0.0f,  // (m1^1: head 4, past the power of two)
                   .sinks = with_sinks ? whole(sinks) : BufferRange{}});
    });
    const auto expect = cpu_attention(q, all_k, all_v, n_tokens, n_past, n_heads, n_kv, hd, scale, window, 0,
                                      with_sinks ? sink_logits : std::vector<float>{}, slopes);
    CHECK(max_rel_diff(read_floats(out, n_tokens * q_row), expect) < 1e-5);
  };
  step(0, prefill);
  step(prefill, 1);
  step(prefill + 1, 1);
  require_no_validation_messages();
}

TEST_CASE("attention probabilities for a query and key window come from the Q and K caches") {
  std::mt19937 rng(13);
  const uint32_t n_heads = 4, n_kv = 2, hd = 8, n_pos = 12, layers = 2, layer = 1, head = 3;
  const float scale = 0.35f;
  const auto qc = random_floats(rng, layers * n_pos * n_heads * hd, -2, 2);
  const auto kc = random_floats(rng, layers * n_pos * n_kv * hd, -2, 2);
  const uint32_t q0 = 4, nq = 5, k0 = 2, nk = 9;  // keys past the query are masked to 0
  Buffer qb = device_buffer(qc), kb = device_buffer(kc), out = device_buffer({}, nq * nk);
  run([&](Recorder& r) {
    r.attention_probs(whole(qb), whole(kb), whole(out),
                      {.n_heads = n_heads,
                       .n_kv_heads = n_kv,
                       .head_dim = hd,
                       .head = head,
                       .q_offset = layer * n_pos * n_heads * hd,
                       .k_offset = layer * n_pos * n_kv * hd,
                       .q0 = q0,
                       .nq = nq,
                       .k0 = k0,
                       .nk = nk,
                       .scale = scale,
                       .sinks = {}});
  });
  std::vector<float> expect(nq * nk, 0.0f);
  const float* q = &qc[layer * n_pos * n_heads * hd];
  const float* k = &kc[layer * n_pos * n_kv * hd];
  for (uint32_t r = 0; r < nq; ++r) {
    const uint32_t pos = q0 + r, kvh = head / (n_heads / n_kv);
    std::vector<double> s(pos + 1);
    double mx = -1e300, sum = 0;
    for (uint32_t j = 0; j <= pos; ++j) {
      double acc = 0;
      for (uint32_t i = 0; i < hd; ++i)
        acc += double(q[(pos * n_heads + head) * hd + i]) * k[(j * n_kv + kvh) * hd + i];
      mx = std::max(mx, s[j] = acc * scale);
    }
    for (auto& x : s) sum += (x = std::exp(x - mx));
    for (uint32_t c = 0; c < nk; ++c)
      if (k0 + c <= pos) expect[r * nk + c] = static_cast<float>(s[k0 + c] / sum);
  }
  const auto got = read_floats(out, nq * nk);
  CHECK(max_rel_diff(got, expect) < 1e-5);
  CHECK(got[0 * nk + (7 - k0)] == 0.0f);  // query 4 cannot see key 7
  require_no_validation_messages();
}

TEST_CASE("softmax, swiglu, gelu, add and bias match the CPU") {
  std::mt19937 rng(14);
  const uint32_t n = 300, rows = 3;
  const auto a = random_floats(rng, n * rows, -6, 6), g = random_floats(rng, n * rows, -6, 6);
  const auto bias = random_floats(rng, 50);
  Buffer sm = device_buffer(a), gb = device_buffer(g), ub = device_buffer(a),
         sw = device_buffer({}, n * rows);
  Buffer ge = device_buffer(a), ad = device_buffer(g), bi = device_buffer(a), bb = device_buffer(bias);
  run([&](Recorder& r) {
    r.softmax(whole(sm), {n, rows});
    r.swiglu(whole(gb), whole(ub), whole(sw), n * rows);
    r.gelu(whole(ge), n * rows);
    r.add(whole(gb), whole(ad), n * rows);               // ad = g + g
    r.add_bias(whole(bb), whole(bi), 50, rows, n, 100);  // columns 100..149 of each row
  });
  std::vector<float> e_sm(a), e_sw(n * rows), e_ge(n * rows), e_ad(n * rows), e_bi(a);
  for (uint32_t t = 0; t < rows; ++t) {
    double mx = -1e300, sum = 0;
    for (uint32_t i = 0; i < n; ++i) mx = std::max(mx, double(a[t * n + i]));
    for (uint32_t i = 0; i < n; ++i) sum += std::exp(a[t * n + i] - mx);
    for (uint32_t i = 0; i < n; ++i) e_sm[t * n + i] = static_cast<float>(std::exp(a[t * n + i] - mx) / sum);
    for (uint32_t i = 0; i < 50; ++i) e_bi[t * n + 100 + i] += bias[i];
  }
  for (uint32_t i = 0; i < n * rows; ++i) {
    e_sw[i] = static_cast<float>(g[i] / (1 + std::exp(-double(g[i]))) * a[i]);
    const double x = a[i];
    e_ge[i] = static_cast<float>(0.5 * x * (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))));
    e_ad[i] = g[i] + g[i];
  }
  CHECK(max_rel_diff(read_floats(sm, n * rows), e_sm) < 1e-6);
  CHECK(max_rel_diff(read_floats(sw, n * rows), e_sw) < 1e-5);
  CHECK(max_rel_diff(read_floats(ge, n * rows), e_ge) < 1e-5);
  CHECK(max_rel_diff(read_floats(ad, n * rows), e_ad) < 1e-6);
  CHECK(max_rel_diff(read_floats(bi, n * rows), e_bi) < 1e-6);
  require_no_validation_messages();
}

TEST_CASE("attention summaries reduce each causal row to max, entropy and attention to key 0") {
  std::mt19937 rng(15);
  const uint32_t n_heads = 4, n_kv = 2, hd = 8, n_pos = 10, q0 = 3, nq = 7;
  const float scale = 0.5f;
  const auto qc = random_floats(rng, n_pos * n_heads * hd, -2, 2);
  const auto kc = random_floats(rng, n_pos * n_kv * hd, -2, 2);
  Buffer qb = device_buffer(qc), kb = device_buffer(kc), out = device_buffer({}, 5 + n_heads * nq * 3);
  run([&](Recorder& r) {
    r.attention_summary(whole(qb), whole(kb), whole(out),
                        {.n_heads = n_heads,
                         .n_kv_heads = n_kv,
                         .head_dim = hd,
                         .q0 = q0,
                         .nq = nq,
                         .out_offset = 5,
                         .scale = scale,
                         .sinks = {}});
  });
  std::vector<float> expect(5 + n_heads * nq * 3, 0.0f);
  for (uint32_t h = 0; h < n_heads; ++h)
    for (uint32_t r = 0; r < nq; ++r) {
      const uint32_t pos = q0 + r, kvh = h / (n_heads / n_kv);
      std::vector<double> p(pos + 1);
      double mx = -1e300, sum = 0, entropy = 0, top = 0;
      for (uint32_t j = 0; j <= pos; ++j) {
        double acc = 0;
        for (uint32_t i = 0; i < hd; ++i)
          acc += double(qc[(pos * n_heads + h) * hd + i]) * kc[(j * n_kv + kvh) * hd + i];
        mx = std::max(mx, p[j] = acc * scale);
      }
      for (auto& x : p) sum += (x = std::exp(x - mx));
      for (auto& x : p) {
        x /= sum;
        top = std::max(top, x);
        entropy -= x * std::log(x);
      }
      float* o = &expect[5 + (h * nq + r) * 3];
      o[0] = static_cast<float>(top);
      o[1] = static_cast<float>(entropy);
      o[2] = static_cast<float>(p[0]);
    }
  CHECK(max_rel_diff(read_floats(out, expect.size()), expect) < 1e-5);
  require_no_validation_messages();
}

namespace {

// The gated delta rule (delta_rule.comp's comment) in double precision, step after step over `state`
// ([v head][row i][column j] at j · dv + i), into out (n_tokens × value_dim, gated RMSNorm applied).
struct DeltaCase {
  uint32_t n_k, n_v, dk, dv;
  bool grouped;
  uint32_t key_dim() const { return n_k * dk; }
  uint32_t value_dim() const { return n_v * dv; }
  uint32_t channels() const { return 2 * key_dim() + value_dim(); }
  uint32_t ba_width() const { return grouped ? 2 * n_v : n_v; }
};
std::vector<float> cpu_delta_rule(const DeltaCase& c, uint32_t n, const std::vector<float>& qkv,
                                  const std::vector<float>& z, const std::vector<float>& beta,
                                  const std::vector<float>& alpha, const std::vector<float>& dt_bias,
                                  const std::vector<float>& a, const std::vector<float>& norm,
                                  std::vector<double>& state, float eps) {
  std::vector<float> out(size_t{n} * c.value_dim());
  const uint32_t r = c.n_v / c.n_k;
  for (uint32_t t = 0; t < n; ++t)
    for (uint32_t h = 0; h < c.n_v; ++h) {
      const uint32_t kh = c.grouped ? h / r : h % c.n_k;
      const uint32_t b_at = c.grouped ? (h / r) * 2 * r + h % r : h, a_at = c.grouped ? b_at + r : h;
      const float* row = &qkv[size_t{t} * c.channels()];
      std::vector<double> q(c.dk), k(c.dk), o(c.dv);
      double qq = 0, kk = 0;
      for (uint32_t j = 0; j < c.dk; ++j) {
        q[j] = row[kh * c.dk + j];
        k[j] = row[c.key_dim() + kh * c.dk + j];
        qq += q[j] * q[j];
        kk += k[j] * k[j];
      }
      for (uint32_t j = 0; j < c.dk; ++j) {
        q[j] /= std::max(std::sqrt(qq), double(eps)) * std::sqrt(double(c.dk));
        k[j] /= std::max(std::sqrt(kk), double(eps));
      }
      const double pre = double(alpha[t * c.ba_width() + a_at]) + dt_bias[h];
      const double decay = std::exp(std::log1p(std::exp(pre)) * a[h]);
      const double b = 1 / (1 + std::exp(-double(beta[t * c.ba_width() + b_at])));
      double* S = &state[size_t{h} * c.dv * c.dk];
      for (uint32_t i = 0; i < c.dv; ++i) {
        double sk = 0;
        for (uint32_t j = 0; j < c.dk; ++j) sk += (S[j * c.dv + i] *= decay) * k[j];
        const double d = (row[2 * c.key_dim() + h * c.dv + i] - sk) * b;
        for (uint32_t j = 0; j < c.dk; ++j) o[i] += (S[j * c.dv + i] += k[j] * d) * q[j];
      }
      double oo = 0;
      for (const double x : o) oo += x * x;
      const double scale = 1 / std::sqrt(oo / c.dv + eps);
      for (uint32_t i = 0; i < c.dv; ++i) {
        const double g = z[size_t{t} * c.value_dim() + h * c.dv + i];
        out[size_t{t} * c.value_dim() + h * c.dv + i] =
            static_cast<float>(o[i] * scale * norm[i] * g / (1 + std::exp(-g)));
      }
    }
  return out;
}

}  // namespace

TEST_CASE("the gated delta rule (per-head and per-row kernels) matches a double-precision one",
          "[attention]") {
  // Qwen3.5's heads of 128, heads of 256 (the rows kernel's widest), Qwen3-Next's grouped heads with β|α
  // packed in one row; a prefill of 7 tokens then a step of 2 carrying the state. The rows kernel runs where
  // the GPU kernels do (GLASSWING_VULKAN_KERNELS=gpu, as the [attention] run does on lavapipe);
  // GLASSWING_VULKAN_DELTA_ROWS=0 keeps the per-head kernel.
  const DeltaCase c = GENERATE(DeltaCase{2, 2, 128, 128, false}, DeltaCase{1, 2, 256, 256, false},
                               DeltaCase{2, 4, 64, 128, true});
  const bool rows = GENERATE(false, true);
  INFO("dk " << c.dk << " dv " << c.dv << " grouped " << c.grouped << " rows " << rows);
  ScopedEnv delta_rows("GLASSWING_VULKAN_DELTA_ROWS", rows ? "1" : "0");
  std::mt19937 rng(21);
  const float eps = 1e-6f;
  const auto dt_bias = random_floats(rng, c.n_v), norm = random_floats(rng, c.dv, 0.5f, 1.5f);
  std::vector<float> a = random_floats(rng, c.n_v, -2.0f, -0.1f);
  std::vector<double> state(size_t{c.n_v} * c.dv * c.dk);
  std::vector<float> state_f(state.size());
  for (size_t i = 0; i < state.size(); ++i)
    state[i] = state_f[i] = std::uniform_real_distribution<float>(-0.3f, 0.3f)(rng);
  Buffer sb = device_buffer(state_f), db = device_buffer(dt_bias), ab = device_buffer(a),
         nb = device_buffer(norm);
  for (const uint32_t n : {7u, 2u}) {
    const auto qkv = random_floats(rng, size_t{n} * c.channels(), -2, 2);
    const auto z = random_floats(rng, size_t{n} * c.value_dim(), -3, 3);
    const auto beta = random_floats(rng, size_t{n} * c.ba_width(), -3, 3);
    const auto alpha = c.grouped ? beta : random_floats(rng, size_t{n} * c.ba_width(), -3, 3);
    Buffer qb = device_buffer(qkv), zb = device_buffer(z), bb = device_buffer(beta),
           alb = device_buffer(alpha);
    Buffer out = device_buffer({}, size_t{n} * c.value_dim());
    run([&](Recorder& r) {
      r.delta_rule({whole(qb), whole(zb), whole(bb), whole(alb), whole(db), whole(ab), whole(nb), whole(sb),
                    whole(out)},
                   n, c.n_k, c.n_v, c.dk, c.dv, eps, c.grouped);
    });
    const auto expect = cpu_delta_rule(c, n, qkv, z, beta, alpha, dt_bias, a, norm, state, eps);
    CHECK(max_rel_diff(read_floats(out, expect.size()), expect) < 1e-4);
  }
  std::vector<float> want(state.begin(), state.end());
  CHECK(max_rel_diff(read_floats(sb, want.size()), want) < 1e-4);
  require_no_validation_messages();
}

TEST_CASE("Mamba-2's selective scan (per-head and per-channel kernels) matches a double-precision one",
          "[attention]") {
  // Granite-4.0-H's state of 128 over heads of 32, a state of 256 (the channel kernel's widest) over heads of
  // 64 in two groups of B and C; a prefill of 6 tokens then a step of 2 carrying the state. As the delta
  // rule's test: the per-channel kernel where the GPU kernels run, GLASSWING_VULKAN_DELTA_ROWS=0 the
  // per-head.
  struct Case {
    uint32_t n_head, head_dim, d_state, n_group;
  };
  const Case c = GENERATE(Case{3, 32, 128, 1}, Case{4, 64, 256, 2});
  const bool rows = GENERATE(false, true);
  INFO("state " << c.d_state << " head_dim " << c.head_dim << " groups " << c.n_group << " rows " << rows);
  ScopedEnv delta_rows("GLASSWING_VULKAN_DELTA_ROWS", rows ? "1" : "0");
  std::mt19937 rng(22);
  const uint32_t d_inner = c.n_head * c.head_dim, channels = d_inner + 2 * c.n_group * c.d_state;
  const uint32_t in_dim = d_inner + channels + c.n_head;  // z, x|B|C, dt
  const auto dt_bias = random_floats(rng, c.n_head), dskip = random_floats(rng, c.n_head);
  const auto a = random_floats(rng, c.n_head, -2.0f, -0.1f);
  std::vector<float> state_f = random_floats(rng, size_t{c.n_head} * c.d_state * c.head_dim, -0.5f, 0.5f);
  std::vector<double> state(state_f.begin(), state_f.end());
  Buffer sb = device_buffer(state_f), db = device_buffer(dt_bias), ab = device_buffer(a),
         kb = device_buffer(dskip);
  for (const uint32_t n : {6u, 2u}) {
    const auto xbc = random_floats(rng, size_t{n} * channels, -2, 2);
    const auto in = random_floats(rng, size_t{n} * in_dim, -3, 3);
    Buffer xb = device_buffer(xbc), ib = device_buffer(in), yb = device_buffer({}, size_t{n} * d_inner);
    run([&](Recorder& r) {
      r.mamba_scan({whole(xb), whole(ib), whole(db), whole(ab), whole(kb), whole(sb), whole(yb)}, n, d_inner,
                   c.d_state, c.n_head, c.n_group, in_dim);
    });
    std::vector<float> expect(size_t{n} * d_inner);
    for (uint32_t t = 0; t < n; ++t)
      for (uint32_t h = 0; h < c.n_head; ++h) {
        const uint32_t g = h / (c.n_head / c.n_group);
        const double pre = double(in[t * in_dim + d_inner + channels + h]) + dt_bias[h];
        const double dt = pre > 20 ? pre : std::log1p(std::exp(pre)), decay = std::exp(dt * a[h]);
        for (uint32_t p = 0; p < c.head_dim; ++p) {
          const double x = xbc[t * channels + h * c.head_dim + p];
          double acc = dskip[h] * x;
          for (uint32_t k = 0; k < c.d_state; ++k) {
            double& s = state[(size_t{h} * c.d_state + k) * c.head_dim + p];
            s = s * decay + double(xbc[t * channels + d_inner + g * c.d_state + k]) * x * dt;
            acc += s * xbc[t * channels + d_inner + (c.n_group + g) * c.d_state + k];
          }
          const double z = in[t * in_dim + h * c.head_dim + p];
          expect[t * d_inner + h * c.head_dim + p] = static_cast<float>(acc * z / (1 + std::exp(-z)));
        }
      }
    CHECK(max_rel_diff(read_floats(yb, expect.size()), expect) < 1e-4);
  }
  CHECK(max_rel_diff(read_floats(sb, state.size()), std::vector<float>(state.begin(), state.end())) < 1e-4);
  require_no_validation_messages();
}

TEST_CASE("Kimi Delta Attention (per-head and per-row kernels) matches a double-precision one",
          "[attention]") {
  // Kimi Linear's heads of 128 and heads of 256 (the rows kernel's widest), a decay per key channel; a
  // prefill of 5 tokens then a step of 2 carrying the state. As the delta rule's test for the kernels.
  const uint32_t d = GENERATE(128u, 256u), n_heads = 2;
  const bool rows = GENERATE(false, true);
  INFO("head_dim " << d << " rows " << rows);
  ScopedEnv delta_rows("GLASSWING_VULKAN_DELTA_ROWS", rows ? "1" : "0");
  std::mt19937 rng(23);
  const float eps = 1e-6f;
  const uint32_t inner = n_heads * d;
  const auto dt_bias = random_floats(rng, inner), norm = random_floats(rng, d, 0.5f, 1.5f);
  const auto a = random_floats(rng, n_heads, -2.0f, -0.1f);
  std::vector<float> state_f = random_floats(rng, size_t{n_heads} * d * d, -0.3f, 0.3f);
  std::vector<double> state(state_f.begin(), state_f.end());
  Buffer sb = device_buffer(state_f), db = device_buffer(dt_bias), ab = device_buffer(a),
         nb = device_buffer(norm);
  for (const uint32_t n : {5u, 2u}) {
    const uint32_t plane = n * inner;
    const auto qkv = random_floats(rng, size_t{3} * plane, -2, 2);
    const auto g = random_floats(rng, plane, -3, 3), z = random_floats(rng, plane, -3, 3);
    const auto beta = random_floats(rng, size_t{n} * n_heads, -3, 3);
    Buffer qb = device_buffer(qkv), gb = device_buffer(g), zb = device_buffer(z), bb = device_buffer(beta);
    Buffer out = device_buffer({}, plane);
    run([&](Recorder& r) {
      r.kda_rule({whole(qb), whole(gb), whole(zb), whole(bb), whole(db), whole(ab), whole(nb), whole(sb),
                  whole(out)},
                 n, n_heads, d, eps);
    });
    std::vector<float> expect(plane);
    for (uint32_t t = 0; t < n; ++t)
      for (uint32_t h = 0; h < n_heads; ++h) {
        const uint32_t row = t * inner + h * d;
        std::vector<double> q(d), k(d), decay(d), o(d);
        double qq = 0, kk = 0;
        for (uint32_t j = 0; j < d; ++j) {
          q[j] = qkv[row + j];
          k[j] = qkv[plane + row + j];
          qq += q[j] * q[j];
          kk += k[j] * k[j];
          decay[j] = std::exp(std::log1p(std::exp(double(g[row + j]) + dt_bias[h * d + j])) * a[h]);
        }
        for (uint32_t j = 0; j < d; ++j) {
          q[j] /= std::max(std::sqrt(qq), double(eps)) * std::sqrt(double(d));
          k[j] /= std::max(std::sqrt(kk), double(eps));
        }
        const double b = 1 / (1 + std::exp(-double(beta[t * n_heads + h])));
        double* S = &state[size_t{h} * d * d];
        for (uint32_t i = 0; i < d; ++i) {
          double sk = 0;
          for (uint32_t j = 0; j < d; ++j) sk += (S[j * d + i] *= decay[j]) * k[j];
          const double dl = (qkv[2 * plane + row + i] - sk) * b;
          for (uint32_t j = 0; j < d; ++j) o[i] += (S[j * d + i] += k[j] * dl) * q[j];
        }
        double oo = 0;
        for (const double x : o) oo += x * x;
        const double scale = 1 / std::sqrt(oo / d + eps);
        for (uint32_t i = 0; i < d; ++i)
          expect[row + i] = static_cast<float>(o[i] * scale * norm[i] / (1 + std::exp(-double(z[row + i]))));
      }
    CHECK(max_rel_diff(read_floats(out, plane), expect) < 1e-4);
  }
  CHECK(max_rel_diff(read_floats(sb, state.size()), std::vector<float>(state.begin(), state.end())) < 1e-4);
  require_no_validation_messages();
}
