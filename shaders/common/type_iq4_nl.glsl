// iq4_nl (18 bytes / 32): f16 d; u8 qs[16] (element j the low nibble of qs[j], j + 16 the high nibble of
// qs[j]), each nibble an index into the non-linear codebook below. Chunk c: half c & 1 of block c >> 1.
#include "common/codebook16.glsl"
const uvec4 IQ4_VALUES = uvec4(0xbfad9881u, 0xf6eaddcfu, 0x26190d01u, 0x71594535u);  // -127, -104, ..., 113
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 18u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 1) * BLOCK_BYTES;
  uint shift = 4u * (c & 1u);
  float d = w_f16(b);
  [[unroll]] for (uint j = 0u; j < 16u; ++j) v[j] = d * float(codebook16(IQ4_VALUES, (w_u8(b + 2u + j) >> shift) & 15u));
}
