#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over q4_0 weights in 64-row tiles (CPU devices): see common/get_rows_tiles.glsl.
#define TILES_Q4_0
#include "common/get_rows_tiles.glsl"
