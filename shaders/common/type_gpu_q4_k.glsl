// q4_K repacked (gpu_layout.glsl): quants = qs[128] per block; aux1 = the block's first 16 bytes (f16 d,
// f16 dmin, scales[12]). Sub-block t (32 elements) = group g = t/2 of 64, nibble t%2 of qs[32g + l];
// x = d*sc[t]*q - dmin*m[t].
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 128u;
const uint AUX1 = 16u;
const uint AUX2 = 0u;
const uint CHUNK = 16u;
#include "common/gpu_layout.glsl"
#include "common/gpu_k_scales.glsl"
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint blk = (rb >> 7) + (c >> 4);
  uint s = c & 15u;
  uint t = s >> 1;
  uvec4 a = w4[(w_aux >> 4) + blk];
  float sc, mn;
  gpu_scale_min_k4(a, t, sc, mn);
  vec2 dm = unpackHalf2x16(a.x);
  float dl = dm.x * sc, ml = dm.y * mn;
  uvec4 q = w4[8u * blk + 2u * (t >> 1) + (s & 1u)];
  uint shift = (t & 1u) * 4u;
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    vec4 f = u8x4((q[j] >> shift) & 0x0f0f0f0fu);
    [[unroll]] for (uint k = 0u; k < 4u; ++k) v[4u * j + k] = dl * f[k] - ml;
  }
}
#ifdef GPU_MATVEC
// Mat-vec unit u (8 per block): 16 bytes qs[32g + l0 .. +15] with g = u/2, l0 = 16(u%2): elements
// 64g + l0 + i (low nibbles, sub-block 2g) and 64g + 32 + l0 + i (high nibbles, sub-block 2g+1).
struct Raw {
  uvec4 q;
  uvec4 a;
};
Raw load_unit(uint blk, uint u) { return Raw(w4[8u * blk + u], w4[(w_aux >> 4) + blk]); }
// d sc sum(q x) - dmin m sum(x) per sub-block, with sum(q x) = 16 (sum(f x) - sum(x)), f = 1 + q/16
float dot_unit(Raw r, uint u, in vec4 xv[XV], vec4 xs) {
  float sc0, mn0, sc1, mn1;
  gpu_scale_min_k4(r.a, 2u * (u >> 1), sc0, mn0);
  gpu_scale_min_k4(r.a, 2u * (u >> 1) + 1u, sc1, mn1);
  vec2 dm = unpackHalf2x16(r.a.x);
  vec4 lo = vec4(0.0), hi = vec4(0.0);
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    lo += unit4(r.q[j], 0, 4) * xv[j];
    hi += unit4(r.q[j], 4, 4) * xv[4u + j];
  }
  float qlo = 16.0 * (dot(lo, vec4(1.0)) - xs.x), qhi = 16.0 * (dot(hi, vec4(1.0)) - xs.y);
  return dm.x * (sc0 * qlo + sc1 * qhi) - dm.y * (mn0 * xs.x + mn1 * xs.y);
}
// Word lanes: word j of unit u and the block's scales.
struct Word {
  uint q;
  uvec4 a;
};
Word load_word(uint blk, uint u, uint j) { return Word(w[4u * (8u * blk + u) + j], w4[(w_aux >> 4) + blk]); }
float dot_word(Word r, uint u, uint j, in vec4 xv[XW]) {
  return k_word(r.a, u, unit4(r.q, 0, 4), unit4(r.q, 4, 4), 16.0, xv);
}
#endif
