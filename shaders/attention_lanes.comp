#version 450
#extension GL_GOOGLE_include_directive : require
// Attention for CPU implementations, one invocation per (token, head): see common/attention_lanes.glsl.
#include "common/attention_lanes.glsl"
