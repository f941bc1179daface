#include "inference/quant/quant.h"
#include "inference/quant/quant_internal.h"

namespace glasswing::quant {

float dot_row(GgmlType type, const void* row, const float* x, int64_t n) {
  return dot_row_reference(type, row, x, n);
}

}  // namespace glasswing::quant
