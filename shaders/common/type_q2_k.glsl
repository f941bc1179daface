// q2_K (84 bytes / 256): u8 scales[16] (low nibble scale, high nibble min); u8 qs[64]; f16 d; f16 dmin.
// Chunk c (16 elements) uses scales[c]; element l of it is bits 2j..2j+1 of qs[32n + 16h + l] with
// c = 8n + 2j + h.
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 84u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint s = c & 15u;
  float d = w_f16(b + 80u);
  float dmin = w_f16(b + 82u);
  uint sc = w_u8(b + s);
  float dl = d * float(sc & 15u);
  float ml = dmin * float(sc >> 4);
  uint n = s >> 3, j = (s >> 1) & 3u, h = s & 1u;
  uint q = b + 16u + 32u * n + 16u * h;
  [[unroll]] for (uint l = 0u; l < 16u; ++l) v[l] = dl * float((w_u8(q + l) >> (2u * j)) & 3u) - ml;
}
