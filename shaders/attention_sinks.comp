#version 450
#extension GL_GOOGLE_include_directive : require
// attention.comp with attention sinks (gpt-oss): each head's sink logit at binding 6.
#define SINKS
#include "common/attention_body.glsl"
