// q3_K (110 bytes / 256): u8 hmask[32]; u8 qs[64]; u8 scales[12] (16 packed 6-bit scales); f16 d.
// Chunk c = 8n + 2j + h: low 2 bits from qs[32n + 16h + l] >> 2j, high bit from hmask[16h + l] bit 4n + j
// (a clear bit subtracts 4), scale = unpacked scales[c] - 32.
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 110u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint s = c & 15u;
  float d = w_f16(b + 108u);
  uint k = s >> 2, byte_i = s & 3u;
  uint low = (w_u8(b + 96u + (k & 1u) * 4u + byte_i) >> ((k >> 1) * 4u)) & 15u;
  uint high = (w_u8(b + 104u + byte_i) >> (2u * k)) & 3u;
  float dl = d * (float(low | (high << 4)) - 32.0);
  uint n = s >> 3, j = (s >> 1) & 3u, h = s & 1u;
  uint q = b + 32u + 32u * n + 16u * h;
  uint hm = b + 16u * h;
  uint mbit = 4u * n + j;
  [[unroll]] for (uint l = 0u; l < 16u; ++l) {
    int lo = int((w_u8(q + l) >> (2u * j)) & 3u);
    int sub = ((w_u8(hm + l) >> mbit) & 1u) != 0u ? 0 : 4;
    v[l] = dl * float(lo - sub);
  }
}
