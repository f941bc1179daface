#version 450
#extension GL_GOOGLE_include_directive : require
// matmul over f16 weights.
#include "common/weights.glsl"
#include "common/type_f16.glsl"
#include "common/matmul_body.glsl"
