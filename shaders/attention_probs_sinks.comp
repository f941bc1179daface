#version 450
#extension GL_GOOGLE_include_directive : require
// attention_probs.comp with attention sinks (gpt-oss): each head's sink logit at binding 3.
#define SINKS
#include "common/attention_probs_body.glsl"
