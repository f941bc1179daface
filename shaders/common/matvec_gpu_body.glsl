// y[v][row_base + r] (+)= W[r] . x[v] over a repacked weight (gpu_layout.glsl), for GPUs: the weights are
// read exactly once, 16 bytes per lane per load, consecutive lanes reading consecutive 16-byte pieces of a
// row (coalesced). Each subgroup owns MR rows at a time; every lane first issues the loads of UNROLL units
// (pieces) of each of its MR rows, so that many independent loads are in flight (memory-level parallelism
// is what a GPU mat-vec is bound by), then loads the x values of each unit once into registers, reduces
// them (x_sums) once for the MR rows and multiplies. One subgroupAdd per row. ROWS_PER_WG rows per
// workgroup (any subgroup size: the subgroups stride over them). One vector per workgroup row
// (gl_WorkGroupID.y). SWIGLU (matvec_gpu_<type>_swiglu.comp): the rows are gate|up pairs and each pair's
// outputs are combined into one SwiGLU output. Included after matvec_gpu_io.glsl and a type_gpu_*.glsl (which defines UNITS, XV,
// Raw, load_unit, load_x, x_sums and dot_unit).
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 128;
layout(constant_id = 1) const uint ROWS_PER_WG = 8;  // a multiple of MR
layout(constant_id = 2) const uint MR = 2;           // rows a subgroup computes together
layout(constant_id = 3) const uint UNROLL = 2;       // units per lane whose loads are issued together

void main() {
  uint nb = p.ncols / BLOCK_ELEMS;
  w_aux = p.nrows * nb * BLOCK_BYTES;
  uint v = gl_WorkGroupID.y;
  uint xb = (v * p.x_stride) >> 2;
  x_base4 = xb;
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
  uint units = nb * UNITS;
  for (uint r0 = gl_SubgroupID * MR; r0 < ROWS_PER_WG; r0 += gl_NumSubgroups * MR) {
    uint row0 = wg * ROWS_PER_WG + r0;
    if (row0 >= p.nrows) break;  // uniform in the subgroup
    uint rblk[MR];
    // rows past the end recompute the last row and store nothing
    [[unroll]] for (uint m = 0u; m < MR; ++m) rblk[m] = min(row0 + m, p.nrows - 1u) * nb;
    float acc[MR];
    [[unroll]] for (uint m = 0u; m < MR; ++m) acc[m] = 0.0;
    x_squares = 0.0;
    for (uint k0 = gl_SubgroupInvocationID; k0 < units; k0 += gl_SubgroupSize * UNROLL) {
      Raw raw[UNROLL][MR];
      [[unroll]] for (uint i = 0u; i < UNROLL; ++i) {
        uint k = min(k0 + i * gl_SubgroupSize, units - 1u);  // past the row: a valid unit, not used
        [[unroll]] for (uint m = 0u; m < MR; ++m) raw[i][m] = load_unit(rblk[m] + k / UNITS, k % UNITS);
      }
      [[unroll]] for (uint i = 0u; i < UNROLL; ++i) {
        uint k = k0 + i * gl_SubgroupSize;
        if (k < units) {
          vec4 xv[XV];
          load_x(xb + (k / UNITS) * (BLOCK_ELEMS / 4u), k % UNITS, xv);
          vec4 xs = x_sums(xv);
          [[unroll]] for (uint m = 0u; m < MR; ++m) acc[m] += dot_unit(raw[i][m], k % UNITS, xv, xs);
        }
      }
    }
    float rms = 1.0;  // NORM: the RMSNorm's scale, from the squares of x this subgroup read in this pass
    if (NORM != 0u) rms = inversesqrt(subgroupAdd(x_squares) / float(p.ncols) + NORM_EPS);
#ifdef SWIGLU
    // rows 2r and 2r + 1 are gate r and up r (MR and row0 even): y[r] = silu(gate . x) * (up . x)
    [[unroll]] for (uint m = 0u; m + 1u < MR; m += 2u) {
      float g = subgroupAdd(acc[m]) * rms, u = subgroupAdd(acc[m + 1u]) * rms;
      if (subgroupElect() && row0 + m + 1u < p.nrows)
        y[v * p.y_stride + p.row_base + (row0 + m) / 2u] = g / (1.0 + exp(-g)) * u;  // as swiglu.comp
    }
#else
    [[unroll]] for (uint m = 0u; m < MR; ++m) {
      float sum = subgroupAdd(acc[m]) * rms;
      if (subgroupElect() && row0 + m < p.nrows) {
        uint yo = v * p.y_stride + p.row_base + row0 + m;
        y[yo] = p.accumulate != 0u ? y[yo] + sum : sum;
      }
    }
#endif
  }
}
