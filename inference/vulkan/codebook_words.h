#pragma once
// The i-quants' codebooks as the GPU kernels read them: appended to every slice of such a weight, after its
// rows (at the next 4-byte boundary), so that a kernel finds them at w_aux (shaders/common/iq_common.glsl)
// with no binding of their own. A constant array in the shader instead is copied per invocation by some
// compilers (lavapipe took 20 s to build one such pipeline).
#include <cstdint>
#include <vector>

#include "inference/gguf/ggml_type.h"

namespace glasswing::vulkan {

// The words: the grid (64-bit entries as low word, high word), then for IQ2_XXS, IQ2_XS and IQ3_XXS the 128
// sign patterns (one per word). Empty for types without a codebook.
const std::vector<uint32_t>& codebook_words(gguf::GgmlType type);

}  // namespace glasswing::vulkan
