// Per (query, head) of one layer, the statistics of its attention row without materialising it: the largest
// probability (1 / sum of exp(s - max)), the entropy (ln sum - sum_j p_j (s_j - max)) and the probability of
// key 0. Keys 0..query, scores q.k*scale from the Q and K caches. One workgroup per (query, head).
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "common/reduce.glsl"
#include "common/scores.glsl"
layout(std430, binding = 0) readonly buffer Q { float qc[]; };
layout(std430, binding = 1) readonly buffer K { float kc[]; };
layout(std430, binding = 2) writeonly buffer S { float stats[]; };
#ifdef SINKS
layout(std430, binding = 3) readonly buffer Sinks { float sinks[]; };  // per head (gpt-oss)
#endif
layout(push_constant) uniform Push {
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint q0;
  uint nq;
  uint out_offset;  // elements; output is [head][query][3] from here
  float scale;
  uint window;  // which keys a query sees: common/scores.glsl, window_first_key (0: all)
  float softcap;  // scores become softcap·tanh(s / softcap); 0: none
  float alibi_m0;  // ALiBi's slopes (common/scores.glsl, alibi_slope); 0: none
  float alibi_m1;
  uint q_first;   // the position of the Q buffer's first row (0: the cache; latent attention: the first query)
} p;

float score(uint qpos, uint head, uint j) {
  uint qo = (qpos - p.q_first) * p.n_heads * p.head_dim + head * p.head_dim;
  uint ko = j * p.n_kv_heads * p.head_dim + (head / (p.n_heads / p.n_kv_heads)) * p.head_dim;
  float s = 0.0;
  for (uint i = 0u; i < p.head_dim; ++i) s += qc[qo + i] * kc[ko + i];
  return soft_capped(s * p.scale, p.softcap) +
         alibi_bias(alibi_slope(p.alibi_m0, p.alibi_m1, p.n_heads, head), qpos, j);
}

void main() {
  uint r = gl_WorkGroupID.x, head = gl_WorkGroupID.y;
  uint qpos = p.q0 + r;
  uint lid = gl_LocalInvocationID.x;
  uint first = window_first_key(qpos, p.window);
  float mx = -3.402823466e38;
  for (uint j = first + lid; j <= qpos; j += WG) mx = max(mx, score(qpos, head, j));
  mx = workgroup_max(mx);
  // keys' probabilities e_j / total: with a sink (gpt-oss) the total also holds its share, which goes to no
  // key, so the largest is exp(key max − mx) / total and the keys' entropy ln(total)·keys/total − Σ e_j d_j / total
  float top = mx;
#ifdef SINKS
  mx = max(mx, sinks[head]);
#endif
  float sum = 0.0, weighted = 0.0;
  for (uint j = first + lid; j <= qpos; j += WG) {
    float d = score(qpos, head, j) - mx;
    float e = exp(d);
    sum += e;
    weighted += e * d;
  }
  sum = workgroup_sum(sum);
  weighted = workgroup_sum(weighted);
  float total = sum;
#ifdef SINKS
  total += exp(sinks[head] - mx);
#endif
  if (lid == 0u) {
    uint o = p.out_offset + (head * p.nq + r) * 3u;
    stats[o] = exp(top - mx) / total;
    stats[o + 1u] = log(total) * (sum / total) - weighted / total;
    stats[o + 2u] = first == 0u ? exp(score(qpos, head, 0u) - mx) / total : 0.0;
  }
}
