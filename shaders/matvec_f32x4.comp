#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over f32 weights, rows a multiple of 4 long.
#include "common/weights.glsl"
#include "common/type_f32x4.glsl"
#include "common/matvec_body.glsl"
