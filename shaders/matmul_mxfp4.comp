#version 450
#extension GL_GOOGLE_include_directive : require
// matmul over mxfp4 weights.
#include "common/weights.glsl"
#include "common/type_mxfp4.glsl"
#include "common/matmul_body.glsl"
