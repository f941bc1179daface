#version 450
#extension GL_GOOGLE_include_directive : require
// This step's q and k rotated (RoPE) and q, k and v written into the Q, K and V caches at the step's positions
// (n_past + t from the step state), in one dispatch: on CPU implementations every dispatch costs a wake-up of
// the worker threads (~30 us on a 2-vCPU VM), which a RoPE and three stores per layer paid four times.
// q is also rotated in place (attention reads this step's queries from there); k and v are only read.
// Pairing: normal (llama: dims 2i, 2i+1) or NeoX (qwen2: dims i, i + n_rot/2); the angles from the RoPE table
// (binding 7, common/rope_angle.glsl); dims past n_rot (and all of them when n_rot is 0: no RoPE) are copied as
// they are.
// One invocation per (token, pair index i within a head), looping over the heads: the angle (cos, sin: the
// costly part on CPU implementations) depends on the position and i only, so it is computed once for all
// q and k heads. q, k and v may be views of one fused q|k|v buffer (bound three times; every element is read
// and written by one invocation only).
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
layout(std430, binding = 3) writeonly buffer QC { float qc[]; };
layout(std430, binding = 4) writeonly buffer KC { float kc[]; };
layout(std430, binding = 5) writeonly buffer VC { float vc[]; };
#define STATE_BINDING 6
#include "common/state.glsl"
#define ROPE_FACTORS_BINDING 7
#include "common/rope_angle.glsl"
// Hunyuan's q and k norms come after RoPE: RMSNorm commutes with the rotation (it keeps each head's sum of
// squares), so the heads arrive normalized with unit gains and the gains multiply each element after it is
// rotated (post_gain); otherwise these bindings are not read.
layout(std430, binding = 8) readonly buffer QG { float q_gain[]; };
layout(std430, binding = 9) readonly buffer KG { float k_gain[]; };
layout(push_constant) uniform Push {
  uint n_tokens;
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint n_rot;  // 0: no rotation
  uint neox;
  uint q_stride;  // elements between tokens in q, k and v
  uint q_offset;
  uint k_stride;
  uint k_offset;
  uint v_stride;
  uint v_offset;
  uint q_cache_offset;   // elements into the Q cache
  uint kv_cache_offset;  // elements into the K and V caches
  uint store_v;          // 0: v is not stored (latent attention: the V cache is the K cache)
  uint post_gain;        // 1: q and k times q_gain / k_gain (per element of a head) after the rotation
} p;

void main() {
  const uint half_hd = p.head_dim / 2u, half_rot = p.n_rot / 2u;
  uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
  if (idx >= p.n_tokens * half_hd) return;
  uint t = idx / half_hd, i = idx % half_hd;
  uint pos = st.n_past + t;
  uint q_dim = p.n_heads * p.head_dim, kv_dim = p.n_kv_heads * p.head_dim;
  bool rotate = i < half_rot;
  uint o0 = rotate && p.neox != 0u ? i : 2u * i;  // the pair's dims within a head
  uint o1 = rotate && p.neox != 0u ? i + half_rot : 2u * i + 1u;
  float c = 1.0, sn = 0.0;
  if (rotate) {
    float theta = rope_angle(pos, i);
    c = cos(theta) * rope_mscale(p.n_rot);
    sn = sin(theta) * rope_mscale(p.n_rot);
  }
  uint qs = p.q_offset + t * p.q_stride, qd = p.q_cache_offset + pos * q_dim;
  for (uint h = 0u; h < p.n_heads; ++h) {
    uint s = qs + h * p.head_dim, d = qd + h * p.head_dim;
    float x0 = q[s + o0], x1 = q[s + o1];
    float r0 = rotate ? x0 * c - x1 * sn : x0, r1 = rotate ? x0 * sn + x1 * c : x1;
    if (p.post_gain != 0u) {
      r0 *= q_gain[o0];
      r1 *= q_gain[o1];
    }
    if (rotate || p.post_gain != 0u) {
      q[s + o0] = r0;
      q[s + o1] = r1;
    }
    qc[d + o0] = r0;
    qc[d + o1] = r1;
  }
  uint ks = p.k_offset + t * p.k_stride, vs = p.v_offset + t * p.v_stride;
  uint kd = p.kv_cache_offset + pos * kv_dim;
  for (uint h = 0u; h < p.n_kv_heads; ++h) {
    uint s = ks + h * p.head_dim, d = kd + h * p.head_dim;
    float x0 = k[s + o0], x1 = k[s + o1];
    float r0 = rotate ? x0 * c - x1 * sn : x0, r1 = rotate ? x0 * sn + x1 * c : x1;
    if (p.post_gain != 0u) {
      r0 *= k_gain[o0];
      r1 *= k_gain[o1];
    }
    kc[d + o0] = r0;
    kc[d + o1] = r1;
    if (p.store_v == 0u) continue;
    uint sv = vs + h * p.head_dim;
    vc[d + 2u * i] = v[sv + 2u * i];
    vc[d + 2u * i + 1u] = v[sv + 2u * i + 1u];
  }
}
