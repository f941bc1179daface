#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over repacked q4_0 weights (gpu_layout.glsl).
#include "common/weights.glsl"
#include "common/type_gpu_q4_0.glsl"
#include "common/get_rows_body.glsl"
