#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over iq1_m weights.
#include "common/weights.glsl"
#include "common/type_iq1_m.glsl"
#include "common/get_rows_body.glsl"
