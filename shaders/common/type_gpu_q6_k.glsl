// q6_K repacked (gpu_layout.glsl): quants = ql[128] then qh[64] per block (192 bytes); aux1 = int8
// scales[16]; aux2 = f16 d. Half n (128 elements), quarter r (32), element l: low 4 bits = nibble r/2 of
// ql[64n + 32(r%2) + l], high 2 bits = qh[32n + l] >> 2r, scale = scales[8n + 2r + l/16]; x = d*scale*(q-32).
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 192u;
const uint AUX1 = 16u;
const uint AUX2 = 2u;
const uint CHUNK = 16u;
#include "common/gpu_layout.glsl"
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint blk = rb / 192u + (c >> 4);
  uint s = c & 15u;
  uint n = s >> 3, r = (s >> 1) & 3u, h = s & 1u;
  uvec4 a = w4[(w_aux >> 4) + blk];
  float dl = w_f16(gpu_aux2() + 2u * blk) * float(int(byte16(a, 8u * n + 2u * r + h) << 24) >> 24);
  uvec4 ql = w4[12u * blk + 4u * n + 2u * (r & 1u) + h];
  uvec4 qh = w4[12u * blk + 8u + 2u * n + h];
  uint sl = (r >> 1) * 4u, sh = 2u * r;
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    vec4 f = u8x4(((ql[j] >> sl) & 0x0f0f0f0fu) | (((qh[j] >> sh) & 0x03030303u) << 4)) - 32.0;
    [[unroll]] for (uint k = 0u; k < 4u; ++k) v[4u * j + k] = dl * f[k];
  }
}
#ifdef GPU_MATVEC
// Mat-vec unit u (4 per block): half n = u/2, l0 = 16(u%2): the 64 elements 128n + 32r + l0 + i (r < 4,
// i < 16) from ql pieces (n, 0, l0), (n, 1, l0) and qh piece (n, l0): three uvec4 loads.
const uint UNITS = 4u;
const uint XV = 16u;
struct Raw {
  uvec4 ql0, ql1, qh, a;
  float d;
};
Raw load_unit(uint blk, uint u) {
  uint n = u >> 1, h = u & 1u;
  return Raw(w4[12u * blk + 4u * n + h], w4[12u * blk + 4u * n + 2u + h], w4[12u * blk + 8u + 2u * n + h],
             w4[(w_aux >> 4) + blk], w_f16(gpu_aux2() + 2u * blk));
}
void load_x(uint xb, uint u, out vec4 xv[XV]) {
  uint o = xb + 32u * (u >> 1) + 4u * (u & 1u);
  [[unroll]] for (uint r = 0u; r < 4u; ++r)
    [[unroll]] for (uint j = 0u; j < 4u; ++j) xv[4u * r + j] = xin(o + 8u * r + j);
}
vec4 x_sums(in vec4 xv[XV]) {
  vec4 s;
  [[unroll]] for (uint r = 0u; r < 4u; ++r)
    s[r] = dot(sum4(xv[4u * r], xv[4u * r + 1u], xv[4u * r + 2u], xv[4u * r + 3u]), vec4(1.0));
  return s;
}
// d * sum_r scale_r sum((q - 32) x) with f = 1 + q/64: sum((q - 32) x) = 64 sum(f x) - 96 sum(x)
float dot_unit(Raw raw, uint u, in vec4 xv[XV], vec4 xs) {
  uint n = u >> 1, h = u & 1u;
  float s = 0.0;
  [[unroll]] for (uint r = 0u; r < 4u; ++r) {
    uvec4 ql = (r & 1u) == 0u ? raw.ql0 : raw.ql1;
    uint sl = (r >> 1) * 4u, sh = 2u * r;
    vec4 sr = vec4(0.0);
    [[unroll]] for (uint j = 0u; j < 4u; ++j)
      sr += unit4(((ql[j] >> sl) & 0x0f0f0f0fu) | (((raw.qh[j] >> sh) & 0x03030303u) << 4), 0, 6) * xv[4u * r + j];
    s += (64.0 * dot(sr, vec4(1.0)) - 96.0 * xs[r]) * float(int(byte16(raw.a, 8u * n + 2u * r + h) << 24) >> 24);
  }
  return raw.d * s;
}
// Word lanes: word j of the unit's three pieces; x texels o + 8r + j (r < 4): eight lanes on the two units
// of a half read 4 x 128 contiguous bytes of x.
const uint XW = 4u;
struct Word {
  uint ql0, ql1, qh;
  uvec4 a;
  float d;
};
Word load_word(uint blk, uint u, uint j) {
  uint n = u >> 1, h = u & 1u, b = 4u * (12u * blk) + j;
  return Word(w[b + 4u * (4u * n + h)], w[b + 4u * (4u * n + 2u + h)], w[b + 4u * (8u + 2u * n + h)],
              w4[(w_aux >> 4) + blk], w_f16(gpu_aux2() + 2u * blk));
}
void load_xw(uint xb, uint u, uint j, out vec4 xv[XW]) {
  uint o = xb + 32u * (u >> 1) + 4u * (u & 1u) + j;
  [[unroll]] for (uint r = 0u; r < 4u; ++r) xv[r] = xin(o + 8u * r);
}
float dot_word(Word raw, uint u, uint j, in vec4 xv[XW]) {
  uint n = u >> 1, h = u & 1u;
  float s = 0.0;
  [[unroll]] for (uint r = 0u; r < 4u; ++r) {
    uint ql = (r & 1u) == 0u ? raw.ql0 : raw.ql1;
    uint q = ((ql >> ((r >> 1) * 4u)) & 0x0f0f0f0fu) | (((raw.qh >> (2u * r)) & 0x03030303u) << 4);
    float sc = float(int(byte16(raw.a, 8u * n + 2u * r + h) << 24) >> 24);
    s += (64.0 * dot(unit4(q, 0, 6), xv[r]) - 96.0 * dot(xv[r], vec4(1.0))) * sc;
  }
  return raw.d * s;
}
#endif
