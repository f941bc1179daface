#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over q8_0 weights through texel fetches (CPU devices).
#define NV 1u
#define MR 8u
#include "common/matvec_texel_q8_0.glsl"
