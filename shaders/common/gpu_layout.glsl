// Repacked ("GPU") weight layouts, built at upload by inference/vulkan/gpu_layout.cpp for devices that are not
// CPU implementations. A slice of nrows rows of nb blocks is three regions:
//   quants: every row's quant bytes, BLOCK_BYTES (a multiple of 16) per block, so that each 16-byte piece is
//           one aligned uvec4 load and consecutive lanes read consecutive pieces;
//   aux1:   at w_aux = nrows * nb * BLOCK_BYTES, AUX1 bytes per block (scales, mins, high bits);
//   aux2:   after aux1, AUX2 bytes per block (0 when unused).
// A type file defines BLOCK_ELEMS, BLOCK_BYTES, AUX1, AUX2 and includes this after weights.glsl.
uint gpu_aux2() { return w_aux + (w_aux / BLOCK_BYTES) * AUX1; }
// 4 bytes of a word as floats (unsigned / signed).
vec4 u8x4(uint v) { return vec4(uvec4(v, v >> 8, v >> 16, v >> 24) & 0xffu); }
vec4 i8x4(uint v) { return vec4(ivec4(v << 24, v << 16, v << 8, v) >> 24); }
// Byte i (0..15) of a uvec4.
uint byte16(uvec4 a, uint i) { return (a[i >> 2] >> (8u * (i & 3u))) & 0xffu; }
// Bits 0..3 of b to the low bit of bytes 0..3 (the fifth bits of q5 types, four elements at a time).
uint spread4(uint b) { return (b & 1u) | ((b & 2u) << 7) | ((b & 4u) << 14) | ((b & 8u) << 21); }
// Bits [lo, lo + B) of each byte of w as the floats 1 + v / 2^B (exact): a shift and a mask per element and
// no int->float conversion, a quarter-rate instruction on NVIDIA GPUs that bounded the mat-vec there. The
// kernels then compute sum(v x) = 2^B (sum(f x) - sum(x)).
uint shl(uint w, int n) { return n >= 0 ? w << uint(n) : w >> uint(-n); }
vec4 unit4(uint w, int lo, int B) {
  uint mask = ((1u << uint(B)) - 1u) << uint(23 - B);
  int s = 23 - B - lo;
  return uintBitsToFloat((uvec4(shl(w, s), shl(w, s - 8), shl(w, s - 16), shl(w, s - 24)) & mask) | 0x3F800000u);
}
vec4 sum4(vec4 a, vec4 b, vec4 c, vec4 d) { return (a + b) + (c + d); }
