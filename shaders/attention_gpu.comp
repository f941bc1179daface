#version 450
#extension GL_GOOGLE_include_directive : require
// Attention for GPUs: see common/attention_gpu_body.glsl.
#include "common/attention_gpu_body.glsl"
