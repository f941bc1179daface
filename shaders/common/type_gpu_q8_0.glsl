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
void load_x(uint xb, uint u, out vec4 xv[XV]) {
  [[unroll]] for (uint j = 0u; j < 4u; ++j) xv[j] = x4[xb + 4u * u + j];
}
float unit_dot(uint blk, uint u, in vec4 xv[XV]) {
  uvec4 q = w4[2u * blk + u];
  float d = w_f16(w_aux + 2u * blk);
  float s = 0.0;
  [[unroll]] for (uint j = 0u; j < 4u; ++j) s += dot(i8x4(q[j]), xv[j]);
  return d * s;
}
#endif
