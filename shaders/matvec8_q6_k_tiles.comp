#version 450
#extension GL_GOOGLE_include_directive : require
// matvec of 8 vectors at a time (prefill) over q6_k weights in 64-row tiles through texel loads (CPU devices).
#define NV 8u
#define MR 16u
#define TILES_TWO_SCALES
#include "common/matvec_tiles.glsl"
