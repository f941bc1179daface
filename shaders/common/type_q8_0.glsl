// q8_0, repacked at upload (see upload_weight): each row's int8 quants, 32 per block, 16-byte aligned, then
// after all rows (at byte w_aux) one f32 scale per block. x = d * q. A chunk is one aligned uvec4 load.
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 32u;  // quants only: the scales live after the rows
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  float d = uintBitsToFloat(w[(w_aux >> 2) + (rb >> 5) + (c >> 1)]);
  uvec4 q = w4[(rb >> 4) + c];
  [[unroll]] for (uint j = 0u; j < 4u; ++j)
    [[unroll]] for (uint k = 0u; k < 4u; ++k) v[4u * j + k] = d * float(bitfieldExtract(int(q[j]), int(8u * k), 8));
}
