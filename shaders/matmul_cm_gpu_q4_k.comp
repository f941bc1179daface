#version 450
#extension GL_GOOGLE_include_directive : require
// Tensor-core GEMM (matmul_cm_body.glsl) over repacked q4_k weights (gpu_layout.glsl).
#include "common/weights.glsl"
#include "common/type_gpu_q4_k.glsl"
#include "common/matmul_cm_body.glsl"
