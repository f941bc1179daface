#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over q5_k weights.
#include "common/weights.glsl"
#include "common/type_q5_k.glsl"
#include "common/get_rows_body.glsl"
