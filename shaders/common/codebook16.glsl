// A 16-entry int8 codebook as four packed words (entry i in byte i % 4 of word i / 4): read with selects,
// not a constant array (which some compilers copy per invocation).
int codebook16(uvec4 book, uint i) {
  uint word = i < 4u ? book.x : i < 8u ? book.y : i < 12u ? book.z : book.w;
  return int(word << (24u - 8u * (i & 3u))) >> 24;
}
