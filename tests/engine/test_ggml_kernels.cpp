// The building blocks of Rounding::LlamaCpp (the end-to-end check is in test_logits.cpp).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "inference/cpu/ggml_kernels.h"
#include "inference/cpu/ggml_rounding.h"

using namespace glasswing;

TEST_CASE("ggml's exp approximation stays within 2 ulp of exp", "[engine][ggml]") {
  double worst = 0;
  for (float x = -80.0f; x <= 80.0f; x += 0.0137f) {
    const double exact = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(cpu::expf_like_ggml(x) - exact) / exact);
  }
  CHECK(worst < 2.5e-7);  // 2 ulp of f32
  CHECK(cpu::expf_like_ggml(0.0f) == 1.0f);
  CHECK(cpu::expf_like_ggml(-INFINITY) == 0.0f);
}

TEST_CASE("The 8-lane dot sums lane by lane", "[engine][ggml]") {
  // 1 + 2^-24 per lane is lost when added to 1 directly but survives when the small terms meet first.
  std::vector<float> a(16, 1.0f), b(16, 0.0f);
  for (int i = 0; i < 8; ++i) b[static_cast<size_t>(i)] = 1.0f;                    // lane i gets 1 first
  for (int i = 8; i < 16; ++i) b[static_cast<size_t>(i)] = std::ldexp(1.0f, -23);  // then 2^-23 each
  const float got = cpu::dot_lanes(a.data(), b.data(), 16);
  CHECK(got == 8.0f + 8.0f * std::ldexp(1.0f, -23));
}

TEST_CASE("Activation rounding follows the weight's vec_dot_type", "[engine][ggml]") {
  std::vector<float> x(256);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i)) * 3.0f;
  std::vector<float> out(256);
  cpu::round_activation_like_ggml(gguf::GgmlType::F32, x.data(), out.data(), 256);
  CHECK(out == x);
  cpu::round_activation_like_ggml(gguf::GgmlType::F16, x.data(), out.data(), 256);
  for (size_t i = 0; i < x.size(); ++i) CHECK(out[i] == cpu::round_fp16(x[i]));
  // q8_K: at most 127 levels of one scale per 256, and the largest magnitude is kept (−127·d).
  cpu::round_activation_like_ggml(gguf::GgmlType::Q4_K, x.data(), out.data(), 256);
  float amax = 0, amax_out = 0;
  for (const float v : x) amax = std::max(amax, std::fabs(v));
  for (size_t i = 0; i < x.size(); ++i) {
    amax_out = std::max(amax_out, std::fabs(out[i]));
    CHECK(std::fabs(out[i] - x[i]) <= amax / 127.0f * 0.5f * 1.0001f);
  }
  CHECK(amax_out == Approx(amax).epsilon(1e-6));
  CHECK(cpu::gelu_ggml(-11.0f) == 0.0f);
  CHECK(cpu::gelu_ggml(12.0f) == 12.0f);
  CHECK(cpu::gelu_ggml(1.0f) == cpu::round_fp16(cpu::gelu_ggml(1.0f)));
}
