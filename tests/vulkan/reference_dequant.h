#pragma once
// CPU dequantization the kernels are checked against.
#include <cstdint>
#include <vector>

#include "inference/gguf/ggml_type.h"

namespace glasswing::vulkan::test {

// The types reference_dequantize handles.
std::vector<gguf::GgmlType> reference_types();
void reference_dequantize(gguf::GgmlType type, const void* src, float* dst, int64_t n);

}  // namespace glasswing::vulkan::test
