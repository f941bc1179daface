// q8_0 (34 bytes / 32): f16 d; int8 qs[32]. x = d * q.
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 34u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 1) * BLOCK_BYTES;
  float d = w_f16(b);
  uint q = b + 2u + (c & 1u) * 16u;
  [[unroll]] for (uint i = 0u; i < 16u; ++i) v[i] = d * float(w_i8(q + i));
}
