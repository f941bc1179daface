#version 450
#extension GL_GOOGLE_include_directive : require
// Register-blocked tiled GEMM (matmul_tiled_body.glsl) over iq4_xs weights in their GGUF layout.
#include "common/weights.glsl"
#include "common/type_iq4_xs.glsl"
#include "common/matmul_tiled_body.glsl"
