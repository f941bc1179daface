// iq2_xs (74 bytes / 256): f16 d; u16 qs[32] (per 8 elements a 9-bit grid index, a 7-bit sign index above
// it); u8 scales[8] (a 4-bit scale s per 16 elements). Value d·(0.5 + s)/4 · grid byte, signed. Chunk c = one
// scale's 16 elements: groups 2h, 2h + 1 of sub-block ib (c = 2 ib + h within the block).
const uint GRID_WORDS = 1024u;
#include "common/iq_common.glsl"
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 74u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint ib = (c & 15u) >> 1, h = c & 1u;
  float db = w_f16(b) * (0.5 + float((w_u8(b + 66u + ib) >> (4u * h)) & 15u)) * 0.25;
  [[unroll]] for (uint k = 0u; k < 2u; ++k) {
    uint qv = w_u16(b + 2u + 2u * (4u * ib + 2u * h + k));
    uint e = qv & 511u;
    uint signs = ksigns(qv >> 9);
    float g[8] = signed_grid64(grid64(e), db, signs);
    [[unroll]] for (uint j = 0u; j < 8u; ++j) v[8u * k + j] = g[j];
  }
}
