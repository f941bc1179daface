#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over iq2_xxs weights.
#include "common/weights.glsl"
#include "common/type_iq2_xxs.glsl"
#include "common/matvec_body.glsl"
