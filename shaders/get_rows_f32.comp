#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over f32 weights.
#include "common/weights.glsl"
#include "common/type_f32.glsl"
#include "common/get_rows_body.glsl"
