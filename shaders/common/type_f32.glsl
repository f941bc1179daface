// f32: one element per block. dequant_chunk(row_byte, c, v) writes elements [c*CHUNK, (c+1)*CHUNK) of a row.
const uint BLOCK_ELEMS = 1u;
const uint BLOCK_BYTES = 4u;
const uint CHUNK = 1u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) { v[0] = uintBitsToFloat(w[(rb >> 2) + c]); }
