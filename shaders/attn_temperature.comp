#version 450
#extension GL_GOOGLE_include_directive : require
// Llama 4's attention temperature tuning (its NoPE layers; every layer of Ministral 3, Mistral Large 3 and
// Small 4): each query times 1 + scale · ln(1 + ⌊(pos + offset) / floor⌋) at its position (offset 1 for Llama
// 4, 0 for Mistral's: model::ModelDescription::attn_temperature), q[t][i] for i < width
// in rows of `stride` (q may be the front of a fused q|k|v row). The positions (n_past + t) come from the
// step state, so a recorded step runs at any position.
#include "common/elementwise.glsl"
layout(std430, binding = 0) buffer Q { float q[]; };
#define STATE_BINDING 1
#include "common/state.glsl"
layout(push_constant) uniform Push { uint n, width, stride; float scale, floor_len, offset; } p;
void main() {
  uint i = flat_index();
  if (i >= p.n) return;
  uint t = i / p.width;
  float pos = float(st.n_past + t);
  q[t * p.stride + i % p.width] *= 1.0 + p.scale * log(floor((pos + p.offset) / p.floor_len) + 1.0);
}
