// y[v][row_base + r] (+)= W[r] . x[v] for every row r of a weight slice and vector v. One workgroup per row,
// its invocations stride over the row's chunks, dequantizing inside the loop (each weight byte read once),
// then a subgroup reduction and one shared-memory pass across subgroups. Included after a type_*.glsl.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) buffer Y { float y[]; };

layout(push_constant) uniform Push {
  uint ncols;       // elements per weight row
  uint nrows;       // rows in this slice
  uint row_base;    // first output index of this slice
  uint x_stride;    // elements between input vectors
  uint y_stride;    // elements between output vectors
  uint accumulate;  // 1: y += W.x (fused residual add)
} p;

shared float partial[WG];

void main() {
  uint row = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
  if (row >= p.nrows) return;  // whole workgroup leaves together
  uint v = gl_WorkGroupID.y;
  uint rb = row * ((p.ncols / BLOCK_ELEMS) * BLOCK_BYTES);
  uint xo = v * p.x_stride;
  float acc = 0.0;
  for (uint c = gl_LocalInvocationID.x; c < p.ncols / CHUNK; c += WG) {
    float vals[CHUNK];
    dequant_chunk(rb, c, vals);
    [[unroll]] for (uint i = 0u; i < CHUNK; ++i) acc += vals[i] * x[xo + c * CHUNK + i];
  }
  acc = subgroupAdd(acc);
  if (subgroupElect()) partial[gl_SubgroupID] = acc;
  barrier();
  if (gl_LocalInvocationID.x == 0u) {
    float sum = 0.0;
    for (uint i = 0u; i < gl_NumSubgroups; ++i) sum += partial[i];
    uint yo = v * p.y_stride + p.row_base + row;
    y[yo] = p.accumulate != 0u ? y[yo] + sum : sum;
  }
}
