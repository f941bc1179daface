#version 450
#extension GL_GOOGLE_include_directive : require
// delta_rule.comp for GPUs: the same gated delta rule spread over the state's rows (common/delta_rows_body.glsl),
// writing the raw o; delta_gated_norm.comp then applies the RMSNorm with its gains and SiLU(z).
#include "common/delta_rule_io.glsl"
#include "common/delta_rows_body.glsl"
