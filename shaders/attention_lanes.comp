#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// attention_v4.comp for CPU implementations (lavapipe): one invocation per (token, head), each walking all
// of its keys with an online softmax (running max, sum and output rescaled as the max grows), and q, k, v
// read through texel loads (one 16-byte load per lane; a storage-buffer load whose address differs per
// lane is a branchy per-lane loop per word on llvmpipe). No scores scratch, no cross-invocation sums and no
// barriers, which were most of the v4 kernel's cost there (4 workgroup sums per 4 output dimensions).
// Same inputs and outputs as attention.comp; q, k and v are bound again as 16-byte texels (bindings 6-8).
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 8;
layout(constant_id = 1) const uint HD4 = 16;  // head_dim / 4
layout(std430, binding = 3) writeonly buffer O { float o[]; };
#define STATE_BINDING 5
#include "common/state.glsl"
layout(binding = 6, rgba32ui) readonly uniform uimageBuffer q_texels;
layout(binding = 7, rgba32ui) readonly uniform uimageBuffer k_texels;
layout(binding = 8, rgba32ui) readonly uniform uimageBuffer v_texels;
layout(push_constant) uniform Push {
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint q_stride;   // elements between tokens in Q (heads are contiguous within a token)
  uint q_offset;
  uint o_stride;
  uint kv_offset;  // element offset of this layer in the K and V caches
  uint n_ctx;      // scratch row length (unused here)
  float scale;
} p;

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
  [[unroll]] for (uint i = 0u; i < HD4; ++i) q[i] = fetch4(q_texels, qo + i) * p.scale;

  float mx = -3.402823466e38, sum = 0.0;
  vec4 acc[HD4];
  [[unroll]] for (uint i = 0u; i < HD4; ++i) acc[i] = vec4(0.0);
  for (uint j = 0u; j < n_keys; ++j) {
    uint ko = kv0 + j * kv_row;
    vec4 s4 = vec4(0.0);
    [[unroll]] for (uint i = 0u; i < HD4; ++i) s4 += q[i] * fetch4(k_texels, ko + i);
    float s = (s4.x + s4.y) + (s4.z + s4.w);
    float m = max(mx, s);
    float c = exp(mx - m), e = exp(s - m);
    sum = sum * c + e;
    mx = m;
    [[unroll]] for (uint i = 0u; i < HD4; ++i) acc[i] = acc[i] * c + e * fetch4(v_texels, ko + i);
  }
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
