#include "inference/vulkan/ops.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include "inference/cpu/thread_pool.h"
#include "inference/quant/blocks.h"
#include "inference/quant/fp16.h"
#include "inference/quant/iquants.h"
#include "inference/vulkan/codebook_words.h"
#include "inference/vulkan/coopmat_check.h"
#include "inference/vulkan/device.h"
#include "inference/vulkan/dispatch_profile.h"
#include "inference/vulkan/env_choice.h"
#include "inference/vulkan/gpu_layout.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

using gguf::GgmlType;

namespace {

constexpr uint32_t kMaxGroups = 65535;  // the minimum maxComputeWorkGroupCount every device supports
// Workgroup size of the reduction kernels (spec constant 0) on GPUs: a norm of a 4096-wide row is a chain of
// dependent loads per invocation, so more invocations (fewer loads each) shorten the decode step.
constexpr uint32_t kReduceWg = 256;
constexpr uint32_t kAttentionGpuWg = 128;  // attention_gpu.comp: head_dim / 4 must not exceed it
constexpr uint32_t kMatvecRowsPerWg = 8;  // rows per matvec workgroup: a multiple of the shader's MR (4 or 8)
// MR of matvec_<kernel>_tiles.comp and matvec8_<kernel>_tiles.comp
constexpr uint32_t kTilesRowsPerLane[] = {8, 16};
constexpr uint32_t kTileLanes = 8;  // invocations per workgroup of the tiles kernels (the layout's lanes)

// Push-constant twins of the GLSL blocks (std430 scalars: 4 bytes each, in order).
// Shared by the mat-vec and mat-mul shaders (matvec_body.glsl, matmul_body.glsl): one slice of a weight.
struct WeightProductPush {
  uint32_t ncols, nrows, row_base, x_stride, y_stride, accumulate, nvec;
  uint32_t group_rows, x_group, y_group;  // common/row_groups.glsl
  uint32_t w_rows, expert_ids[kMaxGroupExperts];
  uint32_t ids_on_device;  // expert ids from the table at EXPERT_TABLE_BINDING (MatShape::device_ids)
  uint32_t expert_tiles;   // the tiled GEMM's token tiles of experts (MatShape::expert_tiles)
};
static_assert(sizeof(WeightProductPush) == 84);
// matvec_tiles.glsl: a weight product and the deferred RMSNorm.
struct TilesPush {
  WeightProductPush product;
  uint32_t norm_write, norm_slots, norm_stride;
  float norm_eps;
};
static_assert(sizeof(TilesPush) == 100);

// The output rows a product over one slice computes: the slice's, or with expert ids their groups'.
uint32_t expert_groups(const MatShape& s) {
  return s.device_ids ? s.device_ids->count : static_cast<uint32_t>(s.expert_ids.size());
}
uint32_t out_rows(const WeightTensor::Slice& slice, const MatShape& s) {
  if (s.expert_tiles) return s.group_rows;  // (one expert's rows per tile)
  return expert_groups(s) == 0 ? slice.rows : expert_groups(s) * s.group_rows;
}
// True where a kernel computing `block` rows from one load of x could straddle two row groups (a single
// group, e.g. one expert's batch, cannot: rows past it are not computed).
bool straddles(const WeightTensor& w, const MatShape& s, uint32_t block) {
  return s.group_rows && s.group_rows % block != 0 && out_rows(w.slices.front(), s) > s.group_rows;
}

WeightProductPush product_push(const WeightTensor& w, const WeightTensor::Slice& slice, const MatShape& s) {
  WeightProductPush push{w.cols,
                         out_rows(slice, s),
                         slice.first_row,
                         s.x_stride ? s.x_stride : w.cols,
                         s.y_stride ? s.y_stride : w.rows,
                         s.accumulate ? 1u : 0u,
                         s.n_vec,
                         s.expert_tiles ? 0u : s.group_rows,  // (expert tiles: no row groups)
                         s.x_group,
                         s.y_group,
                         expert_groups(s) == 0 && !s.expert_tiles ? 0u : slice.rows,
                         {},
                         s.device_ids ? 1u : 0u,
                         s.expert_tiles ? 1u : 0u};
  std::copy(s.expert_ids.begin(), s.expert_ids.end(), push.expert_ids);
  return push;
}

struct GetRowsPush {
  uint32_t ncols, nrows, by_position, accumulate, out_stride, first_row;
};
static_assert(sizeof(GetRowsPush) == 24);
struct NormPush {
  uint32_t n, x_stride, y_stride;
  float eps;
};
static_assert(sizeof(NormPush) == 16);
struct HeadNormPush {
  uint32_t n_tokens, n_heads, n_kv_heads, head_dim, q_stride, q_offset, k_stride, k_offset;
  float eps;
  uint32_t layer_norm, per_head_gains;
};
static_assert(sizeof(HeadNormPush) == 44);
struct RopeStorePush {
  uint32_t n_tokens, n_heads, n_kv_heads, head_dim, n_rot, neox;
  uint32_t q_stride, q_offset, k_stride, k_offset, v_stride, v_offset, q_cache_offset, kv_cache_offset;
  uint32_t store_v, post_gain;
};
static_assert(sizeof(RopeStorePush) == 64);

// (x, y) workgroup counts of a flat 1-D dispatch of n invocations in workgroups of 64.
std::pair<uint32_t, uint32_t> flat_groups(uint64_t n) {
  const uint64_t groups = (n + 63) / 64;
  const auto x = static_cast<uint32_t>(std::min<uint64_t>(groups, kMaxGroups));
  return {x, x ? static_cast<uint32_t>((groups + x - 1) / x) : 0};
}
struct AttentionPush {
  uint32_t n_heads, n_kv_heads, head_dim, q_stride, q_offset, o_stride, kv_offset, n_ctx;
  float scale;
  uint32_t window;
  float softcap, alibi_m0, alibi_m1;
};
static_assert(sizeof(AttentionPush) == 52);
struct AttentionRopeStorePush {
  AttentionPush attention;
  uint32_t k_offset, v_offset, q_cache_offset, n_rot, neox;
};
static_assert(sizeof(AttentionRopeStorePush) == 72);
struct AttentionProbsPush {
  uint32_t n_heads, n_kv_heads, head_dim, head, q_offset, k_offset, q0, k0, nk;
  float scale;
  uint32_t window;
  float softcap, alibi_m0, alibi_m1;
  uint32_t q_first;
};
static_assert(sizeof(AttentionProbsPush) == 60);
struct AttentionSummaryPush {
  uint32_t n_heads, n_kv_heads, head_dim, q0, nq, out_offset;
  float scale;
  uint32_t window;
  float softcap, alibi_m0, alibi_m1;
  uint32_t q_first;
};
static_assert(sizeof(AttentionSummaryPush) == 48);
struct SoftmaxPush {
  uint32_t n, stride;
};
static_assert(sizeof(SoftmaxPush) == 8);
struct CountPush {
  uint32_t n;
};
static_assert(sizeof(CountPush) == 4);
struct SwigluPairsPush {
  uint32_t n, n_ff, o_stride;
};
static_assert(sizeof(SwigluPairsPush) == 12);
struct BiasPush {
  uint32_t n, stride, offset, n_rows;
};
static_assert(sizeof(BiasPush) == 16);

template <typename T>
std::span<const std::byte> bytes_of(const T& v) {
  return std::as_bytes(std::span<const T, 1>(&v, 1));
}

uint64_t row_bytes(GgmlType type, uint32_t cols) {
  const auto t = gguf::ggml_type_traits(type);
  return uint64_t{cols} / t.block_elements * t.block_bytes;
}

// Bytes a row takes on the device: with the GPU kernels the types of gpu_layout() are repacked; otherwise
// q8_0 is (32 quant bytes + a 4-byte f32 scale per block, see repack_q8_0); every other type keeps its GGUF
// encoding.
uint64_t device_row_bytes(GgmlType type, uint32_t cols, bool gpu) {
  if (gpu) {
    if (const auto l = gpu_layout(type))
      return uint64_t{cols} / gguf::ggml_type_traits(type).block_elements * l->block_bytes();
    return row_bytes(type, cols);
  }
  return type == GgmlType::Q8_0 ? uint64_t{cols} / 32 * 36 : row_bytes(type, cols);
}

// Shader-name suffix of a weight as uploaded: "gpu_q4_0" for a repacked type, else the type's name.
std::string layout_name(GgmlType type, bool gpu) {
  return (gpu && gpu_layout(type) ? "gpu_" : "") + kernel_type_name(type);
}

// Tuning knobs of the GPU kernels for benchmarks: GLASSWING_VULKAN_MATVEC="wg,mr,unroll" (invocations per
// workgroup, rows per subgroup, items (units or words) per lane loaded together) and
// GLASSWING_VULKAN_MATMUL="bm,bn,bk,tm,tn" (tile, K step, outputs per invocation). Unset: the defaults below
// (measured on an H100, except the word-lanes unroll: chosen by reasoning, see matvec_word_lanes).
std::vector<uint32_t> env_numbers(const char* name, std::vector<uint32_t> fallback) {
  const char* env = std::getenv(name);
  if (!env || !*env) return fallback;
  std::vector<uint32_t> out;
  std::string v = env;
  size_t pos = 0;
  while (pos <= v.size()) {
    const size_t end = std::min(v.find(',', pos), v.size());
    try {
      out.push_back(static_cast<uint32_t>(std::stoul(v.substr(pos, end - pos))));
    } catch (const std::exception&) {
      throw VulkanError(std::string(name) + " must be comma-separated numbers, not '" + v + "'");
    }
    pos = end + 1;
  }
  if (out.size() != fallback.size())
    throw VulkanError(std::string(name) + " needs " + std::to_string(fallback.size()) + " numbers");
  return out;
}

// GLASSWING_VULKAN_MATVEC_LANES=word|unit: the GPU mat-vec's lane mapping (matvec_gpu_body.glsl). Word lanes
// (the default) read x in contiguous runs across lanes; unit lanes were the kernel H100 figures until
// session 5 were measured with (each lane's x load a separate cache line).
bool matvec_word_lanes() {
  return env_choice("GLASSWING_VULKAN_MATVEC_LANES", {"word", "unit"}, 0) == 0;
}

// GLASSWING_VULKAN_ATTN_SPLIT=keys: keys per workgroup of the GPU kernels' decode attention (split-K; 0: one
// workgroup per head over the whole context).
uint32_t attention_split_keys() {
  const auto v = env_numbers("GLASSWING_VULKAN_ATTN_SPLIT", {256});
  if (v[0] != 0 && (v[0] < 16 || v[0] > 65536))
    throw VulkanError("GLASSWING_VULKAN_ATTN_SPLIT: 0 (no split) or 16..65536 keys per workgroup");
  return v[0];
}
uint32_t attention_split_runs(uint32_t n_ctx, uint32_t split) {
  return split ? (n_ctx + split - 1) / split : 1;
}

struct MatvecTuning {
  uint32_t wg, mr, unroll;
  bool words;
};
MatvecTuning matvec_tuning() {
  const bool words = matvec_word_lanes();
  // a word is a quarter of a unit: twice the items per load batch keeps more bytes in flight per lane
  const auto v = env_numbers("GLASSWING_VULKAN_MATVEC", {128, 2, words ? 4u : 2u});
  if (v[0] == 0 || v[0] > 1024 || v[1] == 0 || v[1] > 8 || v[2] == 0 || v[2] > 8)
    throw VulkanError("GLASSWING_VULKAN_MATVEC: 1..1024 invocations, 1..8 rows per subgroup, 1..8 units");
  return {v[0], v[1], v[2], words};
}

struct MatmulTuning {
  uint32_t bm, bn, bk, tm, tn;
  uint32_t wg() const { return (bm / tm) * (bn / tn); }
};
MatmulTuning matmul_tuning(const DeviceInfo& info) {
  const auto fits = [&](const MatmulTuning& t) {
    return t.tm && t.tn && t.tm % 4 == 0 && t.tn % 4 == 0 && t.bm % t.tm == 0 && t.bn % t.tn == 0 && t.bk &&
           t.bk % 16 == 0 && t.wg() <= 1024 && uint64_t{t.bk} * (t.bm + t.bn) * 4 <= info.shared_memory;
  };
  // 128 x 128 tiles, 8 x 8 outputs per invocation; 64 x 64 where shared memory is short.
  const MatmulTuning best{128, 128, 32, 8, 8};
  const auto v = env_numbers("GLASSWING_VULKAN_MATMUL", {best.bm, best.bn, best.bk, best.tm, best.tn});
  const MatmulTuning t{v[0], v[1], v[2], v[3], v[4]};
  if (fits(t)) return t;
  if (!std::getenv("GLASSWING_VULKAN_MATMUL")) return {64, 64, 16, 4, 4};
  throw VulkanError("GLASSWING_VULKAN_MATMUL: bad tile shape");
}
// The tensor-core GEMM's tile (matmul_cm_body.glsl): GLASSWING_VULKAN_COOPMAT_TILE="bm,bn" or
// "bm,bn,wm,wn", a bm x bn tile (multiples of 32; 64 x 64 unset) of wm x wn blocks, one per subgroup
// (multiples of 16 up to 64 dividing the tile; 32 x 32 unset); its shared memory must fit the device's.
struct CoopmatTile {
  uint32_t bm, bn, wm, wn, subgroup, side;
  uint32_t subgroups() const { return bm / wm * (bn / wn); }
  uint32_t wg() const { return subgroups() * subgroup; }
};
CoopmatTile coopmat_tile(const DeviceInfo& info, bool precise) {
  const char* name = "GLASSWING_VULKAN_COOPMAT_TILE";
  const char* env = std::getenv(name);
  const bool blocks = env && std::string_view(env).find(',') != std::string_view(env).rfind(',');
  auto v = env_numbers(name, blocks ? std::vector<uint32_t>{64, 64, 32, 32} : std::vector<uint32_t>{64, 64});
  if (!blocks) v.insert(v.end(), {32, 32});
  const uint32_t side = info.coopmat_side ? info.coopmat_side : 16;  // (a device without them: the checks)
  const CoopmatTile t{v[0], v[1], v[2], v[3], info.coopmat_khr ? info.subgroup_size : 32u, side};
  const auto block_ok = [](uint32_t w, uint32_t tile) {
    return w && w % 16 == 0 && w <= 64 && tile % w == 0;
  };
  const bool shape_ok =
      t.bm && t.bn && t.bm % 32 == 0 && t.bn % 32 == 0 && block_ok(t.wm, t.bm) && block_ok(t.wn, t.bn);
  // f16 tiles of BM + BN rows of 40 halves (twice with the low parts), a side x (side + 4)-float part per
  // subgroup
  const uint64_t shared = uint64_t{t.bm + t.bn} * 40 * 2 * (precise ? 2 : 1) +
                          uint64_t{shape_ok ? t.subgroups() : 0} * t.side * (t.side + 4) * 4;
  if (!shape_ok || t.wg() > 1024 || shared > info.shared_memory)
    throw VulkanError(
        std::string(name) + ": " + std::to_string(t.bm) + " x " + std::to_string(t.bn) + " tiles of " +
        std::to_string(t.wm) + " x " + std::to_string(t.wn) +
        " blocks: tiles need multiples of 32, blocks multiples of 16 up to 64 that divide them, at "
        "most " +
        std::to_string(1024 / t.subgroup) + " subgroups and " + std::to_string(shared) +
        " bytes of shared memory (the device has " + std::to_string(info.shared_memory) + ")");
  return t;
}

// The tiled GEMM's shape for expert tiles (kExpertTileVectors tokens wide: a prompt's experts each get a
// few dozen of its tokens, which a 128-wide tile would mostly leave idle).
MatmulTuning expert_tile_tuning(const DeviceInfo& info) {
  static_assert(kExpertTileVectors == 64);
  const MatmulTuning wide{128, 64, 32, 8, 4};
  if (uint64_t{wide.bk} * (wide.bm + wide.bn) * 4 <= info.shared_memory) return wide;
  return {64, 64, 16, 4, 4};
}

// q8_0 rows (f16 d, int8 qs[32] per 34-byte block) -> every row's quants (16-byte aligned, so a kernel reads
// them with whole uvec4 loads), then every block's scale as f32 (shaders/common/type_q8_0.glsl).
std::vector<uint8_t> repack_q8_0(const uint8_t* src, uint32_t rows, uint32_t cols) {
  const uint64_t blocks = uint64_t{rows} * (cols / 32);
  std::vector<uint8_t> out(blocks * 36);
  uint8_t* quants = out.data();
  uint8_t* scales = out.data() + blocks * 32;
  for (uint64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = src + b * 34;
    const float d = quant::fp16_to_f32(static_cast<uint16_t>(block[0] | (block[1] << 8)));
    std::memcpy(scales + b * 4, &d, 4);
    std::memcpy(quants + b * 32, block + 2, 32);
  }
  return out;
}

// Every quantized type for CPU devices (shaders/common/matvec_tiles.glsl), as 32-element blocks with an f32
// scale (q2_k, q3_k and q6_k: two, one per 16 elements) and for q4_1, q5_1, q4_k, q5_k an f32 min (q2_k: two;
// x = d q - min): rows in groups of 64 (the last padded with zero blocks); for each group and each block a
// tile: the 64 rows' quants (16 bytes of nibbles for q4_*, element i < 16 the low nibble of byte i, i >= 16
// the high one of byte i - 16; else 32 int8 stored as the bytes q + 128: q5_0 as q - 16, q6_k as q - 32, q3_k
// in [-4, 3]), their scales,
// then their mins, both in lane order (row 8i + l at 8l + i), so that the 8 lanes walking the blocks of their
// 64 rows read one contiguous stream and each lane's 8 scales are two texels (four with two per row). The
// K-quants' sub-blocks become such blocks exactly (d * scale and dmin * min are the products their
// dequantization uses). The 2-, 3-, 5- and 6-bit types take 36-48 bytes per 32 elements instead of 11-26
// (CPU devices' memory is the host's). Gate|up pairs (matvec_swiglu): group k holds gate rows 32k..32k+31
// then the matching up rows.
constexpr uint32_t kTileRows = 64;
uint32_t tile_quant_bytes(GgmlType type) {  // per row and block: int8, or 4-bit for q4_*
  return type == GgmlType::Q4_0 || type == GgmlType::Q4_1 || type == GgmlType::Q4_K ? 16 : 32;
}
uint32_t tile_mins(GgmlType type) {  // per row and block
  if (type == GgmlType::Q2_K) return 2;
  return type == GgmlType::Q4_1 || type == GgmlType::Q4_K || type == GgmlType::Q5_1 || type == GgmlType::Q5_K;
}
// The kernels of a tiles type (matvec_<name>_tiles.comp, get_rows_<name>_tiles.comp): q4_1 and q4_k are both
// 4-bit with a min ("q4m"); the 5-bit types are stored as int8, so q5_0 is read as q8_0 and q5_1 / q5_k as
// int8 with a min ("i8m").
std::string tiles_kernel(GgmlType type) {
  if (type == GgmlType::Q4_1 || type == GgmlType::Q4_K) return "q4m";
  // int8 with one scale per 32 elements: q5_0 (as q - 16) and the 16-entry codebooks (their int8 values)
  if (type == GgmlType::Q5_0 || type == GgmlType::IQ4_NL || type == GgmlType::IQ4_XS ||
      type == GgmlType::MXFP4)
    return "q8_0";
  if (type == GgmlType::Q5_1 || type == GgmlType::Q5_K) return "i8m";
  // int8 with a scale per 16 elements: q3_k, and the i-quants and ternary types (quant::Sub32)
  if (type == GgmlType::Q3_K || quant::is_sub32_type(type)) return "q6_k";
  return kernel_type_name(type);
}
uint32_t tile_scales(GgmlType type) {  // per row and block: q2_k, q3_k, q6_k and Sub32 have one per 16
  return type == GgmlType::Q6_K || type == GgmlType::Q3_K || type == GgmlType::Q2_K ||
                 quant::is_sub32_type(type)
             ? 2
             : 1;
}
uint64_t tile_bytes(GgmlType type) {
  return uint64_t{kTileRows} * (tile_quant_bytes(type) + 4 * tile_scales(type) + 4 * tile_mins(type));
}
uint32_t tile_groups(uint32_t rows, RowOrder order) {
  return order == RowOrder::GateUpPairs ? (rows / 2 + 31) / 32 : (rows + kTileRows - 1) / kTileRows;
}
// Block b (elements 32b..32b+31) of a row of a tiles type.
struct TileBlock {
  float d = 0, d2 = 0, min = 0, min2 = 0;  // d2, min2: of elements 16..31 (q2_k, q3_k, q6_k)
  uint8_t q[32] = {};
};
// Block i of a row of Block-sized blocks, copied out (rows are byte arrays of any alignment).
template <typename Block>
Block block_at(const uint8_t* row, uint32_t i) {
  Block blk;
  std::memcpy(&blk, row + uint64_t{i} * sizeof blk, sizeof blk);
  return blk;
}
// Sub-block g's scale and min of a q4_K or q5_K block (the same 12-byte scales): x = d·scale·q − dmin·min.
template <typename KBlock>
void set_k4_scale_min(const KBlock& blk, int g, TileBlock& t) {
  uint8_t sc, mn;
  quant::blocks::scale_min_k4(g, blk.scales, sc, mn);
  t.d = quant::fp16_to_f32(blk.d) * sc;
  t.min = quant::fp16_to_f32(blk.dmin) * mn;
}
TileBlock tile_block(GgmlType type, const uint8_t* row, uint32_t b) {
  namespace qb = quant::blocks;
  TileBlock t;
  switch (type) {
    case GgmlType::Q8_0: {
      const auto blk = block_at<qb::Q8_0>(row, b);
      t.d = quant::fp16_to_f32(blk.d);
      std::memcpy(t.q, blk.qs, 32);
      break;
    }
    case GgmlType::Q4_0: {
      const auto blk = block_at<qb::Q4_0>(row, b);
      t.d = quant::fp16_to_f32(blk.d);
      std::memcpy(t.q, blk.qs, 16);
      break;
    }
    case GgmlType::Q4_1: {  // x = d q + m
      const auto blk = block_at<qb::Q4_1>(row, b);
      t.d = quant::fp16_to_f32(blk.d);
      t.min = -quant::fp16_to_f32(blk.m);
      std::memcpy(t.q, blk.qs, 16);
      break;
    }
    case GgmlType::Q4_K: {  // sub-block g of a 256-element block: x = d * scale_g * q - dmin * min_g
      const auto blk = block_at<qb::Q4_K>(row, b / 8);  // the 256-element block holding block b
      const int g = static_cast<int>(b % 8);
      set_k4_scale_min(blk, g, t);
      const uint8_t* q = blk.qs + 32 * (g / 2);  // groups 2j and 2j+1: low and high nibbles of 32 bytes
      const auto nib = [&](int l) { return g % 2 ? q[l] >> 4 : q[l] & 0xF; };
      for (int i = 0; i < 16; ++i) t.q[i] = static_cast<uint8_t>(nib(i) | (nib(i + 16) << 4));
      break;
    }
    case GgmlType::Q6_K: {  // 32 elements of a 256-element block as int8 q - 32, two 16-element scales
      const auto blk = block_at<qb::Q6_K>(row, b / 8);  // the 256-element block holding block b
      const uint32_t h = b % 8 / 4, k = b % 4;          // half of the block, quarter of the half
      const uint8_t* ql = blk.ql + 64 * h + (k % 2) * 32;
      const uint8_t* qh = blk.qh + 32 * h;
      const int8_t* sc = blk.scales + 8 * h + 2 * k;
      const float d = quant::fp16_to_f32(blk.d);
      t.d = d * sc[0];
      t.d2 = d * sc[1];
      for (int l = 0; l < 32; ++l) {
        const int lo = k < 2 ? ql[l] & 0xF : ql[l] >> 4;
        t.q[l] = static_cast<uint8_t>(static_cast<int8_t>((lo | (((qh[l] >> (2 * k)) & 3) << 4)) - 32));
      }
      break;
    }
    case GgmlType::Q5_0:    // int8 q - 16
    case GgmlType::Q5_1: {  // int8 q, min -m (x = d q + m)
      const bool q5_1 = type == GgmlType::Q5_1;
      const uint64_t bytes = q5_1 ? sizeof(qb::Q5_1) : sizeof(qb::Q5_0);
      const uint8_t* blk = row + uint64_t{b} * bytes;
      uint16_t d, m = 0;
      uint32_t qh;
      std::memcpy(&d, blk, 2);
      if (q5_1) std::memcpy(&m, blk + 2, 2);
      std::memcpy(&qh, blk + (q5_1 ? 4 : 2), 4);
      const uint8_t* qs = blk + (q5_1 ? 8 : 6);
      t.d = quant::fp16_to_f32(d);
      t.min = q5_1 ? -quant::fp16_to_f32(m) : 0.0f;
      const int offset = q5_1 ? 0 : 16;
      for (int j = 0; j < 16; ++j) {
        t.q[j] = static_cast<uint8_t>(static_cast<int8_t>(((qs[j] & 0xF) | (((qh >> j) & 1) << 4)) - offset));
        t.q[j + 16] = static_cast<uint8_t>(
            static_cast<int8_t>(((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - offset));
      }
      break;
    }
    case GgmlType::Q2_K: {  // 32 elements as int8 q in [0, 3], a scale and a min per 16
      const auto blk = block_at<qb::Q2_K>(row, b / 8);  // the 256-element block holding block b
      const int g = static_cast<int>(b % 8), shift = 2 * (g % 4);
      const uint8_t* q = blk.qs + 32 * (g / 4);
      const uint8_t* sc = blk.scales + 2 * g;
      const float d = quant::fp16_to_f32(blk.d), dmin = quant::fp16_to_f32(blk.dmin);
      t.d = d * (sc[0] & 0xF);
      t.d2 = d * (sc[1] & 0xF);
      t.min = dmin * (sc[0] >> 4);
      t.min2 = dmin * (sc[1] >> 4);
      for (int l = 0; l < 32; ++l) t.q[l] = static_cast<uint8_t>((q[l] >> shift) & 3);
      break;
    }
    case GgmlType::Q3_K: {  // 32 elements as int8 q in [-4, 3] (a clear hmask bit subtracts 4), two scales
      const auto blk = block_at<qb::Q3_K>(row, b / 8);  // the 256-element block holding block b
      int8_t scales[16];
      qb::q3k_scales(blk.scales, scales);
      const int g = static_cast<int>(b % 8), shift = 2 * (g % 4);
      const uint8_t* q = blk.qs + 32 * (g / 4);
      const float d = quant::fp16_to_f32(blk.d);
      t.d = d * scales[2 * g];
      t.d2 = d * scales[2 * g + 1];
      for (int l = 0; l < 32; ++l)
        t.q[l] = static_cast<uint8_t>(
            static_cast<int8_t>(((q[l] >> shift) & 3) - ((blk.hmask[l] & (1 << g)) ? 0 : 4)));
      break;
    }
    case GgmlType::Q5_K: {  // sub-block g: int8 q (its fifth bit is bit g of qh[l]), d * scale_g, dmin *
                            // min_g
      const auto blk = block_at<qb::Q5_K>(row, b / 8);  // the 256-element block holding block b
      const int g = static_cast<int>(b % 8);
      set_k4_scale_min(blk, g, t);
      const uint8_t* ql = blk.qs + 32 * (g / 2);
      for (int l = 0; l < 32; ++l)
        t.q[l] = static_cast<uint8_t>((g % 2 ? ql[l] >> 4 : ql[l] & 0xF) | (((blk.qh[l] >> g) & 1) << 4));
      break;
    }
    case GgmlType::IQ4_NL:  // int8 codebook values under the block's scale, exactly as the CPU decodes them
    case GgmlType::MXFP4: {
      const bool iq4 = type == GgmlType::IQ4_NL;
      const uint8_t* blk = row + uint64_t{b} * (iq4 ? sizeof(qb::IQ4_NL) : sizeof(qb::MXFP4));
      const int8_t* book = iq4 ? qb::kIq4Values : qb::kMxfp4Values;
      t.d = iq4 ? quant::fp16_to_f32(static_cast<uint16_t>(blk[0] | (blk[1] << 8))) : qb::mxfp4_scale(blk[0]);
      const uint8_t* qs = blk + (iq4 ? 2 : 1);
      for (int j = 0; j < 16; ++j) {
        t.q[j] = static_cast<uint8_t>(book[qs[j] & 0xf]);
        t.q[j + 16] = static_cast<uint8_t>(book[qs[j] >> 4]);
      }
      break;
    }
    case GgmlType::IQ4_XS: {  // sub-block g: d · (its 6-bit scale − 32), as the CPU's dequantizer multiplies
      const auto blk = block_at<qb::IQ4_XS>(row, b / 8);
      const int g = static_cast<int>(b % 8);
      t.d = quant::fp16_to_f32(blk.d) * static_cast<float>(qb::iq4_xs_scale(blk, g));
      const uint8_t* qs = blk.qs + 16 * g;
      for (int j = 0; j < 16; ++j) {
        t.q[j] = static_cast<uint8_t>(qb::kIq4Values[qs[j] & 0xf]);
        t.q[j + 16] = static_cast<uint8_t>(qb::kIq4Values[qs[j] >> 4]);
      }
      break;
    }
    default: {
      if (!quant::is_sub32_type(type)) throw VulkanError("no tiles layout for " + gguf::ggml_type_name(type));
      // the i-quants and ternary types: int8 codes under two scales, exactly (quant::Sub32)
      // (repack_tiles asks for the 8 sub-blocks of a block in turn: decode each block once)
      thread_local quant::Sub32 subs[8];
      // (from the first sub-block on, so a block's bytes are always read afresh)
      thread_local const uint8_t* decoded = nullptr;
      thread_local GgmlType decoded_type = GgmlType::F32;
      const uint8_t* block = row + uint64_t{b / 8} * gguf::ggml_type_traits(type).block_bytes;
      if (block != decoded || type != decoded_type || b % 8 == 0) quant::decode_block(type, block, subs);
      decoded = block;
      decoded_type = type;
      const quant::Sub32& sub = subs[b % 8];
      t.d = sub.d[0];
      t.d2 = sub.d[1];
      std::memcpy(t.q, sub.q, 32);
    }
  }
  return t;
}
std::vector<uint8_t> repack_tiles(GgmlType type, const uint8_t* src, uint32_t rows, uint32_t cols,
                                  RowOrder order) {
  const uint32_t nblk = cols / 32, half = rows / 2, qbytes = tile_quant_bytes(type);
  const uint64_t tb = tile_bytes(type), src_rb = row_bytes(type, cols);
  std::vector<uint8_t> out(uint64_t{tile_groups(rows, order)} * nblk * tb, 0);
  // Each row writes its own bytes of its tiles: the rows are shared among the cores for large tensors
  // (tile_block's decoding cache is per thread).
  const auto pack_rows = [&](uint32_t r0, uint32_t r1) {
    for (uint32_t r = r0; r < r1; ++r) {
      uint32_t pos = r;  // the row's place: group pos / 64, index pos % 64 in it
      if (order == RowOrder::GateUpPairs)
        pos = r < half ? r / 32 * 64 + r % 32 : (r - half) / 32 * 64 + 32 + (r - half) % 32;
      const uint32_t g = pos / kTileRows, j = pos % kTileRows, lane_order = 8 * (j % 8) + j / 8;
      for (uint32_t b = 0; b < nblk; ++b) {
        const TileBlock t = tile_block(type, src + uint64_t{r} * src_rb, b);
        uint8_t* tile = out.data() + (uint64_t{g} * nblk + b) * tb;
        if (qbytes == 32) {  // int8 quants as unsigned bytes q + 128 (the kernels' TILES_INT8)
          for (uint32_t i = 0; i < 32; ++i) tile[j * qbytes + i] = static_cast<uint8_t>(t.q[i] ^ 0x80);
        } else {
          std::memcpy(tile + j * qbytes, t.q, qbytes);
        }
        if (tile_scales(type) == 2) {  // each row's two scales side by side
          std::memcpy(tile + kTileRows * qbytes + lane_order * 8, &t.d, 4);
          std::memcpy(tile + kTileRows * qbytes + lane_order * 8 + 4, &t.d2, 4);
        } else {
          std::memcpy(tile + kTileRows * qbytes + lane_order * 4, &t.d, 4);
        }
        uint8_t* mins = tile + kTileRows * (qbytes + 4 * tile_scales(type));
        if (tile_mins(type) == 2) {
          std::memcpy(mins + lane_order * 8, &t.min, 4);
          std::memcpy(mins + lane_order * 8 + 4, &t.min2, 4);
        } else if (tile_mins(type) == 1) {
          std::memcpy(mins + lane_order * 4, &t.min, 4);
        }
      }
    }
  };
  const uint64_t threads =
      std::min<uint64_t>({uint64_t(cpu::default_thread_count()), out.size() / (4u << 20), rows});
  if (threads <= 1) {
    pack_rows(0, rows);
    return out;
  }
  std::vector<std::thread> workers;
  const auto share = [&](uint64_t t) { return static_cast<uint32_t>(rows * t / threads); };
  for (uint64_t t = 1; t < threads; ++t) workers.emplace_back([&, t] { pack_rows(share(t), share(t + 1)); });
  pack_rows(0, share(1));
  for (auto& w : workers) w.join();
  return out;
}

// True where a weight of this type is stored in tiles (every quantized type) on CPU devices that can view any
// slice as texels.
bool uses_tiles(const DeviceInfo& info, GgmlType type) {
  const bool tiled_type = gguf::ggml_type_traits(type).block_elements > 1;
  return tiled_type && !use_gpu_kernels(info) &&
         info.max_storage_buffer_range / 16 <= info.max_texel_buffer_elements;
}

// Rows per workgroup and workgroups of a tiles matvec over out_rows output rows: a pass of the 8 lanes
// covers kTilesRowsPerLane rows each (half of them output rows for gate|up); ~8 workgroups keep every core
// busy.
struct TilesGrid {
  uint32_t rows_per_wg, groups;
};
TilesGrid tiles_grid(uint32_t out_rows, uint32_t nv, bool gate_up) {
  const uint32_t per_pass = kTilesRowsPerLane[nv == 8 ? 1 : 0] / (gate_up ? 2 : 1) * kTileLanes;
  const uint32_t rpw = per_pass * std::max(1u, out_rows / 8 / per_pass);
  return {rpw, (out_rows + rpw - 1) / rpw};
}
// Subgroups in a workgroup of the 8 tile lanes (each writes its own deferred-norm sum).
uint32_t subgroups_per_tile_wg(const DeviceInfo& info) {
  const uint32_t sg = std::max(info.subgroup_size, 1u);
  return (kTileLanes + sg - 1) / sg;
}
uint32_t norm_stride(uint32_t slots) {
  return (slots + 3) / 4 * 4;
}

void check_weight(const WeightTensor& w) {
  if (w.slices.empty()) throw VulkanError("weight tensor was never uploaded");
}

}  // namespace

bool kernel_supports(GgmlType type) {
  switch (type) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16:
    case GgmlType::Q8_0:
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K:
    case GgmlType::IQ4_NL:
    case GgmlType::IQ4_XS:
    case GgmlType::MXFP4:
      return true;
    default:
      return quant::is_sub32_type(type);
  }
}

uint64_t gate_up_pair_bytes(const DeviceInfo& info, GgmlType type, uint32_t n_ff, uint32_t cols) {
  if (uses_tiles(info, type))
    return uint64_t{tile_groups(2 * n_ff, RowOrder::GateUpPairs)} * kTileRows * tile_row_bytes(type, cols);
  return 2 * uint64_t{n_ff} * device_row_bytes(type, cols, use_gpu_kernels(info));
}

bool inlines_norm(const DeviceInfo& info, const WeightTensor& w, uint32_t n_vec) {
  return use_gpu_kernels(info) && gpu_layout(w.type).has_value() && n_vec <= kMatvecMaxVectors;
}

namespace {
// Refuses an InlineNorm where the kernel recorded would not apply it (possible = false: never applied there).
void check_inline_norm(const DeviceInfo& info, const WeightTensor& w, const MatShape& s,
                       bool possible = true) {
  if (s.inline_norm && !(possible && inlines_norm(info, w, s.n_vec)))
    throw VulkanError("inline RMSNorm: only for the GPU kernels' mat-vec of a few vectors");
}

// 1 to kMaxGroupExperts expert ids, each below n_experts (what: the caller, for the message).
void check_expert_ids(std::span<const uint32_t> ids, uint64_t n_experts, const char* what) {
  if (ids.empty() || ids.size() > kMaxGroupExperts)
    throw VulkanError(std::string(what) + ": at most " + std::to_string(kMaxGroupExperts) +
                      " experts per product (and at least 1)");
  for (const uint32_t e : ids)
    if (e >= n_experts)
      throw VulkanError(std::string(what) + ": expert " + std::to_string(e) + " of " +
                        std::to_string(n_experts));
}

// A table of `count` entries of `entry_bytes` (device expert ids, expert tiles): at least one, all there.
void check_table(const BufferRange& table, uint32_t count, uint32_t entry_bytes, const char* what,
                 const char* entries) {
  if (count == 0 || table.size < uint64_t{count} * entry_bytes)
    throw VulkanError(std::string(what) + ": a table of " + std::to_string(count) + " " + entries +
                      " needs that many (and at least 1)");
}
void check_device_ids(const DeviceExpertIds& ids, const char* what) {
  check_table(ids.ids, ids.count, sizeof(uint32_t), what, "expert ids");
}
void check_tiles(const ExpertTiles& tiles, const char* what) {
  check_table(tiles.table, tiles.count, 3 * sizeof(uint32_t), what, "tiles");
}

void check_row_groups(const DeviceInfo& info, const WeightTensor& w, const MatShape& s) {
  if (s.expert_tiles) {
    if (!expert_groups_supported(info, w, s.group_rows))
      throw VulkanError("expert tiles: need the experts of " + std::to_string(s.group_rows) +
                        " rows (a multiple of " + std::to_string(kExpertGroupRows) +
                        ") stacked in one slice");
    if (!s.expert_ids.empty() || s.device_ids || s.x_group || s.y_group)
      throw VulkanError("expert tiles take neither expert ids nor row group offsets");
    check_tiles(*s.expert_tiles, "expert tiles");
    if (s.norm_write || s.norm_read || s.inline_norm) throw VulkanError("expert tiles take no RMSNorm");
    return;
  }
  if (!s.group_rows && s.expert_ids.empty() && !s.device_ids) return;
  if (!s.expert_ids.empty() || s.device_ids) {
    if (!expert_groups_supported(info, w, s.group_rows))
      throw VulkanError("expert ids: need the experts of " + std::to_string(s.group_rows) +
                        " rows (a multiple of " + std::to_string(kExpertGroupRows) +
                        ") stacked in one slice, and kernels other than the CPU devices' tiles");
    if (s.device_ids && !s.expert_ids.empty())
      throw VulkanError("expert ids: from the host or from the device, not both");
    if (s.device_ids) {
      check_device_ids(*s.device_ids, "expert ids");
      if (s.n_vec > kMatvecMaxVectors)
        throw VulkanError("expert ids on the device: the mat-vec kernels only (at most " +
                          std::to_string(kMatvecMaxVectors) + " vectors)");
    } else {
      check_expert_ids(s.expert_ids, w.rows / s.group_rows, "expert ids");
    }
  } else if (!row_groups_supported(info, w, s.group_rows)) {
    throw VulkanError("row groups of " + std::to_string(s.group_rows) +
                      " rows: need one slice of whole groups of a multiple of " +
                      std::to_string(row_group_multiple(info, w.type)) + " rows");
  }
  if (s.x_group % 4 != 0) throw VulkanError("row groups: x_group must be a multiple of 4");
  if (s.norm_write || s.norm_read || s.inline_norm) throw VulkanError("row groups take no RMSNorm");
}
}  // namespace

bool expert_ids_supported(const DeviceInfo& info, GgmlType type) {
  return kernel_supports(type) && !uses_tiles(info, type);
}

bool expert_groups_supported(const DeviceInfo& info, const WeightTensor& w, uint32_t rows) {
  return rows > 0 && rows % kExpertGroupRows == 0 && w.rows % rows == 0 && w.slices.size() == 1 &&
         expert_ids_supported(info, w.type);
}

uint32_t row_group_multiple(const DeviceInfo& info, GgmlType type) {
  return uses_tiles(info, type) ? kRowGroupRows : kExpertGroupRows;
}

bool row_groups_supported(const DeviceInfo& info, const WeightTensor& w, uint32_t group_rows) {
  return group_rows > 0 && group_rows % row_group_multiple(info, w.type) == 0 && w.rows % group_rows == 0 &&
         w.slices.size() == 1 && w.order == RowOrder::Plain;
}

bool matvec_swiglu_supported(const DeviceInfo& info, GgmlType type) {
  return uses_tiles(info, type) || (use_gpu_kernels(info) && gpu_layout(type).has_value());
}

uint64_t tile_row_bytes(GgmlType type, uint32_t cols) {
  return uint64_t{cols} / 32 * (tile_bytes(type) / kTileRows);
}

bool defers_norm(const DeviceInfo& info, const WeightTensor& w) {
  return uses_tiles(info, w.type) && w.slices.size() == 1;
}

uint32_t norm_slots(const DeviceInfo& info, const WeightTensor& w, uint32_t n_vec) {
  return tiles_grid(w.rows, n_vec > kMatvecMaxVectors ? 8 : 1, false).groups * subgroups_per_tile_wg(info);
}

std::string kernel_type_name(GgmlType type) {
  std::string name = gguf::ggml_type_name(type);
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

WeightTensor upload_weight(Context& ctx, Arena& arena, GgmlType type, uint32_t rows, uint32_t cols,
                           const void* data, const Progress& progress, RowOrder order) {
  if (!kernel_supports(type))
    throw VulkanError("the Vulkan kernels cannot read tensors of type " + gguf::ggml_type_name(type));
  const auto traits = gguf::ggml_type_traits(type);
  if (cols == 0 || rows == 0 || cols % traits.block_elements != 0)
    throw VulkanError("a " + gguf::ggml_type_name(type) + " row of " + std::to_string(cols) +
                      " elements is not a whole number of blocks");
  const uint64_t src_rb = row_bytes(type, cols);
  const bool gpu = use_gpu_kernels(ctx.device().info());
  const bool repack_gpu_layout = gpu && gpu_layout(type).has_value();
  // CPU devices read quantized types through texel loads in 64-row tiles (every slice but the last a whole
  // number of them).
  const bool tiles = uses_tiles(ctx.device().info(), type);
  const uint64_t rb = tiles ? tile_row_bytes(type, cols) : device_row_bytes(type, cols, gpu);
  const uint64_t max_range = ctx.device().info().max_storage_buffer_range;
  const uint64_t align = std::max<uint64_t>(ctx.device().info().min_storage_offset_alignment, 16);
  if (rb > max_range) throw VulkanError("one tensor row is larger than maxStorageBufferRange");
  // Slice boundaries must land on aligned offsets: a multiple of `step` rows is.
  const uint64_t step = align / std::gcd(rb, align);
  // The i-quants' codebook follows each slice's rows where the kernels read the GGUF layout (not in tiles).
  const std::vector<uint32_t>& codebook = codebook_words(type);
  const uint64_t codebook_bytes = tiles || codebook.empty() ? 0 : 4 * codebook.size() + 3;  // + word padding
  if (rb + codebook_bytes > max_range)
    throw VulkanError("one tensor row is larger than maxStorageBufferRange");
  uint64_t per_slice = (max_range - codebook_bytes) / rb / step * step;
  if (per_slice == 0)
    per_slice = (max_range - codebook_bytes) / rb;  // cannot align; each slice starts a range
  if (tiles) per_slice = per_slice / kTileRows * kTileRows;
  if (per_slice == 0) throw VulkanError("one tile of tensor rows is larger than maxStorageBufferRange");
  if (order == RowOrder::GateUpPairs) {  // (tiles pair the rows as they pack, the GPU layouts as they repack)
    if (!(tiles || repack_gpu_layout) || rows % 2 != 0)
      throw VulkanError(
          "gate|up pairs are a layout of quantized types (CPU devices' tiles or the GPU kernels' layouts), "
          "for an even number of rows");
    if (tiles ? uint64_t{tile_groups(rows, order)} * kTileRows > per_slice : rows * rb > max_range)
      throw VulkanError("gate|up pairs must fit one slice of maxStorageBufferRange");
    per_slice = rows;
  }

  WeightTensor w{type, rows, cols, {}, order};
  const uint64_t total = rb * rows;
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (uint64_t r0 = 0; r0 < rows; r0 += per_slice) {
    const auto n = static_cast<uint32_t>(std::min<uint64_t>(per_slice, rows - r0));
    const BufferRange range =
        arena.allocate(rb * (tiles ? uint64_t{tile_groups(n, order)} * kTileRows : n) + codebook_bytes);
    const uint64_t base = r0 * rb;
    const auto report = [&](uint64_t done, uint64_t) {
      if (progress) progress(base + done, total);
    };
    if (tiles) {
      const auto packed = repack_tiles(type, bytes + r0 * src_rb, n, cols, order);
      ctx.upload(range, packed.data(), packed.size(), report);
    } else if (repack_gpu_layout) {  // (gate|up pairs: one slice, the pairs made while repacking)
      const uint64_t packed = repack_gpu_bytes(type, n, cols);
      uint8_t* scratch = ctx.host_scratch(packed);
      repack_gpu_into(type, bytes + r0 * src_rb, n, cols, scratch, order == RowOrder::GateUpPairs);
      ctx.upload(range, scratch, packed, report);
    } else if (type == GgmlType::Q8_0 && !gpu) {
      const auto packed = repack_q8_0(bytes + r0 * src_rb, n, cols);
      ctx.upload(range, packed.data(), packed.size(), report);
    } else if (codebook_bytes) {
      std::vector<uint8_t> packed((rb * n + 3) / 4 * 4 + 4 * codebook.size(), 0);
      std::memcpy(packed.data(), bytes + r0 * src_rb, rb * n);
      std::memcpy(packed.data() + (rb * n + 3) / 4 * 4, codebook.data(), 4 * codebook.size());
      ctx.upload(range, packed.data(), packed.size(), report);
    } else {
      ctx.upload(range, bytes + r0 * src_rb, rb * n, report);
    }
    w.slices.push_back({range, static_cast<uint32_t>(r0), n});
  }
  return w;
}

// Workgroup size of the reduction kernels (norms, attention). CPU implementations run a workgroup as SIMD
// loops with each barrier a switch between them: there one subgroup per workgroup, so a barrier is cheap.
uint32_t Recorder::reduce_wg() const {
  const auto& info = ctx_->device().info();
  return info.type == "cpu" ? std::max(info.subgroup_size, 4u) : kReduceWg;
}

Recorder::Recorder(Context& ctx)
    : ctx_(&ctx), cmd_(CommandBuffer::Create(ctx.device(), ctx.command_pool())), descriptors_(ctx.device()) {
  if (profiling_enabled()) timer_ = std::make_unique<DispatchTimer>(ctx.device());
}
Recorder::~Recorder() = default;

void Recorder::begin() {
  cmd_.begin();
  if (timer_) timer_->begin(cmd_.handle());
}
void Recorder::end() {
  cmd_.host_read_barrier();
  cmd_.end();
}
void Recorder::submit_and_wait() {
  ctx_->submit_and_wait(cmd_);
  if (timer_) timer_->collect();
}
void Recorder::barrier() {
  cmd_.dispatch_barrier();
}

void Recorder::copy(const BufferRange& src, const BufferRange& dst, uint64_t bytes) {
  cmd_.transfer_barrier();
  cmd_.copy_buffer(src, dst, bytes);
  cmd_.transfer_barrier();
}

void Recorder::copy_rows(const BufferRange& src, const BufferRange& dst, uint32_t floats, uint32_t rows,
                         uint32_t src_stride, uint32_t dst_stride) {
  const uint64_t f = sizeof(float);
  if (rows && (uint64_t(rows - 1) * src_stride + floats) * f > src.size)
    throw VulkanError("copy_rows: the rows overrun the source range");
  if (rows && (uint64_t(rows - 1) * dst_stride + floats) * f > dst.size)
    throw VulkanError("copy_rows: the rows overrun the destination range");
  cmd_.transfer_barrier();
  cmd_.copy_buffer_rows(src, dst, floats * f, rows, src_stride * f, dst_stride * f);
  cmd_.transfer_barrier();
}

void Recorder::dispatch_raw(const Pipeline& pipeline, std::span<const BufferRange> buffers,
                            std::span<const std::byte> push, uint32_t x, uint32_t y, uint32_t z,
                            std::span<const VkBufferView> texels) {
  if (x == 0 || y == 0 || z == 0) return;  // nothing to do (e.g. zero tokens)
  VkDescriptorSet set = descriptors_.allocate(pipeline, buffers, texels);
  cmd_.bind_pipeline_and_descriptor_set(pipeline, set);
  cmd_.push_constants(pipeline, push);
  cmd_.dispatch(x, y, z);
  if (timer_) timer_->after_dispatch(cmd_.handle(), pipeline.name());
}

void Recorder::dispatch_shader(std::string_view shader, std::span<const BufferRange> buffers,
                               std::span<const std::byte> push, uint32_t x, uint32_t y, uint32_t z) {
  const Pipeline& p =
      ctx_->pipeline(shader, static_cast<uint32_t>(buffers.size()), static_cast<uint32_t>(push.size()));
  dispatch_raw(p, buffers, push, x, y, z);
}

template <typename Push>
void Recorder::dispatch(const char* shader, std::span<const BufferRange> buffers, const Push& push,
                        uint32_t x, uint32_t y, uint32_t z, std::span<const uint32_t> spec,
                        std::span<const VkBufferView> texels) {
  const Pipeline& p = ctx_->pipeline(shader, static_cast<uint32_t>(buffers.size()), sizeof(Push), spec,
                                     static_cast<uint32_t>(texels.size()));
  dispatch_raw(p, buffers, bytes_of(push), x, y, z, texels);
}

VkBufferView Recorder::texels(const BufferRange& r) {
  const auto& info = ctx_->device().info();
  const uint64_t size = r.size / 16 * 16;
  if (size == 0 || r.offset % std::max<uint64_t>(info.min_texel_offset_alignment, 1) != 0 ||
      size / 16 > info.max_texel_buffer_elements)
    return VK_NULL_HANDLE;
  auto& view = views_[{r.buffer, r.offset, size}];
  if (view.get() == VK_NULL_HANDLE) {
    VkBufferViewCreateInfo vi{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
    vi.buffer = r.buffer;
    vi.format = VK_FORMAT_R32G32B32A32_UINT;
    vi.offset = r.offset;
    vi.range = size;
    VkBufferView raw = VK_NULL_HANDLE;
    check(vkCreateBufferView(ctx_->device().handle(), &vi, nullptr, &raw), "vkCreateBufferView");
    view = {ctx_->device().handle(), raw};
  }
  return view.get();
}

void Recorder::elementwise(const char* shader, std::span<const BufferRange> buffers,
                           std::span<const std::byte> push, uint64_t n) {
  const uint64_t groups = (n + 255) / 256;
  const auto x = static_cast<uint32_t>(std::min<uint64_t>(groups, kMaxGroups));
  const auto y = x ? static_cast<uint32_t>((groups + x - 1) / x) : 0;
  const Pipeline& p =
      ctx_->pipeline(shader, static_cast<uint32_t>(buffers.size()), static_cast<uint32_t>(push.size()));
  dispatch_raw(p, buffers, push, x, y, 1);
}

void Recorder::matvec(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape s) {
  check_weight(w);
  if (w.order != RowOrder::Plain) throw VulkanError("matvec: gate|up pairs are read by matvec_swiglu only");
  if (s.expert_tiles) throw VulkanError("expert tiles: the GPU kernels' GEMMs only");
  check_row_groups(ctx_->device().info(), w, s);
  if ((s.norm_write || s.norm_read) && !defers_norm(ctx_->device().info(), w))
    throw VulkanError("deferred RMSNorm: only for CPU devices' tiles in one slice");
  check_inline_norm(ctx_->device().info(), w, s);
  if (use_gpu_kernels(ctx_->device().info()) && gpu_layout(w.type)) {
    matvec_gpu(w, x, y, s);
    return;
  }
  // More than a few vectors: the variant that computes 8 vectors per subgroup (each weight chunk dequantized
  // once for the 8).
  const uint32_t nv = s.n_vec > kMatvecMaxVectors ? 8 : 1;
  const uint32_t x_stride = s.x_stride ? s.x_stride : w.cols;
  // f32 rows of a multiple of 4 with a vec4-aligned x: 4 elements per load (type_f32x4.glsl).
  const bool f32x4 = w.type == GgmlType::F32 && w.cols % 4 == 0 && x_stride % 4 == 0 && x.offset % 16 == 0;
  const std::string shader =
      (nv == 8 ? "matvec8_" : "matvec_") + (f32x4 ? std::string("f32x4") : kernel_type_name(w.type));
  // One subgroup per workgroup, computing MR (4 or 8) rows at a time (see matvec_body.glsl).
  const uint32_t sg = std::max(ctx_->device().info().subgroup_size, 1u);
  // Rows per workgroup (a multiple of 8, so of MR). GPUs: 8 (many workgroups). CPU implementations, where
  // each workgroup has a fixed cost: one vector takes as many rows as keep ~8 workgroups per slice (every
  // core busy), up to 128; batches take 16 (measured best on lavapipe).
  const bool cpu = ctx_->device().info().type == "cpu";
  const auto rows_per_wg = [&](uint32_t rows) {
    if (nv == 8) return 16u;
    return cpu ? std::clamp(rows / 8 / 8 * 8, kMatvecRowsPerWg, 128u) : kMatvecRowsPerWg;
  };

  if (gguf::ggml_type_traits(w.type).block_elements >= 16 && (x_stride % 4 != 0 || x.offset % 16 != 0))
    throw VulkanError("matvec: quantized weights read x as vec4; x_stride must be a multiple of 4");
  if (uses_tiles(ctx_->device().info(), w.type)) {
    matvec_tiles(w, x, y, s, false);
    return;
  }
  for (const auto& slice : w.slices) {
    const WeightProductPush push = product_push(w, slice, s);
    // (binding 3: the device's expert ids, else y again, unused)
    const BufferRange buffers[] = {slice.range, x, y, s.device_ids ? s.device_ids->ids : y};
    const uint32_t rows = out_rows(slice, s);
    const uint32_t rpw = rows_per_wg(rows);
    const uint32_t spec[] = {sg, rpw};
    const uint32_t groups = (rows + rpw - 1) / rpw;
    const uint32_t gx = std::min(groups, kMaxGroups);
    const uint32_t gy = (s.n_vec + nv - 1) / nv, gz = (groups + gx - 1) / gx;
    dispatch(shader.c_str(), buffers, push, gx, gy, gz, spec);
  }
}

// CPU implementations: quantized weights (in tiles) and x read through texel loads, which llvmpipe turns into
// one 16-byte load per lane (its storage-buffer loads are a branchy per-lane loop per 32-bit word); each of
// the 8 lanes owns kTilesRowsPerLane rows of a pass (matvec_tiles.glsl).
void Recorder::matvec_tiles(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape s,
                            bool gate_up) {
  const uint32_t nv = s.n_vec > kMatvecMaxVectors ? 8 : 1;
  // (one slice for a deferred norm: matvec checks defers_norm(), matvec_swiglu takes one slice only)
  if (s.norm_write && (s.norm_read || gate_up || !s.accumulate))
    throw VulkanError("deferred RMSNorm is written by a residual-accumulating matvec that reads none");
  if (gate_up) {
    if (!s.y_stride) s.y_stride = w.rows / 2;
    s.accumulate = false;
  }
  const VkBufferView x_view = texels(x);
  for (const auto& slice : w.slices) {
    const auto grid = tiles_grid(gate_up ? slice.rows / 2 : slice.rows, nv, gate_up);
    TilesPush push{product_push(w, slice, s), 0, 0, 0, 0.0f};
    // unused bindings point at y and x (descriptors must be valid)
    BufferRange gain = y, xg = y, partials = y;
    VkBufferView partial_view = x_view;
    if (s.norm_write) {
      push.norm_write = 1;
      push.norm_stride = norm_stride(grid.groups * subgroups_per_tile_wg(ctx_->device().info()));
      gain = s.norm_write->gain;
      xg = s.norm_write->xg;
      partials = s.norm_write->partials;
    }
    if (s.norm_read) {
      push.norm_slots = s.norm_read->slots;
      push.norm_stride = norm_stride(s.norm_read->slots);
      push.norm_eps = s.norm_read->eps;
      partial_view = texels(s.norm_read->partials);
    }
    if (push.norm_stride > kMaxNormStride)
      throw VulkanError("deferred RMSNorm: more than " + std::to_string(kMaxNormStride) + " partial sums");
    const BufferRange buffers[] = {slice.range, x, y, gain, xg, partials};
    const VkBufferView views[] = {texels(slice.range), x_view, partial_view};
    if (views[0] == VK_NULL_HANDLE || views[1] == VK_NULL_HANDLE || views[2] == VK_NULL_HANDLE)
      throw VulkanError("matvec: cannot view the weights, x or the norm sums as texels");
    const uint32_t spec[] = {kTileLanes, grid.rows_per_wg};
    const uint32_t gx = std::min(grid.groups, kMaxGroups), gz = (grid.groups + gx - 1) / gx;
    const std::string shader =
        (nv == 8 ? "matvec8_" : "matvec_") + tiles_kernel(w.type) + "_tiles" + (gate_up ? "_swiglu" : "");
    dispatch(shader.c_str(), buffers, push, gx, (s.n_vec + nv - 1) / nv, gz, spec, views);
  }
}

void Recorder::matvec_swiglu(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape s,
                             const BufferRange& scratch) {
  check_weight(w);
  const auto& info = ctx_->device().info();
  if (!matvec_swiglu_supported(info, w.type) || w.slices.size() != 1 || w.order != RowOrder::GateUpPairs)
    throw VulkanError(
        "matvec_swiglu: needs gate|up pairs of a matvec_swiglu_supported type (RowOrder::GateUpPairs)");
  check_inline_norm(info, w, s);
  if (s.group_rows && expert_groups(s) == 0 && !s.expert_tiles)
    throw VulkanError("matvec_swiglu: row groups only with expert ids or tiles");
  check_row_groups(info, w, s);  // (expert ids: not the tiles)
  if (uses_tiles(info, w.type)) {
    matvec_tiles(w, x, y, s, true);
    return;
  }
  // GPU kernels: interleaved pairs
  if (s.norm_write || s.norm_read || s.accumulate)
    throw VulkanError("matvec_swiglu: the GPU kernels neither accumulate nor defer a norm");
  const uint32_t rows = out_rows(w.slices[0], s);  // (gate and up rows of the experts named)
  const uint32_t n_ff = rows / 2;
  const uint32_t y_stride = s.y_stride ? s.y_stride : n_ff;
  if (s.n_vec <= kMatvecMaxVectors && !s.expert_tiles) {
    s.y_stride = y_stride;
    matvec_gpu(w, x, y, s, true);
    return;
  }
  // (the GEMM's gate|up rows, then SwiGLU over them as one block per vector: one expert's)
  if (s.expert_ids.size() > 1) throw VulkanError("matvec_swiglu: a batch takes one expert at a time");
  if (scratch.size < uint64_t{s.n_vec} * rows * sizeof(float))
    throw VulkanError("matvec_swiglu: a batch of " + std::to_string(s.n_vec) +
                      " vectors needs a scratch of " + std::to_string(uint64_t{s.n_vec} * rows) + " floats");
  matmul(w, x, scratch,
         {.n_vec = s.n_vec,
          .x_stride = s.x_stride,
          .y_stride = rows,
          .group_rows = s.group_rows,
          .y_group = s.expert_tiles ? 0 : s.group_rows,
          .expert_ids = s.expert_ids,
          .expert_tiles = s.expert_tiles});
  barrier();
  const uint32_t n = s.n_vec * n_ff;
  const BufferRange buffers[] = {scratch, y};
  elementwise("swiglu_pairs", buffers, bytes_of(SwigluPairsPush{n, n_ff, y_stride}), n);
}

void Recorder::matvec_gpu(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape s,
                          bool swiglu) {
  const uint32_t x_stride = s.x_stride ? s.x_stride : w.cols;
  if (x_stride % 4 != 0 || x.offset % 16 != 0)
    throw VulkanError("matvec: quantized weights read x as vec4; x_stride must be a multiple of 4");
  const std::string shader = "matvec_gpu_" + kernel_type_name(w.type) + (swiglu ? "_swiglu" : "");
  MatvecTuning t = matvec_tuning();
  if (swiglu) t.mr = (t.mr + 1) / 2 * 2;             // whole gate|up pairs per subgroup
  if (straddles(w, s, t.mr)) t.mr = swiglu ? 2 : 1;  // a subgroup's rows in one row group
  const uint32_t sg = std::max(ctx_->device().info().subgroup_size, 1u);
  // Rows per workgroup: MR per subgroup (any real subgroup size stays correct: the subgroups stride).
  const uint32_t rpw = std::max(1u, t.wg / sg) * t.mr;
  // inline RMSNorm: its gain at binding 3 and eps as a specialization constant (else binding 3 is x, unused)
  uint32_t eps_bits = 0;
  if (s.inline_norm) std::memcpy(&eps_bits, &s.inline_norm->eps, sizeof eps_bits);
  for (const auto& slice : w.slices) {
    const WeightProductPush push = product_push(w, slice, s);
    // (binding 4: the device's expert ids, else y again, unused)
    const BufferRange buffers[] = {slice.range, x, y, s.inline_norm ? s.inline_norm->gain : x,
                                   s.device_ids ? s.device_ids->ids : y};
    const uint32_t spec[] = {t.wg, rpw, t.mr, t.unroll, s.inline_norm ? 1u : 0u, eps_bits, t.words ? 1u : 0u};
    const uint32_t groups = (out_rows(slice, s) + rpw - 1) / rpw;
    const uint32_t gx = std::min(groups, kMaxGroups);
    dispatch(shader.c_str(), buffers, push, gx, s.n_vec, (groups + gx - 1) / gx, spec);
  }
}

void Recorder::matmul(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape s) {
  check_weight(w);
  if (uses_tiles(ctx_->device().info(), w.type))
    return matvec(w, x, y, s);  // CPU devices: the batched matvec reads the tiles
  if (s.norm_write || s.norm_read) throw VulkanError("deferred RMSNorm: only for CPU devices' tiles");
  check_inline_norm(ctx_->device().info(), w, s, /*possible=*/false);
  check_row_groups(ctx_->device().info(), w, s);
  const uint32_t x_stride = s.x_stride ? s.x_stride : w.cols;
  const bool gpu = use_gpu_kernels(ctx_->device().info());
  const bool aligned = x_stride % 4 == 0 && x.offset % 16 == 0;
  if (s.expert_tiles && !(gpu && aligned && w.cols % 4 == 0))
    throw VulkanError("expert tiles: the GPU kernels' GEMMs only (x vec4-aligned)");
  if (gpu && aligned && w.cols % 32 == 0 && coopmat_enabled(*ctx_)) {
    matmul_coopmat(w, x, y, s);
  } else if (gpu && aligned && w.cols % 4 == 0) {
    matmul_tiled(w, x, y, s);
  } else {
    if (gpu && gpu_layout(w.type))
      throw VulkanError("matmul: quantized weights read x as vec4; x_stride must be a multiple of 4");
    const std::string shader = "matmul_" + kernel_type_name(w.type);
    for (const auto& slice : w.slices) {
      const WeightProductPush push = product_push(w, slice, s);
      const BufferRange buffers[] = {slice.range, x, y};
      dispatch(shader.c_str(), buffers, push, (out_rows(slice, s) + 31) / 32, (s.n_vec + 31) / 32);
    }
  }
}

void Recorder::matmul_coopmat(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape s) {
  check_weight(w);
  check_row_groups(ctx_->device().info(), w, s);
  // tensor cores (matmul_cm_body.glsl): coopmat_tile()
  const DeviceInfo& info = ctx_->device().info();
  const bool precise = coopmat_precise();  // (PRECISE: the hi/lo split, else f16 alone)
  CoopmatTile t = coopmat_tile(info, precise);
  if (!info.coopmat())
    throw VulkanError("the tensor-core GEMM: " + info.name + " has no cooperative matrices");
  const std::string shader =
      (info.coopmat_khr ? "matmul_cmk_" : "matmul_cm_") + layout_name(w.type, use_gpu_kernels(info));
  if (straddles(w, s, t.bm)) {  // a tile's rows in one row group
    t.bm = 64;
    t.wm = std::min(t.wm, t.bm);
  }
  if (s.expert_tiles) {  // (a tile's tokens: at most kExpertTileVectors)
    t.bn = kExpertTileVectors;
    t.wn = std::min(t.wn, t.bn);
  }
  const uint32_t spec[] = {precise ? 1u : 0u, t.bm, t.bn, t.wg(), t.subgroup, t.side, t.wm, t.wn};
  for (const auto& slice : w.slices) {
    const WeightProductPush push = product_push(w, slice, s);
    // (binding 3: the expert tiles' table, else y again, unused)
    const BufferRange buffers[] = {slice.range, x, y, s.expert_tiles ? s.expert_tiles->table : y};
    const uint32_t tiles = s.expert_tiles ? s.expert_tiles->count : (s.n_vec + t.bn - 1) / t.bn;
    dispatch(shader.c_str(), buffers, push, (out_rows(slice, s) + t.bm - 1) / t.bm, tiles, 1, spec);
  }
}

void Recorder::matmul_tiled(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape s) {
  check_weight(w);
  check_row_groups(ctx_->device().info(), w, s);
  // the register-blocked tiled GEMM (matmul_tiled_body.glsl)
  const std::string shader = "matmul_tiled_" + layout_name(w.type, use_gpu_kernels(ctx_->device().info()));
  MatmulTuning t = matmul_tuning(ctx_->device().info());
  if (straddles(w, s, t.bm)) t = {64, 64, 16, 4, 4};  // a tile's rows in one row group
  if (s.expert_tiles) t = expert_tile_tuning(ctx_->device().info());
  const uint32_t spec[] = {t.wg(), t.bm, t.bn, t.bk, t.tm, t.tn};
  for (const auto& slice : w.slices) {
    const WeightProductPush push = product_push(w, slice, s);
    // (binding 3: the expert tiles' table, else y again, unused)
    const BufferRange buffers[] = {slice.range, x, y, s.expert_tiles ? s.expert_tiles->table : y};
    const uint32_t tiles = s.expert_tiles ? s.expert_tiles->count : (s.n_vec + t.bn - 1) / t.bn;
    dispatch(shader.c_str(), buffers, push, (out_rows(slice, s) + t.bm - 1) / t.bm, tiles, 1, spec);
  }
}

void Recorder::project(const WeightTensor& w, const BufferRange& x, const BufferRange& y, MatShape s) {
  if (s.expert_tiles) return matmul(w, x, y, s);  // (however few the vectors)
  // CPU implementations (lavapipe): the batched matvec, whose loads per multiply-add are fewer than the
  // shared-memory GEMM's (every load is a per-lane loop there).
  // The GPU kernels (also when forced on a CPU implementation): the tiled GEMM for batches.
  const bool gpu = use_gpu_kernels(ctx_->device().info());
  if (s.n_vec <= kMatvecMaxVectors || (!gpu && ctx_->device().info().type == "cpu"))
    matvec(w, x, y, s);
  else
    matmul(w, x, y, s);
}

void Recorder::get_rows(const WeightTensor& w, const BufferRange& state, const BufferRange& out,
                        uint32_t n_tokens, bool by_position, bool accumulate) {
  check_weight(w);
  const bool tiles = uses_tiles(ctx_->device().info(), w.type);
  const std::string shader =
      "get_rows_" +
      (tiles ? tiles_kernel(w.type) + "_tiles" : layout_name(w.type, use_gpu_kernels(ctx_->device().info())));
  // One dispatch per slice; each writes only the tokens whose row lies in its slice, so the slices' writes
  // are disjoint (no barrier between them) and accumulate adds each row exactly once.
  for (const auto& slice : w.slices) {
    GetRowsPush push{w.cols, slice.rows,     by_position ? 1u : 0u, accumulate ? 1u : 0u,
                     w.cols, slice.first_row};
    const BufferRange buffers[] = {slice.range, out, state};
    dispatch(shader.c_str(), buffers, push, n_tokens);
  }
}

void Recorder::rmsnorm(const BufferRange& x, const BufferRange& w, const BufferRange& y, RowsShape s,
                       float eps) {
  NormPush push{s.n, s.x_stride ? s.x_stride : s.n, s.y_stride ? s.y_stride : s.n, eps};
  const BufferRange buffers[] = {x, w, y};
  const uint32_t spec[] = {reduce_wg()};
  dispatch("rmsnorm", buffers, push, s.n_rows, 1, 1, spec);
}

void Recorder::layernorm(const BufferRange& x, const BufferRange& w, const BufferRange& b,
                         const BufferRange& y, RowsShape s, float eps) {
  NormPush push{s.n, s.x_stride ? s.x_stride : s.n, s.y_stride ? s.y_stride : s.n, eps};
  const BufferRange buffers[] = {x, w, b, y};
  const uint32_t spec[] = {reduce_wg()};
  dispatch("layernorm", buffers, push, s.n_rows, 1, 1, spec);
}

// The RoPE table a rope_store shader binds (rope_table.h: n_rot + 1 words); without RoPE the shaders read
// none, and `unused` (any buffer of the dispatch) fills the binding.
static BufferRange rope_factors(const RopeStoreParams& p, const BufferRange& unused) {
  if (p.n_rot == 0) return p.rope_table.buffer != VK_NULL_HANDLE ? p.rope_table : unused;
  if (p.rope_table.size < (uint64_t{p.n_rot} + 1) * sizeof(uint32_t))
    throw VulkanError("RoPE over " + std::to_string(p.n_rot) + " dims needs a table of " +
                      std::to_string(p.n_rot + 1) + " words (RopeStoreParams::rope_table, rope_table.h)");
  return p.rope_table;
}

void Recorder::head_rmsnorm(const BufferRange& q, const BufferRange& k, const BufferRange& q_gain,
                            const BufferRange& k_gain, const RopeStoreParams& p, float eps, HeadNorm kind) {
  const bool per_head = kind == HeadNorm::LayerPerHeadGains;
  if (q_gain.size < uint64_t{p.head_dim} * (per_head ? p.n_heads : 1u) * sizeof(float) ||
      k_gain.size < uint64_t{p.head_dim} * (per_head ? p.n_kv_heads : 1u) * sizeof(float))
    throw VulkanError("head norm gains must hold head_dim (" + std::to_string(p.head_dim) + ") floats" +
                      (per_head ? " for every head" : ""));
  const HeadNormPush push{p.n_tokens,
                          p.n_heads,
                          p.n_kv_heads,
                          p.head_dim,
                          p.q_stride ? p.q_stride : p.n_heads * p.head_dim,
                          p.q_offset,
                          p.k_stride ? p.k_stride : p.n_kv_heads * p.head_dim,
                          p.k_offset,
                          eps,
                          per_head ? 1u : 0u,
                          per_head ? 1u : 0u};
  const BufferRange buffers[] = {q, k, q_gain, k_gain};
  const auto [gx, gy] = flat_groups(uint64_t{p.n_tokens} * (p.n_heads + p.n_kv_heads));
  dispatch("head_rmsnorm", buffers, push, gx, gy);
}

void Recorder::rope_store(const BufferRange& q, const BufferRange& k, const BufferRange& v,
                          const BufferRange& q_cache, const BufferRange& k_cache, const BufferRange& v_cache,
                          const BufferRange& state, const RopeStoreParams& p) {
  if (p.n_rot > p.head_dim || p.n_rot % 2 != 0 || p.head_dim % 2 != 0)
    throw VulkanError("rope dimension " + std::to_string(p.n_rot) + " and head size " +
                      std::to_string(p.head_dim) + " must be even, the rope dimension at most the head size");
  const uint32_t q_dim = p.n_heads * p.head_dim, kv_dim = p.n_kv_heads * p.head_dim;
  RopeStorePush push{p.n_tokens,
                     p.n_heads,
                     p.n_kv_heads,
                     p.head_dim,
                     p.n_rot,
                     p.neox ? 1u : 0u,
                     p.q_stride ? p.q_stride : q_dim,
                     p.q_offset,
                     p.k_stride ? p.k_stride : kv_dim,
                     p.k_offset,
                     p.v_stride ? p.v_stride : kv_dim,
                     p.v_offset,
                     p.q_cache_offset,
                     p.kv_cache_offset,
                     p.store_v ? 1u : 0u,
                     p.q_post_gain.buffer != VK_NULL_HANDLE ? 1u : 0u};
  if ((p.q_post_gain.buffer != VK_NULL_HANDLE) != (p.k_post_gain.buffer != VK_NULL_HANDLE))
    throw VulkanError("rope_store: post-rotation gains for both q and k, or for neither");
  if (push.post_gain &&
      std::min(p.q_post_gain.size, p.k_post_gain.size) < uint64_t{p.head_dim} * sizeof(float))
    throw VulkanError("rope_store: the post-rotation gains need head_dim floats each");
  const BufferRange factors = rope_factors(p, state);
  // (without gains, any bound range: the kernel does not read them)
  const BufferRange q_gain = push.post_gain ? p.q_post_gain : factors;
  const BufferRange k_gain = push.post_gain ? p.k_post_gain : factors;
  const BufferRange buffers[] = {q, k, v, q_cache, k_cache, v_cache, state, factors, q_gain, k_gain};
  const auto [gx, gy] = flat_groups(uint64_t{p.n_tokens} * (p.head_dim / 2));
  dispatch("rope_store", buffers, push, gx, gy);
}

void Recorder::short_conv(const BufferRange& bcx, const BufferRange& taps, const BufferRange& cache,
                          const BufferRange& y, const BufferRange& state, uint32_t n_tokens, uint32_t dim,
                          uint32_t kernel) {
  if (kernel < 2 || kernel > 16) throw VulkanError("short_conv: 2 to 16 taps, not " + std::to_string(kernel));
  if (taps.size < uint64_t{dim} * kernel * sizeof(float) || bcx.size < uint64_t{n_tokens} * 3 * dim * 4 ||
      y.size < uint64_t{n_tokens} * dim * sizeof(float))
    throw VulkanError("short_conv: a buffer is smaller than the step's rows");
  const struct { uint32_t n_tokens, dim, kernel; } push{n_tokens, dim, kernel};
  const BufferRange buffers[] = {bcx, taps, cache, y, state};
  dispatch("short_conv", buffers, push, (dim + 63) / 64);
}

void Recorder::delta_conv(const BufferRange& qkv, const BufferRange& taps, const BufferRange& window,
                          const BufferRange& y, uint32_t n_tokens, uint32_t channels, uint32_t kernel,
                          uint32_t in_stride, uint32_t in_offset, const BufferRange& bias) {
  if (kernel < 2 || kernel > 16) throw VulkanError("delta_conv: 2 to 16 taps, not " + std::to_string(kernel));
  const bool has_bias = bias.buffer != VK_NULL_HANDLE;
  const struct {
    uint32_t n_tokens, channels, kernel, in_stride, in_offset, has_bias;
  } push{n_tokens, channels, kernel, in_stride ? in_stride : channels, in_offset, has_bias ? 1u : 0u};
  const BufferRange buffers[] = {qkv, taps, window, y, has_bias ? bias : taps};  // (without: not read)
  dispatch("delta_conv", buffers, push, (channels + 63) / 64);
}

void Recorder::mamba1_scan(const Mamba1ScanInputs& in, uint32_t n_tokens, uint32_t d_inner, uint32_t d_state,
                           uint32_t dt_rank, bool b_c_rms, float eps) {
  if (d_state == 0 || d_state > 256 || d_inner == 0)
    throw VulkanError("mamba1_scan: a state of 1 to 256 floats per channel, not " + std::to_string(d_state));
  const struct {
    uint32_t n_tokens, d_inner, d_state, dt_rank, b_c_rms;
    float eps;
  } push{n_tokens, d_inner, d_state, dt_rank, b_c_rms ? 1u : 0u, eps};
  const BufferRange buffers[] = {in.x, in.in, in.xdb,   in.dt, in.dt_bias,
                                 in.a, in.d,  in.state, in.y,  in.bc_gain};
  dispatch("mamba1_scan", buffers, push, (d_inner + 63) / 64);
}

// The hybrids' scans spread over their state's rows (delta_rule_rows, kda_rule_rows, mamba_scan_rows): where
// the GPU kernels run, one workgroup per head would leave most of a GPU idle. GLASSWING_VULKAN_DELTA_ROWS=0
// keeps the per-head kernels there too (for comparisons).
namespace {
bool scan_rows(const DeviceInfo& info) {
  return use_gpu_kernels(info) && env_choice("GLASSWING_VULKAN_DELTA_ROWS", {"0", "1"}, 1) == 1;
}
}  // namespace

void Recorder::mamba_scan(const MambaScanInputs& in, uint32_t n_tokens, uint32_t d_inner, uint32_t d_state,
                          uint32_t n_head, uint32_t n_group, uint32_t in_dim) {
  if (d_state > 256 || n_head == 0 || n_group == 0 || n_head % n_group != 0 || d_inner % n_head != 0)
    throw VulkanError("mamba_scan: a state of at most 256, heads dividing the channels, groups the heads");
  const struct {
    uint32_t n_tokens, d_inner, d_state, n_head, n_group, in_dim;
  } push{n_tokens, d_inner, d_state, n_head, n_group, in_dim};
  const BufferRange buffers[] = {in.xbc, in.in, in.dt_bias, in.a, in.d, in.state, in.y};
  const uint32_t head_dim = d_inner / n_head;
  if (scan_rows(ctx_->device().info()) && d_state % 8 == 0 && head_dim % 16 == 0) {  // 16 channels each
    dispatch("mamba_scan_rows", buffers, push, n_head, head_dim / 16);
    return;
  }
  dispatch("mamba_scan", buffers, push, n_head);
}

void Recorder::delta_rule(const DeltaRuleInputs& in, uint32_t n_tokens, uint32_t n_k_heads,
                          uint32_t n_v_heads, uint32_t head_k_dim, uint32_t head_v_dim, float eps,
                          bool grouped) {
  if (head_k_dim > 256 || head_v_dim > 256 || n_k_heads == 0 || n_v_heads % n_k_heads != 0)
    throw VulkanError("delta_rule: heads of at most 256, value heads a multiple of key heads");
  const struct {
    uint32_t n_tokens, n_k_heads, n_v_heads, dk, dv;
    float eps;
    uint32_t grouped;
  } push{n_tokens, n_k_heads, n_v_heads, head_k_dim, head_v_dim, eps, grouped ? 1u : 0u};
  const BufferRange buffers[] = {in.qkv, in.z,    in.beta,  in.alpha, in.dt_bias,
                                 in.a,   in.norm, in.state, in.out};
  // (the rows kernel: 16 rows of a head's state per workgroup, then the gated norm)
  if (!scan_rows(ctx_->device().info()) || head_k_dim % 8 != 0 || head_v_dim % 16 != 0) {
    dispatch("delta_rule", buffers, push, n_v_heads);
    return;
  }
  dispatch("delta_rule_rows", buffers, push, n_v_heads, head_v_dim / 16);
  barrier();
  delta_gated_norm(in.z, in.norm, in.out, n_tokens, n_v_heads, head_v_dim, eps, false);
}

// o = RMSNorm(o) · gains · SiLU(z), or · σ(z) (sigmoid), per (token, head) in place: after the rows kernels.
void Recorder::delta_gated_norm(const BufferRange& z, const BufferRange& norm, const BufferRange& out,
                                uint32_t n_tokens, uint32_t n_heads, uint32_t head_dim, float eps,
                                bool sigmoid) {
  const struct {
    uint32_t n_heads, head_dim;
    float eps;
    uint32_t sigmoid;
  } push{n_heads, head_dim, eps, sigmoid ? 1u : 0u};
  const BufferRange buffers[] = {z, norm, out};
  const uint32_t spec[] = {reduce_wg()};
  dispatch("delta_gated_norm", buffers, push, n_tokens, n_heads, 1, spec);
}

void Recorder::kda_rule(const KdaRuleInputs& in, uint32_t n_tokens, uint32_t n_heads, uint32_t head_dim,
                        float eps) {
  if (head_dim == 0 || head_dim > 256 || n_heads == 0)
    throw VulkanError("kda_rule: heads of 1 to 256, not " + std::to_string(head_dim));
  const struct {
    uint32_t n_tokens, n_heads, d;
    float eps;
  } push{n_tokens, n_heads, head_dim, eps};
  const BufferRange buffers[] = {in.qkv, in.g, in.z, in.beta, in.dt_bias, in.a, in.norm, in.state, in.out};
  if (scan_rows(ctx_->device().info()) && head_dim % 16 == 0) {  // 16 value rows a workgroup, then the norm
    dispatch("kda_rule_rows", buffers, push, n_heads, head_dim / 16);
    barrier();
    delta_gated_norm(in.z, in.norm, in.out, n_tokens, n_heads, head_dim, eps, true);
    return;
  }
  dispatch("kda_rule", buffers, push, n_heads);
}

void Recorder::relu_sqr(const BufferRange& y, uint32_t n) {
  const BufferRange buffers[] = {y};
  elementwise("relu_sqr", buffers, bytes_of(CountPush{n}), n);
}

void Recorder::clamp(const BufferRange& y, uint32_t n, float limit) {
  const struct {
    uint32_t n;
    float limit;
  } push{n, limit};
  const BufferRange buffers[] = {y};
  elementwise("clamp", buffers, bytes_of(push), n);
}

void Recorder::xielu(const BufferRange& y, uint32_t n, float a_n, float a_p, float beta, float eps) {
  const struct {
    uint32_t n;
    float a_n, a_p, beta, eps;
  } push{n, a_n, a_p, beta, eps};
  const BufferRange buffers[] = {y};
  elementwise("xielu", buffers, bytes_of(push), n);
}

void Recorder::magnitude_match(const BufferRange& y, const BufferRange& ref, uint32_t n, uint32_t n_rows) {
  const BufferRange buffers[] = {y, ref};
  const uint32_t spec[] = {reduce_wg()};
  dispatch("magnitude_match", buffers, CountPush{n}, n_rows, 1, 1, spec);
}

namespace {
// (an AltUp kernel's push constants: (token, element) pairs, the row width, the step's tokens, the streams)
struct AltUpPush {
  uint32_t n, dim, n_tokens, streams;
};
}  // namespace

void Recorder::altup_predict(const BufferRange& streams, const BufferRange& m, const BufferRange& coef,
                             const BufferRange& pred, const BufferRange& x, uint32_t dim, uint32_t n_tokens,
                             uint32_t n_streams) {
  const AltUpPush push{n_tokens * dim, dim, n_tokens, n_streams};
  const BufferRange buffers[] = {streams, m, coef, pred, x};
  elementwise("altup_predict", buffers, bytes_of(push), push.n);
}

void Recorder::altup_correct(const BufferRange& pred, const BufferRange& y, const BufferRange& m,
                             const BufferRange& coef, const BufferRange& scale, const BufferRange& streams,
                             const BufferRange& first, uint32_t dim, uint32_t n_tokens, uint32_t n_streams) {
  const AltUpPush push{n_tokens * dim, dim, n_tokens, n_streams};
  const BufferRange buffers[] = {pred, y, m, coef, scale, streams, first};
  elementwise("altup_correct", buffers, bytes_of(push), push.n);
}

void Recorder::gaussian_topk(const BufferRange& g, uint32_t n, uint32_t n_rows, float q) {
  const struct {
    uint32_t n;
    float q;
  } push{n, q};
  const BufferRange buffers[] = {g};
  const uint32_t spec[] = {reduce_wg()};
  dispatch("gaussian_topk", buffers, push, n_rows, 1, 1, spec);
}

void Recorder::mul_sigmoid(const BufferRange& y, const BufferRange& gate, uint32_t n) {
  const BufferRange buffers[] = {y, gate};
  elementwise("mul_sigmoid", buffers, bytes_of(CountPush{n}), n);
}

void Recorder::attention(const BufferRange& q, const BufferRange& k_cache, const BufferRange& v_cache,
                         const BufferRange& out, const BufferRange& scores, const BufferRange& state,
                         const AttentionParams& p) {
  if (p.n_kv_heads == 0 || p.n_heads % p.n_kv_heads != 0)
    throw VulkanError("attention heads (" + std::to_string(p.n_heads) + ") must be a multiple of KV heads (" +
                      std::to_string(p.n_kv_heads) + ")");
  const uint32_t width = p.n_heads * p.head_dim;
  AttentionPush push{p.n_heads,   p.n_kv_heads,
                     p.head_dim,  p.q_stride ? p.q_stride : width,
                     p.q_offset,  p.o_stride ? p.o_stride : width,
                     p.kv_offset, p.n_ctx,
                     p.scale,     p.window,
                     p.softcap,   p.alibi_m0,
                     p.alibi_m1};
  const BufferRange buffers[] = {q, k_cache, v_cache, out, scores, state};
  const uint32_t spec[] = {reduce_wg()};
  const bool sinks = p.sinks.buffer != VK_NULL_HANDLE;  // gpt-oss
  // Everything a multiple of 4 floats (and the bindings 16-byte aligned): the vec4 variant.
  const bool v4 = p.head_dim % 4 == 0 && push.q_stride % 4 == 0 && p.q_offset % 4 == 0 &&
                  p.kv_offset % 4 == 0 && q.offset % 16 == 0 && k_cache.offset % 16 == 0 &&
                  v_cache.offset % 16 == 0;
  const uint32_t d4 = p.head_dim / 4;
  const bool gpu = use_gpu_kernels(ctx_->device().info());
  if (v4 && gpu && d4 <= kAttentionGpuWg && push.o_stride % 4 == 0 && out.offset % 16 == 0) {
    const uint32_t spec_gpu[] = {kAttentionGpuWg};
    const BufferRange with_sinks[] = {q, k_cache, v_cache, out, scores, state, p.sinks};
    if (sinks)
      dispatch("attention_gpu_sinks", with_sinks, push, p.n_tokens, p.n_heads, 1, spec_gpu);
    else
      dispatch("attention_gpu", buffers, push, p.n_tokens, p.n_heads, 1, spec_gpu);
    return;
  }
  if (sinks) {  // the plain kernel with the sinks
    const BufferRange with_sinks[] = {q, k_cache, v_cache, out, scores, state, p.sinks};
    dispatch("attention_sinks", with_sinks, push, p.n_tokens, p.n_heads, 1, spec);
    return;
  }
  // CPU kernels on a CPU device: one invocation per (token, head) walking its keys, reading texels.
  if (v4 && !gpu && ctx_->device().info().type == "cpu" && p.head_dim <= 512) {
    const VkBufferView views[] = {texels(q), texels(k_cache), texels(v_cache)};
    if (views[0] != VK_NULL_HANDLE && views[1] != VK_NULL_HANDLE && views[2] != VK_NULL_HANDLE) {
      const uint32_t wg = std::max(ctx_->device().info().subgroup_size, 1u);
      const uint32_t spec_lanes[] = {wg, p.head_dim / 4};
      dispatch("attention_lanes", buffers, push, (p.n_tokens * p.n_heads + wg - 1) / wg, 1, 1, spec_lanes,
               views);
      return;
    }
  }
  if (v4) {
    // CPU devices: few workgroups, but at least ~4 per step so that every core gets one.
    const uint32_t heads_per_wg = ctx_->device().info().type != "cpu" ? 1
                                  : p.n_tokens >= 4                   ? p.n_heads
                                                                      : std::max(1u, p.n_heads / 4);
    const uint32_t spec_v4[] = {reduce_wg(), heads_per_wg};
    dispatch("attention_v4", buffers, push, p.n_tokens, (p.n_heads + heads_per_wg - 1) / heads_per_wg, 1,
             spec_v4);
  } else {
    dispatch("attention", buffers, push, p.n_tokens, p.n_heads, 1, spec);
  }
}

bool Recorder::attention_rope_store(const BufferRange& qkv, const BufferRange& q_cache,
                                    const BufferRange& k_cache, const BufferRange& v_cache,
                                    const BufferRange& out, const BufferRange& scores,
                                    const BufferRange& state, const RopeStoreParams& r,
                                    const AttentionParams& p, const BufferRange& split) {
  const auto& info = ctx_->device().info();
  const bool sinks = p.sinks.buffer != VK_NULL_HANDLE;  // gpt-oss: the GPU kernel has them, the lanes not
  if (!r.store_v) return false;                         // (the fused kernels always store v)
  const uint32_t q_stride = r.q_stride ? r.q_stride : r.n_heads * r.head_dim;
  const uint32_t width = p.n_heads * p.head_dim;
  const AttentionRopeStorePush push{
      {p.n_heads, p.n_kv_heads, p.head_dim, q_stride, r.q_offset, p.o_stride ? p.o_stride : width,
       p.kv_offset, p.n_ctx, p.scale, p.window, p.softcap, p.alibi_m0, p.alibi_m1},
      r.k_offset,
      r.v_offset,
      r.q_cache_offset,
      r.n_rot,
      r.neox ? 1u : 0u};
  if (use_gpu_kernels(info)) {  // attention_gpu_rope_store.comp: a workgroup per head
    const bool fits_gpu = r.n_tokens == 1 && p.n_tokens == 1 && r.head_dim == p.head_dim &&
                          r.n_heads == p.n_heads && r.n_kv_heads == p.n_kv_heads && p.n_kv_heads != 0 &&
                          p.n_heads % p.n_kv_heads == 0 && p.head_dim % 4 == 0 &&
                          p.head_dim / 4 <= kAttentionGpuWg && r.n_rot % 2 == 0 && r.n_rot <= r.head_dim &&
                          r.kv_cache_offset == p.kv_offset && p.kv_offset % 4 == 0 &&
                          push.attention.o_stride % 4 == 0 && k_cache.offset % 16 == 0 &&
                          v_cache.offset % 16 == 0 && out.offset % 16 == 0;
    if (!fits_gpu) return false;
    // split-K when a scratch for this context came with the call (a context within one run takes the
    // unsplit path inside the kernel)
    uint32_t keys = split.size ? attention_split_keys() : 0;
    if (keys && split.size < attention_split_bytes(p.n_heads, p.head_dim, p.n_ctx))
      throw VulkanError("attention_rope_store: the split-K scratch is smaller than attention_split_bytes");
    const BufferRange buffers[] = {
        qkv,    k_cache, v_cache, out, scores, state, q_cache, keys ? split : scores, rope_factors(r, state),
        p.sinks};
    const uint32_t spec[] = {kAttentionGpuWg, keys};
    dispatch(sinks ? "attention_gpu_rope_store_sinks" : "attention_gpu_rope_store",
             std::span(buffers).first(sinks ? 10 : 9), push, attention_split_runs(p.n_ctx, keys), p.n_heads,
             1, spec);
    return true;
  }
  if (sinks) return false;
  const bool fits = info.type == "cpu" && r.n_tokens == 1 && p.n_tokens == 1 && r.head_dim == p.head_dim &&
                    r.n_heads == p.n_heads && r.n_kv_heads == p.n_kv_heads && p.n_kv_heads != 0 &&
                    p.n_heads % p.n_kv_heads == 0 && p.head_dim % 4 == 0 && p.head_dim <= 512 &&
                    (r.n_rot == 0 || (r.n_rot == r.head_dim && r.head_dim % 8 == 0)) && r.q_offset % 4 == 0 &&
                    r.k_offset % 4 == 0 && r.v_offset % 4 == 0 && q_stride % 4 == 0 &&
                    r.kv_cache_offset == p.kv_offset && qkv.offset % 16 == 0 && k_cache.offset % 16 == 0 &&
                    v_cache.offset % 16 == 0 && p.kv_offset % 4 == 0;
  if (!fits) return false;
  const VkBufferView views[] = {texels(qkv), texels(k_cache), texels(v_cache)};
  if (views[0] == VK_NULL_HANDLE || views[1] == VK_NULL_HANDLE || views[2] == VK_NULL_HANDLE) return false;
  const BufferRange buffers[] = {qkv, k_cache, v_cache, out, q_cache, state, rope_factors(r, state)};
  const uint32_t wg = std::max(info.subgroup_size, 1u);
  const uint32_t spec[] = {wg, p.head_dim / 4};
  dispatch("attention_lanes_rope_store", buffers, push, (p.n_heads + wg - 1) / wg, 1, 1, spec, views);
  return true;
}

uint64_t Recorder::attention_split_bytes(uint32_t n_heads, uint32_t head_dim, uint32_t n_ctx) {
  const uint32_t keys = attention_split_keys();
  if (!keys) return 0;
  const uint64_t runs = attention_split_runs(n_ctx, keys);
  return ((uint64_t{n_heads} + 3) / 4 * 4 + uint64_t{n_heads} * runs * (2 + head_dim)) * sizeof(float);
}

void Recorder::attention_probs(const BufferRange& q_cache, const BufferRange& k_cache, const BufferRange& out,
                               const AttentionProbsParams& p) {
  if (p.n_kv_heads == 0 || p.n_heads % p.n_kv_heads != 0 || p.head >= p.n_heads)
    throw VulkanError("attention_probs: head " + std::to_string(p.head) + " out of range or bad head counts");
  if (p.q_first > p.q0)
    throw VulkanError("attention_probs: the first query precedes the Q buffer's first row");
  AttentionProbsPush push{p.n_heads,  p.n_kv_heads, p.head_dim, p.head,     p.q_offset,
                          p.k_offset, p.q0,         p.k0,       p.nk,       p.scale,
                          p.window,   p.softcap,    p.alibi_m0, p.alibi_m1, p.q_first};
  const uint32_t spec[] = {reduce_wg()};
  if (p.sinks.buffer != VK_NULL_HANDLE) {
    const BufferRange buffers[] = {q_cache, k_cache, out, p.sinks};
    dispatch("attention_probs_sinks", buffers, push, p.nq, 1, 1, spec);
    return;
  }
  const BufferRange buffers[] = {q_cache, k_cache, out};
  dispatch("attention_probs", buffers, push, p.nq, 1, 1, spec);
}

void Recorder::attention_summary(const BufferRange& q_cache, const BufferRange& k_cache,
                                 const BufferRange& out, const AttentionSummaryParams& p) {
  if (p.n_kv_heads == 0 || p.n_heads % p.n_kv_heads != 0)
    throw VulkanError("attention_summary: attention heads must be a multiple of KV heads");
  if (p.q_first > p.q0)
    throw VulkanError("attention_summary: the first query precedes the Q buffer's first row");
  AttentionSummaryPush push{p.n_heads, p.n_kv_heads, p.head_dim, p.q0,       p.nq,       p.out_offset,
                            p.scale,   p.window,     p.softcap,  p.alibi_m0, p.alibi_m1, p.q_first};
  const uint32_t spec[] = {reduce_wg()};
  if (p.sinks.buffer != VK_NULL_HANDLE) {
    const BufferRange buffers[] = {q_cache, k_cache, out, p.sinks};
    dispatch("attention_summary_sinks", buffers, push, p.nq, p.n_heads, 1, spec);
    return;
  }
  const BufferRange buffers[] = {q_cache, k_cache, out};
  dispatch("attention_summary", buffers, push, p.nq, p.n_heads, 1, spec);
}

void Recorder::softmax(const BufferRange& data, RowsShape s) {
  SoftmaxPush push{s.n, s.x_stride ? s.x_stride : s.n};
  const BufferRange buffers[] = {data};
  const uint32_t spec[] = {reduce_wg()};
  dispatch("softmax", buffers, push, s.n_rows, 1, 1, spec);
}

void Recorder::swiglu(const BufferRange& gate, const BufferRange& up, const BufferRange& out, uint32_t n) {
  const BufferRange buffers[] = {gate, up, out};
  elementwise("swiglu", buffers, bytes_of(CountPush{n}), n);
}

void Recorder::swiglu_oai(const BufferRange& gate, const BufferRange& up, const BufferRange& out,
                          uint32_t n) {
  const BufferRange buffers[] = {gate, up, out};
  elementwise("swiglu_oai", buffers, bytes_of(CountPush{n}), n);
}

void Recorder::geglu(const BufferRange& gate, const BufferRange& up, const BufferRange& out, uint32_t n) {
  const BufferRange buffers[] = {gate, up, out};
  elementwise("geglu", buffers, bytes_of(CountPush{n}), n);
}

void Recorder::reglu(const BufferRange& gate, const BufferRange& up, const BufferRange& out, uint32_t n) {
  const BufferRange buffers[] = {gate, up, out};
  elementwise("reglu", buffers, bytes_of(CountPush{n}), n);
}

// An in-place elementwise op of one float parameter (softcap.comp, scale.comp).
void Recorder::elementwise_with(const char* shader, const BufferRange& data, uint32_t n, float v) {
  const struct {
    uint32_t n;
    float v;
  } push{n, v};
  const BufferRange buffers[] = {data};
  elementwise(shader, buffers, bytes_of(push), n);
}

void Recorder::scale_rows_sigmoid(const BufferRange& data, const BufferRange& gate, uint32_t width,
                                  uint32_t n) {
  if (width == 0 || n % width != 0) throw VulkanError("scale_rows_sigmoid: n must be whole rows of width");
  const struct { uint32_t n, width; } push{n, width};
  const BufferRange buffers[] = {data, gate};
  elementwise("scale_rows_sigmoid", buffers, bytes_of(push), n);
}

void Recorder::softcap(const BufferRange& data, uint32_t n, float cap) {
  elementwise_with("softcap", data, n, cap);
}

void Recorder::scale(const BufferRange& data, uint32_t n, float s) {
  elementwise_with("scale", data, n, s);
}

void Recorder::scale_rows(const BufferRange& data, const BufferRange& factors, uint32_t width,
                          uint32_t n_rows) {
  if (width == 0) throw VulkanError("scale_rows: rows of width 0");
  const struct { uint32_t n, width; } push{width * n_rows, width};
  const BufferRange buffers[] = {data, factors};
  elementwise("scale_rows", buffers, bytes_of(push), uint64_t{width} * n_rows);
}

void Recorder::attn_temperature(const BufferRange& q, const BufferRange& state, uint32_t n_tokens,
                                uint32_t width, uint32_t stride, float scale, float floor, float offset) {
  if (width == 0 || stride < width || floor <= 0.0f)
    throw VulkanError("attn_temperature: rows of width 0, a stride below the width or no positive floor");
  const struct {
    uint32_t n, width, stride;
    float scale, floor, offset;
  } push{width * n_tokens, width, stride, scale, floor, offset};
  const BufferRange buffers[] = {q, state};
  elementwise("attn_temperature", buffers, bytes_of(push), uint64_t{width} * n_tokens);
}

void Recorder::gelu(const BufferRange& data, uint32_t n) {
  const BufferRange buffers[] = {data};
  elementwise("gelu", buffers, bytes_of(CountPush{n}), n);
}

void Recorder::add(const BufferRange& x, const BufferRange& y, uint32_t n) {
  const BufferRange buffers[] = {x, y};
  elementwise("add", buffers, bytes_of(CountPush{n}), n);
}

void Recorder::add_bias(const BufferRange& b, const BufferRange& y, uint32_t n, uint32_t n_rows,
                        uint32_t stride, uint32_t offset) {
  const BufferRange buffers[] = {b, y};
  const BiasPush push{n, stride ? stride : n, offset, n_rows};
  elementwise("add_bias", buffers, bytes_of(push), uint64_t{n} * n_rows);
}

namespace {
struct ExpertBiasPush {
  uint32_t n, stride, groups, ids[kMaxGroupExperts], ids_on_device, n_experts, tiles;
};
// The rows of n floats of a bias table whose rows the device picks (at least one).
uint32_t bias_rows(const BufferRange& b, uint32_t n) {
  const uint64_t rows = n ? b.size / (uint64_t{n} * sizeof(float)) : 0;
  if (rows == 0) throw VulkanError("add_expert_biases: an empty bias table");
  return static_cast<uint32_t>(rows);
}
}  // namespace

void Recorder::add_expert_biases(const BufferRange& b, const BufferRange& y, uint32_t n, uint32_t stride,
                                 std::span<const uint32_t> expert_ids) {
  const uint64_t rows = n ? b.size / (uint64_t{n} * sizeof(float)) : UINT64_MAX;
  check_expert_ids(expert_ids, rows, "add_expert_biases");
  ExpertBiasPush push{n, stride, static_cast<uint32_t>(expert_ids.size()), {}, 0, static_cast<uint32_t>(rows),
                      0};
  std::copy(expert_ids.begin(), expert_ids.end(), push.ids);
  const BufferRange buffers[] = {b, y, y};  // (binding 2, the device's ids: unused)
  elementwise("add_expert_bias", buffers, bytes_of(push), uint64_t{n} * expert_ids.size());
}

void Recorder::add_expert_biases(const BufferRange& b, const BufferRange& y, uint32_t n, uint32_t stride,
                                 const DeviceExpertIds& expert_ids) {
  check_device_ids(expert_ids, "add_expert_biases");
  const ExpertBiasPush push{n, stride, expert_ids.count, {}, 1, bias_rows(b, n), 0};
  const BufferRange buffers[] = {b, y, expert_ids.ids};
  elementwise("add_expert_bias", buffers, bytes_of(push), uint64_t{n} * expert_ids.count);
}

void Recorder::add_expert_biases(const BufferRange& b, const BufferRange& y, uint32_t n, uint32_t stride,
                                 const ExpertTiles& tiles) {
  static_assert(kExpertTileVectors == 64);  // (add_expert_bias.comp's TILE_ROWS)
  check_tiles(tiles, "add_expert_biases");
  const ExpertBiasPush push{n, stride, tiles.count, {}, 0, bias_rows(b, n), 1};
  const BufferRange buffers[] = {b, y, tiles.table};
  elementwise("add_expert_bias", buffers, bytes_of(push), uint64_t{n} * kExpertTileVectors * tiles.count);
}

bool route_on_device_supported(uint32_t n_expert, uint32_t k) {
  return n_expert >= 1 && n_expert <= 1024 && k >= 1 && k <= 32 && k <= n_expert;  // (route_experts.comp)
}

void Recorder::route_experts(const BufferRange& logits, const BufferRange& selection_bias,
                             const BufferRange& output_scale, const BufferRange& ids,
                             const BufferRange& weights, const BufferRange& row_weights,
                             const ExpertChoice& c) {
  if (!route_on_device_supported(c.n_expert, c.k))
    throw VulkanError("route_experts: " + std::to_string(c.n_expert) + " experts, " + std::to_string(c.k) +
                      " picked: the device routes at most 1024 experts and 32 picks");
  if (c.groups < 1 || c.n_expert % c.groups != 0 || c.groups > 256 || c.groups_used < 1 ||
      c.groups_used > c.groups || uint64_t{c.groups_used} * (c.n_expert / c.groups) < c.k)
    throw VulkanError("route_experts: the groups must divide the experts (at most 256) and hold k of them");
  const uint64_t f = sizeof(float);
  const uint64_t picks = uint64_t{c.n_tokens} * c.k;
  if (c.n_tokens == 0 || logits.size < uint64_t{c.n_tokens} * c.n_expert * f ||
      (selection_bias.size != 0 && selection_bias.size < c.n_expert * f) ||
      (output_scale.size != 0 && output_scale.size < c.n_expert * f) || ids.size < picks * f ||
      weights.size < picks * f ||
      (c.weight_on_input && row_weights.size < ((picks - 1) * std::max(c.row_align, 1u) + 1) * f))
    throw VulkanError("route_experts: a buffer is smaller than the tokens, experts and picks need");
  struct {
    uint32_t n_expert, k, gating, normalize;
    float scale;
    uint32_t groups, groups_used, has_bias;
    float weight_scale;
    uint32_t weight_on_input, row_align, has_scale;
  } push{c.n_expert,
         c.k,
         c.gating,
         c.normalize ? 1u : 0u,
         c.scale,
         c.groups,
         c.groups_used,
         selection_bias.size ? 1u : 0u,
         c.weight_scale,
         c.weight_on_input ? 1u : 0u,
         std::max(c.row_align, 1u),
         output_scale.size ? 1u : 0u};
  // (unused bindings: the logits again)
  const BufferRange buffers[] = {
      logits,  selection_bias.size ? selection_bias : logits, ids,
      weights, c.weight_on_input ? row_weights : weights,     output_scale.size ? output_scale : logits};
  dispatch("route_experts", buffers, push, c.n_tokens);
}

void Recorder::batch_experts(const ExpertBatching& b) {
  if (!route_on_device_supported(b.n_expert, b.k) || b.n_pairs == 0 || b.n_pairs % b.k != 0)
    throw VulkanError("batch_experts: whole tokens of at most 32 picks among at most 1024 experts");
  const uint64_t pairs = uint64_t{b.n_pairs} * 4;
  if (b.ids.size < pairs || b.rows.size < pairs || b.slots.size < pairs ||
      b.tiles.size < uint64_t{b.max_tiles} * 12 ||
      (b.weight_on_input && (b.pair_weights.size < pairs || b.row_weights.size < pairs)))
    throw VulkanError("batch_experts: a buffer is smaller than the pairs and tiles need");
  if (b.max_tiles < b.n_pairs / kExpertTileVectors + std::min(b.n_expert, b.n_pairs))
    throw VulkanError("batch_experts: " + std::to_string(b.max_tiles) + " tiles may not hold " +
                      std::to_string(b.n_pairs) + " rows over " + std::to_string(b.n_expert) + " experts");
  const struct {
    uint32_t n_pairs, k, n_expert, max_tiles, weight_on_input;
  } push{b.n_pairs, b.k, b.n_expert, b.max_tiles, b.weight_on_input ? 1u : 0u};
  // (without weights on the input, their bindings are the ids and rows again, unused)
  const BufferRange buffers[] = {b.ids,   b.weight_on_input ? b.pair_weights : b.ids, b.rows,
                                 b.slots, b.weight_on_input ? b.row_weights : b.rows, b.tiles};
  dispatch("batch_experts", buffers, push, 1);
}

void Recorder::gather_rows(const BufferRange& x, const BufferRange& rows, const BufferRange& out, uint32_t n,
                           uint32_t n_rows) {
  const BufferRange buffers[] = {x, rows, out};
  const struct { uint32_t n, n_rows; } push{n, n_rows};
  elementwise("gather_rows", buffers, bytes_of(push), uint64_t{n} * n_rows);
}

void Recorder::combine_experts(const BufferRange& y, const BufferRange& slots, const BufferRange& weights,
                               const BufferRange& x, uint32_t n, uint32_t n_tokens, uint32_t k) {
  const BufferRange buffers[] = {y, slots, weights, x};
  const struct { uint32_t n, n_tokens, k; } push{n, n_tokens, k};
  elementwise("combine_experts", buffers, bytes_of(push), uint64_t{n} * n_tokens);
}

}  // namespace glasswing::vulkan
