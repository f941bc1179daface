// The i-quants' codebook, appended to the weight slice after its rows at the next 4-byte boundary
// (inference/vulkan/codebook_words.h): GRID_WORDS words of grid (64-bit entries as low, high word pairs),
// then, for the types with 7-bit sign indices, the 128 sign patterns. w_aux (the rows' bytes) is set by
// every body's main() before any dequant_chunk.
uint iq_table() { return (w_aux + 3u) >> 2; }
// Entry e of a 64-bit grid as its two words (bytes 0..3, 4..7).
uvec2 grid64(uint e) {
  uint t = iq_table() + 2u * e;
  return uvec2(w[t], w[t + 1u]);
}
uint grid32(uint e) { return w[iq_table() + e]; }
uint ksigns(uint i) { return w[iq_table() + GRID_WORDS + i]; }
// Byte j (0..7) of a 64-bit entry read by grid64; byte j (0..3) of a 32-bit one.
uint byte64(uvec2 g, uint j) { return ((j < 4u ? g.x : g.y) >> (8u * (j & 3u))) & 0xffu; }
uint byte32(uint g, uint j) { return (g >> (8u * j)) & 0xffu; }
