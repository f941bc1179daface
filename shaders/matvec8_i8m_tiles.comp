#version 450
#extension GL_GOOGLE_include_directive : require
// matvec of 8 vectors at a time (prefill) over int8 tiles with a min (q5_1, q5_k; CPU devices).
#define NV 8u
#define MR 16u
#define TILES_I8_MIN
#include "common/matvec_tiles.glsl"
