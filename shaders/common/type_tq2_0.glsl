// tq2_0 (66 bytes / 256): u8 qs[64] (2-bit codes: value d·(code − 1)); f16 d. Element 128h + 32l + m is
// bits 2l of qs[32h + m].
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 66u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint e0 = (c & 15u) * 16u;
  uint h = e0 >> 7, l = (e0 >> 5) & 3u, m0 = e0 & 31u;
  float d = w_f16(b + 64u);
  [[unroll]] for (uint i = 0u; i < 16u; ++i)
    v[i] = d * float(int((w_u8(b + 32u * h + m0 + i) >> (2u * l)) & 3u) - 1);
}
