// q8_0 (34 bytes / 32): f16 d; int8 qs[32]. x = d * q.
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 34u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 1) * BLOCK_BYTES;
  float d = w_f16(b);
  uvec4 q = w_16bytes(b + 2u + (c & 1u) * 16u);
  [[unroll]] for (uint j = 0u; j < 4u; ++j)
    [[unroll]] for (uint k = 0u; k < 4u; ++k) v[4u * j + k] = d * float(bitfieldExtract(int(q[j]), int(8u * k), 8));
}
