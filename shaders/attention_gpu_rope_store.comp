#version 450
#extension GL_GOOGLE_include_directive : require
// attention_gpu.comp with rope_store.comp's work for a one-token decode step: see
// common/attention_gpu_body.glsl.
#define ROPE_STORE
#include "common/attention_gpu_body.glsl"
