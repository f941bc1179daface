#version 450
#extension GL_GOOGLE_include_directive : require
// matmul over iq2_xxs weights.
#include "common/weights.glsl"
#include "common/type_iq2_xxs.glsl"
#include "common/matmul_body.glsl"
