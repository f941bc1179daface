// q5_0 (22 bytes / 32): f16 d; u8 qh[4] (bit i = 5th bit of element i); u8 qs[16] as in q4_0;
// x = d * (q - 16).
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 22u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 1) * BLOCK_BYTES;
  float d = w_f16(b);
  uint qh = w_u32(b + 2u);
  uint hi = c & 1u;
  [[unroll]] for (uint i = 0u; i < 16u; ++i) {
    uint q = ((w_u8(b + 6u + i) >> (hi * 4u)) & 15u) | (((qh >> (i + hi * 16u)) & 1u) << 4);
    v[i] = d * (float(q) - 16.0);
  }
}
