// iq1_m (56 bytes / 256): u8 qs[32] (low 8 bits of an 11-bit grid index per 8 elements); u8 qh[16] (per 8
// elements a nibble: 3 high index bits, the delta's sign); u16 scales[4] (3-bit scales s per 16 elements in
// the low 12 bits; the f16 super-block scale d in the four top nibbles). Value d·(2s + 1) · (g ± 1/8).
// Chunk c = one scale's 16 elements: groups 2c, 2c + 1 of the block.
const uint GRID_WORDS = 4096u;
#include "common/iq_common.glsl"
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 56u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint s = c & 15u;
  uint dh = (w_u16(b + 48u) >> 12) | ((w_u16(b + 50u) >> 8) & 0xf0u) | ((w_u16(b + 52u) >> 4) & 0xf00u) |
            (w_u16(b + 54u) & 0xf000u);
  uint ls = (w_u16(b + 48u + 2u * (s >> 2)) >> (3u * (s & 3u))) & 7u;
  float dl = unpackHalf2x16(dh).x * float(2u * ls + 1u);
  uint qh = w_u8(b + 32u + s);  // the two groups' nibbles
  [[unroll]] for (uint k = 0u; k < 2u; ++k) {
    uint nib = (qh >> (4u * k)) & 15u;
    uint e = w_u8(b + 2u * s + k) | ((nib & 7u) << 8);
    float delta = (nib & 8u) != 0u ? -0.125 : 0.125;
    uvec2 entry = grid64(e);
    [[unroll]] for (uint j = 0u; j < 8u; ++j)
      v[8u * k + j] = dl * (float(int(byte64(entry, j) << 24) >> 24) + delta);
  }
}
