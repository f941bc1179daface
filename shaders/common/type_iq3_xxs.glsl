// iq3_xxs (98 bytes / 256): f16 d; u8 qs[64] (a grid index per 4 elements); per 32 elements a u32 of four
// 7-bit sign indices (ksigns) and a 4-bit scale s on top. Value d·(0.5 + s)/2 · grid byte, signed.
// Chunk c = groups 2h, 2h + 1 of sub-block ib (c = 2 ib + h within the block).
const uint GRID_WORDS = 256u;
#include "common/iq_common.glsl"
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 98u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint ib = (c & 15u) >> 1, h = c & 1u;
  uint aux = w_u32(b + 66u + 4u * ib);
  float db = w_f16(b) * (0.5 + float(aux >> 28)) * 0.5;
  [[unroll]] for (uint k = 0u; k < 2u; ++k) {
    uint l = 2u * h + k;
    uint signs = ksigns((aux >> (7u * l)) & 127u);
    uint i1 = w_u8(b + 2u + 8u * ib + 2u * l), i2 = w_u8(b + 3u + 8u * ib + 2u * l);
    float g[8] = signed_grid32x2(grid32(i1), grid32(i2), db, signs);
    [[unroll]] for (uint j = 0u; j < 8u; ++j) v[8u * k + j] = g[j];
  }
}
