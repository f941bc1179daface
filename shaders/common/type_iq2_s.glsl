// iq2_s (82 bytes / 256): f16 d; u8 qs[64] (the low 8 bits of the 32 grid indices, then a sign byte per 8
// elements); u8 qh[8] (the indices' high 2 bits, four groups per byte); u8 scales[8] (4 bits per 16
// elements). Value d·(0.5 + s)/4 · grid byte, signed. Chunks as iq2_xs.
const uint GRID_WORDS = 2048u;
#include "common/iq_common.glsl"
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 82u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint ib = (c & 15u) >> 1, h = c & 1u;
  float db = w_f16(b) * (0.5 + float((w_u8(b + 74u + ib) >> (4u * h)) & 15u)) * 0.25;
  uint qh = w_u8(b + 66u + ib);
  [[unroll]] for (uint k = 0u; k < 2u; ++k) {
    uint l = 2u * h + k;
    uint e = w_u8(b + 2u + 4u * ib + l) | ((qh << (8u - 2u * l)) & 0x300u);
    uint signs = w_u8(b + 34u + 4u * ib + l);
    float g[8] = signed_grid64(grid64(e), db, signs);
    [[unroll]] for (uint j = 0u; j < 8u; ++j) v[8u * k + j] = g[j];
  }
}
