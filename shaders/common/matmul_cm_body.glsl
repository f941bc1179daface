// Y[t][row_base + r] (+)= W[r] . X[t] on tensor cores (cooperative matrices: f16 products with f32
// accumulation), for GPUs that report them. f16 alone would cost ~3 decimal digits, so every operand is
// split into a high and a low f16 part (v = hi + lo, ~22 bits together) and each product is the three
// leading terms Whi.Xhi + Whi.Xlo + Wlo.Xhi: the result should match the f32 kernels to ~1e-6 relative, while
// the tensor cores still do the work many times faster than f32 FMA. (|values| must stay below 65504, the
// f16 range: activations of real models do.) The low parts are stored times F16_LO_SCALE and summed in their
// own accumulators, scaled back at the end; common/f16_split.glsl says how the split survives NVIDIA's
// compilers and f16 subnormal flushing, which lost the low parts of two earlier versions on the H100/H200.
// PRECISE = 0 (GLASSWING_VULKAN_COOPMAT=f16): the high parts alone, one product instead of three (f16
// operands as llama.cpp's tensor-core GEMMs, ~1e-3 relative).
// Two extensions, one body: VK_NV_cooperative_matrix (16 x 16 x 16 fragments; glslang 12 knows only this
// one) and, compiled a second time with COOPMAT_KHR where glslang knows it (matmul_cmk_*; shaders/
// CMakeLists.txt), VK_KHR_cooperative_matrix with FRAG x FRAG x FRAG fragments (16 on GPUs, 8 on lavapipe,
// which runs this kernel on the CPU so that its logic is tested without a GPU).
// A workgroup of (BM/WM)·(BN/WN) subgroups of SG invocations owns a BM x BN output tile (spec constants: 64 x
// 64 unless GLASSWING_VULKAN_COOPMAT_TILE says; each subgroup a WM x WN block, 32 x 32 unless it says, of
// (WM/FRAG)·(WN/FRAG) fragments: llama.cpp's tensor-core GEMMs give a subgroup 64 x 64) and walks K in steps
// of 32: it dequantizes the BM x 32 weight tile once (dequant_chunk of the type file) and
// converts the BN x 32 activation tile, both into shared memory as f16 (hi/lo pairs when PRECISE). Each
// subgroup then stages its fragments one at a time through its own FRAG x (FRAG + 4) part of shared memory to
// guarded stores (partial tiles, accumulate, row groups). Needs ncols % 32 == 0 and x_stride % 4 == 0 (the
// host checks). Included after a type file.
// Expert tiles (p.expert_tiles, a mixture's prompt; BN = 64): as in matmul_tiled_body.glsl, workgroup row y
// takes its expert and tokens from entry y of expert_table: (expert, first vector, vectors <= BN).
#ifdef COOPMAT_KHR
#extension GL_KHR_cooperative_matrix : require
#else
#extension GL_NV_cooperative_matrix : require
#endif
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_shader_subgroup_basic : require

layout(local_size_x_id = 3) in;
layout(constant_id = 0) const uint PRECISE = 1;
layout(constant_id = 1) const uint BM = 64;   // rows per tile, a multiple of 32
layout(constant_id = 2) const uint BN = 64;   // vectors per tile, a multiple of 32
layout(constant_id = 3) const uint WG = 128;  // (BM / WM) * (BN / WN) * SG
layout(constant_id = 4) const uint SG = 32;   // the subgroup size
#ifdef COOPMAT_KHR
layout(constant_id = 5) const uint FRAG = 16;  // the fragments' side: 16 or 8
#else
const uint FRAG = 16u;
#endif
layout(constant_id = 6) const uint WM = 32;  // a subgroup's block: rows, a multiple of FRAG dividing BM
layout(constant_id = 7) const uint WN = 32;  // ... and vectors, a multiple of FRAG dividing BN
const uint FM = WM / FRAG, FN = WN / FRAG;   // a subgroup's fragments down and across
const uint BK = 32u;
const uint SK = BK + 8u;        // shared row stride (f16 elements): 80 bytes, 16-byte aligned rows
const uint SS = FRAG + 4u;      // a staged fragment's column stride (floats): 16-byte aligned columns

layout(std430, binding = 1) readonly buffer X4 { vec4 x4[]; };
#define EXPERT_TABLE_BINDING 3  // (expert tiles; common/row_groups.glsl)
#include "common/product_io.glsl"
#include "common/f16_split.glsl"

shared float16_t wh[BM * SK], xh[BN * SK];  // W tile, row-major [m][k]; X tile [n][k] (column-major K x N)
shared float16_t wl[PRECISE != 0u ? BM * SK : 1u], xl[PRECISE != 0u ? BN * SK : 1u];  // the low parts
shared float cs[(WG / SG) * FRAG * SS];  // per subgroup: one fragment, column-major [n][m]

#ifdef COOPMAT_KHR
#define FP16A coopmat<float16_t, gl_ScopeSubgroup, FRAG, FRAG, gl_MatrixUseA>
#define FP16B coopmat<float16_t, gl_ScopeSubgroup, FRAG, FRAG, gl_MatrixUseB>
#define FP32 coopmat<float, gl_ScopeSubgroup, FRAG, FRAG, gl_MatrixUseAccumulator>
#define LOAD_ROWS(m, buf, at) coopMatLoad(m, buf, at, SK, gl_CooperativeMatrixLayoutRowMajor)
#define LOAD_COLUMNS(m, buf, at) coopMatLoad(m, buf, at, SK, gl_CooperativeMatrixLayoutColumnMajor)
#define MUL_ADD(a, b, c) coopMatMulAdd(a, b, c)
#define STORE_COLUMNS(m, buf, at) coopMatStore(m, buf, at, SS, gl_CooperativeMatrixLayoutColumnMajor)
#else
#define FP16A fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>
#define FP16B FP16A
#define FP32 fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>
#define LOAD_ROWS(m, buf, at) coopMatLoadNV(m, buf, at, SK, false)
#define LOAD_COLUMNS(m, buf, at) coopMatLoadNV(m, buf, at, SK, true)
#define MUL_ADD(a, b, c) coopMatMulAddNV(a, b, c)
#define STORE_COLUMNS(m, buf, at) coopMatStoreNV(m, buf, at, SS, true)
#endif

void main() {
  w_aux = weight_rows() * ((p.ncols / BLOCK_ELEMS) * BLOCK_BYTES);
  uint m0 = gl_WorkGroupID.x * BM, n0 = gl_WorkGroupID.y * BN, n_end = p.nvec;
  uint expert_row0 = 0u;  // (expert tiles: the tile's expert's first row in the stack)
  if (p.expert_tiles != 0u && !expert_tile(gl_WorkGroupID.y, BN, expert_row0, n0, n_end)) return;
  uint tid = gl_LocalInvocationID.x;
  uint sm = (gl_SubgroupID % (BM / WM)) * WM, sn = (gl_SubgroupID / (BM / WM)) * WN;  // its WM x WN block
  uint rb_stride = (p.ncols / BLOCK_ELEMS) * BLOCK_BYTES;
  uint gx = group_x(m0);  // (the tile's rows lie in one group)
  FP32 acc[FM][FN], acc_lo[FM][FN];  // Whi.Xhi, and (Wlo.Xhi + Whi.Xlo) * F16_LO_SCALE
  [[unroll]] for (uint i = 0u; i < FM; ++i)
    [[unroll]] for (uint j = 0u; j < FN; ++j) {
      acc[i][j] = FP32(0.0);
      acc_lo[i][j] = FP32(0.0);
    }

  for (uint k0 = 0u; k0 < p.ncols; k0 += BK) {
    // weight tile: BM rows x 2 chunks of 16
    for (uint job = tid; job < BM * (BK / CHUNK); job += WG) {
      uint r = job % BM, ch = job / BM;
      float vals[CHUNK];
      if (m0 + r < p.nrows) {
        dequant_chunk((expert_row0 + weight_row(m0 + r)) * rb_stride, (k0 + ch * CHUNK) / CHUNK, vals);
      } else {
        [[unroll]] for (uint i = 0u; i < CHUNK; ++i) vals[i] = 0.0;
      }
      [[unroll]] for (uint i = 0u; i < CHUNK; ++i) {
        if (PRECISE != 0u) {
          const vec2 s = f16_split(vals[i]);
          wh[r * SK + ch * CHUNK + i] = float16_t(s.x);
          wl[r * SK + ch * CHUNK + i] = float16_t(s.y);
        } else {
          wh[r * SK + ch * CHUNK + i] = float16_t(vals[i]);
        }
      }
    }
    // activation tile: BN vectors x 8 quads of columns
    for (uint job = tid; job < BN * (BK / 4u); job += WG) {
      uint n = job / (BK / 4u), kq = job % (BK / 4u);
      vec4 xv = n0 + n < n_end ? x4[((n0 + n) * p.x_stride + gx + k0) / 4u + kq] : vec4(0.0);
      [[unroll]] for (uint c = 0u; c < 4u; ++c) {
        if (PRECISE != 0u) {
          const vec2 s = f16_split(xv[c]);
          xh[n * SK + 4u * kq + c] = float16_t(s.x);
          xl[n * SK + 4u * kq + c] = float16_t(s.y);
        } else {
          xh[n * SK + 4u * kq + c] = float16_t(xv[c]);
        }
      }
    }
    barrier();
    [[unroll]] for (uint k = 0u; k < BK; k += FRAG) {
      FP16A ah[FM], al[FM];
      FP16B bh[FN], bl[FN];
      [[unroll]] for (uint i = 0u; i < FM; ++i) {
        LOAD_ROWS(ah[i], wh, (sm + FRAG * i) * SK + k);
        if (PRECISE != 0u) LOAD_ROWS(al[i], wl, (sm + FRAG * i) * SK + k);
      }
      [[unroll]] for (uint j = 0u; j < FN; ++j) {
        LOAD_COLUMNS(bh[j], xh, (sn + FRAG * j) * SK + k);
        if (PRECISE != 0u) LOAD_COLUMNS(bl[j], xl, (sn + FRAG * j) * SK + k);
      }
      [[unroll]] for (uint i = 0u; i < FM; ++i)
        [[unroll]] for (uint j = 0u; j < FN; ++j) {
          if (PRECISE != 0u) {
            acc_lo[i][j] = MUL_ADD(al[i], bh[j], acc_lo[i][j]);
            acc_lo[i][j] = MUL_ADD(ah[i], bl[j], acc_lo[i][j]);
          }
          acc[i][j] = MUL_ADD(ah[i], bh[j], acc[i][j]);
        }
    }
    barrier();
  }
  // each fragment through this subgroup's part of cs: element (m, n) at stage + n * SS + m
  uint stage = gl_SubgroupID * FRAG * SS;
  [[unroll]] for (uint i = 0u; i < FM; ++i)
    [[unroll]] for (uint j = 0u; j < FN; ++j) {
      if (PRECISE != 0u) acc[i][j] = acc[i][j] + acc_lo[i][j] * (1.0 / F16_LO_SCALE);
      STORE_COLUMNS(acc[i][j], cs, stage);
      subgroupMemoryBarrierShared();
      subgroupBarrier();
      for (uint e = gl_SubgroupInvocationID; e < FRAG * FRAG; e += gl_SubgroupSize) {
        uint m = e % FRAG, n = e / FRAG;
        uint row = m0 + sm + FRAG * i + m, vec = n0 + sn + FRAG * j + n;
        if (row < p.nrows && vec < n_end) {
          uint yo = y_index(vec, row);
          float v = cs[stage + n * SS + m];
          y[yo] = p.accumulate != 0u ? y[yo] + v : v;
        }
      }
      subgroupBarrier();  // (read before the next fragment overwrites it)
    }
}
