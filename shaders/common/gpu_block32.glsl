// What the repacked 32-element block formats (q4_0, q4_1, q5_0, q5_1) share: their 16 quant bytes hold
// element i in the low nibble of byte i and element 16 + i in the high one (q5 types take the fifth bits
// from qh), and a mat-vec unit is one whole block. Each type file keeps its own scales (aux1/aux2), Raw,
// load_unit and dot_unit. Included by those type files after gpu_layout.glsl.

// Elements 4j..4j+3 (hi = 0) or 16+4j.. (hi = 1) of a q5 block as bytes, fifth bits from qh.
uint q5_bytes(uint qs, uint qh, uint j, uint hi) {
  return ((qs >> (4u * hi)) & 0x0f0f0f0fu) | (spread4((qh >> (16u * hi + 4u * j)) & 15u) << 4);
}

#ifdef GPU_MATVEC
// Mat-vec unit: one whole block (16 bytes) per lane; x = its 32 elements.
const uint UNITS = 1u;
const uint XV = 8u;
void load_x(uint xb, uint u, out vec4 xv[XV]) {
  [[unroll]] for (uint j = 0u; j < 8u; ++j) xv[j] = xin(xb + j);
}
vec4 x_sums(in vec4 xv[XV]) {
  return vec4(dot(sum4(xv[0], xv[1], xv[2], xv[3]) + sum4(xv[4], xv[5], xv[6], xv[7]), vec4(1.0)));
}
// Word lanes (WORDS): word j (0..3) of a block's quants holds elements 4j.. (low nibbles) and 16 + 4j..
// (high nibbles): x texels j and 4 + j. Four lanes on one block read 64 contiguous bytes of x.
const uint XW = 2u;
void load_xw(uint xb, uint u, uint j, out vec4 xv[XW]) {
  xv[0] = xin(xb + j);
  xv[1] = xin(xb + 4u + j);
}
// Per-lane sum(f x) of one word's 8 quants (f = 1 + q/16, unit4) and sum(x).
vec2 q4_fx_word(uint q, in vec4 xv[XW]) {
  return vec2(dot(unit4(q, 0, 4) * xv[0] + unit4(q, 4, 4) * xv[1], vec4(1.0)), dot(xv[0] + xv[1], vec4(1.0)));
}
// The same over 5-bit quants (low nibbles q, fifth bits from qh), f = 1 + q/32.
vec2 q5_fx_word(uint q, uint qh, uint j, in vec4 xv[XW]) {
  vec4 s = unit4(q5_bytes(q, qh, j, 0u), 0, 5) * xv[0] + unit4(q5_bytes(q, qh, j, 1u), 0, 5) * xv[1];
  return vec2(dot(s, vec4(1.0)), dot(xv[0] + xv[1], vec4(1.0)));
}
// Per-lane partial sums of f x over a block's 4-bit quants q, f = 1 + q/16 (unit4).
vec4 q4_fx(uvec4 q, in vec4 xv[XV]) {
  vec4 s = vec4(0.0);
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    s += unit4(q[j], 0, 4) * xv[j];
    s += unit4(q[j], 4, 4) * xv[4u + j];
  }
  return s;
}
// The same over 5-bit quants (low nibbles q, fifth bits qh), f = 1 + q/32.
vec4 q5_fx(uvec4 q, uint qh, in vec4 xv[XV]) {
  vec4 s = vec4(0.0);
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    s += unit4(q5_bytes(q[j], qh, j, 0u), 0, 5) * xv[j];
    s += unit4(q5_bytes(q[j], qh, j, 1u), 0, 5) * xv[4u + j];
  }
  return s;
}
#endif
