#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over q5_1 and q5_k weights in 64-row tiles (CPU devices): see common/get_rows_tiles.glsl.
#define TILES_MIN
#include "common/get_rows_tiles.glsl"
