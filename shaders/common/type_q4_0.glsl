// q4_0 (18 bytes / 32): f16 d; u8 qs[16]. Element i<16 is the low nibble of qs[i], i>=16 the high nibble of
// qs[i-16]; x = d * (nibble - 8).
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 18u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 1) * BLOCK_BYTES;
  float d = w_f16(b);
  uint shift = (c & 1u) * 4u;
  [[unroll]] for (uint i = 0u; i < 16u; ++i) v[i] = d * (float((w_u8(b + 2u + i) >> shift) & 15u) - 8.0);
}
