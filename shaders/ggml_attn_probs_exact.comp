#version 450
// Causal attention probabilities of one (token, head) per invocation, as llama.cpp computes them without
// flash attention over an F16 cache: K·Q in ggml's 8 lanes, scale, ggml's exp approximation, f32 sums of 8
// added in double, a multiply by the f32 reciprocal, and the probabilities rounded to fp16 for the F16 V
// product.
#extension GL_GOOGLE_include_directive : require
#include "common/ggml_exact.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer QC { float qc[]; };
layout(std430, binding = 1) readonly buffer KC { float kc[]; };
layout(std430, binding = 2) buffer S { float att[]; };  // (n_tokens, n_heads, n_ctx)

layout(push_constant) uniform P {
  uint n_heads, n_kv_heads, head_dim, n_ctx, n_past, n_tokens;
  float scale;
}
p;

void main() {
  const uint h = gl_GlobalInvocationID.x, t = gl_GlobalInvocationID.y;
  if (h >= p.n_heads) return;
  const uint pos = p.n_past + t, kvh = h / (p.n_heads / p.n_kv_heads);
  const uint q_dim = p.n_heads * p.head_dim, kv_dim = p.n_kv_heads * p.head_dim;
  const uint qo = pos * q_dim + h * p.head_dim, so = (t * p.n_heads + h) * p.n_ctx;
  float mx = uintBitsToFloat(0xFF800000u);
  for (uint j = 0; j <= pos; ++j) {
    const uint ko = j * kv_dim + kvh * p.head_dim;
    float acc[8] = float[8](0, 0, 0, 0, 0, 0, 0, 0);
    for (uint i = 0; i < p.head_dim; ++i) acc[i & 7u] = ex_fma(qc[qo + i], kc[ko + i], acc[i & 7u]);
    precise float s = ex_hsum8(acc) * p.scale;
    att[so + j] = s;
    mx = max(mx, s);
  }
  // ggml_vec_soft_max_f32: each group of 8 keys summed in f32 (ggml's horizontal sum), the group sums in
  // double; masked keys past pos complete the last group with exp(-inf) = 0.
  precise double sum = 0.0;
  for (uint j0 = 0; j0 <= pos; j0 += 8u) {
    float group[8] = float[8](0, 0, 0, 0, 0, 0, 0, 0);
    for (uint j = j0; j < min(j0 + 8u, pos + 1u); ++j) {
      precise float d = att[so + j] - mx;
      const float e = ex_expf(d);
      att[so + j] = e;
      group[j - j0] = e;
    }
    sum += double(ex_hsum8(group));
  }
  precise double invd = 1.0 / sum;
  const float inv = float(invd);
  for (uint j = 0; j <= pos; ++j) {
    precise float v = att[so + j] * inv;
    att[so + j] = ex_round_fp16(v);
  }
}
