// The exact-arithmetic helpers of the reference-compatible mode (shaders/common/ggml_exact.glsl) against the
// host's IEEE results, bit for bit: the single-rounding fma (including inputs where rounding the f64 sum
// naively to f32 would round twice wrongly), division, sqrt, ggml's expf, fp16 and bf16 rounding.
#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "inference/cpu/ggml_kernels.h"
#include "inference/cpu/ggml_rounding.h"
#include "inference/quant/fp16.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing;
using namespace glasswing::vulkan;

namespace {

// Runs a self-test shader over n items of `in` (its push constant: n; workgroups of 64) and returns its
// outputs, per_item floats for each item.
std::vector<float> run_selftest(const char* shader, const std::vector<float>& in, uint32_t n,
                                uint32_t per_item) {
  Buffer in_buf = test::device_buffer(in);
  Buffer out_buf = test::device_buffer({}, size_t{n} * per_item);
  Recorder rec(test::context());
  rec.begin();
  const BufferRange buffers[] = {whole(in_buf), whole(out_buf)};
  rec.dispatch_shader(shader, buffers, std::as_bytes(std::span(&n, 1)), (n + 63) / 64);
  rec.end();
  rec.submit_and_wait();
  return test::read_floats(out_buf, size_t{n} * per_item);
}

bool same_bits(float a, float b) {
  return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b) || (std::isnan(a) && std::isnan(b));
}

}  // namespace

TEST_CASE("Exact-mode shader arithmetic equals the host's bit for bit") {
  Context& ctx = test::context();
  if (!ctx.device().info().fp64) {
    WARN("device has no shaderFloat64: the llama.cpp-compatible mode refuses it, nothing to check");
    return;
  }
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> unit(1.0f, 2.0f), sym(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exp(-30, 17);
  std::vector<float> in;
  auto add = [&](float a, float b, float c) { in.insert(in.end(), {a, b, c}); };
  for (int i = 0; i < 40000; ++i) {
    // Random magnitudes over the f32 range the models use, including fp16 subnormals and overflow.
    const float a = sym(rng) * std::ldexp(1.0f, exp(rng)), b = sym(rng) * std::ldexp(1.0f, exp(rng) / 2);
    add(a, b, sym(rng) * std::ldexp(1.0f, exp(rng)));
    // Cancellation: c = -fl(a·b).
    add(a, b, -(a * b));
    // Double-rounding traps: a·b just below (or above) half an ulp of c, whose last bit is odd.
    float c = unit(rng) * std::ldexp(1.0f, exp(rng) / 2);
    c = std::bit_cast<float>(std::bit_cast<uint32_t>(c) | 1u) * (i % 2 ? -1.0f : 1.0f);
    const float half_ulp = (std::nextafter(std::fabs(c), INFINITY) - std::fabs(c)) / 2;
    const float e = std::ldexp(1.0f, -18);
    add(half_ulp * (1 + e), (i % 4 < 2 ? 1 - e : -(1 - e)), c);
    add(half_ulp * (1 + e), (i % 4 < 2 ? 1 + e : -(1 + e)), c);
    // ggml's exp over the softmax / SiLU range, and exact fp16 ties.
    add(-std::ldexp(unit(rng), exp(rng) % 7), 1.0f, 0.0f);
    const auto h = static_cast<uint16_t>(rng() % 0x7BFF);  // a tie between two fp16 values (normal or not)
    add((quant::fp16_to_f32(h) + quant::fp16_to_f32(static_cast<uint16_t>(h + 1))) / 2, unit(rng), unit(rng));
  }
  const auto n = static_cast<uint32_t>(in.size() / 3);
  const auto out = run_selftest("ggml_exact_selftest", in, n, 6);
  int bad[6] = {};
  for (uint32_t i = 0; i < n; ++i) {
    const float a = in[i * 3], b = in[i * 3 + 1], c = in[i * 3 + 2];
    const float want[6] = {std::fma(a, b, c),       a / b,
                           std::sqrt(std::fabs(a)), cpu::expf_like_ggml(a),
                           cpu::round_fp16(a),      quant::bf16_to_f32(quant::f32_to_bf16(a))};
    for (int k = 0; k < 6; ++k)
      if (!same_bits(out[i * 6 + k], want[k]) && bad[k]++ < 3)
        UNSCOPED_INFO("op " << k << " on " << a << ", " << b << ", " << c << ": shader " << out[i * 6 + k]
                            << ", host " << want[k]);
  }
  for (int k = 0; k < 6; ++k) {
    INFO("op " << k << " (fma, div, sqrt, expf, fp16, bf16)");
    CHECK(bad[k] == 0);
  }
  test::require_no_validation_messages();
}

TEST_CASE("The tensor-core GEMM's f16 split is exact to 2^-21 on this device, its parts f16 values") {
  // common/f16_split.glsl runs on every device (only the GEMM that uses it needs tensor cores), so lavapipe
  // checks here what a GPU's compiler or f16 handling once broke: v = hi + lo / 1024 with hi and lo f16s.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> sym(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exp(-40, 15);
  std::vector<float> in = {0.0f, -0.0f, 1.0f, 65504.0f, -65504.0f, 6.103515625e-05f, 6.1e-05f, 1e-30f};
  for (int i = 0; i < 100000; ++i) in.push_back(sym(rng) * std::ldexp(1.0f, exp(rng)));
  const auto n = static_cast<uint32_t>(in.size());
  const auto out = run_selftest("f16_split_selftest", in, n, 2);
  auto as_f16 = [](float f) { return quant::fp16_to_f32(quant::f32_to_fp16(f)); };
  int bad = 0, carried = 0;
  double worst = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const float v = in[i], hi = out[2 * i], lo = out[2 * i + 1];
    carried += lo != 0.0f;
    // hi must survive the conversion to f16 untouched; lo is rounded to f16 there (the GEMM's operand).
    const double sum = double(hi) + double(as_f16(lo)) / 1024.0;
    const double err = std::abs(sum - double(v));
    const bool ok = as_f16(hi) == hi && std::abs(lo) <= std::max(std::abs(v), std::ldexp(std::abs(v), 10)) &&
                    err <= std::ldexp(std::abs(double(v)), -21) + std::ldexp(1.0, -24);
    if (std::abs(v) >= std::ldexp(1.0f, -14)) worst = std::max(worst, err / std::abs(double(v)));
    if (!ok && bad++ < 5) UNSCOPED_INFO(v << ": hi " << hi << ", lo " << lo << ", off by " << err);
  }
  CHECK(bad == 0);
  CHECK(worst <= std::ldexp(1.0, -21));
  CHECK(carried > static_cast<int>(n) / 2);  // random f32s have bits below f16's: the low parts carry them
}
