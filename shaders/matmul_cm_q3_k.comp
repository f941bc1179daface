#version 450
#extension GL_GOOGLE_include_directive : require
// Tensor-core GEMM (matmul_cm_body.glsl) over q3_k weights in their GGUF layout.
#include "common/weights.glsl"
#include "common/type_q3_k.glsl"
#include "common/matmul_cm_body.glsl"
