#version 450
#extension GL_GOOGLE_include_directive : require
// GPU mat-vec over repacked q5_0 weights (matvec_gpu_body.glsl).
#include "common/weights.glsl"
#include "common/matvec_gpu_io.glsl"
#include "common/type_gpu_q5_0.glsl"
#include "common/matvec_gpu_body.glsl"
