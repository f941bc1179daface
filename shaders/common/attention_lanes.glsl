// attention_v4.comp for CPU implementations (lavapipe): one invocation per (token, head), each walking all
// of its keys with an online softmax (running max, sum and output rescaled as the max grows), and q, k, v
// read through texel loads (one 16-byte load per lane; a storage-buffer load whose address differs per
// lane is a branchy per-lane loop per word on llvmpipe). No scores scratch, no cross-invocation sums and no
// barriers, which were most of the v4 kernel's cost there (4 workgroup sums per 4 output dimensions).
// Same inputs and outputs as attention.comp; q, k and v are bound again as 16-byte texels (bindings 6-8; 7-9
// with ROPE_STORE, whose RoPE frequency divisors take binding 6).
// ROPE_STORE (attention_lanes_rope_store.comp, decode steps of one token): also what rope_store.comp does, so
// the step needs one dispatch for both (on lavapipe each costs ~40 us of thread wake-ups): q, k and v of the
// token come from the q|k|v row (binding 6), each invocation rotates its head's q and its KV head's k, writes
// q into the Q cache (binding 4, instead of the unused scores) and, for the first head of each KV group, k and
// v into the caches; the current key is used from registers (other invocations may not have stored it yet).
// The rotation covers the whole head (n_rot = head_dim) or nothing (n_rot = 0).
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 8;
layout(constant_id = 1) const uint HD4 = 16;  // head_dim / 4
layout(std430, binding = 3) writeonly buffer O { float o[]; };
#ifdef ROPE_STORE
layout(std430, binding = 1) writeonly buffer KC { float kc[]; };
layout(std430, binding = 2) writeonly buffer VC { float vc[]; };
layout(std430, binding = 4) writeonly buffer QC { float qc[]; };
#endif
#define STATE_BINDING 5
#include "common/state.glsl"
#ifdef ROPE_STORE
#define ROPE_FACTORS_BINDING 6  // a storage buffer: before the texels (binding 7-9)
#include "common/rope_angle.glsl"
#define TEXEL_BINDING 7
#else
#define TEXEL_BINDING 6
#endif
layout(binding = TEXEL_BINDING, rgba32ui) readonly uniform uimageBuffer q_texels;
layout(binding = TEXEL_BINDING + 1, rgba32ui) readonly uniform uimageBuffer k_texels;
layout(binding = TEXEL_BINDING + 2, rgba32ui) readonly uniform uimageBuffer v_texels;
#include "common/attention_push.glsl"
#define fetch4(t, i) uintBitsToFloat(imageLoad(t, int(i)))

void main() {
  uint pair = gl_WorkGroupID.x * WG + gl_LocalInvocationID.x;
  uint t = pair / p.n_heads, h = pair % p.n_heads;
  bool live = t < st.n_tokens;  // invocations past the last pair redo the last token and store nothing
  t = min(t, st.n_tokens - 1u);
  uint n_keys = st.n_past + t + 1u;
  uint kvh = h / (p.n_heads / p.n_kv_heads);
  uint kv_row = p.n_kv_heads * p.head_dim / 4u;  // texels per cached position
  uint kv0 = (p.kv_offset + kvh * p.head_dim) / 4u;

  vec4 q[HD4];
  uint qo = (p.q_offset + t * p.q_stride + h * p.head_dim) / 4u;
  [[unroll]] for (uint i = 0u; i < HD4; ++i) q[i] = fetch4(q_texels, qo + i);
#ifdef ROPE_STORE
  vec4 k_now[HD4], v_now[HD4];  // this token's key and value (the last of its keys)
  uint ko_now = (p.k_offset + kvh * p.head_dim) / 4u, vo_now = (p.v_offset + kvh * p.head_dim) / 4u;
  [[unroll]] for (uint i = 0u; i < HD4; ++i) {
    k_now[i] = fetch4(q_texels, ko_now + i);
    v_now[i] = fetch4(q_texels, vo_now + i);
  }
  if (p.n_rot != 0u) {  // as rope_store.comp
    uint pos = st.n_past + t;
    if (p.neox == 0u) {  // pairs (2i, 2i + 1): within a vec4
      [[unroll]] for (uint i = 0u; i < HD4; ++i) {
        vec2 th = vec2(rope_angle(pos, 2u * i), rope_angle(pos, 2u * i + 1u));
        vec4 c = cos(th).xxyy * rope_mscale(p.n_rot), s = sin(th).xxyy * rope_mscale(p.n_rot);
        q[i] = q[i] * c + vec4(-q[i].y, q[i].x, -q[i].w, q[i].z) * s;
        k_now[i] = k_now[i] * c + vec4(-k_now[i].y, k_now[i].x, -k_now[i].w, k_now[i].z) * s;
      }
    } else {  // pairs (i, i + head_dim/2): the same component of vec4s HD4/2 apart
      [[unroll]] for (uint i = 0u; i < HD4 / 2u; ++i) {
        vec4 th;
        [[unroll]] for (uint c = 0u; c < 4u; ++c)
          th[c] = rope_angle(pos, 4u * i + c);
        vec4 c = cos(th) * rope_mscale(p.n_rot), s = sin(th) * rope_mscale(p.n_rot);
        vec4 a = q[i], b = q[i + HD4 / 2u];
        q[i] = a * c - b * s;
        q[i + HD4 / 2u] = a * s + b * c;
        a = k_now[i];
        b = k_now[i + HD4 / 2u];
        k_now[i] = a * c - b * s;
        k_now[i + HD4 / 2u] = a * s + b * c;
      }
    }
  }
  if (live) {  // into the caches at this token's position
    uint pos = st.n_past + t;
    uint qd = p.q_cache_offset + pos * p.n_heads * p.head_dim + h * p.head_dim;
    uint kd = p.kv_offset + pos * p.n_kv_heads * p.head_dim + kvh * p.head_dim;
    bool first_of_group = h % (p.n_heads / p.n_kv_heads) == 0u;
    [[unroll]] for (uint i = 0u; i < HD4; ++i) {
      [[unroll]] for (uint c = 0u; c < 4u; ++c) {
        qc[qd + 4u * i + c] = q[i][c];
        if (first_of_group) {
          kc[kd + 4u * i + c] = k_now[i][c];
          vc[kd + 4u * i + c] = v_now[i][c];
        }
      }
    }
  }
  n_keys -= 1u;  // the cached keys; the current one follows from registers
#endif
  [[unroll]] for (uint i = 0u; i < HD4; ++i) q[i] *= p.scale;

  float slope = head_slope(h), mx = -3.402823466e38, sum = 0.0;
  vec4 acc[HD4];
  [[unroll]] for (uint i = 0u; i < HD4; ++i) acc[i] = vec4(0.0);
  for (uint j = first_key(st.n_past + t); j < n_keys; ++j) {
    uint ko = kv0 + j * kv_row;
    vec4 s4 = vec4(0.0);
    [[unroll]] for (uint i = 0u; i < HD4; ++i) s4 += q[i] * fetch4(k_texels, ko + i);
    float s = capped((s4.x + s4.y) + (s4.z + s4.w)) + alibi_bias(slope, st.n_past + t, j);
    float m = max(mx, s);
    float c = exp(mx - m), e = exp(s - m);
    sum = sum * c + e;
    mx = m;
    [[unroll]] for (uint i = 0u; i < HD4; ++i) acc[i] = acc[i] * c + e * fetch4(v_texels, ko + i);
  }
#ifdef ROPE_STORE
  {  // the current key, as one more step of the loop
    vec4 s4 = vec4(0.0);
    [[unroll]] for (uint i = 0u; i < HD4; ++i) s4 += q[i] * k_now[i];
    float s = capped((s4.x + s4.y) + (s4.z + s4.w));  // (its own position: no ALiBi bias)
    float m = max(mx, s);
    float c = exp(mx - m), e = exp(s - m);
    sum = sum * c + e;
    [[unroll]] for (uint i = 0u; i < HD4; ++i) acc[i] = acc[i] * c + e * v_now[i];
  }
#endif
  if (live) {
    uint oo = t * p.o_stride + h * p.head_dim;
    [[unroll]] for (uint i = 0u; i < HD4; ++i) {
      vec4 r = acc[i] / sum;
      o[oo + 4u * i] = r.x;
      o[oo + 4u * i + 1u] = r.y;
      o[oo + 4u * i + 2u] = r.z;
      o[oo + 4u * i + 3u] = r.w;
    }
  }
}
