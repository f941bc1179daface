// iq1_s (50 bytes / 256): f16 d; u8 qs[32] (low 8 bits of an 11-bit grid index per 8 elements); u16 qh[8]
// (per 32 elements: 4 x 3 high index bits, a 3-bit scale s, the delta's sign on top). Value
// d·(2s + 1) · (g ± 1/8) with grid values g in {-1, 0, 1} (bytes 0xff, 0, 1).
const uint GRID_WORDS = 4096u;
#include "common/iq_common.glsl"
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 50u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint ib = (c & 15u) >> 1, h = c & 1u;
  uint qh = w_u16(b + 34u + 2u * ib);
  float dl = w_f16(b) * float(2u * ((qh >> 12) & 7u) + 1u);
  float delta = (qh & 0x8000u) != 0u ? -0.125 : 0.125;
  [[unroll]] for (uint k = 0u; k < 2u; ++k) {
    uint l = 2u * h + k;
    uint e = w_u8(b + 2u + 4u * ib + l) | (((qh >> (3u * l)) & 7u) << 8);
    uvec2 entry = grid64(e);
    [[unroll]] for (uint j = 0u; j < 8u; ++j)
      v[8u * k + j] = dl * (float(int(byte64(entry, j) << 24) >> 24) + delta);
  }
}
