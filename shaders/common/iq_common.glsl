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
// Byte j (0..7) of a 64-bit entry read by grid64.
uint byte64(uvec2 g, uint j) { return ((j < 4u ? g.x : g.y) >> (8u * (j & 3u))) & 0xffu; }
// Eight elements under the scale db from one 64-bit grid entry, or two 32-bit ones (lo: elements 0..3), each
// negated where its bit of signs is set.
float[8] signed_grid64(uvec2 entry, float db, uint signs) {
  float g[8];
  [[unroll]] for (uint j = 0u; j < 8u; ++j) {
    float m = db * float(byte64(entry, j));
    g[j] = ((signs >> j) & 1u) != 0u ? -m : m;
  }
  return g;
}
float[8] signed_grid32x2(uint lo, uint hi, float db, uint signs) { return signed_grid64(uvec2(lo, hi), db, signs); }
