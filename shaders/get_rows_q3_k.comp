#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over q3_k weights.
#include "common/weights.glsl"
#include "common/type_q3_k.glsl"
#include "common/get_rows_body.glsl"
