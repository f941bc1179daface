#version 450
#extension GL_GOOGLE_include_directive : require
// Kimi Delta Attention (Kimi Linear) over this step's tokens, one workgroup per head
// (common/delta_head_body.glsl), with its gated norm: the CPU devices' kernel (kda_rule_rows.comp spreads a
// head over workgroups on GPUs).
#include "common/kda_rule_io.glsl"
#include "common/delta_head_body.glsl"
