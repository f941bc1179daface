// iq2_xxs (66 bytes / 256): f16 d; per 32 elements two u32: four grid indices (bytes), then four 7-bit sign
// indices (ksigns: the eighth sign makes the count even) and a 4-bit scale s on top. Element value
// d·(0.5 + s)/4 · grid byte, negated by its sign bit. Chunk c (16 elements) is groups 2h, 2h + 1 of sub-block
// ib (c = 2 ib + h within the block).
const uint GRID_WORDS = 512u;
#include "common/iq_common.glsl"
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 66u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint ib = (c & 15u) >> 1, h = c & 1u;
  uint q = b + 2u + 8u * ib;
  uint aux = w_u32(q + 4u);
  float db = w_f16(b) * (0.5 + float(aux >> 28)) * 0.25;
  [[unroll]] for (uint k = 0u; k < 2u; ++k) {
    uint l = 2u * h + k;
    uint e = w_u8(q + l);
    uint signs = ksigns((aux >> (7u * l)) & 127u);
    float g[8] = signed_grid64(grid64(e), db, signs);
    [[unroll]] for (uint j = 0u; j < 8u; ++j) v[8u * k + j] = g[j];
  }
}
