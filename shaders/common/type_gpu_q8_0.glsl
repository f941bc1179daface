// q8_0 repacked (gpu_layout.glsl): quants = int8 qs[32] per block; aux1 = f16 d per block. x = d * q.
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 32u;
const uint AUX1 = 2u;
const uint AUX2 = 0u;
const uint CHUNK = 16u;
#include "common/gpu_layout.glsl"
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint blk = (rb >> 5) + (c >> 1);
  float d = w_f16(w_aux + 2u * blk);
  uvec4 q = w4[2u * blk + (c & 1u)];
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    vec4 f = i8x4(q[j]);
    [[unroll]] for (uint k = 0u; k < 4u; ++k) v[4u * j + k] = d * f[k];
  }
}
#ifdef GPU_MATVEC
// Mat-vec unit: half a block (16 bytes, 16 elements) per lane.
const uint UNITS = 2u;
const uint XV = 4u;
struct Raw {
  uvec4 q;
  float d;
};
Raw load_unit(uint blk, uint u) { return Raw(w4[2u * blk + u], w_f16(w_aux + 2u * blk)); }
void load_x(uint xb, uint u, out vec4 xv[XV]) {
  [[unroll]] for (uint j = 0u; j < 4u; ++j) xv[j] = xin(xb + 4u * u + j);
}
vec4 x_sums(in vec4 xv[XV]) { return vec4(dot(sum4(xv[0], xv[1], xv[2], xv[3]), vec4(1.0))); }
// d * sum(q x) with f = 1 + (q + 128)/256 (the sign bit flipped): d * (256 sum(f x) - 384 sum(x))
float dot_unit(Raw r, uint u, in vec4 xv[XV], vec4 xs) {
  vec4 s = vec4(0.0);
  [[unroll]] for (uint j = 0u; j < 4u; ++j) s += unit4(r.q[j] ^ 0x80808080u, 0, 8) * xv[j];
  return r.d * (256.0 * dot(s, vec4(1.0)) - 384.0 * xs.x);
}
// Word lanes: word j of unit u holds elements 16u + 4j..: x texel 4u + j. Eight lanes on one block read
// its 128 contiguous bytes of x.
const uint XW = 1u;
struct Word {
  uint q;
  float d;
};
Word load_word(uint blk, uint u, uint j) { return Word(w[4u * (2u * blk + u) + j], w_f16(w_aux + 2u * blk)); }
void load_xw(uint xb, uint u, uint j, out vec4 xv[XW]) { xv[0] = xin(xb + 4u * u + j); }
float dot_word(Word r, uint u, uint j, in vec4 xv[XW]) {
  return r.d * (256.0 * dot(unit4(r.q ^ 0x80808080u, 0, 8), xv[0]) - 384.0 * dot(xv[0], vec4(1.0)));
}
#endif
