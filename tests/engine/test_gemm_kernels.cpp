// cpu::gemm_rows (prefill's mat-mul kernel) against a double-precision product, for every kernel this CPU can
// run: row counts up to each kernel's group, batches around the 16-input panels, odd widths, with and without
// a bias, inputs and outputs in either orientation, inputs packed longer than the product.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "inference/cpu/gemm_f32.h"

using namespace glasswing::cpu;

TEST_CASE("CPU prefill GEMM kernels match a double-precision product", "[engine]") {
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> dist(-1, 1);
  int kernels = 0;
  for (const GemmKernel kernel : {GemmKernel::Portable, GemmKernel::Avx2, GemmKernel::Avx512}) {
    if (!gemm_kernel_available(kernel)) continue;
    ++kernels;
    const int64_t group = gemm_rows_group(kernel);
    REQUIRE(group <= kMaxGroupRows);
    for (const int64_t n : {1, 7, 64, 577}) {
      for (const int64_t n_batch : {1, 15, 16, 17, 40}) {
        for (const int64_t n_rows : {int64_t{1}, group / 2 + 1, group}) {
          INFO("kernel " << static_cast<int>(kernel) << ", n " << n << ", batch " << n_batch << ", rows "
                         << n_rows);
          std::vector<std::vector<float>> w(static_cast<size_t>(n_rows),
                                            std::vector<float>(static_cast<size_t>(n)));
          const float* rows[kMaxGroupRows] = {};
          for (int64_t i = 0; i < n_rows; ++i) {
            for (auto& v : w[static_cast<size_t>(i)]) v = dist(rng);
            rows[i] = w[static_cast<size_t>(i)].data();
          }
          std::vector<float> x(static_cast<size_t>(n * n_batch)), bias(static_cast<size_t>(n_rows));
          for (auto& v : x) v = dist(rng);
          for (auto& v : bias) v = dist(rng);
          std::vector<float> panels(static_cast<size_t>(x_panels_size(n, n_batch)), NAN);
          pack_x_panels(panels.data(), {x.data(), n}, n, n_batch, 0, x_panel_blocks(n_batch));
          const int64_t stride =
              n_rows + 3;  // outputs of other rows between an input's outputs stay untouched
          for (const bool with_bias : {false, true}) {
            std::vector<float> out(static_cast<size_t>(stride * n_batch), -7.0f);
            gemm_rows(
                kernel, rows, n_rows, n, panels.data(), n, n_batch,
                {.data = out.data(), .input_stride = stride, .bias = with_bias ? bias.data() : nullptr});
            double worst = 0;
            bool untouched = true;
            for (int64_t t = 0; t < n_batch; ++t) {
              for (int64_t i = 0; i < n_rows; ++i) {
                double want = with_bias ? bias[static_cast<size_t>(i)] : 0.0, mag = 1e-3 + std::abs(want);
                for (int64_t k = 0; k < n; ++k) {
                  const double p = double(w[static_cast<size_t>(i)][static_cast<size_t>(k)]) *
                                   x[static_cast<size_t>(t * n + k)];
                  want += p;
                  mag += std::abs(p);
                }
                worst = std::max(worst, std::abs(out[static_cast<size_t>(t * stride + i)] - want) / mag);
              }
              for (int64_t i = n_rows; i < stride; ++i)
                untouched = untouched && out[static_cast<size_t>(t * stride + i)] == -7.0f;
            }
            CHECK(worst < 2e-5);  // f32 sums of up to 577 terms in k order; a wrong term is off by ~1
            CHECK(untouched);
            // the same product from inputs stored k-major (x^T) into an output stored row-major (out^T):
            // the same sums, so the same bits
            std::vector<float> xt(x.size()), panels_t(panels.size(), NAN);
            for (int64_t t = 0; t < n_batch; ++t)
              for (int64_t k = 0; k < n; ++k)
                xt[static_cast<size_t>(k * n_batch + t)] = x[static_cast<size_t>(t * n + k)];
            pack_x_panels(panels_t.data(), {.data = xt.data(), .input_stride = 1, .k_stride = n_batch}, n,
                          n_batch, 0, x_panel_blocks(n_batch));
            std::vector<float> out_t(static_cast<size_t>(n_rows * n_batch));
            gemm_rows(kernel, rows, n_rows, n, panels_t.data(), n, n_batch,
                      {.data = out_t.data(),
                       .input_stride = 1,
                       .row_stride = n_batch,
                       .bias = with_bias ? bias.data() : nullptr});
            bool same = true;
            for (int64_t t = 0; t < n_batch; ++t)
              for (int64_t i = 0; i < n_rows; ++i)
                same = same && out_t[static_cast<size_t>(i * n_batch + t)] ==
                                   out[static_cast<size_t>(t * stride + i)];
            CHECK(same);
            // inputs packed longer (n + 5 values) and multiplied over their first n: the same sums
            std::vector<float> x_long(static_cast<size_t>((n + 5) * n_batch));
            for (int64_t t = 0; t < n_batch; ++t)
              for (int64_t k = 0; k < n + 5; ++k)
                x_long[static_cast<size_t>(t * (n + 5) + k)] =
                    k < n ? x[static_cast<size_t>(t * n + k)] : dist(rng);
            std::vector<float> panels_long(static_cast<size_t>(x_panels_size(n + 5, n_batch)));
            pack_x_panels(panels_long.data(), {x_long.data(), n + 5}, n + 5, n_batch, 0,
                          x_panel_blocks(n_batch));
            std::vector<float> out_long(out.size(), -7.0f);
            gemm_rows(
                kernel, rows, n_rows, n, panels_long.data(), n + 5, n_batch,
                {.data = out_long.data(), .input_stride = stride, .bias = with_bias ? bias.data() : nullptr});
            CHECK(out_long == out);
          }
        }
      }
    }
  }
  CHECK(kernels >= 1);
  CHECK(best_gemm_kernel() != GemmKernel::Portable);  // x86-64 CI machines have AVX2
}
