#version 450
#extension GL_GOOGLE_include_directive : require
// matmul over iq4_xs weights.
#include "common/weights.glsl"
#include "common/type_iq4_xs.glsl"
#include "common/matmul_body.glsl"
