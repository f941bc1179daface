#version 450
#extension GL_GOOGLE_include_directive : require
// Register-blocked tiled GEMM (matmul_tiled_body.glsl) over q2_k weights in their GGUF layout.
#include "common/weights.glsl"
#include "common/type_q2_k.glsl"
#include "common/matmul_tiled_body.glsl"
