#pragma once
// Weight matrices for the Vulkan engine's reference-compatible mode (vulkan-llamacpp): decoded on the host
// into the integers llama.cpp's CPU dot products use, so that shaders/ggml_matmul_exact.comp only sums.
#include <cstdint>

#include "inference/model/weights.h"
#include "inference/vulkan/buffer.h"
#include "inference/vulkan/context.h"

namespace glasswing::vulkan {

// One matrix as ggml_matmul_exact.comp reads it (`kind` and `variant` are its push constants):
//   kind 0: f32 values (F32, F16, BF16 and every type without an integer path); variant = activation
//           rounding 0 none, 1 fp16, 2 bf16, or 3: F32 summed in ggml_vec_dot_f32's order (where tinyBLAS
//           declines the shape, inference/cpu/ggml_kernels.h uses_vec_dot_f32)
//   kind 1: Q8_0 / Q5_0 (variant 0), Q4_1 / Q5_1 (1, with minimum), Q4_0 (2, repacked q4_0_8x8 order):
//           int16 code per element, (d, m) per 32
//   kind 2: Q6_K / Q3_K: int16 sc·(q − offset) per element, (d, 0) per 256
//   kind 3: Q2_K (variant 0), Q4_K (1), Q5_K (2): int16 sc·q per element, (d, dmin) per 256, the minimum
//           of every 16 elements
// The codes come back from the exact dequantized values exactly as inference/cpu/ggml_kernels.cpp recovers
// them (w = d·q (+ m)), so both engines see the same integers.
struct ExactMatrix {
  uint32_t rows = 0, cols = 0, kind = 0, variant = 0;
  BufferRange values, codes, blocks, mins;  // unused ones are empty
  uint64_t bytes = 0;
};

// Decodes and uploads m. Throws VulkanError for a quantized row that does not divide into blocks or a
// buffer larger than the device can bind.
ExactMatrix upload_exact_matrix(Context& ctx, Arena& arena, const model::WeightMatrix& m);

}  // namespace glasswing::vulkan
