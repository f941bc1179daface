// The weight-reading kernels (GEMV, tiled GEMM, row gather) for every type, against a CPU dequantization
// and dot product.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <tuple>

#include "inference/gguf/ggml_type.h"
#include "inference/quant/quant.h"
#include "inference/vulkan/coopmat_check.h"
#include "inference/vulkan/gpu_layout.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing::vulkan;
using namespace glasswing::vulkan::test;
using glasswing::gguf::GgmlType;

namespace {

// f16 bits of a value with |v| in [2^-8, 2^-2): a sane block scale.
uint16_t random_scale_bits(std::mt19937& rng) {
  const uint32_t sign = rng() & 1u, exp = 7 + rng() % 6, mant = rng() & 0x3ffu;
  return static_cast<uint16_t>((sign << 15) | (exp << 10) | mant);
}

// Byte offsets of the f16 scale fields inside one block of each quantized type (ggml-common.h layouts).
std::vector<uint32_t> scale_offsets(GgmlType t) {
  switch (t) {
    case GgmlType::Q8_0:
    case GgmlType::Q4_0:
    case GgmlType::Q5_0:
    case GgmlType::IQ4_NL:
    case GgmlType::IQ4_XS:
      return {0};
    case GgmlType::Q4_1:
    case GgmlType::Q5_1:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
      return {0, 2};
    case GgmlType::Q2_K:
      return {80, 82};
    case GgmlType::Q3_K:
      return {108};
    case GgmlType::Q6_K:
      return {208};
    case GgmlType::IQ1_S:
    case GgmlType::IQ2_XXS:
    case GgmlType::IQ2_XS:
    case GgmlType::IQ2_S:
    case GgmlType::IQ3_XXS:
    case GgmlType::IQ3_S:
      return {0};
    case GgmlType::TQ1_0:
      return {52};
    case GgmlType::TQ2_0:
      return {64};
    default:  // (IQ1_M's scale is spread over four nibbles: random_tensor)
      return {};
  }
}

// rows x cols of `type` with random payload bits and sane scales.
std::vector<uint8_t> random_tensor(std::mt19937& rng, GgmlType type, uint32_t rows, uint32_t cols) {
  const auto traits = glasswing::gguf::ggml_type_traits(type);
  const uint64_t n_blocks = uint64_t{rows} * cols / traits.block_elements;
  std::vector<uint8_t> bytes(n_blocks * traits.block_bytes);
  if (type == GgmlType::F32) {
    auto v = random_floats(rng, uint64_t{rows} * cols);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return bytes;
  }
  if (type == GgmlType::F16 || type == GgmlType::BF16) {
    for (uint64_t i = 0; i < n_blocks; ++i) {
      const float f = std::uniform_real_distribution<float>(-1, 1)(rng);
      uint16_t h;
      if (type == GgmlType::BF16) {
        uint32_t u;
        std::memcpy(&u, &f, 4);
        h = static_cast<uint16_t>(u >> 16);
      } else {
        h = random_scale_bits(rng);  // any finite half will do
        h = static_cast<uint16_t>(h + (2u << 10));
      }
      std::memcpy(&bytes[i * 2], &h, 2);
    }
    return bytes;
  }
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  const auto offsets = scale_offsets(type);
  for (uint64_t blk = 0; blk < n_blocks; ++blk)
    for (uint32_t off : offsets) {
      const uint16_t h = random_scale_bits(rng);
      std::memcpy(&bytes[blk * traits.block_bytes + off], &h, 2);
    }
  if (type == GgmlType::MXFP4)  // E8M0 block scales 2^-10 .. 2^-2 (random bytes reach 2^127)
    for (uint64_t blk = 0; blk < n_blocks; ++blk)
      bytes[blk * traits.block_bytes] = static_cast<uint8_t>(118 + rng() % 9);
  // IQ1_M: the f16 scale in the top nibbles of the four u16 scale words (bytes 48..55)
  if (type == GgmlType::IQ1_M) {
    for (uint64_t blk = 0; blk < n_blocks; ++blk) {
      const uint16_t h = random_scale_bits(rng);
      for (uint32_t k = 0; k < 4; ++k) {
        uint8_t& top = bytes[blk * traits.block_bytes + 48 + 2 * k + 1];
        top = static_cast<uint8_t>((top & 0x0f) | (((h >> (4 * k)) & 0xf) << 4));
      }
    }
  }
  return bytes;
}

// y[v][r] = sum_c W[r][c] * x[v][c] on the CPU, in double, and the sum of |W[r][c] * x[v][c]| beside it:
// float summation in another order may differ by a few ulp of that magnitude (large K-quant scales cancel).
struct CpuResult {
  std::vector<float> y, magnitude;
};
CpuResult cpu_matmul(GgmlType type, const std::vector<uint8_t>& w, uint32_t rows, uint32_t cols,
                     const std::vector<float>& x, uint32_t n_vec) {
  const auto traits = glasswing::gguf::ggml_type_traits(type);
  const uint64_t rb = uint64_t{cols} / traits.block_elements * traits.block_bytes;
  std::vector<float> row(cols), y(uint64_t{rows} * n_vec), mag(y.size());
  for (uint32_t r = 0; r < rows; ++r) {
    glasswing::quant::dequantize_row(type, w.data() + r * rb, row.data(), cols);
    for (uint32_t v = 0; v < n_vec; ++v) {
      double acc = 0, abs_acc = 0;
      for (uint32_t c = 0; c < cols; ++c) {
        acc += double(row[c]) * x[uint64_t{v} * cols + c];
        abs_acc += std::abs(double(row[c]) * x[uint64_t{v} * cols + c]);
      }
      y[uint64_t{v} * rows + r] = static_cast<float>(acc);
      mag[uint64_t{v} * rows + r] = static_cast<float>(abs_acc);
    }
  }
  return {y, mag};
}

// Largest |got - expect| in units of the summed term magnitude.
double worst_error(const std::vector<float>& got, const CpuResult& expect) {
  REQUIRE(got.size() == expect.y.size());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i)
    worst = std::max(worst, std::abs(double(got[i]) - expect.y[i]) / (1e-3 + expect.magnitude[i]));
  return worst;
}

// The worst error of SwiGLU outputs got[v][r] against silu(gate_r) * up_r from gu (a product over gate rows
// then up rows, 2 n_ff per vector), relative to the magnitudes of the products.
double worst_swiglu_error(const std::vector<float>& got, const CpuResult& gu, uint32_t n_ff, uint32_t n_vec) {
  double worst = 0;
  for (uint32_t v = 0; v < n_vec; ++v)
    for (uint32_t r = 0; r < n_ff; ++r) {
      const double g = gu.y[v * 2 * n_ff + r], u = gu.y[v * 2 * n_ff + n_ff + r];
      const double scale = 1e-3 + std::abs(u) * gu.magnitude[v * 2 * n_ff + r] +
                           std::abs(g) * gu.magnitude[v * 2 * n_ff + n_ff + r];
      worst = std::max(worst, std::abs(got[v * n_ff + r] - g / (1.0 + std::exp(-g)) * u) / scale);
    }
  return worst;
}

// RMSNorm(x) * gain of n_vec vectors of n floats, in double.
template <typename T>
std::vector<float> cpu_rmsnorm(const std::vector<T>& x, const std::vector<float>& gain, uint32_t n,
                               uint32_t n_vec, float eps) {
  std::vector<float> out(uint64_t{n} * n_vec);
  for (uint32_t v = 0; v < n_vec; ++v) {
    double ss = 0;
    for (uint32_t i = 0; i < n; ++i) ss += double(x[v * n + i]) * x[v * n + i];
    const double r = 1.0 / std::sqrt(ss / n + eps);
    for (uint32_t i = 0; i < n; ++i) out[v * n + i] = static_cast<float>(x[v * n + i] * r * gain[i]);
  }
  return out;
}

// A grouped product's layout (row groups, expert ids): group g reads its cols-wide vectors at x + g * x_group
// and writes its `rows` outputs at y + g * y_group, vectors x_stride and y_stride apart. The outputs start
// at 7 and accumulate, so that a write into a gap or another group shows.
// The GEMMs' bound against the CPU: 1e-5, or f16's where GLASSWING_VULKAN_COOPMAT=f16 puts the
// tensor-core GEMM's f16 products under them (coopmat_check.h).
double gemm_bound() {
  return coopmat_requested() && context().device().info().coopmat() ? coopmat_bound() : 1e-5;
}

struct Grouped {
  uint32_t groups, rows, cols, x_group, y_group, x_stride, y_stride, n_vec;

  // 7 + group g's product of weight rows `block(g)` (rows x cols of type) with its parts of x.
  template <typename Block>
  CpuResult expect(GgmlType type, const std::vector<float>& x, Block block) const {
    CpuResult out{std::vector<float>(uint64_t{y_stride} * n_vec, 7.0f),
                  std::vector<float>(uint64_t{y_stride} * n_vec, 1.0f)};
    for (uint32_t g = 0; g < groups; ++g) {
      std::vector<float> xg(uint64_t{cols} * n_vec);
      for (uint32_t v = 0; v < n_vec; ++v)
        std::copy_n(x.begin() + v * x_stride + g * x_group, cols, xg.begin() + v * cols);
      const auto r = cpu_matmul(type, block(g), rows, cols, xg, n_vec);
      for (uint32_t v = 0; v < n_vec; ++v)
        for (uint32_t i = 0; i < rows; ++i) {
          out.y[v * y_stride + g * y_group + i] += r.y[v * rows + i];
          out.magnitude[v * y_stride + g * y_group + i] += r.magnitude[v * rows + i];
        }
    }
    return out;
  }
  // The outputs against expect(), and the gaps still exactly 7.
  void check(const std::vector<float>& got, const CpuResult& expected) const {
    CHECK(worst_error(got, expected) < gemm_bound());
    size_t gaps_written = 0;
    for (uint32_t v = 0; v < n_vec; ++v)
      for (uint32_t i = 0; i < y_stride; ++i)
        if (i % y_group >= rows || i >= groups * y_group) gaps_written += got[v * y_stride + i] != 7.0f;
    CHECK(gaps_written == 0);
  }
};

struct Case {
  GgmlType type;
  uint32_t cols;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (GgmlType t :
       {GgmlType::F32,     GgmlType::F16,    GgmlType::BF16,   GgmlType::Q8_0,    GgmlType::Q4_0,
        GgmlType::Q4_1,    GgmlType::Q5_0,   GgmlType::Q5_1,   GgmlType::Q2_K,    GgmlType::Q3_K,
        GgmlType::Q4_K,    GgmlType::Q5_K,   GgmlType::Q6_K,   GgmlType::IQ1_S,   GgmlType::IQ1_M,
        GgmlType::IQ2_XXS, GgmlType::IQ2_XS, GgmlType::IQ2_S,  GgmlType::IQ3_XXS, GgmlType::IQ3_S,
        GgmlType::TQ1_0,   GgmlType::TQ2_0,  GgmlType::IQ4_NL, GgmlType::IQ4_XS,  GgmlType::MXFP4}) {
    REQUIRE(glasswing::quant::can_dequantize(t));
    REQUIRE(kernel_supports(t));
    const uint32_t block = glasswing::gguf::ggml_type_traits(t).block_elements;
    // Plain types get an odd width (stories260K has n_ff 172); block types three or more blocks.
    out.push_back({t, block == 1 ? 172u : std::max(3 * block, 96u)});
  }
  return out;
}

}  // namespace

TEST_CASE("matvec matches a CPU dequantize + dot for every type", "[weights]") {
  auto& ctx = context();
  std::mt19937 rng(1);
  for (const auto& c : cases()) {
    // 200 rows: several row groups and workgroups of the CPU devices' tiles (64-row groups)
    for (const uint32_t rows : {37u, 200u}) {
      SECTION(glasswing::gguf::ggml_type_name(c.type) + ", " + std::to_string(rows) + " rows") {
        const uint32_t n_vec = 3;
        const auto w = random_tensor(rng, c.type, rows, c.cols);
        const auto x = random_floats(rng, uint64_t{c.cols} * n_vec);
        Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
        const WeightTensor t = upload_weight(ctx, arena, c.type, rows, c.cols, w.data());
        Buffer xb = device_buffer(x);
        // Output starts at 1 so the accumulate flag is tested too: y = 1 + W.x
        Buffer yb = device_buffer(std::vector<float>(rows * n_vec, 1.0f));
        Recorder rec(ctx);
        rec.begin();
        rec.matvec(t, whole(xb), whole(yb), {.n_vec = n_vec, .accumulate = true});
        rec.end();
        rec.submit_and_wait();
        auto expect = cpu_matmul(c.type, w, rows, c.cols, x, n_vec);
        for (auto& e : expect.y) e += 1.0f;
        for (auto& m : expect.magnitude) m += 1.0f;
        CHECK(worst_error(read_floats(yb, rows * n_vec), expect) < 1e-5);
        require_no_validation_messages();
      }
    }
  }
}

TEST_CASE("a weight of many megabytes, repacked on every core at upload, multiplies as the CPU does",
          "[weights]") {
  // 2048 x 8192: ~10 MB and more in either kernel set's layout, so upload_weight shares the repacking among
  // the cores (CPU devices' tiles, GPU layouts); a row misplaced by the split would be far off.
  auto& ctx = context();
  std::mt19937 rng(3);
  for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K, GgmlType::IQ2_XXS}) {
    INFO(glasswing::gguf::ggml_type_name(t));
    const uint32_t rows = 2048, cols = 8192;
    const auto w = random_tensor(rng, t, rows, cols);
    const auto x = random_floats(rng, cols);
    Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
    const WeightTensor tensor = upload_weight(ctx, arena, t, rows, cols, w.data());
    Buffer xb = device_buffer(x), yb = device_buffer({}, rows);
    Recorder rec(ctx);
    rec.begin();
    rec.matvec(tensor, whole(xb), whole(yb), {.n_vec = 1});
    rec.end();
    rec.submit_and_wait();
    CHECK(worst_error(read_floats(yb, rows), cpu_matmul(t, w, rows, cols, x, 1)) < 1e-5);
  }
  require_no_validation_messages();
}

TEST_CASE("tiled matmul matches a CPU dequantize + dot for every type", "[weights]") {
  auto& ctx = context();
  std::mt19937 rng(2);
  for (const auto& c : cases()) {
    SECTION(glasswing::gguf::ggml_type_name(c.type)) {
      const uint32_t rows = 70, n_vec = 37;  // partial tiles on both sides
      const auto w = random_tensor(rng, c.type, rows, c.cols);
      const auto x = random_floats(rng, uint64_t{c.cols} * n_vec);
      Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
      const WeightTensor t = upload_weight(ctx, arena, c.type, rows, c.cols, w.data());
      Buffer xb = device_buffer(x);
      const auto expect = cpu_matmul(c.type, w, rows, c.cols, x, n_vec);
      // The GEMM matmul picks, and with the GPU kernels the tiled GEMM explicitly; the experimental
      // tensor-core GEMM too when GLASSWING_VULKAN_COOPMAT=1 asks for it on a device that has it (it failed
      // this 1e-5 bound on an H100, see coopmat_check.h).
      const bool gpu = use_gpu_kernels(ctx.device().info());
      for (int variant : {0, 1, 2}) {
        if (variant == 1 && !gpu) continue;
        if (variant == 2 &&
            !(gpu && coopmat_requested() && ctx.device().info().coopmat() && c.cols % 32 == 0))
          continue;
        INFO("variant " << (variant == 0 ? "matmul" : variant == 1 ? "matmul_tiled" : "matmul_coopmat"));
        Buffer yb = device_buffer({}, rows * n_vec);
        Recorder rec(ctx);
        rec.begin();
        if (variant == 0) rec.matmul(t, whole(xb), whole(yb), {.n_vec = n_vec});
        if (variant == 1) rec.matmul_tiled(t, whole(xb), whole(yb), {.n_vec = n_vec});
        if (variant == 2) rec.matmul_coopmat(t, whole(xb), whole(yb), {.n_vec = n_vec});
        rec.end();
        rec.submit_and_wait();
        CHECK(worst_error(read_floats(yb, rows * n_vec), expect) < gemm_bound());
      }
      require_no_validation_messages();
    }
  }
}

TEST_CASE("the tensor-core GEMM matches a CPU dequantize + dot for every type, precision and tile",
          "[coopmat]") {
  // Runs where the device has cooperative matrices and GLASSWING_VULKAN_COOPMAT and the GPU kernels are on
  // (the vulkan_tests_coopmat run): a GPU, or lavapipe from Mesa 25.1 (scripts/coopmat-lavapipe.sh).
  auto& ctx = context();
  const DeviceInfo& info = ctx.device().info();
  if (!info.coopmat() || !coopmat_requested() || !use_gpu_kernels(info)) {
    WARN("SKIP: no tensor-core GEMM to test here: "
         << (info.coopmat()
                 ? "GLASSWING_VULKAN_COOPMAT=1 and GLASSWING_VULKAN_KERNELS=gpu ask for it"
                 : info.name + " has no cooperative matrices usable by this build (lavapipe has them "
                               "from Mesa 25.1: scripts/coopmat-lavapipe.sh)"));
    return;
  }
  INFO(info.capability_line());
  REQUIRE(coopmat_enabled(ctx));  // (the startup check passed)
  std::mt19937 rng(23);
  const uint32_t rows = 150, n_vec = 77;  // partial tiles on both sides for every tile shape below
  for (const auto& c : cases()) {
    const uint32_t cols = c.cols % 32 == 0 ? c.cols : 192;  // (the GEMM needs whole 32-column steps)
    const auto w = random_tensor(rng, c.type, rows, cols);
    const auto x = random_floats(rng, uint64_t{cols} * n_vec);
    const auto y0 = random_floats(rng, uint64_t{rows} * n_vec);
    Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
    const WeightTensor t = upload_weight(ctx, arena, c.type, rows, cols, w.data());
    Buffer xb = device_buffer(x);
    CpuResult expect = cpu_matmul(c.type, w, rows, cols, x, n_vec);
    for (size_t i = 0; i < y0.size(); ++i) {
      expect.y[i] += y0[i];
      expect.magnitude[i] += std::abs(y0[i]);
    }
    // Every type in f16 at the default tile; the split (PRECISE) and the other tiles, which change the body
    // but not a type's dequantization, on the plain and 32-element block types only: lavapipe takes ~25 s
    // to compile each split K-quant or i-quant kernel.
    const bool block32 = glasswing::gguf::ggml_type_traits(c.type).block_elements <= 32;
    for (const char* precision : {"f16", "1"}) {
      if (!block32 && std::string(precision) == "1") continue;
      ScopedEnv coopmat("GLASSWING_VULKAN_COOPMAT", precision);
      const bool precise = coopmat_precise();
      // (tiles bm x bn of subgroup blocks wm x wn)
      for (const auto& [bm, bn, wm, wn] : std::vector<std::array<uint32_t, 4>>{{64, 64, 32, 32},
                                                                               {32, 32, 32, 32},
                                                                               {128, 64, 32, 32},
                                                                               {64, 128, 32, 32},
                                                                               {128, 128, 32, 32},
                                                                               {128, 128, 64, 64},
                                                                               {64, 128, 64, 32},
                                                                               {64, 64, 16, 64}}) {
        const bool other_tile = bm != 64 || bn != 64 || wm != 32 || wn != 32;
        if (other_tile && !(c.type == GgmlType::F32 || c.type == GgmlType::Q4_0)) continue;
        const uint64_t staging = uint64_t{info.coopmat_side} * (info.coopmat_side + 4) * 4;
        const uint64_t shared = uint64_t{bm + bn} * 80 * (precise ? 2 : 1) + bm / wm * (bn / wn) * staging;
        if (shared > info.shared_memory) continue;  // (refused: the knob test)
        const std::string tile = std::to_string(bm) + "," + std::to_string(bn) + "," + std::to_string(wm) +
                                 "," + std::to_string(wn);
        ScopedEnv tile_env("GLASSWING_VULKAN_COOPMAT_TILE", tile.c_str());
        INFO(glasswing::gguf::ggml_type_name(c.type) << ", COOPMAT=" << precision << ", tile " << tile);
        Buffer yb = device_buffer(y0);
        Recorder rec(ctx);
        rec.begin();
        rec.matmul_coopmat(t, whole(xb), whole(yb), {.n_vec = n_vec, .accumulate = true});
        rec.end();
        rec.submit_and_wait();
        CHECK(worst_error(read_floats(yb, y0.size()), expect) < coopmat_bound());
      }
    }
  }
  require_no_validation_messages();
}

TEST_CASE("row groups: one product over stacked heads is each head's own product, for every type and kernel",
          "[weights]") {
  // Latent attention's per-head k_b (and v_b) stacked into one matrix: group g (of 64 or 128 rows) reads its
  // own part of each vector and writes its own part of each output, with gaps on both sides (as the heads'
  // strides leave). Outputs start at 7 and accumulate, so a write into a gap or another group shows.
  auto& ctx = context();
  std::mt19937 rng(5);
  const uint32_t groups = 3;
  const bool gpu = use_gpu_kernels(ctx.device().info());
  for (const auto& c : cases()) {
    // the least rows a group may have: 128 on the CPU devices' tiles, else 64 (a 128-row GEMM tile would
    // straddle two groups: the GEMM takes 64-row tiles)
    const uint32_t rows = row_group_multiple(ctx.device().info(), c.type);
    const uint32_t x_group = c.cols + 12, y_group = rows + 8;  // (x_group a multiple of 4)
    const uint32_t x_stride = groups * x_group + 4, y_stride = groups * y_group + 3;
    const auto w = random_tensor(rng, c.type, groups * rows, c.cols);
    const uint64_t group_bytes = w.size() / groups;
    Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
    const WeightTensor t = upload_weight(ctx, arena, c.type, groups * rows, c.cols, w.data());
    // 1 vector (mat-vec), 3 (mat-vec), 40 (CPU devices: 8 per subgroup; GPU kernels: the GEMMs)
    for (const uint32_t n_vec : {1u, 3u, 40u}) {
      const Grouped layout{groups, rows, c.cols, x_group, y_group, x_stride, y_stride, n_vec};
      const auto x = random_floats(rng, uint64_t{x_stride} * n_vec);
      Buffer xb = device_buffer(x);
      const CpuResult expect = layout.expect(c.type, x, [&](uint32_t g) {
        return std::vector<uint8_t>(w.begin() + g * group_bytes, w.begin() + (g + 1) * group_bytes);
      });
      const MatShape shape{.n_vec = n_vec,
                           .x_stride = x_stride,
                           .y_stride = y_stride,
                           .accumulate = true,
                           .group_rows = rows,
                           .x_group = x_group,
                           .y_group = y_group};
      // project, matmul (on CPU devices the small-tile GEMM for plain types), matmul_tiled, matmul_coopmat
      for (int variant : {0, 1, 2, 3}) {
        if (variant > 0 && n_vec == 1) continue;
        if (variant > 1 && !gpu) continue;
        if (variant == 3 && !(coopmat_requested() && ctx.device().info().coopmat() && c.cols % 32 == 0))
          continue;
        INFO(glasswing::gguf::ggml_type_name(c.type) << ", " << n_vec << " vectors, variant " << variant);
        Buffer yb = device_buffer(std::vector<float>(expect.y.size(), 7.0f));
        Recorder rec(ctx);
        rec.begin();
        if (variant == 0) rec.project(t, whole(xb), whole(yb), shape);
        if (variant == 1) rec.matmul(t, whole(xb), whole(yb), shape);
        if (variant == 2) rec.matmul_tiled(t, whole(xb), whole(yb), shape);
        if (variant == 3) rec.matmul_coopmat(t, whole(xb), whole(yb), shape);
        rec.end();
        rec.submit_and_wait();
        layout.check(read_floats(yb, expect.y.size()), expect);
      }
    }
  }
  require_no_validation_messages();
}

TEST_CASE("expert ids: one product over the experts a step picked is each expert's own product",
          "[weights]") {
  // A mixture's experts stacked into one matrix (5 experts of 64 rows); one product runs experts 3, 0 and 4,
  // group g reading its vectors at x + g * x_group and writing at y + g * y_group (outputs start at 7 and
  // accumulate: a write into a gap shows). 1 and 3 vectors; 11 (the GEMMs on the GPU kernels, in tiles that
  // must not straddle two experts' 64 rows); a batch of 40 through one expert. The CPU devices' tiles refuse
  // expert ids (their mixtures keep one matrix per expert).
  auto& ctx = context();
  std::mt19937 rng(7);
  const uint32_t experts = 5, rows = kExpertGroupRows;
  const std::vector<uint32_t> picked = {3, 0, 4}, one = {2};
  // (ten picks, some twice: more than the host's push constants hold, as Qwen3-Next's 10 of 512)
  const std::vector<uint32_t> ten = {4, 1, 0, 3, 2, 2, 0, 4, 1, 3};
  size_t tested = 0;
  for (const auto& c : cases()) {
    const auto w = random_tensor(rng, c.type, experts * rows, c.cols);
    const uint64_t expert_bytes = w.size() / experts;
    Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
    const WeightTensor t = upload_weight(ctx, arena, c.type, experts * rows, c.cols, w.data());
    if (!expert_groups_supported(ctx.device().info(), t, rows)) {
      Buffer xb = device_buffer({}, 4096), yb = device_buffer({}, 4096);
      Recorder rec(ctx);
      rec.begin();
      CHECK_THROWS_WITH(rec.project(t, whole(xb), whole(yb), {.group_rows = rows, .expert_ids = picked}),
                        Catch::Contains("expert ids: need the experts"));
      rec.end();
      continue;
    }
    ++tested;
    for (const auto& [n_vec, ids] : {std::pair{1u, picked}, std::pair{3u, picked}, std::pair{11u, picked},
                                     std::pair{40u, one}, std::pair{1u, ten}}) {
      const uint32_t groups = static_cast<uint32_t>(ids.size());
      const uint32_t x_group = c.cols + 4, y_group = rows + 8;
      const uint32_t x_stride = groups * x_group + 8, y_stride = groups * y_group + 1;
      const Grouped layout{groups, rows, c.cols, x_group, y_group, x_stride, y_stride, n_vec};
      const auto x = random_floats(rng, uint64_t{x_stride} * n_vec);
      Buffer xb = device_buffer(x);
      const CpuResult expect = layout.expect(c.type, x, [&](uint32_t g) {
        return std::vector<uint8_t>(w.begin() + ids[g] * expert_bytes,
                                    w.begin() + (ids[g] + 1) * expert_bytes);
      });
      // the ids from the host, and (the mat-vecs) from a table on the device, as route_experts writes them
      Buffer table = device_buffer_u32(ids);
      const DeviceExpertIds device_ids{whole(table), groups};
      for (const bool on_device : {false, true}) {
        if (on_device && n_vec > kMatvecMaxVectors) continue;
        if (!on_device && ids.size() > kMaxGroupExperts) continue;  // (device tables only)
        INFO(glasswing::gguf::ggml_type_name(c.type)
             << ", " << n_vec << " vectors, ids on the device " << on_device);
        Buffer yb = device_buffer(std::vector<float>(expect.y.size(), 7.0f));
        Recorder rec(ctx);
        rec.begin();
        rec.project(t, whole(xb), whole(yb),
                    {.n_vec = n_vec,
                     .x_stride = x_stride,
                     .y_stride = y_stride,
                     .accumulate = true,
                     .group_rows = rows,
                     .x_group = x_group,
                     .y_group = y_group,
                     .expert_ids = on_device ? std::span<const uint32_t>{} : std::span<const uint32_t>(ids),
                     .device_ids = on_device ? &device_ids : nullptr});
        rec.end();
        rec.submit_and_wait();
        layout.check(read_floats(yb, expect.y.size()), expect);
      }
    }
  }
  CHECK(tested > 0);
  {  // an expert past the matrix, and more experts than a product takes
    const auto w = random_tensor(rng, GgmlType::F32, experts * rows, 32);
    Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
    const WeightTensor t = upload_weight(ctx, arena, GgmlType::F32, experts * rows, 32, w.data());
    Buffer xb = device_buffer({}, 4096), yb = device_buffer({}, 4096);
    const std::vector<uint32_t> past = {1, 5}, many(kMaxGroupExperts + 1, 0u);
    Recorder rec(ctx);
    rec.begin();
    CHECK_THROWS_WITH(rec.project(t, whole(xb), whole(yb), {.group_rows = rows, .expert_ids = past}),
                      Catch::Contains("expert ids: expert 5 of 5"));
    CHECK_THROWS_WITH(rec.project(t, whole(xb), whole(yb), {.group_rows = rows, .expert_ids = many}),
                      Catch::Contains("at most 8 experts"));
    // (the experts' bias table: 5 rows of 32)
    Buffer table = device_buffer(std::vector<float>(experts * 32, 1.0f));
    CHECK_THROWS_WITH(rec.add_expert_biases(whole(table), whole(yb), 32, 64, past),
                      Catch::Contains("add_expert_biases: expert 5 of 5"));
    CHECK_THROWS_WITH(rec.add_expert_biases(whole(table), whole(yb), 32, 64, many),
                      Catch::Contains("add_expert_biases: at most 8 experts"));
    // ids on the device: the mat-vecs only, a table holding them, not beside the host's
    Buffer ids = device_buffer_u32({1, 4, 0});
    const DeviceExpertIds three{whole(ids), 3}, four{whole(ids), 4};
    CHECK_THROWS_WITH(
        rec.project(t, whole(xb), whole(yb), {.n_vec = 5, .group_rows = rows, .device_ids = &three}),
        Catch::Contains("the mat-vec kernels only"));
    CHECK_THROWS_WITH(rec.project(t, whole(xb), whole(yb), {.group_rows = rows, .device_ids = &four}),
                      Catch::Contains("a table of 4 expert ids"));
    CHECK_THROWS_WITH(
        rec.project(t, whole(xb), whole(yb), {.group_rows = rows, .expert_ids = past, .device_ids = &three}),
        Catch::Contains("not both"));
    CHECK_THROWS_WITH(rec.add_expert_biases(whole(table), whole(yb), 32, 64, four),
                      Catch::Contains("add_expert_biases: a table of 4"));
    rec.end();
  }
  {  // the biases of experts 1, 4 and 0 by ids on the device: rows 64 apart, the floats between untouched
    std::vector<float> bias(experts * 32);
    for (size_t i = 0; i < bias.size(); ++i) bias[i] = float(i);
    Buffer table = device_buffer(bias), yb = device_buffer(std::vector<float>(3 * 64, 1.0f));
    Buffer ids = device_buffer_u32({1, 4, 0});
    Recorder rec(ctx);
    rec.begin();
    rec.add_expert_biases(whole(table), whole(yb), 32, 64, DeviceExpertIds{whole(ids), 3});
    rec.end();
    rec.submit_and_wait();
    const auto y = read_floats(yb, 3 * 64);
    const uint32_t picked_ids[] = {1, 4, 0};
    for (uint32_t g = 0; g < 3; ++g)
      for (uint32_t i = 0; i < 64; ++i)
        CHECK(y[g * 64 + i] == (i < 32 ? 1.0f + bias[picked_ids[g] * 32 + i] : 1.0f));
  }
  require_no_validation_messages();
}

TEST_CASE("expert tiles: one tiled GEMM over every expert's batch is each expert's own product",
          "[weights]") {
  // A prompt's experts (5 stacked experts of 64 rows): expert 3 on batch rows 0..69 (two tiles: 64 and 6),
  // expert 0 on row 72 alone, expert 4 on rows 76..95, in one dispatch of 4 tiles; the padding rows
  // (70, 71, 73..75) and the rows past the batches are never written. Outputs start at 7 and accumulate.
  // Only the GPU kernels' GEMMs take tiles (the tiled GEMM, and the tensor-core GEMM where it is on).
  auto& ctx = context();
  std::mt19937 rng(9);
  const uint32_t experts = 5, rows = kExpertGroupRows, n_vec = 100;
  struct Batch {
    uint32_t expert, first, count;
  };
  const std::vector<Batch> batches = {{3, 0, 70}, {0, 72, 1}, {4, 76, 20}};
  std::vector<uint32_t> table;
  for (const auto& b : batches)
    for (uint32_t s = 0; s < b.count; s += kExpertTileVectors)
      table.insert(table.end(), {b.expert, b.first + s, std::min(kExpertTileVectors, b.count - s)});
  Buffer tb = device_buffer_u32(table);
  const ExpertTiles tiles{whole(tb), static_cast<uint32_t>(table.size() / 3)};
  REQUIRE(tiles.count == 4);
  for (const auto& c : cases()) {
    const auto w = random_tensor(rng, c.type, experts * rows, c.cols);
    const uint64_t expert_bytes = w.size() / experts;
    Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
    const WeightTensor t = upload_weight(ctx, arena, c.type, experts * rows, c.cols, w.data());
    const uint32_t x_stride = c.cols + 4, y_stride = rows + 3;
    const auto x = random_floats(rng, uint64_t{x_stride} * n_vec);
    Buffer xb = device_buffer(x), yb = device_buffer(std::vector<float>(uint64_t{y_stride} * n_vec, 7.0f));
    const MatShape shape{.n_vec = n_vec,
                         .x_stride = x_stride,
                         .y_stride = y_stride,
                         .accumulate = true,
                         .group_rows = rows,
                         .expert_tiles = &tiles};
    INFO(glasswing::gguf::ggml_type_name(c.type));
    Recorder rec(ctx);
    rec.begin();
    if (!use_gpu_kernels(ctx.device().info())) {
      CHECK_THROWS_WITH(rec.project(t, whole(xb), whole(yb), shape),
                        Catch::Contains("expert tiles") && Catch::Contains("GEMMs only"));
      rec.end();
      continue;
    }
    rec.project(t, whole(xb), whole(yb), shape);
    rec.end();
    rec.submit_and_wait();
    const auto got = read_floats(yb, uint64_t{y_stride} * n_vec);
    CpuResult expect{std::vector<float>(got.size(), 7.0f), std::vector<float>(got.size(), 1.0f)};
    for (const auto& b : batches) {
      std::vector<float> xe(uint64_t{c.cols} * b.count);
      for (uint32_t v = 0; v < b.count; ++v)
        std::copy_n(x.begin() + (b.first + v) * x_stride, c.cols, xe.begin() + v * c.cols);
      const auto r = cpu_matmul(c.type,
                                std::vector<uint8_t>(w.begin() + b.expert * expert_bytes,
                                                     w.begin() + (b.expert + 1) * expert_bytes),
                                rows, c.cols, xe, b.count);
      for (uint32_t v = 0; v < b.count; ++v)
        for (uint32_t i = 0; i < rows; ++i) {
          expect.y[(b.first + v) * y_stride + i] += r.y[v * rows + i];
          expect.magnitude[(b.first + v) * y_stride + i] += r.magnitude[v * rows + i];
        }
    }
    CHECK(worst_error(got, expect) < gemm_bound());
    size_t untouched_changed = 0;
    for (uint32_t v = 0; v < n_vec; ++v)
      for (uint32_t i = 0; i < y_stride; ++i) {
        const bool in_batch = std::any_of(batches.begin(), batches.end(), [&](const Batch& b) {
          return v >= b.first && v < b.first + b.count && i < rows;
        });
        untouched_changed += !in_batch && got[v * y_stride + i] != 7.0f;
      }
    CHECK(untouched_changed == 0);
  }
  {  // each tile's rows add their expert's bias (a table of 5 rows of 32; rows 64 floats apart)
    std::vector<float> bias(experts * 32);
    for (size_t i = 0; i < bias.size(); ++i) bias[i] = float(i);
    Buffer bt = device_buffer(bias), yb = device_buffer(std::vector<float>(64 * n_vec, 1.0f));
    Recorder rec(ctx);
    rec.begin();
    rec.add_expert_biases(whole(bt), whole(yb), 32, 64, tiles);
    rec.end();
    rec.submit_and_wait();
    const auto y = read_floats(yb, 64 * n_vec);
    size_t wrong = 0;
    for (uint32_t v = 0; v < n_vec; ++v)
      for (uint32_t i = 0; i < 64; ++i) {
        float want = 1.0f;
        for (const auto& b : batches)
          if (v >= b.first && v < b.first + b.count && i < 32) want += bias[b.expert * 32 + i];
        wrong += y[v * 64 + i] != want;
      }
    CHECK(wrong == 0);
  }
  {  // tiles with ids or group offsets, or without a table, are refused
    const auto w = random_tensor(rng, GgmlType::F32, experts * rows, 32);
    Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
    const WeightTensor t = upload_weight(ctx, arena, GgmlType::F32, experts * rows, 32, w.data());
    Buffer xb = device_buffer({}, 32 * 200), yb = device_buffer({}, 64 * 200);
    const std::vector<uint32_t> ids = {1};
    const ExpertTiles none{whole(tb), 0};
    Recorder rec(ctx);
    rec.begin();
    if (use_gpu_kernels(ctx.device().info())) {
      CHECK_THROWS_WITH(
          rec.project(t, whole(xb), whole(yb),
                      {.n_vec = 96, .group_rows = rows, .expert_ids = ids, .expert_tiles = &tiles}),
          Catch::Contains("neither expert ids nor row group offsets"));
      CHECK_THROWS_WITH(rec.project(t, whole(xb), whole(yb),
                                    {.n_vec = 96, .group_rows = rows, .y_group = 64, .expert_tiles = &tiles}),
                        Catch::Contains("neither expert ids nor row group offsets"));
      CHECK_THROWS_WITH(
          rec.project(t, whole(xb), whole(yb), {.n_vec = 96, .group_rows = rows, .expert_tiles = &none}),
          Catch::Contains("a table of 0 tiles"));
      CHECK_THROWS_WITH(
          rec.project(t, whole(xb), whole(yb), {.n_vec = 96, .group_rows = 32, .expert_tiles = &tiles}),
          Catch::Contains("expert tiles: need the experts of 32 rows"));
    }
    rec.end();
  }
  require_no_validation_messages();
}

TEST_CASE("expert ids: SwiGLU over the stacked experts' gate|up pairs (GPU kernels)", "[weights]") {
  // The experts' gate rows, then their up rows, uploaded as one pair matrix: pair e * n_ff + r is expert e's
  // gate and up row r, so each expert's pairs are a block of 2 n_ff rows. Experts 3, 0 and 4 in one
  // mat-vec; a batch of 11 vectors through expert 2 (the GEMM, then SwiGLU over its rows).
  auto& ctx = context();
  if (!use_gpu_kernels(ctx.device().info())) {
    WARN("the CPU devices' tiles keep one gate|up matrix per expert (run as vulkan_tests_gpu:*)");
    return;
  }
  std::mt19937 rng(8);
  const uint32_t experts = 5, n_ff = kExpertGroupRows;
  for (const auto type : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_K, GgmlType::Q6_K}) {
    const uint32_t cols = glasswing::gguf::ggml_type_traits(type).block_elements == 256 ? 256 : 96;
    const auto gate = random_tensor(rng, type, experts * n_ff, cols),
               up = random_tensor(rng, type, experts * n_ff, cols);
    std::vector<uint8_t> both(gate);
    both.insert(both.end(), up.begin(), up.end());
    Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
    const WeightTensor t =
        upload_weight(ctx, arena, type, 2 * experts * n_ff, cols, both.data(), {}, RowOrder::GateUpPairs);
    const uint64_t expert_bytes = gate.size() / experts;
    const auto gate_up_of = [&](uint32_t e) {  // expert e's gate rows, then its up rows
      std::vector<uint8_t> gu(gate.begin() + e * expert_bytes, gate.begin() + (e + 1) * expert_bytes);
      gu.insert(gu.end(), up.begin() + e * expert_bytes, up.begin() + (e + 1) * expert_bytes);
      return gu;
    };
    for (const auto& [n_vec, ids] :
         {std::pair{1u, std::vector<uint32_t>{3, 0, 4}}, std::pair{11u, std::vector<uint32_t>{2}}}) {
      INFO(glasswing::gguf::ggml_type_name(type) << ", " << n_vec << " vectors");
      const uint32_t groups = static_cast<uint32_t>(ids.size()), y_group = n_ff + 4,
                     y_stride = groups * y_group;
      const auto x = random_floats(rng, uint64_t{cols} * n_vec);
      Buffer xb = device_buffer(x), yb = device_buffer(std::vector<float>(uint64_t{y_stride} * n_vec, 7.0f));
      Buffer scratch = device_buffer({}, 2 * n_ff * n_vec);
      Recorder rec(ctx);
      rec.begin();
      rec.matvec_swiglu(t, whole(xb), whole(yb),
                        {.n_vec = n_vec,
                         .y_stride = y_stride,
                         .group_rows = 2 * n_ff,
                         .y_group = y_group,
                         .expert_ids = ids},
                        whole(scratch));
      rec.end();
      rec.submit_and_wait();
      const auto got = read_floats(yb, uint64_t{y_stride} * n_vec);
      for (uint32_t g = 0; g < groups; ++g) {
        std::vector<float> mine(uint64_t{n_ff} * n_vec);
        for (uint32_t v = 0; v < n_vec; ++v)
          std::copy_n(got.begin() + v * y_stride + g * y_group, n_ff, mine.begin() + v * n_ff);
        CHECK(worst_swiglu_error(mine, cpu_matmul(type, gate_up_of(ids[g]), 2 * n_ff, cols, x, n_vec), n_ff,
                                 n_vec) < gemm_bound());
      }
      size_t gaps_written = 0;
      for (uint32_t v = 0; v < n_vec; ++v)
        for (uint32_t i = 0; i < y_stride; ++i)
          gaps_written += i % y_group >= n_ff && got[v * y_stride + i] != 7.0f;
      CHECK(gaps_written == 0);
    }
    {  // a prompt's batches as expert tiles: expert 3 on rows 0..4, expert 1 on rows 8..10, one GEMM into the
       // scratch, then SwiGLU over every row
      INFO(glasswing::gguf::ggml_type_name(type) << ", expert tiles");
      const uint32_t n_vec = 11;
      Buffer tb = device_buffer_u32({3, 0, 5, 1, 8, 3});
      const ExpertTiles tiles{whole(tb), 2};
      const auto x = random_floats(rng, uint64_t{cols} * n_vec);
      Buffer xb = device_buffer(x), yb = device_buffer(std::vector<float>(uint64_t{n_ff} * n_vec, 7.0f));
      Buffer scratch = device_buffer({}, 2 * n_ff * n_vec);
      Recorder rec(ctx);
      rec.begin();
      rec.matvec_swiglu(t, whole(xb), whole(yb),
                        {.n_vec = n_vec, .group_rows = 2 * n_ff, .expert_tiles = &tiles}, whole(scratch));
      rec.end();
      rec.submit_and_wait();
      const auto got = read_floats(yb, uint64_t{n_ff} * n_vec);
      for (const auto& [e, first, count] : {std::tuple{3u, 0u, 5u}, std::tuple{1u, 8u, 3u}}) {
        const std::vector<float> xe(x.begin() + first * cols, x.begin() + (first + count) * cols);
        const std::vector<float> mine(got.begin() + first * n_ff, got.begin() + (first + count) * n_ff);
        CHECK(worst_swiglu_error(mine, cpu_matmul(type, gate_up_of(e), 2 * n_ff, cols, xe, count), n_ff,
                                 count) < gemm_bound());
      }
    }
  }
  require_no_validation_messages();
}

TEST_CASE("row groups that a kernel's rows could straddle, or a norm, are refused", "[weights]") {
  auto& ctx = context();
  std::mt19937 rng(6);
  const auto w = random_tensor(rng, GgmlType::Q8_0, 256, 64);
  Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
  const WeightTensor t = upload_weight(ctx, arena, GgmlType::Q8_0, 256, 64, w.data());
  Buffer xb = device_buffer({}, 1024), yb = device_buffer({}, 1024);
  const auto& info = ctx.device().info();
  const uint32_t half = row_group_multiple(info, GgmlType::Q8_0) / 2;  // (the tiles: 64; other kernels: 32)
  CHECK(row_groups_supported(info, t, 128));
  CHECK_FALSE(row_groups_supported(info, t, half));  // not a multiple of row_group_multiple
  CHECK_FALSE(row_groups_supported(info, t, 384));   // not whole groups
  Recorder rec(ctx);
  rec.begin();
  CHECK_THROWS_WITH(rec.project(t, whole(xb), whole(yb), {.group_rows = half, .x_group = 64, .y_group = 64}),
                    Catch::Contains("row groups of " + std::to_string(half) + " rows"));
  CHECK_THROWS_WITH(rec.project(t, whole(xb), whole(yb), {.group_rows = 128, .x_group = 66, .y_group = 128}),
                    Catch::Contains("x_group must be a multiple of 4"));
  Buffer gain = device_buffer(std::vector<float>(64, 1.0f));
  const InlineNorm norm{whole(gain), 1e-5f};
  CHECK_THROWS_WITH(rec.project(t, whole(xb), whole(yb),
                                {.inline_norm = &norm, .group_rows = 128, .x_group = 64, .y_group = 128}),
                    Catch::Contains("row groups take no RMSNorm") || Catch::Contains("inline RMSNorm"));
  rec.end();
}

TEST_CASE("get_rows gathers dequantized rows by token id and by position", "[weights]") {
  auto& ctx = context();
  std::mt19937 rng(3);
  for (const auto& c : cases()) {
    SECTION(glasswing::gguf::ggml_type_name(c.type)) {
      const uint32_t rows = 20;
      const auto w = random_tensor(rng, c.type, rows, c.cols);
      const auto traits = glasswing::gguf::ggml_type_traits(c.type);
      const uint64_t rb = uint64_t{c.cols} / traits.block_elements * traits.block_bytes;
      Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
      const WeightTensor t = upload_weight(ctx, arena, c.type, rows, c.cols, w.data());
      const std::vector<uint32_t> ids = {7, 0, 19, 7};
      Buffer state = state_buffer(5, 4, ids);
      Buffer out = device_buffer({}, 4 * c.cols);
      Recorder rec(ctx);
      rec.begin();
      rec.get_rows(t, whole(state), whole(out), 4);
      rec.barrier();
      rec.get_rows(t, whole(state), whole(out), 4, /*by_position=*/true, /*accumulate=*/true);
      rec.end();
      rec.submit_and_wait();
      std::vector<float> expect(4 * c.cols), row(c.cols), pos_row(c.cols);
      for (uint32_t i = 0; i < 4; ++i) {
        glasswing::quant::dequantize_row(c.type, w.data() + ids[i] * rb, row.data(), c.cols);
        glasswing::quant::dequantize_row(c.type, w.data() + (5 + i) * rb, pos_row.data(), c.cols);
        for (uint32_t k = 0; k < c.cols; ++k) expect[i * c.cols + k] = row[k] + pos_row[k];
      }
      CHECK(max_rel_diff(read_floats(out, 4 * c.cols), expect) < 1e-6);
      require_no_validation_messages();
    }
  }
}

TEST_CASE("get_rows gathers from a table split into row slices, on both sides of each boundary",
          "[weights]") {
  // The slices of a table past maxStorageBufferRange, built cheaply: three separate uploads (three bound
  // ranges) stitched into one tensor, so every type's gather crosses slice boundaries.
  auto& ctx = context();
  std::mt19937 rng(11);
  for (const auto& c : cases()) {
    SECTION(glasswing::gguf::ggml_type_name(c.type)) {
      const uint32_t slice_rows[] = {5, 3, 6};
      const uint32_t rows = 14;
      const auto w = random_tensor(rng, c.type, rows, c.cols);
      const auto traits = glasswing::gguf::ggml_type_traits(c.type);
      const uint64_t rb = uint64_t{c.cols} / traits.block_elements * traits.block_bytes;
      Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
      WeightTensor t{c.type, rows, c.cols, {}};
      uint32_t r0 = 0;
      for (uint32_t n : slice_rows) {
        const WeightTensor part = upload_weight(ctx, arena, c.type, n, c.cols, w.data() + r0 * rb);
        REQUIRE(part.slices.size() == 1);
        t.slices.push_back({part.slices[0].range, r0, n});
        r0 += n;
      }
      // First row, both sides of each boundary, the last row; an id past the table writes nothing.
      const std::vector<uint32_t> ids = {0, 4, 5, 7, 8, 13, 14};
      const auto n = static_cast<uint32_t>(ids.size());
      Buffer state = state_buffer(6, n, ids);
      Buffer out = device_buffer(std::vector<float>(n * c.cols, 0.5f));
      Recorder rec(ctx);
      rec.begin();
      rec.get_rows(t, whole(state), whole(out), n);
      rec.barrier();
      rec.get_rows(t, whole(state), whole(out), n - 1, /*by_position=*/true, /*accumulate=*/true);
      rec.end();
      rec.submit_and_wait();
      std::vector<float> expect(n * c.cols, 0.5f), row(c.cols), pos_row(c.cols);
      for (uint32_t i = 0; i + 1 < n; ++i) {
        glasswing::quant::dequantize_row(c.type, w.data() + ids[i] * rb, row.data(), c.cols);
        glasswing::quant::dequantize_row(c.type, w.data() + (6 + i) * rb, pos_row.data(), c.cols);
        for (uint32_t k = 0; k < c.cols; ++k) expect[i * c.cols + k] = row[k] + pos_row[k];
      }
      CHECK(max_rel_diff(read_floats(out, n * c.cols), expect) < 1e-6);
      require_no_validation_messages();
    }
  }
}

TEST_CASE("matvec_swiglu applies SwiGLU to gate and up rows of one matrix (CPU tiles or GPU layouts)") {
  auto& ctx = context();
  if (!matvec_swiglu_supported(ctx.device().info(), GgmlType::Q8_0)) {
    WARN("this device's kernels keep separate gate/up matvecs");
    return;
  }
  const bool gpu = glasswing::vulkan::use_gpu_kernels(ctx.device().info());
  std::mt19937 rng(17);
  {  // the pair layout needs a tiles type and an even number of rows
    Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
    const auto f = random_tensor(rng, GgmlType::F32, 4, 32), q = random_tensor(rng, GgmlType::Q8_0, 3, 32);
    CHECK_THROWS_WITH(upload_weight(ctx, arena, GgmlType::F32, 4, 32, f.data(), {}, RowOrder::GateUpPairs),
                      Catch::Contains("gate|up pairs are a layout of quantized types"));
    CHECK_THROWS_WITH(upload_weight(ctx, arena, GgmlType::Q8_0, 3, 32, q.data(), {}, RowOrder::GateUpPairs),
                      Catch::Contains("for an even number of rows"));
  }
  // 37: not a whole number of 32-row chunks (a partial last group); 300: several groups and workgroups
  // (the GPU kernels: batches of more than 4 vectors go through the GEMM and swiglu_pairs)
  for (const auto type : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q4_K, GgmlType::Q6_K})
    for (const auto& [n_vec, n_ff] : {std::pair{1u, 37u}, {3u, 37u}, {11u, 37u}, {1u, 300u}, {11u, 300u}}) {
      SECTION(glasswing::gguf::ggml_type_name(type) + ", vectors " + std::to_string(n_vec) + ", " +
              std::to_string(n_ff) + " rows") {
        const uint32_t cols = glasswing::gguf::ggml_type_traits(type).block_elements == 256 ? 256 : 96;
        const auto w = random_tensor(rng, type, 2 * n_ff, cols);
        const auto x = random_floats(rng, uint64_t{cols} * n_vec);
        Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
        const WeightTensor t =
            upload_weight(ctx, arena, type, 2 * n_ff, cols, w.data(), {}, RowOrder::GateUpPairs);
        Buffer xb = device_buffer(x);
        Buffer yb = device_buffer(std::vector<float>(n_ff * n_vec, 7.0f));
        Buffer scratch = device_buffer(std::vector<float>(2 * n_ff * n_vec, 0.0f));
        Recorder rec(ctx);
        rec.begin();
        if (gpu && n_vec > 4)
          CHECK_THROWS_WITH(rec.matvec_swiglu(t, whole(xb), whole(yb), {.n_vec = n_vec}),
                            Catch::Contains("needs a scratch"));
        rec.matvec_swiglu(t, whole(xb), whole(yb), {.n_vec = n_vec}, whole(scratch));
        CHECK_THROWS_WITH(rec.matvec(t, whole(xb), whole(yb)), Catch::Contains("read by matvec_swiglu only"));
        rec.end();
        rec.submit_and_wait();
        CHECK(worst_swiglu_error(read_floats(yb, n_ff * n_vec), cpu_matmul(type, w, 2 * n_ff, cols, x, n_vec),
                                 n_ff, n_vec) < 1e-5);
        require_no_validation_messages();
      }
    }
}

TEST_CASE("a deferred RMSNorm (NormWrite then NormRead) is RMSNorm then the matvec", "[weights]") {
  auto& ctx = context();
  const auto& info = ctx.device().info();
  std::mt19937 rng(19);
  const uint32_t dim = 224, k = 96, m = 70, n_ff = 40;  // 224 rows: several workgroups write sums
  const auto wo = random_tensor(rng, GgmlType::Q8_0, dim, k);
  const auto w2 = random_tensor(rng, GgmlType::Q8_0, m, dim);
  const auto w3 = random_tensor(rng, GgmlType::Q8_0, 2 * n_ff, dim);
  Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
  const WeightTensor to = upload_weight(ctx, arena, GgmlType::Q8_0, dim, k, wo.data());
  if (!defers_norm(info, to)) {
    WARN("deferred RMSNorm runs on CPU devices' tiles only; this device keeps the norm dispatch");
    return;
  }
  const WeightTensor t2 = upload_weight(ctx, arena, GgmlType::Q8_0, m, dim, w2.data());
  const WeightTensor t3 =
      upload_weight(ctx, arena, GgmlType::Q8_0, 2 * n_ff, dim, w3.data(), {}, RowOrder::GateUpPairs);
  const float eps = 1e-5f;
  for (const uint32_t n_vec : {1u, 11u}) {  // the single-vector and the 8-vector kernels
    SECTION("vectors " + std::to_string(n_vec)) {
      const auto h = random_floats(rng, uint64_t{k} * n_vec);
      const auto y0 = random_floats(rng, uint64_t{dim} * n_vec);
      const auto gain = random_floats(rng, dim, 0.5f, 1.5f);
      Buffer hb = device_buffer(h), yb = device_buffer(y0), gb = device_buffer(gain);
      Buffer xg = device_buffer({}, dim * n_vec), sums = device_buffer({}, kMaxNormStride * n_vec);
      Buffer zb = device_buffer({}, m * n_vec), ub = device_buffer({}, n_ff * n_vec);
      const NormWrite write{whole(gb), whole(xg), whole(sums)};
      const NormRead read{whole(sums), norm_slots(info, to, n_vec), eps};
      Recorder rec(ctx);
      rec.begin();
      rec.matvec(to, whole(hb), whole(yb), {.n_vec = n_vec, .accumulate = true, .norm_write = &write});
      rec.barrier();
      rec.matvec(t2, whole(xg), whole(zb), {.n_vec = n_vec, .norm_read = &read});
      rec.matvec_swiglu(t3, whole(xg), whole(ub), {.n_vec = n_vec, .norm_read = &read});
      rec.end();
      rec.submit_and_wait();

      // y = y0 + Wo.h, then RMSNorm(y) * gain, then W2 and SwiGLU(W3) of it, on the CPU
      auto y = cpu_matmul(GgmlType::Q8_0, wo, dim, k, h, n_vec);
      for (size_t i = 0; i < y.y.size(); ++i) y.y[i] += y0[i], y.magnitude[i] += std::abs(y0[i]);
      CHECK(worst_error(read_floats(yb, dim * n_vec), y) < 1e-5);
      const auto xn = cpu_rmsnorm(y.y, gain, dim, n_vec, eps);
      CHECK(worst_error(read_floats(zb, m * n_vec), cpu_matmul(GgmlType::Q8_0, w2, m, dim, xn, n_vec)) <
            1e-5);
      CHECK(worst_swiglu_error(read_floats(ub, n_ff * n_vec),
                               cpu_matmul(GgmlType::Q8_0, w3, 2 * n_ff, dim, xn, n_vec), n_ff, n_vec) < 1e-5);
      require_no_validation_messages();
    }
  }
}

TEST_CASE("an inline RMSNorm (GPU kernels' mat-vec) is RMSNorm then the matvec", "[weights]") {
  auto& ctx = context();
  const auto& info = ctx.device().info();
  std::mt19937 rng(23);
  const float eps = 1e-5f;
  for (const auto type : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_1, GgmlType::Q4_K, GgmlType::Q6_K}) {
    const uint32_t cols = glasswing::gguf::ggml_type_traits(type).block_elements == 256 ? 512 : 160;
    const uint32_t rows = 70, n_ff = 37;
    const auto w = random_tensor(rng, type, rows, cols);
    const auto wgu = random_tensor(rng, type, 2 * n_ff, cols);
    Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
    const WeightTensor t = upload_weight(ctx, arena, type, rows, cols, w.data());
    for (const uint32_t n_vec : {1u, 3u}) {
      SECTION(glasswing::gguf::ggml_type_name(type) + ", vectors " + std::to_string(n_vec)) {
        const auto x = random_floats(rng, uint64_t{cols} * n_vec, -3.0f, 3.0f);
        const auto gain = random_floats(rng, cols, 0.5f, 1.5f);
        Buffer xb = device_buffer(x), gb = device_buffer(gain), yb = device_buffer({}, rows * n_vec);
        const InlineNorm norm{whole(gb), eps};
        const WeightTensor tgu =
            upload_weight(ctx, arena, type, 2 * n_ff, cols, wgu.data(), {}, RowOrder::GateUpPairs);
        Buffer ub = device_buffer({}, n_ff * n_vec);
        if (!inlines_norm(info, t, n_vec)) {  // CPU devices' kernels: refused, with the reason
          Recorder rec(ctx);
          rec.begin();
          CHECK_THROWS_WITH(rec.matvec(t, whole(xb), whole(yb), {.n_vec = n_vec, .inline_norm = &norm}),
                            Catch::Contains("inline RMSNorm: only for the GPU kernels"));
          CHECK_THROWS_WITH(
              rec.matvec_swiglu(tgu, whole(xb), whole(ub), {.n_vec = n_vec, .inline_norm = &norm}),
              Catch::Contains("inline RMSNorm: only for the GPU kernels"));
          rec.end();
          WARN("inline RMSNorm runs on the GPU kernels only (GLASSWING_VULKAN_KERNELS=gpu)");
          return;
        }
        CHECK_FALSE(inlines_norm(info, t, 5));  // a batch goes through the GEMM: the norm stays a dispatch
        Recorder rec(ctx);
        rec.begin();
        rec.matvec(t, whole(xb), whole(yb), {.n_vec = n_vec, .inline_norm = &norm});
        rec.matvec_swiglu(tgu, whole(xb), whole(ub), {.n_vec = n_vec, .inline_norm = &norm});
        rec.end();
        rec.submit_and_wait();
        const auto xn = cpu_rmsnorm(x, gain, cols, n_vec, eps);
        CHECK(worst_error(read_floats(yb, rows * n_vec), cpu_matmul(type, w, rows, cols, xn, n_vec)) < 1e-5);
        CHECK(worst_swiglu_error(read_floats(ub, n_ff * n_vec),
                                 cpu_matmul(type, wgu, 2 * n_ff, cols, xn, n_vec), n_ff, n_vec) < 1e-5);
        require_no_validation_messages();
      }
    }
  }
}

TEST_CASE("a bad GLASSWING_VULKAN_KERNELS, tuning or COOPMAT value is a precise error") {
  auto& ctx = context();
  const std::vector<uint8_t> w(2 * 18, 0);
  Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "weights");
  ScopedEnv kernels("GLASSWING_VULKAN_KERNELS", "fast");
  CHECK_THROWS_WITH(upload_weight(ctx, arena, GgmlType::Q4_0, 1, 64, w.data()),
                    Catch::Contains("GLASSWING_VULKAN_KERNELS must be gpu, cpu or auto, not 'fast'"));
  kernels.set("gpu");
  const WeightTensor t = upload_weight(ctx, arena, GgmlType::Q4_0, 1, 64, w.data());
  Buffer xb = device_buffer(std::vector<float>(64, 1.0f));
  Buffer yb = device_buffer({}, 8);
  ScopedEnv matvec("GLASSWING_VULKAN_MATVEC", "128,x");
  Recorder rec(ctx);
  rec.begin();
  CHECK_THROWS_WITH(rec.matvec(t, whole(xb), whole(yb)), Catch::Contains("GLASSWING_VULKAN_MATVEC must be"));
  matvec.set("128,2,2");
  {
    ScopedEnv lanes("GLASSWING_VULKAN_MATVEC_LANES", "bytes");
    CHECK_THROWS_WITH(rec.matvec(t, whole(xb), whole(yb)),
                      Catch::Contains("GLASSWING_VULKAN_MATVEC_LANES must be word or unit, not 'bytes'"));
  }
  {
    ScopedEnv split("GLASSWING_VULKAN_ATTN_SPLIT", "5");
    CHECK_THROWS_WITH(Recorder::attention_split_bytes(8, 64, 1024),
                      Catch::Contains("GLASSWING_VULKAN_ATTN_SPLIT: 0 (no split) or 16..65536 keys"));
    split.set("0");
    CHECK(Recorder::attention_split_bytes(8, 64, 1024) == 0);
  }
  {
    ScopedEnv matmul("GLASSWING_VULKAN_MATMUL", "64,64,32,4,3");
    CHECK_THROWS_WITH(rec.matmul(t, whole(xb), whole(yb), {.n_vec = 8}), Catch::Contains("bad tile shape"));
  }
  // (the tensor-core GEMM's tile is checked before anything is recorded, on any device)
  for (const char* tile : {"48,64", "64", "1024,1024", "64,64,48,32", "64,64,32", "64,64,128,64"}) {
    ScopedEnv tile_env("GLASSWING_VULKAN_COOPMAT_TILE", tile);
    CHECK_THROWS_WITH(rec.matmul_coopmat(t, whole(xb), whole(yb), {.n_vec = 8}),
                      Catch::Contains("GLASSWING_VULKAN_COOPMAT_TILE"));
  }
  if (!ctx.device().info().coopmat())  // (and a device without cooperative matrices refuses the kernel)
    CHECK_THROWS_WITH(rec.matmul_coopmat(t, whole(xb), whole(yb), {.n_vec = 8}),
                      Catch::Contains("has no cooperative matrices"));
  rec.end();
  {
    ScopedEnv coopmat("GLASSWING_VULKAN_COOPMAT", "yes");
    CHECK_THROWS_WITH(coopmat_requested(),
                      Catch::Contains("GLASSWING_VULKAN_COOPMAT must be 0, 1 or f16, not 'yes'"));
    coopmat.set("0");
    CHECK_FALSE(coopmat_requested());
    coopmat.set("1");
    CHECK(coopmat_requested());
    CHECK(coopmat_precise());
    coopmat.set("f16");
    CHECK(coopmat_requested());
    CHECK_FALSE(coopmat_precise());
  }
  {  // (the extension is chosen when the devices are listed)
    ScopedEnv api("GLASSWING_VULKAN_COOPMAT_API", "amd");
    CHECK_THROWS_WITH(list_devices(ctx.instance()),
                      Catch::Contains("GLASSWING_VULKAN_COOPMAT_API must be khr or nv, not 'amd'"));
    api.set("nv");
    for (const auto& d : list_devices(ctx.instance())) CHECK_FALSE(d.coopmat_khr);
  }
  require_no_validation_messages();
}

TEST_CASE("GPU layouts keep every byte of a block exactly once with 16-byte aligned quants") {
  for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                     GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    INFO(glasswing::gguf::ggml_type_name(t));
    const auto layout = gpu_layout(t);
    REQUIRE(layout.has_value());
    const auto traits = glasswing::gguf::ggml_type_traits(t);
    CHECK(layout->block_bytes() == traits.block_bytes);
    CHECK(layout->quant_bytes % 16 == 0);
    // Three blocks of distinct byte values (mod 256 within a block): each value lands once in the output.
    const uint32_t blocks = 3;
    std::vector<uint8_t> src(blocks * traits.block_bytes);
    for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i % traits.block_bytes);
    const auto out = repack_gpu(t, src.data(), 1, blocks * traits.block_elements);
    REQUIRE(out.size() == src.size());
    std::vector<int> seen(traits.block_bytes, 0);
    for (uint8_t b : out) seen[b]++;
    for (uint32_t v = 0; v < traits.block_bytes && v < 256; ++v) CHECK(seen[v] == int(blocks));
  }
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q2_K, GgmlType::Q3_K,
                     GgmlType::IQ2_XXS, GgmlType::TQ1_0})
    CHECK_FALSE(gpu_layout(t).has_value());
}

TEST_CASE("a large repack shares its rows among threads and pairs gate|up rows, as row-by-row repacks do") {
  // 2048 rows of 8192 columns: 9 MB and more, so repack_gpu_into splits them among the cores. Each output row
  // must hold what repacking its source row alone gives, in every region (quants, aux1, aux2).
  std::mt19937 rng(5);
  for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q5_1, GgmlType::Q6_K}) {
    const auto traits = glasswing::gguf::ggml_type_traits(t);
    const GpuLayout l = *gpu_layout(t);
    const uint32_t rows = 2048, cols = 8192, per_row = cols / uint32_t(traits.block_elements);
    const uint64_t src_rb = uint64_t{per_row} * traits.block_bytes, blocks = uint64_t{rows} * per_row;
    std::vector<uint8_t> src(rows * src_rb);
    for (auto& b : src) b = static_cast<uint8_t>(rng());
    for (const bool pairs : {false, true}) {
      INFO(glasswing::gguf::ggml_type_name(t) << (pairs ? " gate|up pairs" : ""));
      std::vector<uint8_t> out(repack_gpu_bytes(t, rows, cols));
      REQUIRE(out.size() == src.size());
      repack_gpu_into(t, src.data(), rows, cols, out.data(), pairs);
      bool same = true;
      for (uint32_t r = 0; r < rows && same; ++r) {
        const uint32_t from = !pairs ? r : r % 2 ? rows / 2 + r / 2 : r / 2;
        const auto one = repack_gpu(t, src.data() + from * src_rb, 1, cols);
        const uint64_t b0 = uint64_t{r} * per_row;
        // (the regions of the whole tensor start at 0, blocks * quant_bytes and blocks * (quant + aux1))
        const uint64_t region[3] = {0, blocks * l.quant_bytes, blocks * (l.quant_bytes + l.aux1_bytes)};
        const uint64_t one_region[3] = {0, uint64_t{per_row} * l.quant_bytes,
                                        uint64_t{per_row} * (l.quant_bytes + l.aux1_bytes)};
        const uint32_t width[3] = {l.quant_bytes, l.aux1_bytes, l.aux2_bytes};
        for (int k = 0; k < 3; ++k)
          same = same &&
                 std::equal(one.begin() + one_region[k], one.begin() + one_region[k] + per_row * width[k],
                            out.begin() + region[k] + b0 * width[k]);
      }
      CHECK(same);
    }
  }
  CHECK_THROWS_WITH(repack_gpu_into(GgmlType::Q4_0, nullptr, 3, 32, nullptr, true), Catch::Contains("even"));
}
