// iq3_s (110 bytes / 256): f16 d; u8 qs[64] (low 8 bits of a grid index per 4 elements); u8 qh[8] (their
// ninth bits, a byte per 32 elements); u8 signs[32] (a bit per element); u8 scales[4] (4 bits per 32
// elements). Value d·(1 + 2s) · grid byte, signed. Chunk c = groups 2h, 2h + 1 of sub-block ib.
const uint GRID_WORDS = 512u;
#include "common/iq_common.glsl"
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 110u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint ib = (c & 15u) >> 1, h = c & 1u;
  float db = w_f16(b) * float(1u + 2u * ((w_u8(b + 106u + (ib >> 1)) >> (4u * (ib & 1u))) & 15u));
  uint qh = w_u8(b + 66u + ib);
  [[unroll]] for (uint k = 0u; k < 2u; ++k) {
    uint l = 2u * h + k;
    uint signs = w_u8(b + 74u + 4u * ib + l);
    uint i1 = w_u8(b + 2u + 8u * ib + 2u * l) | ((qh << (8u - 2u * l)) & 256u);
    uint i2 = w_u8(b + 3u + 8u * ib + 2u * l) | ((qh << (7u - 2u * l)) & 256u);
    float g[8] = signed_grid32x2(grid32(i1), grid32(i2), db, signs);
    [[unroll]] for (uint j = 0u; j < 8u; ++j) v[8u * k + j] = g[j];
  }
}
