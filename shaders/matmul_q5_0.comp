#version 450
#extension GL_GOOGLE_include_directive : require
// matmul over q5_0 weights.
#include "common/weights.glsl"
#include "common/type_q5_0.glsl"
#include "common/matmul_body.glsl"
