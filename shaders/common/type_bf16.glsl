// bf16: the upper half of an f32.
const uint BLOCK_ELEMS = 1u;
const uint BLOCK_BYTES = 2u;
const uint CHUNK = 1u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) { v[0] = uintBitsToFloat(w_u16(rb + 2u * c) << 16); }
