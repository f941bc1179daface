// y[v][row_base + r] (+)= W[r] . x[v] over a repacked weight (gpu_layout.glsl), for GPUs: the weights are
// read exactly once, consecutive lanes reading consecutive pieces of a row (coalesced). Each subgroup owns
// MR rows at a time; every lane first issues the loads of UNROLL items of each of its MR rows, so that many
// independent loads are in flight (memory-level parallelism is what a GPU mat-vec is bound by), then loads
// the x values of each item once into registers and multiplies them with the MR rows. One subgroupAdd per
// row. ROWS_PER_WG rows per workgroup (any subgroup size: the subgroups stride over them). One vector per
// workgroup row (gl_WorkGroupID.y). SWIGLU (matvec_gpu_<type>_swiglu.comp): the rows are gate|up pairs and
// each pair's outputs are combined into one SwiGLU output.
// Two lane mappings (spec constant WORDS, GLASSWING_VULKAN_MATVEC_LANES):
//   unit lanes: an item is a 16-byte unit (one uvec4 load); its x is 64-128 contiguous bytes per lane, so a
//     subgroup's x load touches one cache line per lane (32 lines for 512 useful bytes);
//   word lanes: an item is one 4-byte word of a unit, four lanes per unit; a subgroup's x load reads
//     64-128 contiguous bytes per 4-8 lanes (4-8 lines), like llama.cpp's float mat-vec.
// Included after matvec_gpu_io.glsl and a type_gpu_*.glsl (which defines UNITS, XV, Raw, load_unit, load_x,
// x_sums and dot_unit for unit lanes, XW, Word, load_word, load_xw and dot_word for word lanes).
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 128;
layout(constant_id = 1) const uint ROWS_PER_WG = 8;  // a multiple of MR
layout(constant_id = 2) const uint MR = 2;           // rows a subgroup computes together
layout(constant_id = 3) const uint UNROLL = 2;       // units (words) per lane whose loads are issued together
layout(constant_id = 6) const uint WORDS = 0;        // 1: word lanes (4 lanes per 16-byte unit), 0: unit lanes

void main() {
  uint nb = p.ncols / BLOCK_ELEMS;
  w_aux = weight_rows() * nb * BLOCK_BYTES;
  uint v = gl_WorkGroupID.y;
  uint xv0 = v * p.x_stride;
  x_base4 = xv0 >> 2;
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
  uint units = nb * UNITS;
  for (uint r0 = gl_SubgroupID * MR; r0 < ROWS_PER_WG; r0 += gl_NumSubgroups * MR) {
    uint row0 = wg * ROWS_PER_WG + r0;
    if (row0 >= p.nrows) break;  // uniform in the subgroup
    uint xb = (xv0 + group_x(row0)) >> 2;  // (the MR rows lie in one group; NORM takes no groups)
    uint rblk[MR];
    // rows past the end recompute the last row and store nothing
    [[unroll]] for (uint m = 0u; m < MR; ++m) rblk[m] = weight_row(min(row0 + m, p.nrows - 1u)) * nb;
    float acc[MR];
    [[unroll]] for (uint m = 0u; m < MR; ++m) acc[m] = 0.0;
    x_squares = 0.0;
    if (WORDS != 0u) {
      // Word lanes: lane item k is word k % 4 of unit k / 4, so consecutive lanes read consecutive words of
      // the weights and consecutive texels of x (unit lanes below read 64-128 contiguous bytes of x each,
      // one cache line per lane and load).
      uint items = 4u * units;
      for (uint k0 = gl_SubgroupInvocationID; k0 < items; k0 += gl_SubgroupSize * UNROLL) {
        Word raw[UNROLL][MR];
        [[unroll]] for (uint i = 0u; i < UNROLL; ++i) {
          uint k = min(k0 + i * gl_SubgroupSize, items - 1u);  // past the row: a valid word, not used
          uint ku = k >> 2;
          [[unroll]] for (uint m = 0u; m < MR; ++m)
            raw[i][m] = load_word(rblk[m] + ku / UNITS, ku % UNITS, k & 3u);
        }
        [[unroll]] for (uint i = 0u; i < UNROLL; ++i) {
          uint k = k0 + i * gl_SubgroupSize;
          if (k < items) {
            uint ku = k >> 2;
            vec4 xv[XW];
            load_xw(xb + (ku / UNITS) * (BLOCK_ELEMS / 4u), ku % UNITS, k & 3u, xv);
            [[unroll]] for (uint m = 0u; m < MR; ++m) acc[m] += dot_word(raw[i][m], ku % UNITS, k & 3u, xv);
          }
        }
      }
    } else {
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
    }
    float rms = 1.0;  // NORM: the RMSNorm's scale, from the squares of x this subgroup read in this pass
    if (NORM != 0u) rms = inversesqrt(subgroupAdd(x_squares) / float(p.ncols) + NORM_EPS);
#ifdef SWIGLU
    // rows 2r and 2r + 1 are gate r and up r (MR and row0 even): y[r] = silu(gate . x) * (up . x)
    [[unroll]] for (uint m = 0u; m + 1u < MR; m += 2u) {
      float g = subgroupAdd(acc[m]) * rms, u = subgroupAdd(acc[m + 1u]) * rms;
      if (subgroupElect() && row0 + m + 1u < p.nrows)
        y[y_index_pairs(v, row0 + m)] = g / (1.0 + exp(-g)) * u;  // as swiglu.comp
    }
#else
    [[unroll]] for (uint m = 0u; m < MR; ++m) {
      float sum = subgroupAdd(acc[m]) * rms;
      if (subgroupElect() && row0 + m < p.nrows) {
        uint yo = y_index(v, row0 + m);
        y[yo] = p.accumulate != 0u ? y[yo] + sum : sum;
      }
    }
#endif
  }
}
