#version 450
#extension GL_GOOGLE_include_directive : require
// attention_gpu_rope_store.comp with attention sinks (gpt-oss): each head's sink logit at binding 9.
#define ROPE_STORE
#define SINKS
#include "common/attention_gpu_body.glsl"
