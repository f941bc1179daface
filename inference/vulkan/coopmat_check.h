#pragma once
// Whether Recorder::matmul uses the tensor-core GEMM (shaders/common/matmul_cm_body.glsl) on a context's
// device. It is EXPERIMENTAL and off unless GLASSWING_VULKAN_COOPMAT=1 or f16: on the tensor-core GPUs it has
// run on (NVIDIA H100 and H200, driver 580.159.04) its split products were 7.4e-5 and 1.5e-4 off the f32
// kernels (the split-f16 scheme should give ~1e-6): the low parts were lost, flushed as subnormals and
// folded away by the compiler; since session 17 the split is made by integer masks (common/f16_split.glsl),
// not yet run on a GPU. When asked for, only
// devices that report VK_NV_cooperative_matrix with a 16x16x16 f16 -> f32 shape can use it, and it must first
// match a CPU reference on a small product with partial tiles, once per context (a driver that gets it wrong
// falls back to the f32 GEMM, with a note on stderr).
#include "inference/vulkan/context.h"

namespace glasswing::vulkan {

// GLASSWING_VULKAN_COOPMAT=1 (f16 products split in high and low parts, ~1e-6 relative: checked to 1e-5)
// or f16 (the high parts alone, one product instead of three, as llama.cpp's tensor-core GEMMs: checked to
// 4e-3 of the terms' magnitude): the device is created with the extension and features the kernel needs
// (unset or 0: not; any other value throws VulkanError).
bool coopmat_requested();
// True unless GLASSWING_VULKAN_COOPMAT=f16.
bool coopmat_precise();
// The tensor-core GEMM's error bound in units of the summed term magnitude, for the startup check and the
// kernel tests: 1e-5 (the split), or 4e-3 with f16 alone (each operand cut to 11 significant bits, up to
// 2^-10 of each term, with room).
double coopmat_bound();

bool coopmat_enabled(Context& ctx);

}  // namespace glasswing::vulkan
