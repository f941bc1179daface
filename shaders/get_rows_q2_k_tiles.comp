#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over q2_k weights in 64-row tiles (CPU devices): see common/get_rows_tiles.glsl.
#define TILES_TWO_MINS
#include "common/get_rows_tiles.glsl"
