#pragma once
// Whether Recorder::matmul uses the tensor-core GEMM (shaders/common/matmul_cm_body.glsl) on a context's
// device. It is EXPERIMENTAL and off unless GLASSWING_VULKAN_COOPMAT=1: on the one tensor-core GPU it has run
// on (NVIDIA H100, driver 580.159.04) its products were 7.4e-5 off the f32 kernels (the split-f16 scheme
// should give ~1e-6). Suspected cause: the low f16 halves of small values were subnormal and flushed; since
// session 6 they are stored scaled by 2^11 (matmul_cm_body.glsl), not yet run on a GPU. When asked for, only
// devices that report VK_NV_cooperative_matrix with a 16x16x16 f16 -> f32 shape can use it, and it must first
// match a CPU reference on a small product with partial tiles, once per context (a driver that gets it wrong
// falls back to the f32 GEMM, with a note on stderr).
#include "inference/vulkan/context.h"

namespace glasswing::vulkan {

// GLASSWING_VULKAN_COOPMAT=1: the device is created with the extension and features the kernel needs
// (unset or 0: not; any other value throws VulkanError).
bool coopmat_requested();

bool coopmat_enabled(Context& ctx);

}  // namespace glasswing::vulkan
