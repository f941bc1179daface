#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over tq2_0 weights.
#include "common/weights.glsl"
#include "common/type_tq2_0.glsl"
#include "common/matvec_body.glsl"
