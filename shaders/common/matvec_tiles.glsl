// y[v][row_base + r] (+)= W[r] . x[v] over int8 blocks (q8_0, q5_0), q4_0 (TILES_Q4_0), 4-bit blocks with a min
// (q4_1, q4_k: TILES_Q4_MIN, x = d q - min), int8 blocks with a min (q5_1, q5_k: TILES_I8_MIN), int8 with a
// scale per 16 elements (q6_k, q3_k: TILES_TWO_SCALES) or a scale and a min per 16 (q2_k: TILES_TWO_MINS) for
// CPU implementations
// (lavapipe), reading the weights and x as rgba32ui storage texel buffers (16-byte texels). llvmpipe turns an
// image load into one 16-byte load per lane (a gather; ~5% fewer instructions than a uniform-texel-buffer
// texelFetch, which is a function call clobbering every vector register), but a storage-buffer load whose
// address differs per lane into a branchy per-lane loop per 32-bit word, which made the storage-buffer matvec
// cost ~10 instructions per multiply-add. Each lane loads everything of one block (32 columns) first and then computes: x for
// NV vectors, its rows' scales, then per row its quant texels. The block's scale multiplies the block's
// dot product once.
// Layout (repack_tiles in ops.cpp), in 16-byte texels: rows in groups of 64; for every group and every block
// a tile of TILE texels: row j's quants at texels QT j .. QT j + QT - 1 (int8 types: 32 bytes q + 128 in 2
// texels; 4-bit: 16 bytes of nibbles in 1, element i < 16 the low nibble of byte i, i >= 16 the high nibble
// of byte i - 16), then
// the 64 f32 scales in lane order, row j = 8i + l at scale 8l + i (and with a min, the 64 mins so). Lane l of the 8 owns rows 8i + l of a group
// (i < 8), so:
// one scale texel load serves 4 of its rows (an 8-row tile had one load per row, ~45 instructions for one
// float), and the 8 lanes walking their blocks read one contiguous stream per group.
// GATE_UP (the _swiglu variants): gate rows then up rows, stored in chunks of 32: group k holds gate rows
// 32k..32k+31 then up rows 32k..32k+31, and out[r] = silu(gate_r . x) * (up_r . x). A lane's first MO
// accumulators are gate rows, the next MO the matching up rows, in the same groups.
// Each lane walks its rows block by block (no cross-lane reduction: on llvmpipe a subgroupAdd and the store
// after it cost as much as a whole 576-column row; only the deferred norm's sums use one, per workgroup).
// Included by matvec_<type>_tiles.comp (NV 1, MR 8), matvec8_<type>_tiles.comp (NV 8, MR 16) and their
// _swiglu variants.
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x = 8) in;  // spec constant 0 (the workgroup size of other kernels) is unused
layout(constant_id = 1) const uint ROWS_PER_WG = 64;  // output rows per workgroup: a multiple of a pass's

// Deferred RMSNorm (Recorder's NormWrite / NormRead): a residual-accumulating matvec (accumulate 1) with
// norm_write 1 also writes xg = y * gain (the next RMSNorm's input times its gain, not yet scaled) and each
// subgroup's sum of squares of y per vector at partials[v * norm_stride + slot]; the next matvec, reading
// xg as x with norm_slots > 0, scales each output by 1 / sqrt(sum of the slots / ncols + eps) of its vector.
// That is RMSNorm(y) . W without the RMSNorm dispatch between them (~40 us each on lavapipe, 2 per layer).
// Bindings 0 and 1 (the weights and x as storage buffers) stay in the layout for the shared recording code.
layout(std430, binding = 2) buffer Y { float y[]; };
layout(std430, binding = 3) readonly buffer Gain { float gain[]; };      // norm_write: the next norm's gain
layout(std430, binding = 4) writeonly buffer XG { float xg[]; };         // norm_write: y * gain
layout(std430, binding = 5) writeonly buffer Partials { float partials[]; };  // norm_write: sums of squares
layout(binding = 6, rgba32ui) readonly uniform uimageBuffer w_texels;  // the weight slice (binding 0) as 16-byte texels
layout(binding = 7, rgba32ui) readonly uniform uimageBuffer x_texels;  // x (binding 1) as 16-byte texels
layout(binding = 8, rgba32ui) readonly uniform uimageBuffer partial_texels;  // norm_slots: the sums to read

// (nrows: gate and up rows for GATE_UP; x_stride a multiple of 4; no row groups with GATE_UP or a norm, no
// expert ids: the host refuses them)
layout(push_constant, std430) uniform Push {
#include "common/product_push.glsl"
  uint norm_write;   // 1: write xg and this workgroup's sums of squares (with accumulate)
  uint norm_slots;   // > 0: scale outputs by the RMSNorm factor from this many sums per vector
  uint norm_stride;  // floats between vectors' sums (a multiple of 4)
  float norm_eps;
} p;
#include "common/row_groups.glsl"


#if defined(TILES_Q4_0) || defined(TILES_Q4_MIN)
#define TILES_NIBBLES
const uint QT = 1u;  // quant texels per row and block
#else
const uint QT = 2u;
#endif
#if defined(TILES_Q4_MIN) || defined(TILES_I8_MIN)
#define TILES_MIN  // x = d q - min
#endif
#if !defined(TILES_NIBBLES)
#define TILES_INT8  // 32 quants per row and block, each stored as the byte q + 128
#endif
// One vector (decode) reads int8 quants as the unsigned bytes q + 128: llvmpipe extracts bytes 1 and 2 of a
// word with one shuffle each and bytes 0 and 3 with one and / shift, where a signed byte takes two shifts
// (the q8_0 loop: 2751 -> 2648 instructions). Each row's sum starts at -128 sum(x) instead. Eight vectors
// (prefill) unpack once for 8 vectors, and that start would cost 8 more sums of x and an add per row and
// vector, more than it saves: there one xor per word turns the bytes back into q, read signed.
const bool UNSIGNED_INT8 = NV == 1u;
// The quants as read are q + BIAS (a nibble of q4_0 is q + 8), so each row's sum(q x) is
// sum(read x) - BIAS sum(x).
#if defined(TILES_INT8)
const float BIAS = UNSIGNED_INT8 ? 128.0 : 0.0;
#elif defined(TILES_Q4_0)
const float BIAS = 8.0;
#else
const float BIAS = 0.0;
#endif
#if defined(TILES_TWO_SCALES) || defined(TILES_TWO_MINS)
#define TILES_XSUM_HALVES  // the sums of x over elements 0..15 and 16..31 are needed
#elif defined(TILES_NIBBLES) || defined(TILES_MIN) || defined(TILES_INT8)
#define TILES_XSUM  // the block's sum of x is needed
#endif
#ifdef TILES_TWO_MINS  // q2_k: two scales and two mins per row and block, one each per 16 elements
#define TILES_TWO_SCALES
const uint TILE = 64u * QT + 64u;  // texels per group and block: quants, 128 scales, 128 mins
#elif defined(TILES_MIN) || defined(TILES_TWO_SCALES)
const uint TILE = 64u * QT + 32u;  // texels per group and block: quants, 64 scales + 64 mins (or 128 scales)
#else
const uint TILE = 64u * QT + 16u;  // texels per group and block: the quants, then 64 f32 scales
#endif

#ifdef GATE_UP
const uint MO = MR / 2u;       // output rows per lane and pass
const uint GROUP_OUT = 32u;    // output rows per 64-row group
#else
const uint MO = MR;
const uint GROUP_OUT = 64u;
#endif
const uint PASS_OUT = MO * 8u;                // output rows per pass of the 8 lanes
const uint NG = (PASS_OUT + GROUP_OUT - 1u) / GROUP_OUT;  // groups one pass reads

// Accumulator m's group within the pass (< NG) and its row's index i in the group (row 8i + lane):
// compile-time constants once the loops over m are unrolled.
uint group_of(uint m) { return ((m % MO) * 8u) / GROUP_OUT; }
uint index_of(uint m) {
#ifdef GATE_UP
  return (((m % MO) * 8u) % GROUP_OUT) / 8u + (m >= MO ? 4u : 0u);
#else
  return m % 8u;
#endif
}

void main() {
  const uint nblk = p.ncols / 32u;
  const uint lane = gl_LocalInvocationID.x;
#ifdef GATE_UP
  const uint nout = p.nrows / 2u;
#else
  const uint nout = p.nrows;
#endif
  const uint ngroups = (nout + GROUP_OUT - 1u) / GROUP_OUT;
  uint v0 = gl_WorkGroupID.y * NV;
  uint xo[NV];  // texel index of each vector; vectors past the batch re-read the last one and store nothing
  [[unroll]] for (uint n = 0u; n < NV; ++n) xo[n] = (min(v0 + n, p.nvec - 1u) * p.x_stride) >> 2;
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
  float rms[NV];  // the RMSNorm factor of each vector (1 without norm_slots)
  [[unroll]] for (uint n = 0u; n < NV; ++n) {
    rms[n] = 1.0;
    if (p.norm_slots != 0u) {
      uint t0 = (min(v0 + n, p.nvec - 1u) * p.norm_stride) >> 2;
      float ss = 0.0;
      for (uint i = 0u; i < (p.norm_slots + 3u) / 4u; ++i) {  // slots past norm_slots are 0
        vec4 s4 = uintBitsToFloat(imageLoad(partial_texels, int(t0 + i)));
        ss += (s4.x + s4.y) + (s4.z + s4.w);
      }
      rms[n] = inversesqrt(ss / float(p.ncols) + p.norm_eps);
    }
  }
  float squares[NV];  // norm_write: this lane's sum of squares of the new y, per vector
  [[unroll]] for (uint n = 0u; n < NV; ++n) squares[n] = 0.0;
  for (uint r0 = 0u; r0 < ROWS_PER_WG; r0 += PASS_OUT) {
    uint row0 = wg * ROWS_PER_WG + r0;  // a multiple of PASS_OUT, so of GROUP_OUT when NG > 1
    if (row0 >= nout) break;
    uint gx = group_x(row0) >> 2;  // (a pass's rows lie in one row group)
    // Texel index of each group's first tile; groups past the end re-read the last one (their rows are past
    // nout and store nothing).
    uint tile0[NG];
    [[unroll]] for (uint g = 0u; g < NG; ++g) tile0[g] = min(row0 / GROUP_OUT + g, ngroups - 1u) * nblk * TILE;
    float acc[MR][NV];
    [[unroll]] for (uint m = 0u; m < MR; ++m)
      [[unroll]] for (uint n = 0u; n < NV; ++n) acc[m][n] = 0.0;
    for (uint b = 0u; b < nblk; ++b) {  // the same trip count in every lane: no masking
      vec4 xs[NV][8];
      [[unroll]] for (uint n = 0u; n < NV; ++n)
        [[unroll]] for (uint i = 0u; i < 8u; ++i)
          xs[n][i] = uintBitsToFloat(imageLoad(x_texels, int(xo[n] + gx + b * 8u + i)));
#ifdef TILES_XSUM
      float xsum[NV];  // the block's sum of x (for BIAS and the mins), once for all rows
      [[unroll]] for (uint n = 0u; n < NV; ++n) {
        vec4 t = ((xs[n][0] + xs[n][1]) + (xs[n][2] + xs[n][3])) + ((xs[n][4] + xs[n][5]) + (xs[n][6] + xs[n][7]));
        xsum[n] = (t.x + t.y) + (t.z + t.w);
      }
#endif
#ifdef TILES_XSUM_HALVES
      float xsum_lo[NV], xsum_hi[NV];  // the sums of x over elements 0..15 and 16..31
      [[unroll]] for (uint n = 0u; n < NV; ++n) {
        vec4 lo = (xs[n][0] + xs[n][1]) + (xs[n][2] + xs[n][3]), hi = (xs[n][4] + xs[n][5]) + (xs[n][6] + xs[n][7]);
        xsum_lo[n] = (lo.x + lo.y) + (lo.z + lo.w);
        xsum_hi[n] = (hi.x + hi.y) + (hi.z + hi.w);
      }
#endif
#ifdef TILES_TWO_MINS
      vec4 mn[NG][4];  // this lane's 8 pairs of mins in each group, as the scales
      [[unroll]] for (uint g = 0u; g < NG; ++g)
        [[unroll]] for (uint h = 0u; h < 4u; ++h)
          mn[g][h] = uintBitsToFloat(imageLoad(w_texels, int(tile0[g] + b * TILE + 64u * QT + 32u + 4u * lane + h)));
#endif
#ifdef TILES_TWO_SCALES
      vec4 sc[NG][4];  // this lane's 8 pairs of scales in each group: row i's at [i / 2][2 (i % 2)] and + 1
      [[unroll]] for (uint g = 0u; g < NG; ++g)
        [[unroll]] for (uint h = 0u; h < 4u; ++h)
          sc[g][h] = uintBitsToFloat(imageLoad(w_texels, int(tile0[g] + b * TILE + 64u * QT + 4u * lane + h)));
#else
      vec4 sc[NG][2];  // this lane's 8 scales in each group
      [[unroll]] for (uint g = 0u; g < NG; ++g)
        [[unroll]] for (uint h = 0u; h < 2u; ++h)
          sc[g][h] = uintBitsToFloat(imageLoad(w_texels, int(tile0[g] + b * TILE + 64u * QT + 2u * lane + h)));
#endif
#ifdef TILES_MIN
      vec4 mn[NG][2];  // and mins
      [[unroll]] for (uint g = 0u; g < NG; ++g)
        [[unroll]] for (uint h = 0u; h < 2u; ++h)
          mn[g][h] = uintBitsToFloat(imageLoad(w_texels, int(tile0[g] + b * TILE + 64u * QT + 16u + 2u * lane + h)));
#endif
      [[unroll]] for (uint m = 0u; m < MR; ++m) {
        const uint g = group_of(m), i = index_of(m);
        uint q = tile0[g] + b * TILE + QT * (8u * i + lane);
        uvec4 q0 = imageLoad(w_texels, int(q));
#ifndef TILES_NIBBLES
        uvec4 q1 = imageLoad(w_texels, int(q + 1u));
#endif
#ifdef TILES_TWO_SCALES
        float d = sc[g][i / 2u][2u * (i % 2u)], d2 = sc[g][i / 2u][2u * (i % 2u) + 1u];
        // sum(q x) over elements 0..15 (s) and 16..31 (s2, their own scale), from -BIAS sum(x)
        float s[NV], s2[NV];
        [[unroll]] for (uint n = 0u; n < NV; ++n) {
          s[n] = BIAS == 0.0 ? 0.0 : -BIAS * xsum_lo[n];
          s2[n] = BIAS == 0.0 ? 0.0 : -BIAS * xsum_hi[n];
        }
#else
        float d = sc[g][i / 4u][i % 4u];
        // sum(q x), word by word (few live values, so that the unrolled body spills little), from -BIAS sum(x)
        float s[NV];
        [[unroll]] for (uint n = 0u; n < NV; ++n) s[n] = BIAS == 0.0 ? 0.0 : -BIAS * xsum[n];
#endif
#ifdef TILES_NIBBLES
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {  // nibbles of elements 4j.. (low) and 16 + 4j.. (high)
          uint word = q0[j];
          vec4 lo = vec4(float(word & 15u), float((word >> 8) & 15u), float((word >> 16) & 15u),
                         float((word >> 24) & 15u));
          vec4 hi = vec4(float((word >> 4) & 15u), float((word >> 12) & 15u), float((word >> 20) & 15u),
                         float(word >> 28));
          [[unroll]] for (uint n = 0u; n < NV; ++n) s[n] += dot(lo, xs[n][j]) + dot(hi, xs[n][4u + j]);
        }
#else
        [[unroll]] for (uint j = 0u; j < 8u; ++j) {  // 4 quants per word (see UNSIGNED_INT8)
          uint word = j < 4u ? q0[j] : q1[j - 4u];
          vec4 qf;
          if (UNSIGNED_INT8) {
            qf = vec4(uvec4(word, word >> 8, word >> 16, word >> 24) & 0xffu);
          } else {
            int q = int(word ^ 0x80808080u);
            qf = vec4(ivec4(q << 24, q << 16, q << 8, q) >> 24);
          }
#ifdef TILES_TWO_SCALES
          if (j >= 4u) {  // a constant once unrolled
            [[unroll]] for (uint n = 0u; n < NV; ++n) s2[n] += dot(qf, xs[n][j]);
          } else {
            [[unroll]] for (uint n = 0u; n < NV; ++n) s[n] += dot(qf, xs[n][j]);
          }
#else
          [[unroll]] for (uint n = 0u; n < NV; ++n) s[n] += dot(qf, xs[n][j]);
#endif
        }
#endif
#ifdef TILES_MIN
        float dm = mn[g][i / 4u][i % 4u];
        [[unroll]] for (uint n = 0u; n < NV; ++n) acc[m][n] += d * s[n] - dm * xsum[n];
#elif defined(TILES_TWO_MINS)
        float m1 = mn[g][i / 2u][2u * (i % 2u)], m2 = mn[g][i / 2u][2u * (i % 2u) + 1u];
        [[unroll]] for (uint n = 0u; n < NV; ++n)
          acc[m][n] += (d * s[n] + d2 * s2[n]) - (m1 * xsum_lo[n] + m2 * xsum_hi[n]);
#elif defined(TILES_TWO_SCALES)
        [[unroll]] for (uint n = 0u; n < NV; ++n) acc[m][n] += d * s[n] + d2 * s2[n];
#else
        [[unroll]] for (uint n = 0u; n < NV; ++n) acc[m][n] += d * s[n];
#endif
      }
    }
    [[unroll]] for (uint m = 0u; m < MO; ++m) {
      uint row = row0 + m * 8u + lane;
      [[unroll]] for (uint n = 0u; n < NV; ++n) {
        if (row < nout && v0 + n < p.nvec) {
          uint yo = y_index(v0 + n, row);
#ifdef GATE_UP
          float g = acc[m][n] * rms[n];
          y[yo] = g / (1.0 + exp(-g)) * (acc[m + MO][n] * rms[n]);  // as swiglu.comp
#else
          float v = p.accumulate != 0u ? y[yo] + acc[m][n] * rms[n] : acc[m][n] * rms[n];
          y[yo] = v;
          if (p.norm_write != 0u) {
            xg[yo] = v * gain[p.row_base + row];
            squares[n] += v * v;
          }
#endif
        }
      }
    }
  }
  if (p.norm_write != 0u) {  // each subgroup's sums (no barrier: on llvmpipe one makes the shader a coroutine)
    uint slot = wg * gl_NumSubgroups + gl_SubgroupID;
    [[unroll]] for (uint n = 0u; n < NV; ++n) {
      float s = subgroupAdd(squares[n]);
      if (subgroupElect() && v0 + n < p.nvec) {
        uint o = (v0 + n) * p.norm_stride;
        partials[o + slot] = s;
        if (slot == 0u)  // the slots past the last, read as 4-float texels, are 0
          for (uint i = gl_NumWorkGroups.x * gl_NumWorkGroups.z * gl_NumSubgroups; i < p.norm_stride; ++i)
            partials[o + i] = 0.0;
      }
    }
  }
}
