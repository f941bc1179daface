#version 450
#extension GL_GOOGLE_include_directive : require
// The gated delta rule of a delta-net layer (Qwen3.5, Qwen3-Next) over this step's tokens, one workgroup per
// value head (common/delta_head_body.glsl), with its gated norm: the CPU devices' kernel
// (delta_rule_rows.comp spreads a head over workgroups on GPUs).
#include "common/delta_rule_io.glsl"
#include "common/delta_head_body.glsl"
