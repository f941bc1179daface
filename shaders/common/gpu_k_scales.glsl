// What the repacked q4_K and q5_K layouts share: the 16 aux1 bytes per block (f16 d, f16 dmin, scales[12])
// and the mat-vec unit geometry (8 units per block, each 16 columns of one 64-element group: its low-nibble
// sub-block in xv[0..3], its high-nibble one in xv[4..7]). Each type file keeps its quant layout, Raw,
// load_unit and dot_unit. Included by those type files after gpu_layout.glsl.

// ggml's get_scale_min_k4 on the 12 scale bytes (bytes 4..15 of a).
void gpu_scale_min_k4(uvec4 a, uint j, out float sc, out float mn) {
  if (j < 4u) {
    sc = float(byte16(a, 4u + j) & 63u);
    mn = float(byte16(a, 8u + j) & 63u);
  } else {
    sc = float((byte16(a, 8u + j) & 15u) | ((byte16(a, j) >> 6) << 4));
    mn = float((byte16(a, 8u + j) >> 4) | ((byte16(a, 4u + j) >> 6) << 4));
  }
}

#ifdef GPU_MATVEC
const uint UNITS = 8u;
const uint XV = 8u;
void load_x(uint xb, uint u, out vec4 xv[XV]) {
  uint o = xb + 16u * (u >> 1) + 4u * (u & 1u);
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    xv[j] = xin(o + j);
    xv[4u + j] = xin(o + 8u + j);
  }
}
vec4 x_sums(in vec4 xv[XV]) {
  return vec4(dot(sum4(xv[0], xv[1], xv[2], xv[3]), vec4(1.0)), dot(sum4(xv[4], xv[5], xv[6], xv[7]), vec4(1.0)),
              0.0, 0.0);
}
// Word lanes: word j of unit u holds 4 elements of each of the unit's sub-blocks (x texels o + j and
// o + 8 + j): eight lanes on one 64-element group read 2 x 128 contiguous bytes of x.
const uint XW = 2u;
void load_xw(uint xb, uint u, uint j, out vec4 xv[XW]) {
  uint o = xb + 16u * (u >> 1) + 4u * (u & 1u) + j;
  xv[0] = xin(o);
  xv[1] = xin(o + 8u);
}
// d sc sum(q x) - dmin m sum(x) over one word's two sub-blocks, from sum(f x) per sub-block (f = 1 + q/2^B,
// sum(q x) = 2^B (sum(f x) - sum(x))).
float k_word(uvec4 a, uint u, vec4 flo, vec4 fhi, float two_b, in vec4 xv[XW]) {
  float sc0, mn0, sc1, mn1;
  gpu_scale_min_k4(a, 2u * (u >> 1), sc0, mn0);
  gpu_scale_min_k4(a, 2u * (u >> 1) + 1u, sc1, mn1);
  vec2 dm = unpackHalf2x16(a.x);
  float xlo = dot(xv[0], vec4(1.0)), xhi = dot(xv[1], vec4(1.0));
  float qlo = two_b * (dot(flo, xv[0]) - xlo), qhi = two_b * (dot(fhi, xv[1]) - xhi);
  return dm.x * (sc0 * qlo + sc1 * qhi) - dm.y * (mn0 * xlo + mn1 * xhi);
}
#endif
