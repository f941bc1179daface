#version 450
#extension GL_GOOGLE_include_directive : require
// get_rows over iq4_nl weights.
#include "common/weights.glsl"
#include "common/type_iq4_nl.glsl"
#include "common/get_rows_body.glsl"
