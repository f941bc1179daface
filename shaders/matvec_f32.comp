#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over f32 weights.
#include "common/weights.glsl"
#include "common/type_f32.glsl"
#include "common/matvec_body.glsl"
