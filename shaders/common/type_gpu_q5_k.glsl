// q5_K repacked (gpu_layout.glsl): quants = qs[128] then qh[32] per block (160 bytes); aux1 = the block's
// first 16 bytes (f16 d, f16 dmin, scales[12]). As q4_K plus a 5th bit: bit t of qh[l] for sub-block t.
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 160u;
const uint AUX1 = 16u;
const uint AUX2 = 0u;
const uint CHUNK = 16u;
#include "common/gpu_layout.glsl"
#include "common/gpu_k_scales.glsl"
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint blk = rb / 160u + (c >> 4);
  uint s = c & 15u;
  uint t = s >> 1;
  uvec4 a = w4[(w_aux >> 4) + blk];
  float sc, mn;
  gpu_scale_min_k4(a, t, sc, mn);
  vec2 dm = unpackHalf2x16(a.x);
  float dl = dm.x * sc, ml = dm.y * mn;
  uvec4 q = w4[10u * blk + 2u * (t >> 1) + (s & 1u)];
  uvec4 qh = w4[10u * blk + 8u + (s & 1u)];
  uint shift = (t & 1u) * 4u;
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    vec4 f = u8x4(((q[j] >> shift) & 0x0f0f0f0fu) | (((qh[j] >> t) & 0x01010101u) << 4));
    [[unroll]] for (uint k = 0u; k < 4u; ++k) v[4u * j + k] = dl * f[k] - ml;
  }
}
#ifdef GPU_MATVEC
// Mat-vec unit u (8 per block) as q4_K's, plus the qh piece of its 16 columns (l0 = 16(u%2)).
struct Raw {
  uvec4 q;
  uvec4 qh;
  uvec4 a;
};
Raw load_unit(uint blk, uint u) { return Raw(w4[10u * blk + u], w4[10u * blk + 8u + (u & 1u)], w4[(w_aux >> 4) + blk]); }
// as q4_K with 5-bit q: sum(q x) = 32 (sum(f x) - sum(x)), f = 1 + q/32
float dot_unit(Raw r, uint u, in vec4 xv[XV], vec4 xs) {
  uint g = u >> 1;
  float sc0, mn0, sc1, mn1;
  gpu_scale_min_k4(r.a, 2u * g, sc0, mn0);
  gpu_scale_min_k4(r.a, 2u * g + 1u, sc1, mn1);
  vec2 dm = unpackHalf2x16(r.a.x);
  vec4 lo = vec4(0.0), hi = vec4(0.0);
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    lo += unit4((r.q[j] & 0x0f0f0f0fu) | (((r.qh[j] >> (2u * g)) & 0x01010101u) << 4), 0, 5) * xv[j];
    hi += unit4(((r.q[j] >> 4) & 0x0f0f0f0fu) | (((r.qh[j] >> (2u * g + 1u)) & 0x01010101u) << 4), 0, 5) * xv[4u + j];
  }
  float qlo = 32.0 * (dot(lo, vec4(1.0)) - xs.x), qhi = 32.0 * (dot(hi, vec4(1.0)) - xs.y);
  return dm.x * (sc0 * qlo + sc1 * qhi) - dm.y * (mn0 * xs.x + mn1 * xs.y);
}
// Word lanes: word j of unit u, the matching word of its qh piece and the block's scales.
struct Word {
  uint q;
  uint qh;
  uvec4 a;
};
Word load_word(uint blk, uint u, uint j) {
  return Word(w[4u * (10u * blk + u) + j], w[4u * (10u * blk + 8u + (u & 1u)) + j], w4[(w_aux >> 4) + blk]);
}
float dot_word(Word r, uint u, uint j, in vec4 xv[XW]) {
  uint g = u >> 1;
  uint lo = (r.q & 0x0f0f0f0fu) | (((r.qh >> (2u * g)) & 0x01010101u) << 4);
  uint hi = ((r.q >> 4) & 0x0f0f0f0fu) | (((r.qh >> (2u * g + 1u)) & 0x01010101u) << 4);
  return k_word(r.a, u, unit4(lo, 0, 5), unit4(hi, 0, 5), 32.0, xv);
}
#endif
