#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over tq1_0 weights.
#include "common/weights.glsl"
#include "common/type_tq1_0.glsl"
#include "common/get_rows_body.glsl"
