#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over q6_k weights.
#include "common/weights.glsl"
#include "common/type_q6_k.glsl"
#include "common/matvec_body.glsl"
