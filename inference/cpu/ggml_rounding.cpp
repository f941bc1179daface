#include "inference/cpu/ggml_rounding.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "inference/quant/fp16.h"

namespace glasswing::cpu {

using gguf::GgmlType;

namespace {

// q8_0 / q8_1 codes of one block as ggml's x86 quantize_row_q8_0/q8_1 computes them: id = 127/amax,
// round to nearest even. Returns d (unrounded) and fills q.
float quantize_block_q8_0(const float* x, float* q) {
  float amax = 0;
  for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  for (int i = 0; i < 32; ++i) q[i] = std::nearbyint(x[i] * id);
  return d;
}

void round_q8_0(const float* x, float* out, int64_t n) {
  float q[32];
  for (int64_t b = 0; b + 32 <= n; b += 32) {
    const float d = quant::fp16_to_f32(quant::f32_to_fp16(quantize_block_q8_0(x + b, q)));
    for (int i = 0; i < 32; ++i) out[b + i] = q[i] * d;
  }
}

void round_q8_K(const float* x, float* out, int64_t n) {
  for (int64_t b = 0; b + 256 <= n; b += 256) {
    float max = 0, amax = 0;
    for (int i = 0; i < 256; ++i) {
      const float ax = std::fabs(x[b + i]);
      if (ax > amax) {
        amax = ax;
        max = x[b + i];
      }
    }
    if (amax == 0.0f) {
      std::fill(out + b, out + b + 256, 0.0f);
      continue;
    }
    const float iscale = -127.0f / max;
    const float d = 1.0f / iscale;
    for (int i = 0; i < 256; ++i) out[b + i] = std::min(127.0f, std::nearbyint(iscale * x[b + i])) * d;
  }
}

}  // namespace

float round_fp16(float x) {
  return quant::fp16_to_f32(quant::f32_to_fp16(x));
}

void round_activation_like_ggml(GgmlType type, const float* x, float* out, int64_t n) {
  switch (type) {
    case GgmlType::F16:
      for (int64_t i = 0; i < n; ++i) out[i] = round_fp16(x[i]);
      return;
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) out[i] = quant::bf16_to_f32(quant::f32_to_bf16(x[i]));
      return;
    case GgmlType::Q8_0:
    case GgmlType::Q4_0:
    case GgmlType::Q5_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_1:
      round_q8_0(x, out, n);
      return;
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K:
      round_q8_K(x, out, n);
      return;
    default:
      if (out != x) std::memcpy(out, x, static_cast<size_t>(n) * sizeof(float));
  }
}

float gelu_ggml(float x) {
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  const float v = round_fp16(x);
  return round_fp16(0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * v * (1.0f + 0.044715f * v * v))));
}

}  // namespace glasswing::cpu
