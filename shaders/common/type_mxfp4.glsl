// mxfp4 (17 bytes / 32): u8 e (E8M0: the doubled E2M1 values are scaled by 2^(e − 128)); u8 qs[16] (nibble
// order as iq4_nl's), each nibble an E2M1 value doubled to an integer. Chunk c: half c & 1 of block c >> 1.
#include "common/codebook16.glsl"
const uint BLOCK_ELEMS = 32u;
const uint BLOCK_BYTES = 17u;
const uint CHUNK = 16u;
void dequant_chunk(uint rb, uint c, out float v[CHUNK]) {
  uint b = rb + (c >> 1) * BLOCK_BYTES;
  uint shift = 4u * (c & 1u);
  uint e = w_u8(b);
  // 2^(e − 128) as ggml's GGML_E8M0_TO_FP32_HALF (a denormal for e < 2)
  float d = uintBitsToFloat(e < 2u ? 0x00200000u << e : (e - 1u) << 23);
  codebook16_half(E2M1_DOUBLED, b + 1u, shift, d, v);
}
