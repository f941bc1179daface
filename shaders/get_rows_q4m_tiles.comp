#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over q4_1 and q4_k weights (4-bit with a min) in 64-row tiles (CPU devices): see
// common/get_rows_tiles.glsl.
#define TILES_Q4_MIN
#include "common/get_rows_tiles.glsl"
