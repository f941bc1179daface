#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over q2_k weights in 64-row tiles through texel loads (CPU devices).
#define NV 1u
#define MR 8u
#define TILES_TWO_MINS
#include "common/matvec_tiles.glsl"
