// The obviously-correct dot product: decode one block at a time into a stack buffer and multiply-add in
// double, so it can serve as the yardstick for the fused kernels.
#include <stdexcept>

#include "inference/gguf/ggml_type.h"
#include "inference/quant/quant_internal.h"

namespace glasswing::quant {

float dot_row_reference(GgmlType type, const void* row, const float* x, int64_t n) {
  const DequantizeFn fn = dequantize_fn(type);
  if (!fn) throw std::invalid_argument("dot_row: unsupported tensor type " + gguf::ggml_type_name(type));
  check_row(type, n, "dot_row");
  const auto traits = gguf::ggml_type_traits(type);
  // Plain types decode 256 elements per step; block types one block (at most 256 elements).
  const int64_t step = traits.block_elements == 1 ? 256 : traits.block_elements;
  const int64_t step_bytes = traits.block_elements == 1 ? 256 * traits.block_bytes : traits.block_bytes;
  const auto* src = static_cast<const uint8_t*>(row);
  float buf[256];
  double sum = 0;
  for (int64_t i = 0; i < n; i += step, src += step_bytes) {
    const int64_t count = n - i < step ? n - i : step;
    fn(src, buf, count);
    for (int64_t j = 0; j < count; ++j) sum += static_cast<double>(buf[j]) * x[i + j];
  }
  return static_cast<float>(sum);
}

}  // namespace glasswing::quant
