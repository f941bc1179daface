// q5_0 repacked (gpu_layout.glsl): quants = qs[16] per block (as q4_0); aux1 = qh (bit i: 5th bit of
// element i); aux2 = f16 d. x = d * (q - 16).
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 16u;
const uint AUX1 = 4u;
const uint AUX2 = 2u;
const uint CHUNK = 16u;
#include "common/gpu_layout.glsl"
#include "common/gpu_block32.glsl"
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint blk = (rb >> 4) + (c >> 1);
  uint qh = w[(w_aux >> 2) + blk];
  float d = w_f16(gpu_aux2() + 2u * blk);
  uvec4 q = w4[blk];
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    vec4 f = u8x4(q5_bytes(q[j], qh, j, c & 1u)) - 16.0;
    [[unroll]] for (uint k = 0u; k < 4u; ++k) v[4u * j + k] = d * f[k];
  }
}
#ifdef GPU_MATVEC
struct Raw {
  uvec4 q;
  uint qh;
  float d;
};
Raw load_unit(uint blk, uint u) { return Raw(w4[blk], w[(w_aux >> 2) + blk], w_f16(gpu_aux2() + 2u * blk)); }
// d * sum((q - 16) x) with f = 1 + q/32: d * (32 sum(f x) - 48 sum(x))
float dot_unit(Raw r, uint u, in vec4 xv[XV], vec4 xs) {
  vec4 s = q5_fx(r.q, r.qh, xv);
  return r.d * (32.0 * dot(s, vec4(1.0)) - 48.0 * xs.x);
}
// Word lanes: word j of the block and the block's fifth bits.
struct Word {
  uint q;
  uint qh;
  float d;
};
Word load_word(uint blk, uint u, uint j) {
  return Word(w[4u * blk + j], w[(w_aux >> 2) + blk], w_f16(gpu_aux2() + 2u * blk));
}
float dot_word(Word r, uint u, uint j, in vec4 xv[XW]) {
  vec2 s = q5_fx_word(r.q, r.qh, j, xv);
  return r.d * (32.0 * s.x - 48.0 * s.y);
}
#endif
