// q4_1 repacked (gpu_layout.glsl): quants = qs[16] per block (as q4_0); aux1 = f16 d, f16 m. x = d*q + m.
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 16u;
const uint AUX1 = 4u;
const uint AUX2 = 0u;
const uint CHUNK = 16u;
#include "common/gpu_layout.glsl"
#include "common/gpu_block32.glsl"
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint blk = (rb >> 4) + (c >> 1);
  vec2 dm = unpackHalf2x16(w[(w_aux >> 2) + blk]);
  uvec4 q = w4[blk];
  uint shift = (c & 1u) * 4u;
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    vec4 f = u8x4((q[j] >> shift) & 0x0f0f0f0fu);
    [[unroll]] for (uint k = 0u; k < 4u; ++k) v[4u * j + k] = dm.x * f[k] + dm.y;
  }
}
#ifdef GPU_MATVEC
struct Raw {
  uvec4 q;
  uint dm;
};
Raw load_unit(uint blk, uint u) { return Raw(w4[blk], w[(w_aux >> 2) + blk]); }
// sum((d q + m) x) with f = 1 + q/16: d * 16 (sum(f x) - sum(x)) + m sum(x)
float dot_unit(Raw r, uint u, in vec4 xv[XV], vec4 xs) {
  vec4 s = q4_fx(r.q, xv);
  vec2 dm = unpackHalf2x16(r.dm);
  return dm.x * 16.0 * (dot(s, vec4(1.0)) - xs.x) + dm.y * xs.x;
}
// Word lanes: word j of the block.
struct Word {
  uint q;
  uint dm;
};
Word load_word(uint blk, uint u, uint j) { return Word(w[4u * blk + j], w[(w_aux >> 2) + blk]); }
float dot_word(Word r, uint u, uint j, in vec4 xv[XW]) {
  vec2 s = q4_fx_word(r.q, xv);
  vec2 dm = unpackHalf2x16(r.dm);
  return dm.x * 16.0 * (s.x - s.y) + dm.y * s.y;
}
#endif
