#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over iq2_s weights.
#include "common/weights.glsl"
#include "common/type_iq2_s.glsl"
#include "common/matvec_body.glsl"
