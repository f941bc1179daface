#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over bf16 weights.
#include "common/weights.glsl"
#include "common/type_bf16.glsl"
#include "common/matvec_body.glsl"
