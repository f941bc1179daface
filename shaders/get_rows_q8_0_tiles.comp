#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over q8_0 and q5_0 weights in 64-row tiles (CPU devices): see common/get_rows_tiles.glsl.
#include "common/get_rows_tiles.glsl"
