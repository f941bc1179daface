#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over iq1_s weights.
#include "common/weights.glsl"
#include "common/type_iq1_s.glsl"
#include "common/matvec_body.glsl"
