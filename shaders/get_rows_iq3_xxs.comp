#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over iq3_xxs weights.
#include "common/weights.glsl"
#include "common/type_iq3_xxs.glsl"
#include "common/get_rows_body.glsl"
