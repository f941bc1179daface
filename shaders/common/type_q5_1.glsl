// q5_1 (24 bytes / 32): f16 d, f16 m; u8 qh[4]; u8 qs[16]; x = d * q + m.
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 24u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 1) * BLOCK_BYTES;
  float d = w_f16(b);
  float m = w_f16(b + 2u);
  uint qh = w_u32(b + 4u);
  uint hi = c & 1u;
  [[unroll]] for (uint i = 0u; i < 16u; ++i) {
    uint q = ((w_u8(b + 8u + i) >> (hi * 4u)) & 15u) | (((qh >> (i + hi * 16u)) & 1u) << 4);
    v[i] = d * float(q) + m;
  }
}
