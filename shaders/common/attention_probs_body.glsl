// Attention probabilities of one (layer, head) recomputed from the Q and K caches for the query rows
// [q0, q0 + nq) and key columns [k0, k0 + nk): p = softmax over keys 0..q of q.k*scale, causal (keys after
// the query, and before a sliding window, are 0). One workgroup per query row; the normalisation covers all
// keys the query sees, not only the requested columns.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "common/reduce.glsl"
#include "common/scores.glsl"
layout(std430, binding = 0) readonly buffer Q { float qc[]; };
layout(std430, binding = 1) readonly buffer K { float kc[]; };
layout(std430, binding = 2) writeonly buffer P { float pr[]; };
#ifdef SINKS
layout(std430, binding = 3) readonly buffer Sinks { float sinks[]; };  // per head (gpt-oss)
#endif
layout(push_constant) uniform Push {
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint head;
  uint q_offset;  // element offset of this layer in the Q cache ([pos][n_heads][head_dim])
  uint k_offset;  // element offset of this layer in the K cache ([pos][n_kv_heads][head_dim])
  uint q0;
  uint k0;
  uint nk;
  float scale;
  uint window;  // which keys a query sees: common/scores.glsl, window_first_key (0: all)
  float softcap;  // scores become softcap·tanh(s / softcap); 0: none
  float alibi_m0;  // ALiBi's slopes (common/scores.glsl, alibi_slope); 0: none
  float alibi_m1;
  uint q_first;   // the position of the Q buffer's first row (0: the cache; latent attention: the first query)
} p;

float score(uint qpos, uint j) {
  uint qo = p.q_offset + (qpos - p.q_first) * p.n_heads * p.head_dim + p.head * p.head_dim;
  uint ko = p.k_offset + j * p.n_kv_heads * p.head_dim + (p.head / (p.n_heads / p.n_kv_heads)) * p.head_dim;
  float s = 0.0;
  for (uint i = 0u; i < p.head_dim; ++i) s += qc[qo + i] * kc[ko + i];
  return soft_capped(s * p.scale, p.softcap) +
         alibi_bias(alibi_slope(p.alibi_m0, p.alibi_m1, p.n_heads, p.head), qpos, j);
}

void main() {
  uint r = gl_WorkGroupID.x;
  uint qpos = p.q0 + r;
  uint lid = gl_LocalInvocationID.x;
  uint first = window_first_key(qpos, p.window);
  float mx = -3.402823466e38;
  for (uint j = first + lid; j <= qpos; j += WG) mx = max(mx, score(qpos, j));
  mx = workgroup_max(mx);
#ifdef SINKS
  mx = max(mx, sinks[p.head]);
#endif
  float sum = 0.0;
  for (uint j = first + lid; j <= qpos; j += WG) sum += exp(score(qpos, j) - mx);
  sum = workgroup_sum(sum);
#ifdef SINKS
  sum += exp(sinks[p.head] - mx);  // the sink's share goes to no key
#endif
  for (uint c = lid; c < p.nk; c += WG) {
    uint j = p.k0 + c;
    pr[r * p.nk + c] = j >= first && j <= qpos ? exp(score(qpos, j) - mx) / sum : 0.0;
  }
}
