#include "inference/vulkan/coopmat_check.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

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
// tiles on both sides, two K steps), with the accumulate flag. As the kernel tests: within 1e-5 of the
// summed term magnitude.
bool correct(Context& ctx) {
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
  for (uint32_t v = 0; v < n; ++v)
    for (uint32_t r = 0; r < rows; ++r) {
      double acc = 1.0, mag = 1.0;
      for (uint32_t c = 0; c < cols; ++c) {
        const double p = double(w[uint64_t{r} * cols + c]) * x[uint64_t{v} * cols + c];
        acc += p;
        mag += std::abs(p);
      }
      if (!(std::abs(y[uint64_t{v} * rows + r] - acc) <= 1e-5 * mag)) return false;
    }
  return true;
}

// Seconds of the faster of two timed submissions of 8 products of a 2048 x 4096 q4_0 weight with 256
// vectors (the shape of a prefill step), by one GEMM variant.
double seconds(Context& ctx, bool coopmat) {
  const uint32_t rows = 2048, cols = 4096, n = 256;
  std::mt19937 rng(5);
  std::vector<uint8_t> q(uint64_t{rows} * cols / 32 * 18);
  for (auto& b : q) b = static_cast<uint8_t>(rng());
  for (uint64_t i = 0; i < q.size(); i += 18) q[i] = 0, q[i + 1] = 0x1c;  // d = 2^-8
  Arena arena(ctx.device(), MemoryUse::DeviceLocal, 8 << 20, "the tensor-core check");
  const WeightTensor t = upload_weight(ctx, arena, GgmlType::Q4_0, rows, cols, q.data());
  Buffer xb = device_floats(ctx, random_floats(rng, uint64_t{n} * cols), "the tensor-core check");
  Buffer yb = Buffer::Create(ctx.device(), uint64_t{rows} * n * sizeof(float), MemoryUse::DeviceLocal,
                             "the tensor-core check");
  Recorder rec(ctx);
  rec.begin();
  for (int i = 0; i < 8; ++i) {
    if (coopmat)
      rec.matmul_coopmat(t, whole(xb), whole(yb), {.n_vec = n});
    else
      rec.matmul_tiled(t, whole(xb), whole(yb), {.n_vec = n});
    rec.barrier();
  }
  rec.end();
  rec.submit_and_wait();  // warm-up
  double best = 1e9;
  for (int i = 0; i < 2; ++i) {
    const auto start = std::chrono::steady_clock::now();
    rec.submit_and_wait();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

bool coopmat_enabled(Context& ctx) {
  if (!ctx.device().info().coopmat) return false;
  const char* env = std::getenv("GLASSWING_VULKAN_COOPMAT");
  const std::string v = env ? env : "";
  if (v == "1") return true;
  if (v == "0") return false;
  if (ctx.coopmat_choice) return *ctx.coopmat_choice;
  bool use = false;
  struct StartupCheck {  // the checks' submissions are not the work fault injection counts
    Context& ctx;
    explicit StartupCheck(Context& c) : ctx(c) { ctx.in_startup_check = true; }
    ~StartupCheck() { ctx.in_startup_check = false; }
  } guard(ctx);
  try {
    if (!correct(ctx)) {
      std::fprintf(stderr, "glasswing: the tensor-core GEMM gave wrong results on %s; using the f32 GEMM\n",
                   ctx.device().info().name.c_str());
    } else {
      use = seconds(ctx, true) < 0.95 * seconds(ctx, false);
    }
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
