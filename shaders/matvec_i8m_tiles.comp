#version 450
#extension GL_GOOGLE_include_directive : require
// matvec over int8 tiles with a min (q5_1, q5_k; CPU devices).
#define NV 1u
#define MR 8u
#define TILES_I8_MIN
#include "common/matvec_tiles.glsl"
