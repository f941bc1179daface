// q4_K (144 bytes / 256): f16 d, f16 dmin; u8 scales[12]; u8 qs[128]. Sub-block t (32 elements) = group
// g = t/2 of 64, nibble t%2 of qs[32g + l]; x = d*sc[t]*q - dmin*m[t].
#include "common/kscale.glsl"
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 144u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint s = c & 15u;
  uint t = s >> 1;
  float sc, mn;
  scale_min_k4(b + 4u, t, sc, mn);
  float dl = w_f16(b) * sc;
  float ml = w_f16(b + 2u) * mn;
  uint q = b + 16u + 32u * (t >> 1) + 16u * (s & 1u);
  uint shift = (t & 1u) * 4u;
  [[unroll]] for (uint l = 0u; l < 16u; ++l) v[l] = dl * float((w_u8(q + l) >> shift) & 15u) - ml;
}
