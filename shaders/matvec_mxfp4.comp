#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over mxfp4 weights.
#include "common/weights.glsl"
#include "common/type_mxfp4.glsl"
#include "common/matvec_body.glsl"
