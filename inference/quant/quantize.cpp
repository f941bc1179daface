#include <stdexcept>

#include "inference/quant/quant.h"

namespace glasswing::quant {

bool can_quantize(GgmlType) {
  return false;
}

void quantize_row(GgmlType type, const float*, void*, int64_t) {
  throw std::invalid_argument("quantize_row: cannot write tensor type " + gguf::ggml_type_name(type));
}

}  // namespace glasswing::quant
