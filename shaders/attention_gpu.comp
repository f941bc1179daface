#version 450
#extension GL_GOOGLE_include_directive : require
// attention_v4.comp for GPUs (head_dim / 4 <= WG): same inputs and outputs, but the weighted sum of values
// takes one workgroup reduction instead of one per 4 dimensions. Invocation (s, i), s < S = WG / (head_dim/4),
// accumulates dimensions 4i..4i+3 over keys s, s + S, ... (consecutive invocations read consecutive vec4s of
// a value row), then the S partial sums of each dimension quad are added through shared memory.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 128;
#include "common/reduce.glsl"
layout(std430, binding = 0) readonly buffer Q { vec4 q[]; };
layout(std430, binding = 1) readonly buffer K { vec4 kc[]; };
layout(std430, binding = 2) readonly buffer V { vec4 vc[]; };
layout(std430, binding = 3) writeonly buffer O { vec4 o[]; };
layout(std430, binding = 4) buffer Scores { float sc[]; };
#define STATE_BINDING 5
#include "common/state.glsl"
layout(push_constant) uniform Push {
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint q_stride;   // elements between tokens in Q (heads are contiguous within a token)
  uint q_offset;
  uint o_stride;
  uint kv_offset;  // element offset of this layer in the K and V caches
  uint n_ctx;      // scratch row length (cache capacity)
  float scale;
} p;

shared vec4 partial[WG];

void main() {
  uint t = gl_WorkGroupID.x, h = gl_WorkGroupID.y;
  uint lid = gl_LocalInvocationID.x;
  uint n_keys = st.n_past + t + 1u;
  uint kvh = h / (p.n_heads / p.n_kv_heads);
  uint kv_row4 = p.n_kv_heads * p.head_dim / 4u;
  uint d4 = p.head_dim / 4u;
  uint kvo = (p.kv_offset + kvh * p.head_dim) / 4u;
  uint qo = (p.q_offset + t * p.q_stride + h * p.head_dim) / 4u;
  uint so = (t * p.n_heads + h) * p.n_ctx;

  float mx = -3.402823466e38;
  for (uint j = lid; j < n_keys; j += WG) {
    uint ko = kvo + j * kv_row4;
    float s = 0.0;
    for (uint i = 0u; i < d4; ++i) s += dot(q[qo + i], kc[ko + i]);
    s *= p.scale;
    sc[so + j] = s;
    mx = max(mx, s);
  }
  mx = workgroup_max(mx);
  float sum = 0.0;
  for (uint j = lid; j < n_keys; j += WG) {  // the keys this invocation scored: no cross-invocation reads
    float e = exp(sc[so + j] - mx);
    sc[so + j] = e;
    sum += e;
  }
  sum = workgroup_sum(sum);
  groupMemoryBarrier();  // every e in the scratch row, visible to the whole workgroup (workgroup scope: only
                         // this workgroup reads its row)
  barrier();

  uint slots = WG / d4;
  uint s = lid / d4, i = lid % d4;
  vec4 acc = vec4(0.0);
  if (s < slots)
    for (uint j = s; j < n_keys; j += slots) acc += sc[so + j] * vc[kvo + j * kv_row4 + i];
  partial[lid] = acc;
  barrier();
  if (lid < d4) {
    vec4 total = vec4(0.0);
    for (uint k = 0u; k < slots; ++k) total += partial[k * d4 + lid];
    o[(t * p.o_stride + h * p.head_dim) / 4u + lid] = total / sum;
  }
}
