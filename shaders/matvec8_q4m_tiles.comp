#version 450
#extension GL_GOOGLE_include_directive : require
// matvec of 8 vectors at a time (prefill) over 4-bit tiles with a min (q4_1, q4_k) (CPU devices).
#define NV 8u
#define MR 16u
#define TILES_Q4_MIN
#include "common/matvec_tiles.glsl"
