// f16: IEEE half per element.
const uint BLOCK_ELEMS = 1u;
const uint BLOCK_BYTES = 2u;
const uint CHUNK = 1u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) { v[0] = w_f16(rb + 2u * c); }
