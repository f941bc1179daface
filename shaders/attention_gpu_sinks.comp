#version 450
#extension GL_GOOGLE_include_directive : require
// attention_gpu.comp with attention sinks (gpt-oss): each head's sink logit at binding 6.
#define SINKS
#include "common/attention_gpu_body.glsl"
