#version 450
#extension GL_GOOGLE_include_directive : require
// attention.comp for head sizes, strides and offsets that are multiples of 4: q, k and v are read 4 floats
// per load, and the output is accumulated by the invocation that owns each key (the same keys it scored), then
// summed across the workgroup 4 dimensions at a time, instead of one invocation per dimension walking every
// key. Fewer, wider loads: what CPU implementations (lavapipe) are bound by; they also run all heads of a token
// in one workgroup (HEADS_PER_WG). Same inputs and outputs.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint HEADS_PER_WG = 1;  // CPU devices: all, as each workgroup has a fixed cost
#include "common/reduce.glsl"
layout(std430, binding = 0) readonly buffer Q { vec4 q[]; };
layout(std430, binding = 1) readonly buffer K { vec4 kc[]; };
layout(std430, binding = 2) readonly buffer V { vec4 vc[]; };
layout(std430, binding = 3) writeonly buffer O { float o[]; };
layout(std430, binding = 4) buffer Scores { float sc[]; };
#define STATE_BINDING 5
#include "common/state.glsl"
#include "common/attention_push.glsl"

void attend(uint t, uint h) {
  uint lid = gl_LocalInvocationID.x;
  uint n_keys = st.n_past + t + 1u, j0 = first_key(n_keys - 1u);
  uint kvh = h / (p.n_heads / p.n_kv_heads);
  uint kv_row = p.n_kv_heads * p.head_dim;
  uint d4 = p.head_dim / 4u;
  uint qo = (p.q_offset + t * p.q_stride + h * p.head_dim) / 4u;
  uint so = (t * p.n_heads + h) * p.n_ctx;

  float slope = head_slope(h), mx = -3.402823466e38;
  for (uint j = j0 + lid; j < n_keys; j += WG) {
    uint ko = (p.kv_offset + j * kv_row + kvh * p.head_dim) / 4u;
    float s = 0.0;
    for (uint i = 0u; i < d4; ++i) s += dot(q[qo + i], kc[ko + i]);
    s = capped(s * p.scale) + alibi_bias(slope, n_keys - 1u, j);
    sc[so + j] = s;
    mx = max(mx, s);
  }
  mx = workgroup_max(mx);
  float sum = 0.0;
  for (uint j = j0 + lid; j < n_keys; j += WG) {  // the keys this invocation scored: no cross-invocation reads
    float e = exp(sc[so + j] - mx);
    sc[so + j] = e;
    sum += e;
  }
  sum = workgroup_sum(sum);
  for (uint i = 0u; i < d4; ++i) {
    vec4 acc = vec4(0.0);
    for (uint j = j0 + lid; j < n_keys; j += WG) acc += sc[so + j] * vc[(p.kv_offset + j * kv_row + kvh * p.head_dim) / 4u + i];
    acc = vec4(workgroup_sum(acc.x), workgroup_sum(acc.y), workgroup_sum(acc.z), workgroup_sum(acc.w));
    if (lid == 0u) {
      uint oo = t * p.o_stride + h * p.head_dim + 4u * i;
      o[oo] = acc.x / sum;
      o[oo + 1u] = acc.y / sum;
      o[oo + 2u] = acc.z / sum;
      o[oo + 3u] = acc.w / sum;
    }
  }
}

void main() {
  uint h_end = min(p.n_heads, (gl_WorkGroupID.y + 1u) * HEADS_PER_WG);
  for (uint h = gl_WorkGroupID.y * HEADS_PER_WG; h < h_end; ++h) attend(gl_WorkGroupID.x, h);
}
