#version 450
#extension GL_GOOGLE_include_directive : require
// kda_rule.comp for GPUs: Kimi Delta Attention spread over the state's rows (common/delta_rows_body.glsl),
// writing the raw o; delta_gated_norm.comp (sigmoid gate) then applies the RMSNorm, its gains and σ(z).
#include "common/kda_rule_io.glsl"
#include "common/delta_rows_body.glsl"
