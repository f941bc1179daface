// y[v][row_base + r] (+)= W[r] . x[v] for every row r of a weight slice and vector v. Each subgroup owns one
// row at a time (rows_per_wg rows per workgroup): its lanes stride over the row's chunks, dequantizing inside
// the loop (each weight byte read once), then one subgroupAdd. No shared memory and no barrier, which on
// CPU implementations (lavapipe runs a subgroup as one SIMD loop) is most of the cost of a small row.
// Correct for any subgroup size. Included after a type_*.glsl.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint ROWS_PER_WG = 2;

layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer X4 { vec4 x4[]; };  // same buffer; x_stride % 4 == 0 when CHUNK % 4 == 0
layout(std430, binding = 2) buffer Y { float y[]; };

layout(push_constant) uniform Push {
  uint ncols;       // elements per weight row
  uint nrows;       // rows in this slice
  uint row_base;    // first output index of this slice
  uint x_stride;    // elements between input vectors
  uint y_stride;    // elements between output vectors
  uint accumulate;  // 1: y += W.x (fused residual add)
} p;

void main() {
  uint v = gl_WorkGroupID.y;
  uint xo = v * p.x_stride;
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
  uint nchunks = p.ncols / CHUNK;
  uint rb_stride = (p.ncols / BLOCK_ELEMS) * BLOCK_BYTES;
  for (uint r = gl_SubgroupID; r < ROWS_PER_WG; r += gl_NumSubgroups) {
    uint row = wg * ROWS_PER_WG + r;
    if (row >= p.nrows) break;  // uniform in the subgroup
    uint rb = row * rb_stride;
    float acc = 0.0;
    for (uint c = gl_SubgroupInvocationID; c < nchunks; c += gl_SubgroupSize) {
      float vals[CHUNK];
      dequant_chunk(rb, c, vals);
      if (CHUNK % 4u == 0u) {
        uint x4o = (xo + c * CHUNK) >> 2;
        [[unroll]] for (uint i = 0u; i < CHUNK / 4u; ++i) {
          vec4 xv = x4[x4o + i];
          acc += vals[4u * i] * xv.x + vals[4u * i + 1u] * xv.y + vals[4u * i + 2u] * xv.z +
                 vals[4u * i + 3u] * xv.w;
        }
      } else {
        [[unroll]] for (uint i = 0u; i < CHUNK; ++i) acc += vals[i] * x[xo + c * CHUNK + i];
      }
    }
    acc = subgroupAdd(acc);
    if (subgroupElect()) {
      uint yo = v * p.y_stride + p.row_base + row;
      y[yo] = p.accumulate != 0u ? y[yo] + acc : acc;
    }
  }
}
