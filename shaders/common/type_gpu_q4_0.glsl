// q4_0 repacked (gpu_layout.glsl): quants = qs[16] per block (element i<16: low nibble of byte i, i>=16:
// high nibble of byte i-16); aux1 = f16 d per block. x = d * (nibble - 8).
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 16u;
const uint AUX1 = 2u;
const uint AUX2 = 0u;
const uint CHUNK = 16u;
#include "common/gpu_layout.glsl"
#include "common/gpu_block32.glsl"
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint blk = (rb >> 4) + (c >> 1);
  float d = w_f16(w_aux + 2u * blk);
  uvec4 q = w4[blk];
  uint shift = (c & 1u) * 4u;
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    vec4 f = u8x4((q[j] >> shift) & 0x0f0f0f0fu) - 8.0;
    [[unroll]] for (uint k = 0u; k < 4u; ++k) v[4u * j + k] = d * f[k];
  }
}
#ifdef GPU_MATVEC
struct Raw {
  uvec4 q;
  float d;
};
Raw load_unit(uint blk, uint u) { return Raw(w4[blk], w_f16(w_aux + 2u * blk)); }
// d * sum((q - 8) x) with f = 1 + q/16: d * (16 sum(f x) - 24 sum(x))
float dot_unit(Raw r, uint u, in vec4 xv[XV], vec4 xs) {
  vec4 s = q4_fx(r.q, xv);
  return r.d * (16.0 * dot(s, vec4(1.0)) - 24.0 * xs.x);
}
// Word lanes: word j of the block.
struct Word {
  uint q;
  float d;
};
Word load_word(uint blk, uint u, uint j) { return Word(w[4u * blk + j], w_f16(w_aux + 2u * blk)); }
float dot_word(Word r, uint u, uint j, in vec4 xv[XW]) {
  vec2 s = q4_fx_word(r.q, xv);
  return r.d * (16.0 * s.x - 24.0 * s.y);
}
#endif
