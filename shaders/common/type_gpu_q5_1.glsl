// q5_1 repacked (gpu_layout.glsl): quants = qs[16] per block (as q4_0); aux1 = qh (bit i: 5th bit of
// element i); aux2 = f16 d, f16 m. x = d*q + m.
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 16u;
const uint AUX1 = 4u;
const uint AUX2 = 4u;
const uint CHUNK = 16u;
#include "common/gpu_layout.glsl"
#include "common/gpu_block32.glsl"
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint blk = (rb >> 4) + (c >> 1);
  uint qh = w[(w_aux >> 2) + blk];
  vec2 dm = unpackHalf2x16(w[(gpu_aux2() >> 2) + blk]);
  uvec4 q = w4[blk];
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    vec4 f = u8x4(q5_bytes(q[j], qh, j, c & 1u));
    [[unroll]] for (uint k = 0u; k < 4u; ++k) v[4u * j + k] = dm.x * f[k] + dm.y;
  }
}
#ifdef GPU_MATVEC
struct Raw {
  uvec4 q;
  uint qh;
  uint dm;
};
Raw load_unit(uint blk, uint u) { return Raw(w4[blk], w[(w_aux >> 2) + blk], w[(gpu_aux2() >> 2) + blk]); }
// sum((d q + m) x) with f = 1 + q/32: d * 32 (sum(f x) - sum(x)) + m sum(x)
float dot_unit(Raw r, uint u, in vec4 xv[XV], vec4 xs) {
  vec4 s = q5_fx(r.q, r.qh, xv);
  vec2 dm = unpackHalf2x16(r.dm);
  return dm.x * 32.0 * (dot(s, vec4(1.0)) - xs.x) + dm.y * xs.x;
}
// Word lanes: word j of the block and the block's fifth bits.
struct Word {
  uint q;
  uint qh;
  uint dm;
};
Word load_word(uint blk, uint u, uint j) {
  return Word(w[4u * blk + j], w[(w_aux >> 2) + blk], w[(gpu_aux2() >> 2) + blk]);
}
float dot_word(Word r, uint u, uint j, in vec4 xv[XW]) {
  vec2 s = q5_fx_word(r.q, r.qh, j, xv);
  vec2 dm = unpackHalf2x16(r.dm);
  return dm.x * 32.0 * (s.x - s.y) + dm.y * s.y;
}
#endif
