// q5_0 repacked (gpu_layout.glsl): quants = qs[16] per block (as q4_0); aux1 = qh (bit i: 5th bit of
// element i); aux2 = f16 d. x = d * (q - 16).
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 16u;
const uint AUX1 = 4u;
const uint AUX2 = 2u;
const uint CHUNK = 16u;
#include "common/gpu_layout.glsl"
// Elements 4j..4j+3 (hi = 0) or 16+4j.. (hi = 1) of a block as bytes.
uint q5_bytes(uint qs, uint qh, uint j, uint hi) {
  return ((qs >> (4u * hi)) & 0x0f0f0f0fu) | (spread4((qh >> (16u * hi + 4u * j)) & 15u) << 4);
}
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
const uint UNITS = 1u;
const uint XV = 8u;
void load_x(uint xb, uint u, out vec4 xv[XV]) {
  [[unroll]] for (uint j = 0u; j < 8u; ++j) xv[j] = x4[xb + j];
}
float unit_dot(uint blk, uint u, in vec4 xv[XV]) {
  uvec4 q = w4[blk];
  uint qh = w[(w_aux >> 2) + blk];
  float d = w_f16(gpu_aux2() + 2u * blk);
  float s = 0.0;
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    s += dot(u8x4(q5_bytes(q[j], qh, j, 0u)) - 16.0, xv[j]);
    s += dot(u8x4(q5_bytes(q[j], qh, j, 1u)) - 16.0, xv[4u + j]);
  }
  return d * s;
}
#endif
