#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over q6_k and q3_k weights in 64-row tiles (CPU devices): see common/get_rows_tiles.glsl.
#define TILES_TWO_SCALES
#include "common/get_rows_tiles.glsl"
