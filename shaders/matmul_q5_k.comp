#version 450
#extension GL_GOOGLE_include_directive : require
// matmul over q5_k weights.
#include "common/weights.glsl"
#include "common/type_q5_k.glsl"
#include "common/matmul_body.glsl"
