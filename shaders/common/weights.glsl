#extension GL_EXT_control_flow_attributes : require
// Binding 0 of every weight-reading kernel: the tensor's raw GGUF bytes, read as 32-bit words so that no
// 8/16-bit storage feature is needed. Blocks are not 4-byte aligned (q4_0 is 18 bytes), hence byte helpers.
layout(std430, binding = 0) readonly buffer Weights { uint w[]; };

uint w_u8(uint off) { return (w[off >> 2] >> ((off & 3u) * 8u)) & 0xffu; }
int w_i8(uint off) { return int(w_u8(off) << 24) >> 24; }
uint w_u16(uint off) { return (w[off >> 2] >> ((off & 2u) * 8u)) & 0xffffu; }  // off is even
float w_f16(uint off) { return unpackHalf2x16(w_u16(off)).x; }
uint w_u32(uint off) {  // any alignment
  return w_u8(off) | (w_u8(off + 1u) << 8) | (w_u8(off + 2u) << 16) | (w_u8(off + 3u) << 24);
}
// 16 bytes at an even offset as four little-endian words: five word loads instead of sixteen byte loads.
uvec4 w_16bytes(uint off) {
  uint i = off >> 2;
  uint hi = (off >> 1) & 1u;  // 1: the bytes start half-way into word i
  uint a = w[i], b = w[i + 1u], c = w[i + 2u], d = w[i + 3u];
  uint e = w[min(i + 4u, uint(w.length()) - 1u)];  // only used when hi == 1 (then it is in range)
  uint sh = 16u * hi;
  return uvec4((a >> sh) | ((b << 16) * hi), (b >> sh) | ((c << 16) * hi), (c >> sh) | ((d << 16) * hi),
               (d >> sh) | ((e << 16) * hi));
}
