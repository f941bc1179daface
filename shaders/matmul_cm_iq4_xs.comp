#version 450
#extension GL_GOOGLE_include_directive : require
// Tensor-core GEMM (matmul_cm_body.glsl) over iq4_xs weights in their GGUF layout.
#include "common/weights.glsl"
#include "common/type_iq4_xs.glsl"
#include "common/matmul_cm_body.glsl"
