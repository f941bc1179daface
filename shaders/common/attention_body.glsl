// attention.comp (and attention_sinks.comp, with SINKS: a logit per head joins each softmax without a
// value, gpt-oss's attention sinks)
// Causal attention of this step's queries over the KV cache, grouped-query: head h reads KV head
// h / (n_heads / n_kv_heads). One workgroup per (token, head): scores q.k*scale for keys 0..n_past+t go to a
// scratch row, softmax with a max shift, then out = sum_j p_j v_j.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "common/reduce.glsl"
layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float kc[]; };
layout(std430, binding = 2) readonly buffer V { float vc[]; };
layout(std430, binding = 3) writeonly buffer O { float o[]; };
layout(std430, binding = 4) buffer Scores { float sc[]; };
#define STATE_BINDING 5
#include "common/state.glsl"
#include "common/attention_push.glsl"
#ifdef SINKS
layout(std430, binding = 6) readonly buffer Sinks { float sinks[]; };  // per head (gpt-oss)
#endif

void main() {
  uint t = gl_WorkGroupID.x, h = gl_WorkGroupID.y;
  uint lid = gl_LocalInvocationID.x;
  uint n_keys = st.n_past + t + 1u, j0 = first_key(n_keys - 1u);
  uint kvh = h / (p.n_heads / p.n_kv_heads);
  uint kv_row = p.n_kv_heads * p.head_dim;
  uint qo = p.q_offset + t * p.q_stride + h * p.head_dim;
  uint so = (t * p.n_heads + h) * p.n_ctx;

  float slope = head_slope(h), mx = -3.402823466e38;
  for (uint j = j0 + lid; j < n_keys; j += WG) {
    uint ko = p.kv_offset + j * kv_row + kvh * p.head_dim;
    float s = 0.0;
    for (uint i = 0u; i < p.head_dim; ++i) s += q[qo + i] * kc[ko + i];
    s = capped(s * p.scale) + alibi_bias(slope, n_keys - 1u, j);
    sc[so + j] = s;
    mx = max(mx, s);
  }
  mx = workgroup_max(mx);
#ifdef SINKS
  mx = max(mx, sinks[h]);  // the sink joins the softmax (common/scores.glsl)
#endif
  float sum = 0.0;
  for (uint j = j0 + lid; j < n_keys; j += WG) {
    float e = exp(sc[so + j] - mx);
    sc[so + j] = e;
    sum += e;
  }
  sum = workgroup_sum(sum);  // its barrier also makes every score visible to the whole workgroup
#ifdef SINKS
  sum += exp(sinks[h] - mx);
#endif
  groupMemoryBarrier();  // workgroup scope: only this workgroup reads its scratch row
  barrier();
  for (uint i = lid; i < p.head_dim; i += WG) {
    float acc = 0.0;
    for (uint j = j0; j < n_keys; ++j) acc += sc[so + j] * vc[p.kv_offset + j * kv_row + kvh * p.head_dim + i];
    o[t * p.o_stride + h * p.head_dim + i] = acc / sum;
  }
}
