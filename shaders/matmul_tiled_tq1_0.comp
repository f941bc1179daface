#version 450
#extension GL_GOOGLE_include_directive : require
// Register-blocked tiled GEMM (matmul_tiled_body.glsl) over tq1_0 weights in their GGUF layout.
#include "common/weights.glsl"
#include "common/type_tq1_0.glsl"
#include "common/matmul_tiled_body.glsl"
