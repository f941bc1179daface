#version 450
#extension GL_GOOGLE_include_directive : require
// matvec of 8 vectors at a time (prefill on CPU devices) over iq4_nl weights.
#include "common/weights.glsl"
#include "common/type_iq4_nl.glsl"
#define NV 8u
#define MR 8u
#include "common/matvec_body.glsl"
