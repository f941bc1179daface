// Push constants of the attention kernels (attention.comp, attention_v4.comp, common/attention_lanes.glsl,
// common/attention_gpu_body.glsl). Twin of AttentionPush (and, with ROPE_STORE, AttentionRopeStorePush) in
// inference/vulkan/ops.cpp.
layout(push_constant) uniform Push {
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint q_stride;   // elements between tokens in Q (heads are contiguous within a token)
  uint q_offset;
  uint o_stride;
  uint kv_offset;  // element offset of this layer in the K and V caches
  uint n_ctx;      // scratch row length (cache capacity; the lanes kernels keep no scratch)
  float scale;
  uint window;  // which keys a query sees: common/scores.glsl, window_first_key (0: all)
  float softcap;  // scores become softcap·tanh(s / softcap) (gemma2); 0: none
  float alibi_m0;  // ALiBi's slopes (common/scores.glsl, alibi_slope); 0: none
  float alibi_m1;
#ifdef ROPE_STORE
  uint k_offset;  // elements into the q|k|v row: this token's k and v
  uint v_offset;
  uint q_cache_offset;
  uint n_rot;  // rotated dims per head (even; 0: no RoPE; the lanes kernel: head_dim or 0)
  uint neox;
#endif
} p;

#include "common/scores.glsl"

// A scaled score after soft-capping.
float capped(float s) {
  return soft_capped(s, p.softcap);
}

// Head h's ALiBi slope (0: none); its bias for query position qpos and key position kpos is
// alibi_bias(slope, qpos, kpos).
float head_slope(uint h) {
  return alibi_slope(p.alibi_m0, p.alibi_m1, p.n_heads, h);
}

// The first key a query at position pos sees.
uint first_key(uint pos) {
  return window_first_key(pos, p.window);
}
