// q4_1 (20 bytes / 32): f16 d, f16 m; u8 qs[16]; x = d * nibble + m.
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 20u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 1) * BLOCK_BYTES;
  float d = w_f16(b);
  float m = w_f16(b + 2u);
  uint shift = (c & 1u) * 4u;
  [[unroll]] for (uint i = 0u; i < 16u; ++i) v[i] = d * float((w_u8(b + 4u + i) >> shift) & 15u) + m;
}
