// A 16-entry int8 codebook as four packed words (entry i in byte i % 4 of word i / 4): read with selects,
// not a constant array (which some compilers copy per invocation).
int codebook16(uvec4 book, uint i) {
  uint word = i < 4u ? book.x : i < 8u ? book.y : i < 12u ? book.z : book.w;
  return int(word << (24u - 8u * (i & 3u))) >> 24;
}
// The codebooks: IQ4_NL's and IQ4_XS's non-linear values, and MXFP4's E2M1 values doubled to integers.
const uvec4 IQ4_VALUES = uvec4(0xbfad9881u, 0xf6eaddcfu, 0x26190d01u, 0x71594535u);  // -127, -104, ..., 113
const uvec4 E2M1_DOUBLED = uvec4(0x03020100u, 0x0c080604u, 0xfdfeff00u, 0xf4f8fafcu);  // 0, 1, ..., 12, -0, ..., -12
// 16 elements from the 16 bytes at q: their low nibbles (shift 0) or high ones (shift 4) looked up in book,
// times d. (The three codebook types' blocks keep 32 elements as 16 bytes this way.)
void codebook16_half(uvec4 book, uint q, uint shift, float d, out float v[16]) {
  [[unroll]] for (uint j = 0u; j < 16u; ++j) v[j] = d * float(codebook16(book, (w_u8(q + j) >> shift) & 15u));
}
