// iq4_xs (136 bytes / 256): f16 d; u16 scales_h (2 high bits of each 32 elements' 6-bit scale); u8
// scales_l[4] (their low 4 bits, two per byte); u8 qs[128] (per 32 elements 16 bytes as iq4_nl's). Value
// d·(scale − 32)·codebook. Chunk c = half h of sub-block ib (c = 2 ib + h within the block).
#include "common/codebook16.glsl"
const uvec4 IQ4_VALUES = uvec4(0xbfad9881u, 0xf6eaddcfu, 0x26190d01u, 0x71594535u);  // -127, -104, ..., 113
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 136u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint ib = (c & 15u) >> 1, shift = 4u * (c & 1u);
  uint ls = ((w_u8(b + 4u + (ib >> 1)) >> (4u * (ib & 1u))) & 15u) | (((w_u16(b + 2u) >> (2u * ib)) & 3u) << 4);
  float dl = w_f16(b) * float(int(ls) - 32);
  uint q = b + 8u + 16u * ib;
  [[unroll]] for (uint j = 0u; j < 16u; ++j) v[j] = dl * float(codebook16(IQ4_VALUES, (w_u8(q + j) >> shift) & 15u));
}
