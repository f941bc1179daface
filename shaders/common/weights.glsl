#extension GL_EXT_control_flow_attributes : require
// Binding 0 of every weight-reading kernel: the tensor's raw GGUF bytes, read as 32-bit words so that no
// 8/16-bit storage feature is needed. Blocks are not 4-byte aligned (q4_0 is 18 bytes), hence byte helpers.
layout(std430, binding = 0) readonly buffer Weights { uint w[]; };
layout(std430, binding = 0) readonly buffer Weights4 { uvec4 w4[]; };  // same buffer, 16 bytes at a time
// Byte offset of the data a repacked type keeps after its rows (q8_0: the scales); set by each body's main()
// to nrows * row bytes.
uint w_aux = 0u;

uint w_u8(uint off) { return (w[off >> 2] >> ((off & 3u) * 8u)) & 0xffu; }
int w_i8(uint off) { return int(w_u8(off) << 24) >> 24; }
uint w_u16(uint off) { return (w[off >> 2] >> ((off & 2u) * 8u)) & 0xffffu; }  // off is even
float w_f16(uint off) { return unpackHalf2x16(w_u16(off)).x; }
uint w_u32(uint off) {  // any alignment
  return w_u8(off) | (w_u8(off + 1u) << 8) | (w_u8(off + 2u) << 16) | (w_u8(off + 3u) << 24);
}
