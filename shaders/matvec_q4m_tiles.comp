#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over 4-bit tiles with a min (q4_1, q4_k) (CPU devices).
#define NV 1u
#define MR 8u
#define TILES_Q4_MIN
#include "common/matvec_tiles.glsl"
