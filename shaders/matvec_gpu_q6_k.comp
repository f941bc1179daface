#version 450
#extension GL_GOOGLE_include_directive : require
// GPU mat-vec over repacked q6_k weights (matvec_gpu_body.glsl).
#include "common/weights.glsl"
#include "common/matvec_gpu_io.glsl"
#include "common/type_gpu_q6_k.glsl"
#include "common/matvec_gpu_body.glsl"
