// tq1_0 (54 bytes / 256): u8 qs[48] (five base-3 digits per byte); u8 qh[4] (four digits per byte); f16 d.
// Digit n of byte v is 3·(v·3^n mod 256) >> 8; value d·(digit − 1). Bytes 0..31 hold elements 32n + m,
// bytes 32..47 elements 160 + 16n + m, qh elements 240 + 4n + j; a chunk of 16 lies in one of the three.
const uint BLOCK_ELEMS = 256u;
const uint BLOCK_BYTES = 54u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 4) * BLOCK_BYTES;
  uint e0 = (c & 15u) * 16u;
  float d = w_f16(b + 52u);
  [[unroll]] for (uint i = 0u; i < 16u; ++i) {
    uint e = e0 + i, byte_off, n;
    if (e < 160u) {
      byte_off = e & 31u;
      n = e >> 5;
    } else if (e < 240u) {
      byte_off = 32u + ((e - 160u) & 15u);
      n = (e - 160u) >> 4;
    } else {
      byte_off = 48u + ((e - 240u) & 3u);
      n = (e - 240u) >> 2;
    }
    uint pow3 = n == 0u ? 1u : n == 1u ? 3u : n == 2u ? 9u : n == 3u ? 27u : 81u;
    uint digit = (((w_u8(b + byte_off) * pow3) & 255u) * 3u) >> 8;
    v[i] = d * float(int(digit) - 1);
  }
}
