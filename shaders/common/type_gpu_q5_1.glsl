// q5_1 repacked (gpu_layout.glsl): quants = qs[16] per block (as q4_0); aux1 = qh (bit i: 5th bit of
// element i); aux2 = f16 d, f16 m. x = d*q + m.
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 16u;
const uint AUX1 = 4u;
const uint AUX2 = 4u;
const uint CHUNK = 16u;
#include "common/gpu_layout.glsl"
uint q5_bytes(uint qs, uint qh, uint j, uint hi) {
  return ((qs >> (4u * hi)) & 0x0f0f0f0fu) | (spread4((qh >> (16u * hi + 4u * j)) & 15u) << 4);
}
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
const uint UNITS = 1u;
const uint XV = 8u;
struct Raw {
  uvec4 q;
  uint qh;
  uint dm;
};
Raw load_unit(uint blk, uint u) { return Raw(w4[blk], w[(w_aux >> 2) + blk], w[(gpu_aux2() >> 2) + blk]); }
void load_x(uint xb, uint u, out vec4 xv[XV]) {
  [[unroll]] for (uint j = 0u; j < 8u; ++j) xv[j] = x4[xb + j];
}
vec4 x_sums(in vec4 xv[XV]) {
  return vec4(dot(sum4(xv[0], xv[1], xv[2], xv[3]) + sum4(xv[4], xv[5], xv[6], xv[7]), vec4(1.0)));
}
// sum((d q + m) x) with f = 1 + q/32: d * 32 (sum(f x) - sum(x)) + m sum(x)
float dot_unit(Raw r, uint u, in vec4 xv[XV], vec4 xs) {
  vec4 s = vec4(0.0);
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    s += unit4(q5_bytes(r.q[j], r.qh, j, 0u), 0, 5) * xv[j];
    s += unit4(q5_bytes(r.q[j], r.qh, j, 1u), 0, 5) * xv[4u + j];
  }
  vec2 dm = unpackHalf2x16(r.dm);
  return dm.x * 32.0 * (dot(s, vec4(1.0)) - xs.x) + dm.y * xs.x;
}
#endif
