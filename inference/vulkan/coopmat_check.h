#pragma once
// Whether Recorder::matmul uses the tensor-core GEMM (shaders/common/matmul_cm_body.glsl) on a context's
// device. Only devices that report VK_NV_cooperative_matrix with a 16x16x16 f16 -> f32 shape can; there
// GLASSWING_VULKAN_COOPMAT=1 forces it and =0 forbids it. Otherwise it must prove itself once per context:
// match a CPU reference on a small product with partial tiles (a driver that gets it wrong falls back, with
// a note on stderr), and beat the f32 tiled GEMM on a prefill-sized q4_0 product.
#include "inference/vulkan/context.h"

namespace glasswing::vulkan {

bool coopmat_enabled(Context& ctx);

}  // namespace glasswing::vulkan
