#version 450
#extension GL_GOOGLE_include_directive : require
// matmul over q4_k weights.
#include "common/weights.glsl"
#include "common/type_q4_k.glsl"
#include "common/matmul_body.glsl"
