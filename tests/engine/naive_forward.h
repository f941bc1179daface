#pragma once
// A textbook forward pass of the llama family (llama with RoPE scaling, qwen2/3, gemma2/3, glm4, ...) in
// double precision, written for the tests and sharing nothing with the engine but the weight loader and the
// dequantizers: every weight row is dequantized to doubles, and RMSNorm, the per-head q/k norms, RoPE, causal
// softmax attention with GQA and SwiGLU are computed one loop at a time, as the papers state them. Slow (tiny
// models only) and obviously right: it is checked against llama.cpp's logits of the shared models, and new
// architectures are then checked against it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <stdexcept>
#include <vector>

#include "inference/model/model.h"
#include "inference/quant/quant.h"

namespace glasswing::test {

namespace naive {

using Vec = std::vector<double>;

inline Vec row(const model::WeightMatrix& w, int64_t r) {
  std::vector<float> f(static_cast<size_t>(w.n_cols));
  quant::dequantize_row(w.type, w.row(r), f.data(), w.n_cols);
  return Vec(f.begin(), f.end());
}

// W·x (+ b)
inline Vec matvec(const model::WeightMatrix& w, const Vec& x, model::Vector b = {}) {
  Vec y(static_cast<size_t>(w.n_rows));
  for (int64_t r = 0; r < w.n_rows; ++r) {
    const Vec wr = row(w, r);
    double s = 0;
    for (size_t i = 0; i < x.size(); ++i) s += wr[i] * x[i];
    y[static_cast<size_t>(r)] = s + (b.empty() ? 0.0 : b[static_cast<size_t>(r)]);
  }
  return y;
}

// x / sqrt(mean(x²) + eps) · gain over x[begin, begin + n), in place
inline void rmsnorm(Vec& x, size_t begin, size_t n, model::Vector gain, double eps) {
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += x[begin + i] * x[begin + i];
  const double scale = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
  for (size_t i = 0; i < n; ++i) x[begin + i] *= scale * gain[i];
}

// LayerNorm without a bias of x[begin, begin + n) (StableLM 2 12B's and Command R+'s heads of q and k)
inline void layernorm(Vec& x, size_t begin, size_t n, model::Vector gain, double eps) {
  double mean = 0, var = 0;
  for (size_t i = 0; i < n; ++i) mean += x[begin + i];
  mean /= static_cast<double>(n);
  for (size_t i = 0; i < n; ++i) var += (x[begin + i] - mean) * (x[begin + i] - mean);
  const double scale = 1.0 / std::sqrt(var / static_cast<double>(n) + eps);
  for (size_t i = 0; i < n; ++i) x[begin + i] = (x[begin + i] - mean) * scale * gain[i];
}

// GELU in its tanh form (Hugging Face's gelu_pytorch_tanh / gelu_new, and llama.cpp's), which the GELU FFNs,
// GeGLU and Gemma 4's per-layer gates use
inline double gelu(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
}

// (x − mean) / sqrt(var + eps) · gain + bias over the whole of x, in place (no bias: Command-R; neither gain
// nor bias: OLMo 1's norms without parameters)
inline void layernorm(Vec& x, model::Vector gain, model::Vector bias, double eps) {
  double mean = 0, var = 0;
  for (double e : x) mean += e;
  mean /= static_cast<double>(x.size());
  for (double e : x) var += (e - mean) * (e - mean);
  const double scale = 1.0 / std::sqrt(var / static_cast<double>(x.size()) + eps);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = (x[i] - mean) * scale * (gain.empty() ? 1.0 : gain[i]) + (bias.empty() ? 0.0 : bias[i]);
}

// RoPE's per-pair angular frequencies and the magnitude of cos and sin, as the papers and Hugging Face's
// modeling_rope_utils define them: base^(−2i/n_rot), divided by the file's per-pair factors (Llama 3.1's
// rope_freqs; LongRoPE's long factors when the context exceeds the original one, else its short ones);
// linear scaling divides every frequency by the factor; YaRN blends each pair between the interpolated
// (divided) and the extrapolated frequency with its linear ramp between the pairs that turn beta_fast and
// beta_slow times over the original context, and scales cos and sin by 0.1 · ln(factor) + 1; the GGUF's
// attn_factor multiplies the magnitude (LongRoPE's √(1 + ln(s) / ln(n_orig))).
struct Rope {
  Vec freq;
  double mscale = 1.0;
};
inline Rope rope_frequencies(const model::Model& m, int64_t n_ctx, double base, bool scaled,
                             int64_t n_rot = 0) {
  const model::ModelDescription& d = m.desc();
  const model::RopeScaling& r = d.rope_scaling;
  if (n_rot == 0) n_rot = d.n_rot;
  const int64_t half = n_rot / 2;
  Rope out;
  out.freq.resize(static_cast<size_t>(half));
  const model::Vector& factors = !m.weights().rope_freqs_long.empty() && n_ctx > r.n_ctx_orig
                                     ? m.weights().rope_freqs_long
                                     : m.weights().rope_freqs;
  const double factor = 1.0 / static_cast<double>(r.freq_scale);
  const bool yarn = r.ext_factor != 0.0f;
  const auto correction = [&](double rotations) {
    return static_cast<double>(n_rot) *
           std::log(static_cast<double>(r.n_ctx_orig) / (rotations * 2.0 * std::numbers::pi)) /
           (2.0 * std::log(base));
  };
  double low = std::max(0.0, std::floor(correction(r.beta_fast)));
  double high = std::min(static_cast<double>(n_rot - 1), std::ceil(correction(r.beta_slow)));
  if (low == high) high += 0.001;
  for (int64_t i = 0; i < half; ++i) {
    double f = std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(n_rot));
    if (!scaled) {
      out.freq[static_cast<size_t>(i)] = f;
      continue;
    }
    if (!factors.empty()) f /= factors[static_cast<size_t>(i)];
    const double interpolated = f / factor;
    double extrapolated_share = 0.0;  // YaRN: 1 for the fast pairs, 0 for the slow ones
    if (yarn)
      extrapolated_share = (1.0 - std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0)) *
                           static_cast<double>(r.ext_factor);
    out.freq[static_cast<size_t>(i)] = interpolated * (1.0 - extrapolated_share) + f * extrapolated_share;
  }
  if (scaled) out.mscale = r.attn_factor * (yarn && factor > 1.0 ? 0.1 * std::log(factor) + 1.0 : 1.0);
  return out;
}

// Rotates each head of x (n_heads heads of hd) at position pos: pairs (2i, 2i+1), or (i, i + n_rot/2) for
// NeoX; pair i turns at pos · freq[i], its cos and sin times mscale.
inline void rope(Vec& x, int64_t n_heads, int64_t hd, int64_t n_rot, int64_t pos, bool neox, const Rope& r) {
  for (int64_t h = 0; h < n_heads; ++h)
    for (int64_t i = 0; i < n_rot / 2; ++i) {
      const double theta = static_cast<double>(pos) * r.freq[static_cast<size_t>(i)];
      const size_t a = static_cast<size_t>(h * hd + (neox ? i : 2 * i));
      const size_t b = static_cast<size_t>(h * hd + (neox ? i + n_rot / 2 : 2 * i + 1));
      const double x0 = x[a], x1 = x[b], c = std::cos(theta) * r.mscale, s = std::sin(theta) * r.mscale;
      x[a] = x0 * c - x1 * s;
      x[b] = x0 * s + x1 * c;
    }
}

}  // namespace naive

// The logits of every token of `tokens` evaluated from position 0, [n_tokens][n_vocab], in a session of n_ctx
// positions (which only LongRoPE's choice of factors reads).
inline std::vector<float> naive_logits(const model::Model& m, std::span<const int32_t> tokens,
                                       int64_t n_ctx = 0) {
  using naive::Vec;
  const model::ModelDescription& d = m.desc();
  const model::Weights& w = m.weights();
  const model::ArchTraits& arch = *d.traits;
  // gemma2 and gemma3, as their papers and reference code state them: embeddings × √n_embd, GeGLU (tanh
  // GELU), each sublayer's output RMS-normalized before the residual add, local layers that see a window of
  // sliding_window keys: gemma2's even layers; gemma3's five of every six, which also turn with RoPE base
  // 10000 without scaling. gemma2 soft-caps attention scores and logits: c·tanh(s/c).
  // gpt-oss: its even layers are sliding-window ones too, but turn with the model's RoPE base and scaling;
  // each head has a sink logit that joins its softmax without a value; attention and experts have biases;
  // the router's top experts by logit are weighted by the softmax of those logits; its SwiGLU is clamped.
  // Gemma 4, as llama.cpp's gemma4 graph and Hugging Face's modeling_gemma4 state it: gemma3's sublayers;
  // sliding layers (the file's per-layer pattern) with their own head width, KV heads, rotary width and RoPE
  // base; full layers rotating only their first pairs (the file's rope_freqs hold 1e30 for the others); V =
  // K (before K's norm) where a layer has no attn_v, each V head RMS-normalized without gains; scores q·k
  // unscaled; the last layers without keys and values of their own attending over the last earlier layer
  // of their kind that has them; each layer's output then gets its per-layer input (GELU(gate · x) times
  // that layer's slice of (RMSNorm(proj · x₀ / √n_embd) + per-layer embedding × √P) / √2, projected,
  // RMS-normalized) and is scaled by layer_output_scale; the logits soft-capped.
  // Gemma 3n, as Hugging Face's modeling_gemma3n and llama.cpp's gemma3n graph state it: Gemma 4's shared
  // keys and values, V's norm, unscaled scores and per-layer inputs (one head width; RoPE base 10000 on the
  // sliding layers), with AltUp: N streams, the first the embedding, the others altup_proj · x₀ at x₀'s
  // magnitude; each layer first predicts every stream, pred_j = s_j + Σ_k C[j][k] s_k, with C = predict ·
  // tanh(router · RMSNorm(s₀) / n_embd) (row-major N × N); it runs on pred₀, with LAuReL (the attention
  // norm's output n plus RMSNorm(laurel_r · laurel_l · n)) joining attention's residual sum, (pred₀ +
  // attn + laurel) / √2; its first layers' FFN gates cut at mean + std · quantile (Gaussian top-k, the
  // sample std) before GELU; then every stream is corrected, s_j = pred_j + (y − pred₀)(1 + c_j), c =
  // correct · tanh(router · RMSNorm(y) / n_embd) for the layer's output y, and the per-layer input (gated by
  // GELU of s₀ ⊙ correct_scale) added to every stream but the first. At the end the other streams go back
  // through altup_unembd_proj at s₀'s magnitude, and the N are averaged.
  const bool gemma3n = d.architecture == "gemma3n";
  const bool gemma4 = d.architecture == "gemma4" || gemma3n;
  // deci (Llama-Nemotron), as Hugging Face's DeciLMDecoderLayer: a layer's attention is a no-op (nothing
  // added, no norm), attention (its own KV heads) or its "linear replacement" x + W·RMSNorm(x) (W: the
  // file's attn_output); then its FFN, of its own width, or none (a no-op: nothing added)
  const bool deci = d.architecture == "deci";
  const bool gemma2 = d.architecture == "gemma2", gemma3 = d.architecture == "gemma3",
             gemma = gemma2 || gemma3 || gemma4 || d.architecture == "gemma",
             gpt_oss = d.architecture == "gpt-oss";
  // EXAONE 4.0 (as OLMo 2's norms, per-head q and k norms): its 32B (64 layers) slides windows on three
  // layers of four, which alone turn q and k
  const bool exaone4_windows = d.architecture == "exaone4" && d.n_layer == 64 && d.sliding_window > 0;
  // K-EXAONE (exaone-moe), as Hugging Face's ExaoneMoe (Exaone4's attention, OLMoE's pre-norm layer,
  // DeepSeek-V3's mixture): windows on the layers its config's layer_types marks sliding (the file's
  // per-layer pattern), which alone turn q and k
  const bool exaone_moe = d.architecture == "exaone-moe";
  // Cohere's mixtures (cohere2moe), as Hugging Face's Cohere2Moe: Cohere2's parallel block with windows on
  // the layers its layer_types marks sliding, which alone turn q and k, and experts by a sigmoid router
  const bool cohere2moe = d.architecture == "cohere2moe";
  const bool file_windows = exaone_moe || cohere2moe;
  const bool olmo3 = d.architecture == "olmo2";  // OLMo 3's windows: three layers of four
  // Cohere2 (Command R7B): windows on three layers of four; the fourth attends to every key without RoPE
  const bool cohere2 = d.architecture == "cohere2";
  // Llama 4, as Hugging Face's modeling_llama4 states it: every fourth layer attends to every key without
  // RoPE, its queries times 1 + attn_scale · ln(1 + ⌊(pos + 1) / floor_scale⌋); the others turn q and k
  // (Llama 3's scaled frequencies), then (use_qk_norm) divide each head of q and k by its root mean square,
  // and a query sees only the keys of its own chunk of attention_chunk_size positions (0 .. c - 1,
  // c .. 2c - 1, ...). Its mixtures: the router's sigmoid of its top expert multiplies that expert's input
  // (not its output), and a shared expert runs on every token.
  const bool llama4 = d.architecture == "llama4";
  const auto llama4_nope = [&](int64_t layer) { return llama4 && (layer + 1) % 4 == 0; };
  // Llama 4's attention temperature tuning (Scout's and Maverick's NoPE layers; every layer of the Mistral
  // files with attention.temperature_scale): 1 + scale · ln(1 + ⌊(t + offset) / floor⌋), Llama 4 counting
  // from t + 1 (Hugging Face's cache_position + 1), Mistral's from t
  const auto temperature = [&](int64_t t) {
    if (d.attn_temp_scale == 0.0f) return 1.0;
    const double offset = llama4 ? 1.0 : 0.0;
    return std::log1p(std::floor((t + offset) / static_cast<double>(d.attn_temp_floor))) * d.attn_temp_scale +
           1.0;
  };
  // Arcee Trinity (afmoe): windows on three layers of four, the fourth without RoPE (whatever the windows);
  // SmallThinker with windows: every layer but each fourth from the first slides one, and only those turn
  const bool afmoe = d.architecture == "afmoe", smallthinker = d.architecture == "smallthinker";
  const auto local = [&](int64_t layer) {
    return d.sliding_window > 0 &&
           ((gemma3 && layer % 6 != 5) || ((gemma2 || gpt_oss) && layer % 2 == 0) ||
            ((olmo3 || cohere2 || exaone4_windows || afmoe) && layer % 4 != 3) ||
            (smallthinker && layer % 4 != 0) || ((gemma4 || file_windows) && d.is_local(layer)) ||
            d.traits->short_conv);  // (LFM2: all)
  };
  // GPT-NeoX, Phi-2, Command-R: LayerNorms (Command-R's without biases); attention and FFN in parallel, both
  // reading the layer's input: x + attn(LN₁(x)) + ffn(LN₂(x)), with LN₂ = LN₁ where there is no ffn_norm
  // (Phi-2, Command-R, StableLM 2 12B); GPT-NeoX's and Phi-2's FFN is down(gelu(up·x + b)) + b (GELU's tanh
  // form, as llama.cpp computes it); Command-R's logits times its logit_scale.
  const bool layer_norm = arch.norm == model::NormKind::Layer;
  // OLMo 1: LayerNorms without parameters (its checkpoints have none: the loader's gains of 1 are not read
  // here)
  const auto norm = [&](Vec& v, model::Vector gain, model::Vector bias) {
    if (arch.nonparametric_norms) gain = bias = {};
    if (layer_norm)
      naive::layernorm(v, gain, bias, d.norm_eps);
    else
      naive::rmsnorm(v, 0, v.size(), gain, d.norm_eps);
    // Phi-3.5-MoE: its norms' biases after the RMSNorm (llama.cpp's phi3 graph runs its LayerNorms so)
    if (!layer_norm && arch.rms_norm_bias)
      for (size_t i = 0; i < v.size(); ++i) v[i] += bias[i];
  };
  const auto cap = [](double s, double c) { return c > 0 ? c * std::tanh(s / c) : s; };
  // granite: its config's multipliers (the GGUF's keys): embeddings times embedding_scale, each sublayer's
  // output times residual_scale, scores times attention.scale instead of 1/√d, logits divided by logit_scale
  // (ModelDescription::logit_multiplier holds its reciprocal)
  const bool granite = d.traits->granite_scales;
  const double residual = granite ? d.residual_scale : 1.0;
  const auto n = static_cast<int64_t>(tokens.size());
  const int64_t dim = d.n_embd;
  const double eps = d.norm_eps;
  const auto u = [](int64_t i) { return static_cast<size_t>(i); };
  std::vector<std::vector<Vec>> layer_k(u(d.n_layer)), layer_v(u(d.n_layer));  // (Gemma 4 shares them)

  // ALiBi's slopes as the paper and Hugging Face's build_alibi_tensor state them: for the largest power of
  // two p ≤ n_head, heads 1..p take base^i with base = 2^(−b/p) (b = 8 in the paper), the remaining heads
  // the odd powers 1, 3, 5, … of 2^(−b/2p)
  Vec alibi_slopes;
  const bool alibi = d.alibi_max_bias > 0;  // (bloom, mpt; Baichuan 13B by its layer count)
  if (alibi) {
    int64_t p2 = 1;
    while (p2 * 2 <= d.n_head) p2 *= 2;
    const double b = d.alibi_max_bias;
    for (int64_t i = 1; i <= p2; ++i) alibi_slopes.push_back(std::pow(2.0, -b / double(p2) * double(i)));
    for (int64_t i = 0; i < d.n_head - p2; ++i)
      alibi_slopes.push_back(std::pow(2.0, -b / double(2 * p2) * double(2 * i + 1)));
  }
  std::vector<Vec> x(u(n));
  for (int64_t t = 0; t < n; ++t) {
    x[u(t)] = naive::row(w.token_embd, tokens[u(t)]);
    // BLOOM: the embedding LayerNorm'd before the first layer
    if (arch.embd_norm) naive::layernorm(x[u(t)], w.token_embd_norm, w.token_embd_norm_b, d.norm_eps);
    // gpt2, starcoder: the learned embedding of position t added to the token's (GPT-2's wte + wpe)
    if (arch.learned_positions) {
      if (t >= d.n_ctx_train)
        throw std::runtime_error("position " + std::to_string(t) + " past the learned ones");
      const Vec pos = naive::row(w.position_embd, t);
      for (int64_t i = 0; i < dim; ++i) x[u(t)][u(i)] += pos[u(i)];
    }
    if (gemma || afmoe)  // (afmoe: its muP scale, √n_embd as gemma's)
      for (double& e : x[u(t)]) e *= std::sqrt(static_cast<double>(dim));
    if (granite)
      for (double& e : x[u(t)]) e *= d.embedding_scale;
  }
  // Gemma 4's per-layer inputs, per token: n_layer slices of P
  const int64_t P = d.per_layer_embd;
  std::vector<Vec> per_layer(u(n));
  for (int64_t t = 0; t < n && P > 0; ++t) {
    Vec proj = naive::matvec(w.per_layer_model_proj, x[u(t)]);
    const Vec own = naive::row(w.per_layer_token_embd, tokens[u(t)]);
    for (int64_t l = 0; l < d.n_layer; ++l) {
      for (int64_t i = 0; i < P; ++i) proj[u(l * P + i)] /= std::sqrt(static_cast<double>(dim));
      naive::rmsnorm(proj, u(l * P), u(P), w.per_layer_proj_norm, eps);
      for (int64_t i = 0; i < P; ++i)
        proj[u(l * P + i)] =
            (proj[u(l * P + i)] + own[u(l * P + i)] * std::sqrt(static_cast<double>(P))) / std::sqrt(2.0);
    }
    per_layer[u(t)] = proj;
  }
  const auto magnitude = [](const Vec& v) {
    double sq = 0;
    for (double e : v) sq += e * e;
    return std::sqrt(sq);
  };
  const int64_t N = gemma3n ? d.altup.n_inputs : 0;
  std::vector<std::vector<Vec>> streams(u(N), std::vector<Vec>(u(n))), pred = streams;
  for (int64_t t = 0; t < n && gemma3n; ++t) {
    streams[0][u(t)] = x[u(t)];
    for (int64_t j = 1; j < N; ++j) {
      Vec s = naive::matvec(w.altup_proj[u(j - 1)], x[u(t)]);
      const double scale = magnitude(x[u(t)]) / magnitude(s);
      for (double& e : s) e *= scale;
      streams[u(j)][u(t)] = s;
    }
  }
  const auto modalities = [&](const model::LayerWeights& L, Vec y) {
    naive::rmsnorm(y, 0, u(dim), L.altup_router_norm, eps);
    for (double& e : y) e /= static_cast<double>(dim);
    Vec m = naive::matvec(L.altup_router, y);
    for (double& e : m) e = std::tanh(e);
    return m;
  };

  for (int64_t l = 0; l < d.n_layer; ++l) {
    const model::LayerWeights& L = w.layers[u(l)];
    const double base = local(l) && gemma3   ? 10000.0
                        : local(l) && gemma4 ? d.rope_freq_base_local
                                             : d.rope_freq_base;
    const int64_t hd = gemma4 ? d.heads(l).head_dim : d.head_dim;
    const int64_t n_rot = gemma4 ? d.heads(l).n_rot : d.n_rot;
    // (deci: each layer its own KV heads, 0 where it has no attention)
    const int64_t n_kv = gemma4 || deci ? d.heads(l).n_head_kv : d.n_head_kv;
    naive::Rope rope = naive::rope_frequencies(
        m, n_ctx, base, !local(l) || gpt_oss || exaone4_windows || afmoe || smallthinker || file_windows,
        n_rot);
    if (arch.yarn_unit_magnitude) rope.mscale = 1.0;  // Ministral 3: HF's attention_factor is 1
    std::vector<Vec> q(u(n)), k(u(n)), v(u(n));
    // per head: the widths of q and k, and of v; heads per KV head; the scores' scale
    int64_t qk_hd = hd, v_hd = hd,
            group = n_kv > 0 ? d.n_head / n_kv : 0;  // (a pure state-space model: none)
    const bool own_kv = !gemma4 || L.wk;  // (Gemma 4's last layers have no keys and values of their own)
    double score_scale = granite  ? d.attention_scale
                         : gemma4 ? 1.0
                                  : 1.0 / std::sqrt(static_cast<double>(hd));
    std::vector<Vec> laurel(u(n));
    for (int64_t t = 0; t < n && gemma3n; ++t) {  // AltUp's prediction, then LAuReL on the active one's norm
      const Vec c = naive::matvec(L.altup_predict, modalities(L, streams[0][u(t)]));
      for (int64_t j = 0; j < N; ++j) {
        Vec p = streams[u(j)][u(t)];
        for (int64_t k = 0; k < N; ++k)
          for (int64_t i = 0; i < dim; ++i) p[u(i)] += c[u(j * N + k)] * streams[u(k)][u(t)][u(i)];
        pred[u(j)][u(t)] = p;
      }
      x[u(t)] = pred[0][u(t)];
      Vec xn = x[u(t)];
      naive::rmsnorm(xn, 0, u(dim), L.attn_norm, eps);
      Vec r = naive::matvec(L.laurel_r, naive::matvec(L.laurel_l, xn));
      naive::rmsnorm(r, 0, u(dim), L.laurel_norm, eps);
      for (int64_t i = 0; i < dim; ++i) r[u(i)] += xn[u(i)];
      laurel[u(t)] = r;
    }
    for (int64_t t = 0; t < n && d.is_mla() && d.has_attention(l); ++t) {
      // multi-head latent attention as DeepSeek-V2's paper states it, every head's key and value decompressed
      // from the latent c: q = W_q x, [q_nope, q_pe] per head; c = RMSNorm(W_kv_a x) with the shared RoPE key
      // k_pe; head h's key [K_h^T c, k_pe] (K_h: its k_b, kv_rank x nope) and value V_h c (V_h: its v_b)
      // With DeepSeek's YaRN (its yarn_get_mscale): cos and sin unscaled (mscale = mscale_all_dim), the
      // scores times (0.1 · mscale_all_dim · ln(factor) + 1)²; the GGUF holds 0.1 · mscale_all_dim.
      const model::ModelDescription::Mla& mla = d.mla;
      const int64_t r = d.n_rot;
      qk_hd = mla.nope + r;
      v_hd = mla.v_head;
      group = 1;
      score_scale = 1.0 / std::sqrt(static_cast<double>(qk_hd));
      naive::Rope mla_rope = naive::rope_frequencies(m, n_ctx, base, true);
      if (d.rope_scaling.yarn_log_mul != 0.0f) {
        const double factor = 1.0 / d.rope_scaling.freq_scale,
                     mscale_all_dim = d.rope_scaling.yarn_log_mul / 0.1;
        const double mscale = 0.1 * mscale_all_dim * std::log(factor) + 1.0;
        score_scale *= mscale * mscale;
        mla_rope.mscale = 1.0;
      }
      Vec xn = x[u(t)];
      naive::rmsnorm(xn, 0, u(dim), L.attn_norm, eps);
      Vec qf;
      if (L.wq_a) {
        Vec qa = naive::matvec(L.wq_a, xn);
        naive::rmsnorm(qa, 0, qa.size(), L.q_a_norm, eps);
        qf = naive::matvec(L.wq_b, qa);
      } else {
        qf = naive::matvec(L.wq, xn);
      }
      const Vec kv = naive::matvec(L.wkv_a, xn);
      Vec c(kv.begin(), kv.begin() + mla.kv_rank), k_pe(kv.begin() + mla.kv_rank, kv.end());
      naive::rmsnorm(c, 0, c.size(), L.kv_a_norm, eps);
      // (DeepSeek's adjacent pairs; MiniCPM3's NeoX halves; Kimi Linear's latent attention has no RoPE: its
      // "RoPE" key and query parts attend as they are)
      const bool neox = arch.rope == model::RopeKind::NeoX, turns = arch.rope != model::RopeKind::None;
      if (turns) naive::rope(k_pe, 1, r, r, t, neox, mla_rope);
      for (int64_t h = 0; h < d.n_head; ++h) {
        Vec q_pe(qf.begin() + h * qk_hd + mla.nope, qf.begin() + (h + 1) * qk_hd);
        if (turns) naive::rope(q_pe, 1, r, r, t, neox, mla_rope);
        std::copy(q_pe.begin(), q_pe.end(), qf.begin() + h * qk_hd + mla.nope);
        Vec k_nope(u(mla.nope), 0.0);
        for (int64_t j = 0; j < mla.kv_rank; ++j) {
          const Vec kr = naive::row(L.k_b[u(h)], j);
          for (int64_t i = 0; i < mla.nope; ++i) k_nope[u(i)] += kr[u(i)] * c[u(j)];
        }
        k[u(t)].insert(k[u(t)].end(), k_nope.begin(), k_nope.end());
        k[u(t)].insert(k[u(t)].end(), k_pe.begin(), k_pe.end());
        const Vec vh = naive::matvec(L.v_b[u(h)], c);
        v[u(t)].insert(v[u(t)].end(), vh.begin(), vh.end());
      }
      // Mistral Large 3 and Small 4: Llama 4's attention temperature, counted from t
      for (double& e : qf) e *= temperature(t);
      q[u(t)] = qf;
    }
    // LFM2's short-convolution layers, as Liquid AI's reference code (Lfm2ShortConv) states them: per token
    // [B, C, x] = in_proj · RMSNorm(x); B·x through a causal depthwise convolution over the positions (kernel
    // taps per channel, zero before the first position); C times its output; out_proj.
    std::vector<Vec> conv_out(u(n));  // (also the delta net's output)
    // Qwen3.5's gated delta net, as the Gated DeltaNet paper and Qwen's reference code
    // (torch_recurrent_gated_delta_rule) state it, value head h reading key head h % n_k_heads as llama.cpp
    // lays them out: per token q|k|v through a causal convolution over the positions (zeros before the
    // first) and SiLU, q and k L2-normalized per head, then per value head with g = softplus(α + dt_bias) · A
    // and β = σ(β logit): S ← e^g S; S ← S + β (v − S k) kᵀ; o = S q / √d_k; o RMS-normalized with the
    // norm's gains, times SiLU(z); out_proj.
    // Mamba-2 (Granite 4.0-H), as the Mamba-2 paper and Hugging Face's torch_forward state it: per token
    // [z, x|B|C, dt] = in_proj · RMSNorm(x); x|B|C through a causal convolution (zeros before the first
    // position) plus its bias, then SiLU; per head h with dt = softplus(dt + dt_bias) and B, C of group
    // h / (heads per group): state ← exp(dt·A) state + dt·x Bᵀ, y = state C + D·x; y·SiLU(z) RMS-normalized
    // per group with the norm's gains; out_proj.
    // Falcon-H1 runs the same Mamba-2 beside attention, both on the attention norm's output, and may have no
    // grouped norm (y·SiLU(z) as it is then).
    if (d.has_mamba2(l)) {
      const model::ModelDescription::Mamba2& mb = d.mamba;
      const int64_t taps = mb.conv_kernel, channels = mb.conv_dim(), hd = mb.head_dim(), ds = mb.d_state;
      const auto silu = [](double v) { return v / (1.0 + std::exp(-v)); };
      std::vector<Vec> raw(u(n));
      Vec S(u(mb.d_inner * ds), 0.0);
      for (int64_t t = 0; t < n; ++t) {
        Vec xn = x[u(t)];
        naive::rmsnorm(xn, 0, u(dim), L.attn_norm, eps);
        const Vec in = naive::matvec(L.mb_in, xn);
        raw[u(t)] = Vec(in.begin() + mb.d_inner, in.begin() + mb.d_inner + channels);
        Vec xbc(u(channels));
        for (int64_t ch = 0; ch < channels; ++ch) {
          double acc = L.mb_conv_b.empty() ? 0.0 : L.mb_conv_b[u(ch)];
          for (int64_t j = 0; j < taps; ++j)
            if (const int64_t src = t - (taps - 1) + j; src >= 0)
              acc += L.mb_conv[u(ch * taps + j)] * raw[u(src)][u(ch)];
          xbc[u(ch)] = silu(acc);
        }
        Vec y(u(mb.d_inner));
        for (int64_t h = 0; h < mb.n_head; ++h) {
          const int64_t g = h / (mb.n_head / mb.n_group);
          const double pre = in[u(mb.d_inner + channels + h)] + L.mb_dt_bias[u(h)];
          const double dt = std::log1p(std::exp(pre));
          for (int64_t p = 0; p < hd; ++p) {
            const double xp = xbc[u(h * hd + p)];
            double out = 0;
            for (int64_t k = 0; k < ds; ++k) {
              double& st = S[u((h * hd + p) * ds + k)];
              st = st * std::exp(dt * L.mb_a[u(h)]) + dt * xp * xbc[u(mb.d_inner + g * ds + k)];
              out += st * xbc[u(mb.d_inner + mb.n_group * ds + g * ds + k)];
            }
            y[u(h * hd + p)] = (out + L.mb_d[u(h)] * xp) * silu(in[u(h * hd + p)]);
          }
        }
        const int64_t gw = mb.d_inner / mb.n_group;
        for (int64_t g = 0; g < mb.n_group && !L.mb_norm.empty(); ++g) {
          double ss = 0;
          for (int64_t i = 0; i < gw; ++i) ss += y[u(g * gw + i)] * y[u(g * gw + i)];
          const double scale = 1.0 / std::sqrt(ss / static_cast<double>(gw) + eps);
          for (int64_t i = 0; i < gw; ++i) y[u(g * gw + i)] *= scale * L.mb_norm[u(g * gw + i)];
        }
        conv_out[u(t)] = naive::matvec(L.mb_out, y);
      }
    } else if (d.mixer(l) == model::ModelDescription::Mixer::Mamba1) {
      // Mamba-1 (state-spaces' Mamba, Falcon-Mamba), as the Mamba paper and Hugging Face's slow_forward state
      // it: per token [x, z] = in_proj · RMSNorm(x); x through a causal convolution (zeros before the first
      // position) plus its bias, then SiLU; [dt, B, C] = x_proj · x, each RMS-normalized without gains in
      // Falcon-Mamba, with its own gains in Jamba; dt = softplus(dt_proj · dt + dt_bias) per channel; per
      // channel c: state_c ← exp(dt_c·A_c) ⊙ state_c + dt_c·x_c·B, y_c = state_c · C + D_c·x_c; y·SiLU(z);
      // out_proj.
      const model::ModelDescription::Mamba2& mb = d.mamba;
      const int64_t taps = mb.conv_kernel, di = mb.d_inner, ds = mb.d_state, rank = mb.dt_rank;
      const auto silu = [](double v) { return v / (1.0 + std::exp(-v)); };
      // (Jamba: each norm with its own gains; Falcon-Mamba: gains of 1)
      const auto unit_rms = [&](Vec& v, size_t at, size_t len, model::Vector gain) {
        double ss = 0;
        for (size_t i = at; i < at + len; ++i) ss += v[i] * v[i];
        const double scale = 1.0 / std::sqrt(ss / static_cast<double>(len) + eps);
        for (size_t i = at; i < at + len; ++i) v[i] *= scale * (gain.empty() ? 1.0 : double(gain[i - at]));
      };
      std::vector<Vec> raw(u(n));
      Vec S(u(di * ds), 0.0);
      for (int64_t t = 0; t < n; ++t) {
        Vec xn = x[u(t)];
        naive::rmsnorm(xn, 0, u(dim), L.attn_norm, eps);
        const Vec in = naive::matvec(L.mb_in, xn);
        raw[u(t)] = Vec(in.begin(), in.begin() + di);
        Vec xc(u(di));
        for (int64_t ch = 0; ch < di; ++ch) {
          double acc = L.mb_conv_b[u(ch)];
          for (int64_t j = 0; j < taps; ++j)
            if (const int64_t src = t - (taps - 1) + j; src >= 0)
              acc += L.mb_conv[u(ch * taps + j)] * raw[u(src)][u(ch)];
          xc[u(ch)] = silu(acc);
        }
        Vec dbc = naive::matvec(L.mb_x, xc);
        if (mb.dt_b_c_rms) {
          unit_rms(dbc, 0, u(rank), L.mb_dt_norm);
          unit_rms(dbc, u(rank), u(ds), L.mb_b_norm);
          unit_rms(dbc, u(rank + ds), u(ds), L.mb_c_norm);
        }
        const Vec dt_pre = naive::matvec(L.mb_dt, Vec(dbc.begin(), dbc.begin() + rank));
        Vec y(u(di));
        for (int64_t ch = 0; ch < di; ++ch) {
          const double dt = std::log1p(std::exp(dt_pre[u(ch)] + L.mb_dt_bias[u(ch)]));
          double out = 0;
          for (int64_t k = 0; k < ds; ++k) {
            double& st = S[u(ch * ds + k)];
            st = st * std::exp(dt * L.mb_a[u(ch * ds + k)]) + dt * xc[u(ch)] * dbc[u(rank + k)];
            out += st * dbc[u(rank + ds + k)];
          }
          y[u(ch)] = (out + L.mb_d[u(ch)] * xc[u(ch)]) * silu(in[u(di + ch)]);
        }
        conv_out[u(t)] = naive::matvec(L.mb_out, y);
      }
    } else if (d.mixer(l) == model::ModelDescription::Mixer::DeltaNet && d.delta.kda) {
      // Kimi Delta Attention, as the Kimi Linear paper and fla's naive_recurrent_kda state it, with the state
      // S of each head as the paper has it (key dimensions × value dimensions): per token q, k and v by
      // their own projections of RMSNorm(x), each through its causal convolution over the positions (zeros
      // before the first) and SiLU; q and k L2-normalized per head; per key channel the decay
      // g = A_h · softplus(f_b f_a x + dt_bias), β = σ(b x); S ← diag(e^g) S; S ← S + k (β (v − Sᵀk))ᵀ;
      // o = Sᵀ q / √d; o RMS-normalized with the norm's gains, times σ(g_b g_a x); o_proj.
      const model::ModelDescription::DeltaNet& dn = d.delta;
      const int64_t taps = dn.conv_kernel, inner = dn.key_dim(), dh = dn.head_k_dim, H = dn.n_k_heads;
      const auto silu = [](double v) { return v / (1.0 + std::exp(-v)); };
      const auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
      const model::WeightMatrix* proj[3] = {&L.wq, &L.wk, &L.wv};
      std::vector<Vec> raw[3];
      Vec S(u(H * dh * dh), 0.0);  // head h's S[j][i] at (h·d + j)·d + i: key dimension j, value dimension i
      for (int64_t t = 0; t < n; ++t) {
        Vec xn = x[u(t)];
        naive::rmsnorm(xn, 0, u(dim), L.attn_norm, eps);
        Vec qkv[3];
        for (int m = 0; m < 3; ++m) {
          raw[m].push_back(naive::matvec(*proj[m], xn));
          qkv[m].assign(u(inner), 0.0);
          for (int64_t ch = 0; ch < inner; ++ch) {  // (the convolution's taps of q, then k, then v)
            double acc = 0;
            for (int64_t j = 0; j < taps; ++j)
              if (const int64_t src = t - (taps - 1) + j; src >= 0)
                acc += L.dn_conv[u((m * inner + ch) * taps + j)] * raw[m][u(src)][u(ch)];
            qkv[m][u(ch)] = silu(acc);
          }
        }
        for (int m = 0; m < 2; ++m)
          for (int64_t h = 0; h < H; ++h) {
            double ss = 0;
            for (int64_t j = 0; j < dh; ++j) ss += qkv[m][u(h * dh + j)] * qkv[m][u(h * dh + j)];
            const double norm = std::max(std::sqrt(ss), eps);
            for (int64_t j = 0; j < dh; ++j) qkv[m][u(h * dh + j)] /= norm;
          }
        const Vec g_pre = naive::matvec(L.kda_f_b, naive::matvec(L.kda_f_a, xn));
        const Vec gate = naive::matvec(L.kda_g_b, naive::matvec(L.kda_g_a, xn));
        const Vec b = naive::matvec(L.dn_beta, xn);
        Vec o(u(inner));
        for (int64_t h = 0; h < H; ++h) {
          double* Sh = &S[u(h * dh * dh)];
          const double* q = &qkv[0][u(h * dh)];
          const double* k = &qkv[1][u(h * dh)];
          const double* v = &qkv[2][u(h * dh)];
          for (int64_t j = 0; j < dh; ++j) {
            const double g =
                L.dn_a[u(h)] * std::log1p(std::exp(g_pre[u(h * dh + j)] + L.dn_dt_bias[u(h * dh + j)]));
            for (int64_t i = 0; i < dh; ++i) Sh[j * dh + i] *= std::exp(g);
          }
          const double beta = sigmoid(b[u(h)]);
          Vec delta(u(dh));
          for (int64_t i = 0; i < dh; ++i) {
            double stk = 0;
            for (int64_t j = 0; j < dh; ++j) stk += Sh[j * dh + i] * k[j];
            delta[u(i)] = beta * (v[i] - stk);
          }
          for (int64_t j = 0; j < dh; ++j)
            for (int64_t i = 0; i < dh; ++i) Sh[j * dh + i] += k[j] * delta[u(i)];
          double ss = 0;
          for (int64_t i = 0; i < dh; ++i) {
            double oi = 0;
            for (int64_t j = 0; j < dh; ++j) oi += Sh[j * dh + i] * q[j];
            o[u(h * dh + i)] = oi / std::sqrt(static_cast<double>(dh));
            ss += o[u(h * dh + i)] * o[u(h * dh + i)];
          }
          const double scale = 1.0 / std::sqrt(ss / static_cast<double>(dh) + eps);
          for (int64_t i = 0; i < dh; ++i)
            o[u(h * dh + i)] *= scale * L.dn_norm[u(i)] * sigmoid(gate[u(h * dh + i)]);
        }
        conv_out[u(t)] = naive::matvec(L.dn_out, o);
      }
    } else if (d.mixer(l) == model::ModelDescription::Mixer::DeltaNet) {
      const model::ModelDescription::DeltaNet& dn = d.delta;
      const int64_t taps = dn.conv_kernel, channels = dn.conv_dim(), dk = dn.head_k_dim, dv = dn.head_v_dim;
      const auto silu = [](double v) { return v / (1.0 + std::exp(-v)); };
      std::vector<Vec> raw(u(n));
      Vec S(u(dn.n_v_heads * dv * dk), 0.0);
      for (int64_t t = 0; t < n; ++t) {
        Vec xn = x[u(t)];
        naive::rmsnorm(xn, 0, u(dim), L.attn_norm, eps);
        raw[u(t)] = naive::matvec(L.dn_qkv, xn);
        // (Qwen3-Next: β and α of a key head's value heads packed in one projection, [β…, α…] per key head)
        const Vec z = naive::matvec(L.dn_z, xn), ba = naive::matvec(L.dn_beta, xn);
        const Vec alpha = dn.grouped ? Vec{} : naive::matvec(L.dn_alpha, xn);
        Vec b(u(dn.n_v_heads)), a(u(dn.n_v_heads));
        const int64_t per = dn.n_v_heads / dn.n_k_heads;
        for (int64_t h = 0; h < dn.n_v_heads; ++h) {
          b[u(h)] = dn.grouped ? ba[u((h / per) * 2 * per + h % per)] : ba[u(h)];
          a[u(h)] = dn.grouped ? ba[u((h / per) * 2 * per + per + h % per)] : alpha[u(h)];
        }
        Vec qkv(u(channels));
        for (int64_t ch = 0; ch < channels; ++ch) {
          double acc = 0;
          for (int64_t j = 0; j < taps; ++j)
            if (const int64_t src = t - (taps - 1) + j; src >= 0)
              acc += L.dn_conv[u(ch * taps + j)] * raw[u(src)][u(ch)];
          qkv[u(ch)] = silu(acc);
        }
        for (int64_t h = 0; h < 2 * dn.n_k_heads; ++h) {  // the q heads, then the k heads
          double ss = 0;
          for (int64_t j = 0; j < dk; ++j) ss += qkv[u(h * dk + j)] * qkv[u(h * dk + j)];
          const double norm = std::max(std::sqrt(ss), eps);
          for (int64_t j = 0; j < dk; ++j) qkv[u(h * dk + j)] /= norm;
        }
        Vec o(u(dn.value_dim()));
        for (int64_t h = 0; h < dn.n_v_heads; ++h) {
          const int64_t kh = dn.grouped ? h / per : h % dn.n_k_heads;  // (repeat_interleave, or tiling)
          const double* q = &qkv[u(kh * dk)];
          const double* k = &qkv[u(dn.key_dim() + kh * dk)];
          const double* v = &qkv[u(2 * dn.key_dim() + h * dv)];
          const double pre = a[u(h)] + L.dn_dt_bias[u(h)];
          const double g = std::log1p(std::exp(pre)) * L.dn_a[u(h)];
          const double beta = 1.0 / (1.0 + std::exp(-b[u(h)]));
          double* Sh = &S[u(h * dv * dk)];
          for (int64_t i = 0; i < dv * dk; ++i) Sh[i] *= std::exp(g);
          for (int64_t i = 0; i < dv; ++i) {
            double sk = 0;
            for (int64_t j = 0; j < dk; ++j) sk += Sh[i * dk + j] * k[j];
            const double delta = beta * (v[i] - sk);
            for (int64_t j = 0; j < dk; ++j) Sh[i * dk + j] += delta * k[j];
          }
          double ss = 0;
          for (int64_t i = 0; i < dv; ++i) {
            double oi = 0;
            for (int64_t j = 0; j < dk; ++j) oi += Sh[i * dk + j] * q[j];
            o[u(h * dv + i)] = oi / std::sqrt(static_cast<double>(dk));
            ss += o[u(h * dv + i)] * o[u(h * dv + i)];
          }
          const double scale = 1.0 / std::sqrt(ss / static_cast<double>(dv) + eps);
          for (int64_t i = 0; i < dv; ++i)
            o[u(h * dv + i)] *= scale * L.dn_norm[u(i)] * silu(z[u(h * dv + i)]);
        }
        conv_out[u(t)] = naive::matvec(L.dn_out, o);
      }
    } else if (d.mixer(l) == model::ModelDescription::Mixer::Linear) {  // deci: W·RMSNorm(x)
      for (int64_t t = 0; t < n; ++t) {
        Vec xn = x[u(t)];
        naive::rmsnorm(xn, 0, u(dim), L.attn_norm, eps);
        conv_out[u(t)] = naive::matvec(L.wo, xn, L.bo);
      }
    } else if (d.mixer(l) == model::ModelDescription::Mixer::ShortConv) {
      const int64_t taps = d.shortconv_kernel;
      std::vector<Vec> bx(u(n), Vec(u(dim))), gate(u(n), Vec(u(dim)));
      for (int64_t t = 0; t < n; ++t) {
        Vec xn = x[u(t)];
        naive::rmsnorm(xn, 0, u(dim), L.attn_norm, eps);
        const Vec bcx = naive::matvec(L.conv_in, xn);
        for (int64_t i = 0; i < dim; ++i) {
          bx[u(t)][u(i)] = bcx[u(i)] * bcx[u(2 * dim + i)];
          gate[u(t)][u(i)] = bcx[u(dim + i)];
        }
      }
      for (int64_t t = 0; t < n; ++t) {
        Vec y(u(dim), 0.0);
        for (int64_t i = 0; i < dim; ++i) {
          for (int64_t j = 0; j < taps; ++j)
            if (const int64_t src = t - (taps - 1) + j; src >= 0)
              y[u(i)] += L.conv_taps[u(i * taps + j)] * bx[u(src)][u(i)];
          y[u(i)] *= gate[u(t)][u(i)];
        }
        conv_out[u(t)] = naive::matvec(L.conv_out, y);
      }
    }
    std::vector<Vec> out_gate(u(n));  // Qwen3.5: σ(gate) times each head's output
    for (int64_t t = 0; t < n && !d.is_mla() && d.has_attention(l); ++t) {
      Vec xn = x[u(t)];
      if (!arch.no_pre_norms) norm(xn, L.attn_norm, L.attn_norm_b);  // (olmo2 has none)
      if (L.wqkv) {                                                  // GPT-NeoX: one matrix, [q, k, v]
        const Vec qkv = naive::matvec(L.wqkv, xn, L.bqkv);
        q[u(t)].assign(qkv.begin(), qkv.begin() + d.q_dim());
        k[u(t)].assign(qkv.begin() + d.q_dim(), qkv.begin() + d.q_dim() + d.kv_dim());
        v[u(t)].assign(qkv.begin() + d.q_dim() + d.kv_dim(), qkv.end());
      } else {
        q[u(t)] = naive::matvec(L.wq, xn, L.bq);
        if (L.wk) k[u(t)] = naive::matvec(L.wk, xn, L.bk);         // (Gemma 4's shared layers have none)
        v[u(t)] = L.wv ? naive::matvec(L.wv, xn, L.bv) : k[u(t)];  // (Gemma 4: V = K where no attn_v)
      }
      // OLMo 1's clip_qkv: q, k and v clamped to ±clamp_kqv, before RoPE
      if (d.clamp_kqv > 0)
        for (Vec* x : {&q[u(t)], &k[u(t)], &v[u(t)]})
          for (double& e : *x) e = std::clamp(e, -double{d.clamp_kqv}, double{d.clamp_kqv});
      // (afmoe: the output gate from its own matrix)
      if (arch.attn_gate_proj) out_gate[u(t)] = naive::matvec(L.w_attn_gate, xn);
      if (arch.attn_output_gate) {  // rows [q, gate] per head
        const Vec both = q[u(t)];
        q[u(t)].clear();
        for (int64_t h = 0; h < d.n_head; ++h) {
          q[u(t)].insert(q[u(t)].end(), both.begin() + 2 * h * hd, both.begin() + (2 * h + 1) * hd);
          out_gate[u(t)].insert(out_gate[u(t)].end(), both.begin() + (2 * h + 1) * hd,
                                both.begin() + (2 * h + 2) * hd);
        }
      }
      const auto norm_qk = [&] {
        if (arch.qk_norm_full) {  // olmo2: over the whole of q and of k
          naive::rmsnorm(q[u(t)], 0, u(d.q_dim()), L.q_norm, eps);
          naive::rmsnorm(k[u(t)], 0, u(d.kv_dim()), L.k_norm, eps);
        } else if (d.qk_layer_norm) {  // StableLM 2 12B, Command R+: head h LayerNorm'd with its own gains
          for (int64_t h = 0; h < d.n_head; ++h)
            naive::layernorm(q[u(t)], u(h * hd), u(hd), L.q_norm.subspan(u(h * hd), u(hd)), eps);
          for (int64_t h = 0; h < n_kv; ++h)
            naive::layernorm(k[u(t)], u(h * hd), u(hd), L.k_norm.subspan(u(h * hd), u(hd)), eps);
        } else if (!L.q_norm.empty()) {  // qwen3, gemma3, GLM-4.5, Hunyuan
          for (int64_t h = 0; h < d.n_head; ++h) naive::rmsnorm(q[u(t)], u(h * hd), u(hd), L.q_norm, eps);
          for (int64_t h = 0; h < n_kv && own_kv; ++h)
            naive::rmsnorm(k[u(t)], u(h * hd), u(hd), L.k_norm, eps);
        }
        if (gemma4 && own_kv) {  // V's heads RMS-normalized, no gains
          const std::vector<float> ones(u(hd), 1.0f);
          for (int64_t h = 0; h < n_kv; ++h) naive::rmsnorm(v[u(t)], u(h * hd), u(hd), ones, eps);
        }
      };
      const bool hunyuan = d.architecture.rfind("hunyuan", 0) == 0;
      if (!hunyuan) norm_qk();
      const bool neox = arch.rope == model::RopeKind::NeoX;
      // (SmolLM3: no RoPE on every fourth layer; Granite 4.0-H: none where the file switches it off)
      if (arch.rope != model::RopeKind::None && !d.rope_off &&
          ((d.architecture != "smollm3" && !cohere2 && !llama4 && !afmoe) || (l + 1) % 4 != 0) &&
          (!(exaone4_windows || file_windows) || local(l)) &&
          (!smallthinker || d.sliding_window == 0 || local(l))) {
        naive::rope(q[u(t)], d.n_head, hd, n_rot, t, neox, rope);
        if (own_kv) naive::rope(k[u(t)], n_kv, hd, n_rot, t, neox, rope);
      }
      if (hunyuan) norm_qk();                            // Hunyuan: the norms after RoPE
      if (llama4 && !llama4_nope(l) && d.qk_rms_norm) {  // Llama4TextL2Norm: x / √(mean(x²) + eps)
        const std::vector<float> ones(u(hd), 1.0f);
        for (int64_t h = 0; h < d.n_head; ++h) naive::rmsnorm(q[u(t)], u(h * hd), u(hd), ones, eps);
        for (int64_t h = 0; h < n_kv; ++h) naive::rmsnorm(k[u(t)], u(h * hd), u(hd), ones, eps);
      }
      if (llama4_nope(l) || (!llama4 && d.attn_temp_scale != 0.0f))  // (Ministral 3: in every layer)
        for (double& e : q[u(t)]) e *= temperature(t);
    }
    // (Gemma 4: a layer without keys and values of its own reads those of the last earlier layer of its kind
    // that has them)
    int64_t kv_from = l;
    if (!own_kv)
      for (kv_from = l - 1; kv_from >= 0 && (!w.layers[u(kv_from)].wk || local(kv_from) != local(l));)
        --kv_from;
    if (kv_from < 0) throw std::runtime_error("naive_logits: no layer to share keys and values with");
    if (kv_from == l) {
      layer_k[u(l)] = k;
      layer_v[u(l)] = v;
    }
    const std::vector<Vec>& keys = layer_k[u(kv_from)];
    const std::vector<Vec>& values = layer_v[u(kv_from)];
    for (int64_t t = 0; t < n; ++t) {
      const Vec x_in = x[u(t)];  // (a parallel block's FFN reads it)
      // (Falcon-H1: the Mamba-2 output beside attention's, both from the layer's input)
      if (d.has_mamba2(l) || (!d.has_attention(l) && d.mixer(l) != model::ModelDescription::Mixer::None))
        for (int64_t i = 0; i < dim; ++i) x[u(t)][u(i)] += residual * conv_out[u(t)][u(i)];
      Vec att(u(d.n_head * v_hd), 0.0);
      for (int64_t h = 0; h < d.n_head && d.has_attention(l); ++h) {
        const int64_t kvh = h / group;
        Vec p(u(t + 1), -INFINITY);
        double max = -INFINITY, sum = 0;
        for (int64_t j = 0; j <= t; ++j) {
          if (local(l) && t - j >= d.sliding_window) continue;  // outside the window: probability 0
          if (llama4 && !llama4_nope(l) && j / d.attn_chunk != t / d.attn_chunk) continue;  // another chunk
          double s = 0;
          for (int64_t i = 0; i < qk_hd; ++i) s += q[u(t)][u(h * qk_hd + i)] * keys[u(j)][u(kvh * qk_hd + i)];
          p[u(j)] = cap(s * score_scale, d.attn_softcap);
          // ALiBi (BLOOM): the head's slope times how far back the key lies (0 for the query itself)
          if (alibi) p[u(j)] += alibi_slopes[u(h)] * static_cast<double>(j - t);
          max = std::max(max, p[u(j)]);
        }
        const double sink = L.attn_sinks.empty() ? -INFINITY : L.attn_sinks[u(h)];
        max = std::max(max, sink);
        for (double& e : p) sum += (e = std::exp(e - max));
        sum += std::exp(sink - max);  // the sink's share of the softmax goes to no value
        for (int64_t j = 0; j <= t; ++j)
          for (int64_t i = 0; i < v_hd; ++i)
            att[u(h * v_hd + i)] += p[u(j)] / sum * values[u(j)][u(kvh * v_hd + i)];
      }
      if (d.has_attention(l)) {
        if (arch.gates_attn_output())
          for (size_t i = 0; i < att.size(); ++i) att[i] /= 1.0 + std::exp(-out_gate[u(t)][i]);
        Vec o = naive::matvec(L.wo, att, L.bo);
        if (arch.post_norms) naive::rmsnorm(o, 0, u(dim), L.attn_post_norm, eps);  // gemma, glm4
        for (int64_t i = 0; i < dim; ++i) x[u(t)][u(i)] += residual * o[u(i)];
        if (gemma3n)
          for (int64_t i = 0; i < dim; ++i)
            x[u(t)][u(i)] = (x[u(t)][u(i)] + laurel[u(t)][u(i)]) / std::sqrt(2.0);
      }

      // (Nemotron-H: one sublayer per layer, an FFN only where no mixer is, normalized by its attn_norm)
      if (!d.has_ffn(l)) continue;
      const bool parallel = d.parallel_residual;
      Vec xn = parallel ? x_in : x[u(t)];
      if (parallel && L.ffn_norm.empty())
        norm(xn, L.attn_norm, L.attn_norm_b);
      else if (!arch.no_pre_norms)
        norm(xn, L.ffn_norm, L.ffn_norm_b);
      // SwiGLU (GeGLU for gemma, clamped for gpt-oss) of one expert, or of the dense FFN
      const auto ffn = [&](const model::WeightMatrix& wg, const model::WeightMatrix& wu,
                           const model::WeightMatrix& wd, model::Vector b_gate, model::Vector b_up,
                           model::Vector b_down) {
        if (arch.ffn == model::FfnKind::ReluSqr) {  // Nemotron-H: down(relu(up·x + b)²) + b, no gate
          Vec h = naive::matvec(wu, xn, b_up);
          for (double& e : h) e = e > 0 ? e * e : 0.0;
          return naive::matvec(wd, h, b_down);
        }
        if (arch.ffn == model::FfnKind::XIelu) {
          // Apertus: down(xielu(up·x)), no gate, with the layer's trained parameters as Hugging Face's
          // XIELUActivation constrains them: α_p = softplus(alpha_p), α_n = β + softplus(alpha_n);
          // α_p·x² + β·x for x > 0, else (e^min(x, ε) − 1 − x)·α_n + β·x
          const model::ModelDescription::XIelu& p = d.xielu[u(l)];
          const double beta = p.beta, eps = p.eps;
          const double a_p = std::log1p(std::exp(double{p.alpha_p})),
                       a_n = beta + std::log1p(std::exp(double{p.alpha_n}));
          Vec h = naive::matvec(wu, xn, b_up);
          for (double& e : h)
            e = e > 0 ? a_p * e * e + beta * e : (std::expm1(std::min(e, eps)) - e) * a_n + beta * e;
          return naive::matvec(wd, h, b_down);
        }
        if (arch.ffn == model::FfnKind::Gelu) {  // GPT-NeoX, Phi-2: down(gelu(up·x + b)) + b, no gate
          Vec h = naive::matvec(wu, xn, b_up);
          for (double& e : h) e = naive::gelu(e);
          return naive::matvec(wd, h, b_down);
        }
        Vec g = naive::matvec(wg, xn, b_gate), up = naive::matvec(wu, xn, b_up);
        if (gemma3n && d.sparse_ffn(l)) {  // Gaussian top-k
          double mean = 0, var = 0;
          for (double e : g) mean += e;
          mean /= static_cast<double>(g.size());
          for (double e : g) var += (e - mean) * (e - mean);
          const double cutoff =
              mean + std::sqrt(var / static_cast<double>(g.size() - 1)) * d.ffn_sparsity[u(l)];
          for (double& e : g) e = std::max(e - cutoff, 0.0);
        }
        for (size_t i = 0; i < g.size(); ++i) {
          if (gpt_oss) {
            const double gc = std::min(g[i], 7.0), uc = std::clamp(up[i], -7.0, 7.0);
            g[i] = gc / (1.0 + std::exp(-1.702 * gc)) * (uc + 1.0);
            continue;
          }
          if (arch.ffn == model::FfnKind::ReGlu) {  // SmallThinker: relu(gate·x) ⊙ up·x
            g[i] = std::max(g[i], 0.0) * up[i];
            continue;
          }
          g[i] = (gemma ? naive::gelu(g[i]) : g[i] / (1.0 + std::exp(-g[i]))) * up[i];
        }
        return naive::matvec(wd, g, b_down);
      };
      const auto expert_bias = [&](const std::vector<model::Vector>& b, int64_t e) {
        return b.empty() ? model::Vector{} : b[u(e)];
      };
      Vec down(u(dim), 0.0);
      if (gemma4 && !L.up_exps.empty()) {
        // Gemma 4's mixture: the dense FFN (normalized by post_ffw_norm_1) plus the experts on x normalized
        // by pre_ffw_norm_2 (their weighted sum normalized by post_ffw_norm_2); the router's input is x
        // RMS-normalized without gains, over √n_embd, times its own gains; softmax over every expert, the
        // best n_expert_used renormalized; each expert's output times its scale
        down = ffn(L.w_gate, L.w_up, L.w_down, {}, {}, {});
        naive::rmsnorm(down, 0, u(dim), L.ffn_post_norm_1, eps);
        Vec r = x[u(t)];
        const std::vector<float> ones(u(dim), 1.0f);
        naive::rmsnorm(r, 0, u(dim), ones, eps);
        for (int64_t i = 0; i < dim; ++i)
          r[u(i)] *= L.router_scale[u(i)] / std::sqrt(static_cast<double>(dim));
        Vec p = naive::matvec(L.router, r);
        const double mx = *std::max_element(p.begin(), p.end());
        double total = 0;
        for (double& e : p) total += (e = std::exp(e - mx));
        for (double& e : p) e /= total;
        std::vector<int64_t> order(p.size());
        for (size_t e = 0; e < order.size(); ++e) order[e] = static_cast<int64_t>(e);
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p[u(a)] > p[u(b)]; });
        double chosen = 0;
        for (int64_t rank = 0; rank < d.n_expert_used; ++rank) chosen += p[u(order[u(rank)])];
        xn = x[u(t)];
        naive::rmsnorm(xn, 0, u(dim), L.moe_norm, eps);
        Vec experts(u(dim), 0.0);
        for (int64_t rank = 0; rank < d.n_expert_used; ++rank) {
          const int64_t e = order[u(rank)];
          const Vec o = ffn(L.gate_exps[u(e)], L.up_exps[u(e)], L.down_exps[u(e)], {}, {}, {});
          const double scale = L.down_exps_scale.empty() ? 1.0 : L.down_exps_scale[u(e)];
          for (int64_t i = 0; i < dim; ++i) experts[u(i)] += p[u(e)] / chosen * scale * o[u(i)];
        }
        naive::rmsnorm(experts, 0, u(dim), L.moe_post_norm, eps);
        for (int64_t i = 0; i < dim; ++i) down[u(i)] += experts[u(i)];
      } else if (!L.up_exps.empty()) {
        // mixture of experts: softmax over the router's logits, the n_expert_used most likely experts (ties
        // to the lower id), their probabilities renormalized to sum 1
        // (gpt-oss: the top experts by logit, plus the router's bias, weighted by the softmax over those)
        // (GLM-4.5, as DeepSeek-V3: each logit's sigmoid; the experts chosen by sigmoid plus a per-expert
        // bias, weighted by their sigmoids, renormalized if the file says so, times a scale; then the shared
        // experts added for every token)
        const bool sigmoid = d.router.gating == model::ExpertGating::Sigmoid;
        // (SmallThinker: the router reads the layer's input, before attention and without a norm)
        Vec p = naive::matvec(L.router, arch.router_from_layer_input ? x_in : xn, L.router_b);
        const double mx = *std::max_element(p.begin(), p.end());
        double total = 0;
        for (double& e : p) total += sigmoid ? 0.0 : (e = std::exp(e - mx));
        if (sigmoid)
          for (double& e : p) e = 1.0 / (1.0 + std::exp(-e));
        else if (!gpt_oss)
          for (double& e : p) e /= total;
        Vec choice = p;
        for (size_t e = 0; e < L.exp_probs_b.size(); ++e) choice[e] += L.exp_probs_b[e];
        if (d.router.groups > 1) {
          // DeepSeek-V3's group-limited choice: groups ranked by the sum of their two best scores, only the
          // best groups_used groups' experts eligible
          const int64_t per = d.n_expert / d.router.groups;
          std::vector<std::pair<double, int64_t>> ranked;
          for (int64_t g = 0; g < d.router.groups; ++g) {
            std::vector<double> members(choice.begin() + g * per, choice.begin() + (g + 1) * per);
            std::sort(members.rbegin(), members.rend());
            ranked.emplace_back(members[0] + (per > 1 ? members[1] : 0.0), g);
          }
          std::stable_sort(ranked.begin(), ranked.end(), [](auto& a, auto& b) { return a.first > b.first; });
          for (size_t i = u(d.router.groups_used); i < ranked.size(); ++i)
            for (int64_t e = 0; e < per; ++e) choice[u(ranked[i].second * per + e)] = -INFINITY;
        }
        std::vector<int64_t> order(p.size());
        for (size_t e = 0; e < order.size(); ++e) order[e] = static_cast<int64_t>(e);
        std::stable_sort(order.begin(), order.end(),
                         [&](int64_t a, int64_t b) { return choice[u(a)] > choice[u(b)]; });
        double chosen = 0;
        for (int64_t r = 0; r < d.n_expert_used; ++r) chosen += p[u(order[u(r)])];
        if (!gpt_oss && !d.router.normalize) chosen = 1.0;
        for (int64_t r = 0; r < d.n_expert_used; ++r) {
          const int64_t e = order[u(r)];
          if (llama4) {  // the expert runs on its input times the router's sigmoid
            const Vec input = xn;
            for (double& v : xn) v *= p[u(e)];
            const Vec o = ffn(L.gate_exps[u(e)], L.up_exps[u(e)], L.down_exps[u(e)], {}, {}, {});
            xn = input;
            for (int64_t i = 0; i < dim; ++i) down[u(i)] += o[u(i)];
            continue;
          }
          const Vec o = ffn(L.gate_exps.empty() ? model::WeightMatrix{} : L.gate_exps[u(e)], L.up_exps[u(e)],
                            L.down_exps[u(e)], expert_bias(L.gate_exps_b, e), expert_bias(L.up_exps_b, e),
                            expert_bias(L.down_exps_b, e));
          for (int64_t i = 0; i < dim; ++i) down[u(i)] += d.router.scale * p[u(e)] / chosen * o[u(i)];
        }
        if (L.up_shexp) {  // (Qwen2-MoE: times σ(w · x) of its gate vector)
          const Vec o = ffn(L.gate_shexp, L.up_shexp, L.down_shexp, {}, {}, {});
          const double gate =
              L.shexp_gate ? 1.0 / (1.0 + std::exp(-naive::matvec(L.shexp_gate, xn)[0])) : 1.0;
          for (int64_t i = 0; i < dim; ++i) down[u(i)] += gate * o[u(i)];
          if (d.architecture == "cohere2moe")  // (Command A+: the routed and shared experts averaged)
            for (double& v : down) v *= 0.5;
        }
      } else {
        down = ffn(L.w_gate, L.w_up, L.w_down, {}, L.b_up, L.b_down);
      }
      if (arch.post_norms) naive::rmsnorm(down, 0, u(dim), L.ffn_post_norm, eps);
      for (int64_t i = 0; i < dim; ++i) x[u(t)][u(i)] += residual * down[u(i)];
      if (gemma3n) {  // AltUp's correction, then the per-layer input into the other streams
        Vec c = naive::matvec(L.altup_correct, modalities(L, x[u(t)]));
        for (int64_t j = 0; j < N; ++j)
          for (int64_t i = 0; i < dim; ++i)
            streams[u(j)][u(t)][u(i)] =
                pred[u(j)][u(t)][u(i)] + (x[u(t)][u(i)] - pred[0][u(t)][u(i)]) * (c[u(j)] + 1.0);
        Vec first = streams[0][u(t)];
        for (int64_t i = 0; i < dim; ++i) first[u(i)] *= L.altup_correct_scale[u(i)];
        Vec g = naive::matvec(L.ple_gate, first);
        for (int64_t i = 0; i < P; ++i) g[u(i)] = naive::gelu(g[u(i)]) * per_layer[u(t)][u(l * P + i)];
        Vec o = naive::matvec(L.ple_proj, g);
        naive::rmsnorm(o, 0, u(dim), L.ple_norm, eps);
        for (int64_t j = 1; j < N; ++j)
          for (int64_t i = 0; i < dim; ++i) streams[u(j)][u(t)][u(i)] += o[u(i)];
      } else if (P > 0) {  // Gemma 4's per-layer input, then the layer's output scale
        Vec g = naive::matvec(L.ple_gate, x[u(t)]);
        for (int64_t i = 0; i < P; ++i) g[u(i)] = naive::gelu(g[u(i)]) * per_layer[u(t)][u(l * P + i)];
        Vec o = naive::matvec(L.ple_proj, g);
        naive::rmsnorm(o, 0, u(dim), L.ple_norm, eps);
        for (int64_t i = 0; i < dim; ++i) x[u(t)][u(i)] += o[u(i)];
      }
      if (!L.out_scale.empty())
        for (double& e : x[u(t)]) e *= L.out_scale[0];
    }
  }

  for (int64_t t = 0; t < n && gemma3n; ++t) {  // the streams averaged, the others unembedded first
    Vec sum = streams[0][u(t)];
    for (int64_t j = 1; j < N; ++j) {
      const Vec s = naive::matvec(w.altup_unembd[u(j - 1)], streams[u(j)][u(t)]);
      const double scale = magnitude(streams[0][u(t)]) / magnitude(s);
      for (int64_t i = 0; i < dim; ++i) sum[u(i)] += s[u(i)] * scale;
    }
    for (double& e : sum) e /= static_cast<double>(N);
    x[u(t)] = sum;
  }
  std::vector<float> logits;
  for (int64_t t = 0; t < n; ++t) {
    Vec xn = x[u(t)];
    norm(xn, w.output_norm, w.output_norm_b);
    // (granite: divided by its logit_scale; Command-R: times its logit_scale)
    const double multiplier = granite || arch.logit_multiplier ? d.logit_multiplier : 1.0;
    for (double l : naive::matvec(w.output, xn, w.output_b))
      logits.push_back(static_cast<float>(cap(l * multiplier, d.final_softcap)));
  }
  return logits;
}

}  // namespace glasswing::test
