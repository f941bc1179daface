// attention_v4.comp for GPUs (head_dim / 4 <= WG): same inputs and outputs, but the weighted sum of values
// takes one workgroup reduction instead of one per 4 dimensions. Invocation (s, i), s < S = WG / (head_dim/4),
// accumulates dimensions 4i..4i+3 over keys s, s + S, ... (consecutive invocations read consecutive vec4s of
// a value row), then the S partial sums of each dimension quad are added through shared memory.
// ROPE_STORE (attention_gpu_rope_store.comp, decode steps of one token): also rope_store.comp's work, so that
// the step needs one dispatch and one barrier for both: each workgroup rotates its head's q and its KV head's
// k of this token (from the q|k|v row) into shared memory, writes q into the Q cache and, for the first head
// of each KV group, k and v into the caches; the current key and value are used from shared memory (another
// workgroup may not have stored them yet), the cached ones from the caches.
// SPLIT > 0 (ROPE_STORE only; split-K, "flash decoding"): the keys are split into runs of SPLIT, one
// workgroup per (run, head), so that a long context spreads over many workgroups instead of one per head.
// Each run's workgroup writes its softmax max, sum and unnormalized output to the split scratch (binding 7);
// the last of a head's workgroups to finish (a counter per head) rescales and adds them, writes the output
// and resets the counter. A context within one run takes the unsplit path. Only run 0 stores into the caches.
// SINKS (gpt-oss; attention_gpu_sinks.comp, attention_gpu_rope_store_sinks.comp): each head's sink logit
// (binding 6, or 9 with ROPE_STORE) joins its softmax's denominator without a value: the output is the
// weighted values over (sum + e^(sink - max)), all shifted to the larger of the scores' max and the sink.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 128;
#include "common/reduce.glsl"
#ifdef ROPE_STORE
layout(std430, binding = 0) readonly buffer QKV { float qkv[]; };  // this token's q|k|v row (and more)
layout(std430, binding = 1) buffer K { vec4 kc[]; };
layout(std430, binding = 2) buffer V { vec4 vc[]; };
layout(std430, binding = 6) writeonly buffer QC { float qcache[]; };
layout(std430, binding = 1) buffer KF { float kcf[]; };  // the same caches, element by element
layout(std430, binding = 2) buffer VF { float vcf[]; };
layout(constant_id = 1) const uint SPLIT = 0;  // keys per workgroup; 0: one workgroup per head
// split scratch: a counter per head (n_heads rounded up to 4), then (max, sum) per head and run, then
// head_dim partial outputs per head and run (runs: gl_NumWorkGroups.x)
layout(std430, binding = 7) coherent buffer SplitCount { uint split_count[]; };
layout(std430, binding = 7) coherent buffer SplitF { float split_f[]; };
shared bool last_run;
#else
layout(std430, binding = 0) readonly buffer Q { vec4 q[]; };
layout(std430, binding = 1) readonly buffer K { vec4 kc[]; };
layout(std430, binding = 2) readonly buffer V { vec4 vc[]; };
#endif
layout(std430, binding = 3) writeonly buffer O { vec4 o[]; };
layout(std430, binding = 4) buffer Scores { float sc[]; };
#define STATE_BINDING 5
#include "common/state.glsl"
#include "common/attention_push.glsl"
#ifdef SINKS
#ifdef ROPE_STORE
layout(std430, binding = 9) readonly buffer Sinks { float sinks[]; };
#else
layout(std430, binding = 6) readonly buffer Sinks { float sinks[]; };
#endif
#endif

shared vec4 partial[WG];
#ifdef ROPE_STORE
#define ROPE_FACTORS_BINDING 8
#include "common/rope_angle.glsl"
shared vec4 q_now[WG], k_now[WG], v_now[WG];  // this token's rotated q and k, and v (head_dim / 4 <= WG)
// one element of a shared vec4 array (a 32-bit store: invocations writing other elements of it do not race)
#define PUT(a, e, x) a[(e) / 4u][(e) % 4u] = (x)
#endif

void main() {
#ifdef ROPE_STORE
  uint t = 0u, run = gl_WorkGroupID.x;  // one token; x: the run of keys
#else
  uint t = gl_WorkGroupID.x;
#endif
  uint h = gl_WorkGroupID.y;
  uint lid = gl_LocalInvocationID.x;
  uint n_keys = st.n_past + t + 1u, first = first_key(n_keys - 1u);
  uint j0 = first, j1 = n_keys, runs = 1u;  // this workgroup's keys [j0, j1)
#ifdef ROPE_STORE
  if (SPLIT != 0u) {  // runs of SPLIT keys from the first one the query sees
    runs = (n_keys - first + SPLIT - 1u) / SPLIT;
    if (run >= runs) return;  // past the context (uniform: before any barrier)
    j0 = first + run * SPLIT;
    j1 = min(n_keys, j0 + SPLIT);
  }
#endif
  uint kvh = h / (p.n_heads / p.n_kv_heads);
  uint kv_row4 = p.n_kv_heads * p.head_dim / 4u;
  uint d4 = p.head_dim / 4u;
  uint kvo = (p.kv_offset + kvh * p.head_dim) / 4u;
  uint so = (t * p.n_heads + h) * p.n_ctx;
#ifdef ROPE_STORE
  // as rope_store.comp, pair by pair: dims (2i, 2i + 1), or (i, i + n_rot/2) with neox; past n_rot copied
  uint pos = st.n_past + t;
  uint cur = n_keys - 1u;  // this token's key
  uint qs = p.q_offset + h * p.head_dim, ks = p.k_offset + kvh * p.head_dim, vs = p.v_offset + kvh * p.head_dim;
  uint qd = p.q_cache_offset + pos * p.n_heads * p.head_dim + h * p.head_dim;
  uint kd = p.kv_offset + pos * p.n_kv_heads * p.head_dim + kvh * p.head_dim;
  bool first_of_group = h % (p.n_heads / p.n_kv_heads) == 0u && run == 0u;
  bool store_q = run == 0u;
  uint half_rot = p.n_rot / 2u;
  for (uint i = lid; i < p.head_dim / 2u; i += WG) {
    bool rotate = i < half_rot;
    uint o0 = rotate && p.neox != 0u ? i : 2u * i;
    uint o1 = rotate && p.neox != 0u ? i + half_rot : 2u * i + 1u;
    float c = 1.0, sn = 0.0;
    if (rotate) {
      float theta = rope_angle(pos, i);
      c = cos(theta) * rope_mscale(p.n_rot);
      sn = sin(theta) * rope_mscale(p.n_rot);
    }
    float x0 = qkv[qs + o0], x1 = qkv[qs + o1];
    float q0 = rotate ? x0 * c - x1 * sn : x0, q1 = rotate ? x0 * sn + x1 * c : x1;
    x0 = qkv[ks + o0];
    x1 = qkv[ks + o1];
    float k0 = rotate ? x0 * c - x1 * sn : x0, k1 = rotate ? x0 * sn + x1 * c : x1;
    PUT(q_now, o0, q0);
    PUT(q_now, o1, q1);
    PUT(k_now, o0, k0);
    PUT(k_now, o1, k1);
    PUT(v_now, 2u * i, qkv[vs + 2u * i]);
    PUT(v_now, 2u * i + 1u, qkv[vs + 2u * i + 1u]);
    if (store_q) {
      qcache[qd + o0] = q0;
      qcache[qd + o1] = q1;
    }
    if (first_of_group) {
      kcf[kd + o0] = k0;
      kcf[kd + o1] = k1;
      vcf[kd + 2u * i] = qkv[vs + 2u * i];
      vcf[kd + 2u * i + 1u] = qkv[vs + 2u * i + 1u];
    }
  }
  barrier();  // q_now, k_now and v_now complete (shared memory)
#else
  uint qo = (p.q_offset + t * p.q_stride + h * p.head_dim) / 4u;
#endif

  float slope = head_slope(h), mx = -3.402823466e38;
  for (uint j = j0 + lid; j < j1; j += WG) {
    uint ko = kvo + j * kv_row4;
    float s = 0.0;
#ifdef ROPE_STORE
    if (j == cur)
      for (uint i = 0u; i < d4; ++i) s += dot(q_now[i], k_now[i]);
    else
      for (uint i = 0u; i < d4; ++i) s += dot(q_now[i], kc[ko + i]);
#else
    for (uint i = 0u; i < d4; ++i) s += dot(q[qo + i], kc[ko + i]);
#endif
    s = capped(s * p.scale) + alibi_bias(slope, n_keys - 1u, j);
    sc[so + j] = s;
    mx = max(mx, s);
  }
  mx = workgroup_max(mx);
  float sum = 0.0;
  for (uint j = j0 + lid; j < j1; j += WG) {  // the keys this invocation scored: no cross-invocation reads
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
    for (uint j = j0 + s; j < j1; j += slots) {
#ifdef ROPE_STORE
      vec4 v = j == cur ? v_now[i] : vc[kvo + j * kv_row4 + i];
#else
      vec4 v = vc[kvo + j * kv_row4 + i];
#endif
      acc += sc[so + j] * v;
    }
  partial[lid] = acc;
  barrier();
  vec4 total = vec4(0.0);
  if (lid < d4)
    for (uint k = 0u; k < slots; ++k) total += partial[k * d4 + lid];
  uint out4 = (t * p.o_stride + h * p.head_dim) / 4u + lid;
  if (runs == 1u) {
#ifdef SINKS
    // sum' = sum · e^(mx − m) + e^(sink − m), total' = total · e^(mx − m), m = max(mx, sink)
    float m = max(mx, sinks[h]), shift = exp(mx - m);
    if (lid < d4) o[out4] = total * shift / (sum * shift + exp(sinks[h] - m));
#else
    if (lid < d4) o[out4] = total / sum;
#endif
    return;
  }
#ifdef ROPE_STORE
  uint ms = gl_NumWorkGroups.x, nc = (p.n_heads + 3u) & ~3u;
  uint ml = nc + 2u * (h * ms + run), po = nc + 2u * p.n_heads * ms + (h * ms + run) * p.head_dim;
  if (lid < d4)
    for (uint c = 0u; c < 4u; ++c) split_f[po + 4u * lid + c] = total[c];
  if (lid == 0u) {
    split_f[ml] = mx;
    split_f[ml + 1u] = sum;
  }
  memoryBarrierBuffer();  // this run's partials before the count that publishes them
  barrier();
  if (lid == 0u) last_run = atomicAdd(split_count[h], 1u) == runs - 1u;
  barrier();
  if (!last_run) return;
  memoryBarrierBuffer();  // every run counted: their partials are written
  if (lid < d4) {
    uint b = nc + 2u * h * ms, bo = nc + 2u * p.n_heads * ms + h * ms * p.head_dim;
    float m = -3.402823466e38;
    for (uint r = 0u; r < runs; ++r) m = max(m, split_f[b + 2u * r]);
#ifdef SINKS
    m = max(m, sinks[h]);
    float l = exp(sinks[h] - m);
#else
    float l = 0.0;
#endif
    vec4 acc_o = vec4(0.0);
    for (uint r = 0u; r < runs; ++r) {
      float f = exp(split_f[b + 2u * r] - m);
      l += f * split_f[b + 2u * r + 1u];
      uint e = bo + r * p.head_dim + 4u * lid;
      acc_o += f * vec4(split_f[e], split_f[e + 1u], split_f[e + 2u], split_f[e + 3u]);
    }
    o[out4] = acc_o / l;
  }
  if (lid == 0u) split_count[h] = 0u;  // ready for the next step
#endif
}
