// Portable dot kernels: decode one block into a small stack buffer with the reference decoder and
// multiply-add in float with several independent accumulators (which compilers vectorise for SSE/NEON).
#include "inference/gguf/ggml_type.h"
#include "inference/quant/dot_kernels.h"
#include "inference/quant/quant_internal.h"

namespace glasswing::quant::kernels {

namespace {

float dot_f32(const void* row, const float* x, int64_t n) {
  const auto* w = static_cast<const float*>(row);
  float acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += w[i + k] * x[i + k];
  float sum = 0;
  for (; i < n; ++i) sum += w[i] * x[i];
  for (float a : acc) sum += a;
  return sum;
}

template <GgmlType T>
float dot_blocks(const void* row, const float* x, int64_t n) {
  static const DequantizeFn decode = dequantize_fn(T);
  const auto traits = gguf::ggml_type_traits(T);
  // Plain 16-bit types decode 256 elements per step.
  const int64_t step = traits.block_elements == 1 ? 256 : traits.block_elements;
  const int64_t step_bytes = step / traits.block_elements * traits.block_bytes;
  const auto* src = static_cast<const uint8_t*>(row);
  float buf[256];
  float acc[8] = {};
  float tail = 0;
  for (int64_t i = 0; i < n; i += step, src += step_bytes) {
    const int64_t count = n - i < step ? n - i : step;
    decode(src, buf, count);
    int64_t j = 0;
    for (; j + 8 <= count; j += 8)
      for (int k = 0; k < 8; ++k) acc[k] += buf[j + k] * x[i + j + k];
    for (; j < count; ++j) tail += buf[j] * x[i + j];
  }
  for (float a : acc) tail += a;
  return tail;
}

}  // namespace

DotFn portable(GgmlType type) {
  switch (type) {
    case GgmlType::F32:
      return dot_f32;
    case GgmlType::F16:
      return dot_blocks<GgmlType::F16>;
    case GgmlType::BF16:
      return dot_blocks<GgmlType::BF16>;
    case GgmlType::Q8_0:
      return dot_blocks<GgmlType::Q8_0>;
    case GgmlType::Q4_0:
      return dot_blocks<GgmlType::Q4_0>;
    case GgmlType::Q4_1:
      return dot_blocks<GgmlType::Q4_1>;
    case GgmlType::Q5_0:
      return dot_blocks<GgmlType::Q5_0>;
    case GgmlType::Q5_1:
      return dot_blocks<GgmlType::Q5_1>;
    case GgmlType::Q2_K:
      return dot_blocks<GgmlType::Q2_K>;
    case GgmlType::Q3_K:
      return dot_blocks<GgmlType::Q3_K>;
    case GgmlType::Q4_K:
      return dot_blocks<GgmlType::Q4_K>;
    case GgmlType::Q5_K:
      return dot_blocks<GgmlType::Q5_K>;
    case GgmlType::Q6_K:
      return dot_blocks<GgmlType::Q6_K>;
    case GgmlType::IQ4_NL:
      return dot_blocks<GgmlType::IQ4_NL>;
    case GgmlType::IQ4_XS:
      return dot_blocks<GgmlType::IQ4_XS>;
    case GgmlType::MXFP4:
      return dot_blocks<GgmlType::MXFP4>;
    default:
      return sub32_dot(type);
  }
}

}  // namespace glasswing::quant::kernels
