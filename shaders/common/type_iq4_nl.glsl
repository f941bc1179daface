// iq4_nl (18 bytes / 32): f16 d; u8 qs[16] (element j the low nibble of qs[j], j + 16 the high nibble of
// qs[j]), each nibble an index into the non-linear codebook below. Chunk c: half c & 1 of block c >> 1.
#include "common/codebook16.glsl"
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 18u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 1) * BLOCK_BYTES;
  uint shift = 4u * (c & 1u);
  float d = w_f16(b);
  codebook16_half(IQ4_VALUES, b + 2u, shift, d, v);
}
