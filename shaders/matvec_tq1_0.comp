#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over tq1_0 weights.
#include "common/weights.glsl"
#include "common/type_tq1_0.glsl"
#include "common/matvec_body.glsl"
