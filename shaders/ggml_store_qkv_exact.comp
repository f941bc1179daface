#version 450
// q, k (RoPE'd) and v of a step into the caches, rounded to fp16 (reference-compatible mode: llama.cpp's F16
// KV cache, and the query converted to fp16 for the F16 K·Q product). RoPE as ggml computes it: cos/sin come
// from the host (inference/cpu/ggml_kernels.cpp's θ sequence and the C library's cosf/sinf, which no GPU
// reproduces), the rotation is contracted to FMAs as GCC compiles it.
// Invocation (e, t): element e of [q | k | v] of token t.
#extension GL_GOOGLE_include_directive : require
#include "common/ggml_exact.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Q { float qsrc[]; };
layout(std430, binding = 1) readonly buffer K { float ksrc[]; };
layout(std430, binding = 2) readonly buffer V { float vsrc[]; };
layout(std430, binding = 3) readonly buffer T { float cs[]; };  // (n_tokens, n_rot/2, {cos, sin})
layout(std430, binding = 4) writeonly buffer QC { float qc[]; };
layout(std430, binding = 5) writeonly buffer KC { float kc[]; };
layout(std430, binding = 6) writeonly buffer VC { float vc[]; };

layout(push_constant) uniform P {
  uint q_dim, kv_dim, head_dim, n_rot, rope;  // rope: 0 none, 1 normal (2i, 2i+1), 2 NeoX (i, i + n_rot/2)
  uint q_stride, q_offset, k_stride, k_offset, v_stride, v_offset, n_past;
}
p;

float rotated(uint base, uint j, uint t, bool is_q) {
  const uint half_rot = p.n_rot / 2u;
  uint i, i0, i1;
  if (p.rope == 1u) {
    i = j / 2u;
    i0 = 2u * i;
    i1 = i0 + 1u;
  } else {
    i = j % half_rot;
    i0 = i;
    i1 = i + half_rot;
  }
  const float a = is_q ? qsrc[base + i0] : ksrc[base + i0];
  const float b = is_q ? qsrc[base + i1] : ksrc[base + i1];
  const float c = cs[(t * half_rot + i) * 2u], s = cs[(t * half_rot + i) * 2u + 1u];
  if (j == i0) {
    precise float bs = b * s;
    return ex_fma(a, c, -bs);
  }
  precise float bc = b * c;
  return ex_fma(a, s, bc);
}

void main() {
  const uint e = gl_GlobalInvocationID.x, t = gl_GlobalInvocationID.y;
  const uint pos = p.n_past + t;
  if (e < p.q_dim) {
    const uint j = e % p.head_dim, base = p.q_offset + t * p.q_stride + (e - j);
    const float v = (p.rope != 0u && j < p.n_rot) ? rotated(base, j, t, true) : qsrc[base + j];
    qc[pos * p.q_dim + e] = ex_round_fp16(v);
  } else if (e < p.q_dim + p.kv_dim) {
    const uint ek = e - p.q_dim, j = ek % p.head_dim, base = p.k_offset + t * p.k_stride + (ek - j);
    const float v = (p.rope != 0u && j < p.n_rot) ? rotated(base, j, t, false) : ksrc[base + j];
    kc[pos * p.kv_dim + ek] = ex_round_fp16(v);
  } else if (e < p.q_dim + 2u * p.kv_dim) {
    const uint ev = e - p.q_dim - p.kv_dim;
    vc[pos * p.kv_dim + ev] = ex_round_fp16(vsrc[p.v_offset + t * p.v_stride + ev]);
  }
}
