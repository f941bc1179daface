#include "inference/vulkan/coopmat_check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "inference/vulkan/env_choice.h"
#include "inference/vulkan/ops.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

namespace {

using gguf::GgmlType;

Buffer device_floats(Context& ctx, const std::vector<float>& v, const char* what) {
  Buffer b = Buffer::Create(ctx.device(), v.size() * sizeof(float), MemoryUse::DeviceLocal, what);
  ctx.upload(whole(b), v.data(), v.size() * sizeof(float));
  return b;
}

std::vector<float> random_floats(std::mt19937& rng, size_t n) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& f : v) f = dist(rng);
  return v;
}

// The tensor-core GEMM against a double-precision CPU product: 70 rows x 64 columns x 37 vectors (partial
// tiles on both sides, two K steps), with the accumulate flag. Returns the worst error in units of the summed
// term magnitude (NaN counts as infinite), which coopmat_bound() limits.
double worst_error(Context& ctx) {
  const uint32_t rows = 70, cols = 64, n = 37;
  std::mt19937 rng(17);
  const auto w = random_floats(rng, uint64_t{rows} * cols);
  const auto x = random_floats(rng, uint64_t{n} * cols);
  Arena arena(ctx.device(), MemoryUse::DeviceLocal, 1 << 20, "the tensor-core check");
  const WeightTensor t = upload_weight(ctx, arena, GgmlType::F32, rows, cols, w.data());
  Buffer xb = device_floats(ctx, x, "the tensor-core check");
  Buffer yb = device_floats(ctx, std::vector<float>(uint64_t{rows} * n, 1.0f), "the tensor-core check");
  Recorder rec(ctx);
  rec.begin();
  rec.matmul_coopmat(t, whole(xb), whole(yb), {.n_vec = n, .accumulate = true});
  rec.end();
  rec.submit_and_wait();
  std::vector<float> y(uint64_t{rows} * n);
  ctx.download(whole(yb), y.data(), y.size() * sizeof(float));
  double worst = 0;
  for (uint32_t v = 0; v < n; ++v)
    for (uint32_t r = 0; r < rows; ++r) {
      double acc = 1.0, mag = 1.0;
      for (uint32_t c = 0; c < cols; ++c) {
        const double p = double(w[uint64_t{r} * cols + c]) * x[uint64_t{v} * cols + c];
        acc += p;
        mag += std::abs(p);
      }
      const double e = std::abs(y[uint64_t{v} * rows + r] - acc) / mag;
      worst = std::isnan(e) ? INFINITY : std::max(worst, e);
    }
  return worst;
}

}  // namespace

bool coopmat_requested() {
  return env_choice("GLASSWING_VULKAN_COOPMAT", {"0", "1", "f16"}, 0) != 0;
}

bool coopmat_precise() {
  return env_choice("GLASSWING_VULKAN_COOPMAT", {"0", "1", "f16"}, 0) != 2;
}

double coopmat_bound() {
  return coopmat_precise() ? 1e-5 : 4e-3;
}

bool coopmat_enabled(Context& ctx) {
  if (!ctx.device().info().coopmat() || !coopmat_requested()) return false;
  if (ctx.coopmat_choice) return *ctx.coopmat_choice;
  bool use = false;
  struct StartupCheck {  // the checks' submissions are not the work fault injection counts
    Context& ctx;
    explicit StartupCheck(Context& c) : ctx(c) { ctx.in_startup_check = true; }
    ~StartupCheck() { ctx.in_startup_check = false; }
  } guard(ctx);
  try {
    const double worst = worst_error(ctx);
    use = worst <= coopmat_bound();
    if (use)  // (once per context: a benchmark's log shows which GEMM its prompts ran)
      std::fprintf(stderr,
                   "glasswing: tensor-core GEMM (%s) on for %s (startup check %.2g off a CPU product)\n",
                   coopmat_precise() ? "split f16" : "f16", ctx.device().info().name.c_str(), worst);
    else
      std::fprintf(
          stderr,
          "glasswing: the tensor-core GEMM was %.2g off a CPU product on %s (bound %.0e); using the f32 "
          "GEMM\n",
          worst, ctx.device().info().name.c_str(), coopmat_bound());
  } catch (const VulkanError& e) {
    if (e.result() == VK_ERROR_DEVICE_LOST) throw;  // the device is gone, not just this kernel
    std::fprintf(stderr, "glasswing: the tensor-core GEMM failed on %s (%s); using the f32 GEMM\n",
                 ctx.device().info().name.c_str(), e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "glasswing: the tensor-core GEMM failed on %s (%s); using the f32 GEMM\n",
                 ctx.device().info().name.c_str(), e.what());
  }
  ctx.coopmat_choice = use;
  return use;
}

}  // namespace glasswing::vulkan
