// Micro-benchmark of dot_row and dot_row_q8: one mat-vec (every row of a weight matrix times one vector) per
// repetition, reported as GB/s of weight bytes read (best repetition). Not a test: speed varies by machine.
// Run scripts/bench-quant.sh.
//
//   quant_bench [--mb MiB-per-matrix] [--cols N] [--reps R] [--kernels] [--cpu-time] [type...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "inference/gguf/ggml_type.h"
#include "inference/quant/activation.h"
#include "inference/quant/dot_kernels.h"
#include "inference/quant/fp16.h"
#include "inference/quant/quant.h"
#include "inference/quant/quant_internal.h"

using namespace glasswing;
using gguf::GgmlType;

namespace {

// Wall-clock seconds, or with --cpu-time this thread's CPU seconds (steadier on a machine shared with other
// jobs: time spent descheduled is not counted, though cache and memory contention still are).
bool g_cpu_time = false;
double now() {
  if (g_cpu_time) {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double bench(GgmlType t, const std::vector<uint8_t>& m, size_t row_bytes, const std::vector<float>& x,
             int reps, const quant::kernels::DotFn fn, float& sink) {
  const int64_t n = static_cast<int64_t>(x.size());
  const size_t rows = m.size() / row_bytes;
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const double start = now();
    float acc = 0;
    for (size_t i = 0; i < rows; ++i) {
      const void* row = m.data() + i * row_bytes;
      acc += fn ? fn(row, x.data(), n) : quant::dot_row(t, row, x.data(), n);
    }
    best = std::min(best, now() - start);
    sink += acc;
  }
  return static_cast<double>(m.size()) / best / 1e9;
}

// As bench(), through dot_row_q8; the activation is quantized inside the timed mat-vec, as an engine would.
double bench_q8(GgmlType t, const std::vector<uint8_t>& m, size_t row_bytes, const std::vector<float>& x,
                int reps, float& sink) {
  const size_t rows = m.size() / row_bytes;
  quant::QuantizedActivation xq;
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const double start = now();
    quant::quantize_activation(x.data(), static_cast<int64_t>(x.size()), xq);
    float acc = 0;
    for (size_t i = 0; i < rows; ++i) acc += quant::dot_row_q8(t, m.data() + i * row_bytes, xq);
    best = std::min(best, now() - start);
    sink += acc;
  }
  return static_cast<double>(m.size()) / best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  double mib = 256;
  int64_t cols = 4096;
  int reps = 5;
  bool per_kernel = false;
  std::vector<GgmlType> types;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mb" && i + 1 < argc)
      mib = std::atof(argv[++i]);
    else if (a == "--cols" && i + 1 < argc)
      cols = std::atoll(argv[++i]);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--kernels")
      per_kernel = true;
    else if (a == "--cpu-time")
      g_cpu_time = true;
    else if (auto t = gguf::ggml_type_from_name(a); t && quant::can_dequantize(*t))
      types.push_back(*t);
    else {
      std::fprintf(
          stderr, "usage: quant_bench [--mb MiB] [--cols N] [--reps R] [--kernels] [--cpu-time] [type...]\n");
      return 2;
    }
  }
  if (types.empty())
    types = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
             GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q2_K, GgmlType::Q3_K,
             GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(cols));
  for (auto& v : x) v = normal(rng);
  float sink = 0;
  std::printf("dot_row over a %.0f MiB matrix, rows of %lld; best of %d (%s); AVX2 kernels: %s\n", mib,
              static_cast<long long>(cols), reps, g_cpu_time ? "thread CPU time" : "wall time",
              quant::kernels::cpu_has_avx2() ? "yes" : "no");
  std::printf("%-6s %10s %12s %12s", "type", "GB/s", "Gelem/s", "q8 GB/s");
  if (per_kernel) std::printf(" %14s %14s %14s", "portable GB/s", "avx2 GB/s", "reference GB/s");
  std::printf("\n");
  for (GgmlType t : types) {
    const auto traits = gguf::ggml_type_traits(t);
    const size_t row_bytes = static_cast<size_t>(cols / traits.block_elements * traits.block_bytes);
    const size_t rows = std::max<size_t>(1, static_cast<size_t>(mib * 1048576.0 / row_bytes));
    std::vector<uint8_t> m(rows * row_bytes);
    // Random codes with sane fp16 scales: quantize random floats where a quantizer exists, else random bytes
    // (decoding speed does not depend on the values, but inf/NaN scales could).
    if (t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16) {
      for (size_t i = 0; i < m.size() / traits.block_bytes; ++i) {
        const float v = normal(rng) * 0.02f;
        if (t == GgmlType::F32) std::memcpy(&m[4 * i], &v, 4);
        const uint16_t h = t == GgmlType::F16 ? quant::f32_to_fp16(v) : quant::f32_to_bf16(v);
        if (t != GgmlType::F32) std::memcpy(&m[2 * i], &h, 2);
      }
    } else if (quant::can_quantize(t)) {
      std::vector<float> src(static_cast<size_t>(cols));
      for (size_t r = 0; r < rows; ++r) {
        for (auto& v : src) v = normal(rng) * 0.02f;
        quant::quantize_row(t, src.data(), m.data() + r * row_bytes, cols);
      }
    } else {
      for (auto& b : m) b = static_cast<uint8_t>(rng() & 0x3b);  // keeps fp16 exponents small
    }
    const double gbs = bench(t, m, row_bytes, x, reps, nullptr, sink);
    const double elems = gbs * 1e9 / row_bytes * cols / 1e9;
    const double q8 = bench_q8(t, m, row_bytes, x, reps, sink);
    std::printf("%-6s %10.2f %12.2f %12.2f", std::string(traits.name).c_str(), gbs, elems, q8);
    if (per_kernel) {
      const double p = bench(t, m, row_bytes, x, reps, quant::kernels::portable(t), sink);
      const double v =
          quant::kernels::cpu_has_avx2() ? bench(t, m, row_bytes, x, reps, quant::kernels::avx2(t), sink) : 0;
      std::printf(" %14.2f %14.2f", p, v);
      // The reference kernel of this type, for scale.
      double best = 1e30;
      for (int r = 0; r < std::max(1, reps / 2); ++r) {
        const double start = now();
        for (size_t i = 0; i < rows; ++i)
          sink += quant::dot_row_reference(t, m.data() + i * row_bytes, x.data(), cols);
        best = std::min(best, now() - start);
      }
      std::printf(" %14.2f", static_cast<double>(m.size()) / best / 1e9);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  return sink == 12345.678f ? 1 : 0;  // keeps the work observable
}
