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
void load_x(uint xb, uint u, out vec4 xv[XV]) {
  [[unroll]] for (uint j = 0u; j < 8u; ++j) xv[j] = x4[xb + j];
}
float unit_dot(uint blk, uint u, in vec4 xv[XV]) {
  uvec4 q = w4[blk];
  uint qh = w[(w_aux >> 2) + blk];
  vec2 dm = unpackHalf2x16(w[(gpu_aux2() >> 2) + blk]);
  float s = 0.0, sx = 0.0;
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    s += dot(u8x4(q5_bytes(q[j], qh, j, 0u)), xv[j]) + dot(u8x4(q5_bytes(q[j], qh, j, 1u)), xv[4u + j]);
    sx += dot(vec4(1.0), xv[j]) + dot(vec4(1.0), xv[4u + j]);
  }
  return dm.x * s + dm.y * sx;
}
#endif
