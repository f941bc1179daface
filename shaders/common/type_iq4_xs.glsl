// iq4_xs (136 bytes / 256): f16 d; u16 scales_h (2 high bits of each 32 elements' 6-bit scale); u8
// scales_l[4] (their low 4 bits, two per byte); u8 qs[128] (per 32 elements 16 bytes as iq4_nl's). Value
// d·(scale − 32)·codebook. Chunk c = half h of sub-block ib (c = 2 ib + h within the block).
#include "common/codebook16.glsl"
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 136u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint ib = (c & 15u) >> 1, shift = 4u * (c & 1u);
  uint ls = ((w_u8(b + 4u + (ib >> 1)) >> (4u * (ib & 1u))) & 15u) | (((w_u16(b + 2u) >> (2u * ib)) & 3u) << 4);
  float dl = w_f16(b) * float(int(ls) - 32);
  uint q = b + 8u + 16u * ib;
  codebook16_half(IQ4_VALUES, q, shift, dl, v);
}
