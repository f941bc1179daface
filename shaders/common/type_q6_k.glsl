// q6_K (210 bytes / 256): u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d. Half n (128 elements), quarter r
// (32), element l: low 4 bits = nibble r/2 of ql[64n + 32(r%2) + l], high 2 bits = qh[32n + l] >> 2r,
// scale = scales[8n + 2r + l/16]; x = d * scale * (q - 32).
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 210u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint s = c & 15u;
  uint n = s >> 3, r = (s >> 1) & 3u, l0 = 16u * (s & 1u);
  float dl = w_f16(b + 208u) * float(w_i8(b + 192u + 8u * n + 2u * r + (s & 1u)));
  uint ql = b + 64u * n + 32u * (r & 1u) + l0;
  uint qh = b + 128u + 32u * n + l0;
  uint shift = (r >> 1) * 4u;
  [[unroll]] for (uint l = 0u; l < 16u; ++l) {
    uint q = ((w_u8(ql + l) >> shift) & 15u) | (((w_u8(qh + l) >> (2u * r)) & 3u) << 4);
    v[l] = dl * (float(q) - 32.0);
  }
}
