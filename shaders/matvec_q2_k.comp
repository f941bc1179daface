#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over q2_k weights.
#include "common/weights.glsl"
#include "common/type_q2_k.glsl"
#include "common/matvec_body.glsl"
