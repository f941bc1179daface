#version 450
#extension GL_GOOGLE_include_directive : require
// matmul over q3_k weights.
#include "common/weights.glsl"
#include "common/type_q3_k.glsl"
#include "common/matmul_body.glsl"
