// cpu::attention_scores / softmax_f32 / attention_values against a double-precision recomputation, for head
// widths the AVX2 kernels take (multiples of 8 up to 256) and ones they leave to the portable code, key
// counts around the 8-key blocks, and a cache row wider than the head (the KV heads side by side).
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "inference/cpu/attention_f32.h"

using namespace glasswing::cpu;

namespace {

std::vector<float> randoms(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace

TEST_CASE("CPU attention kernels match a double-precision reference", "[engine][attention]") {
  std::mt19937 rng(5);
  for (const int64_t hd : {8, 16, 64, 72, 128, 256, 3, 12, 264}) {
    for (const int64_t n_keys : {1, 7, 8, 9, 17, 1000}) {
      const int64_t stride = 3 * hd + 5;  // three heads per cache row, and an odd row length
      const auto q = randoms(rng, static_cast<size_t>(hd), -2, 2);
      const auto k = randoms(rng, static_cast<size_t>(n_keys * stride), -2, 2);
      const auto v = randoms(rng, static_cast<size_t>(n_keys * stride), -1, 1);
      const int64_t head = 1;  // the middle head of each row
      const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
      INFO("head width " << hd << ", keys " << n_keys);

      std::vector<float> att(static_cast<size_t>(n_keys));
      attention_scores(att.data(), q.data(), k.data() + head * hd, stride, n_keys, hd, scale);
      std::vector<double> want(static_cast<size_t>(n_keys));
      double max = -INFINITY;
      for (int64_t j = 0; j < n_keys; ++j) {
        double s = 0, mag = 0;
        for (int64_t i = 0; i < hd; ++i) {
          const double t = double(q[size_t(i)]) * k[size_t(j * stride + head * hd + i)];
          s += t;
          mag += std::abs(t);
        }
        want[size_t(j)] = s * scale;
        max = std::max(max, want[size_t(j)]);
        REQUIRE(std::abs(att[size_t(j)] - want[size_t(j)]) <= 1e-6 * (mag * scale + 1));
      }

      softmax_f32(att.data(), n_keys);
      double sum = 0, total = 0;
      for (int64_t j = 0; j < n_keys; ++j) sum += std::exp(want[size_t(j)] - max);
      for (int64_t j = 0; j < n_keys; ++j) {
        const double p = std::exp(want[size_t(j)] - max) / sum;
        REQUIRE(std::abs(att[size_t(j)] - p) <= 1e-5 * p + 1e-7);
        total += att[size_t(j)];
      }
      CHECK(std::abs(total - 1.0) < 1e-5);

      std::vector<float> out(static_cast<size_t>(hd), 99.0f);  // overwritten, not accumulated
      attention_values(out.data(), att.data(), v.data() + head * hd, stride, n_keys, hd);
      for (int64_t i = 0; i < hd; ++i) {
        double o = 0;
        for (int64_t j = 0; j < n_keys; ++j)
          o += double(att[size_t(j)]) * v[size_t(j * stride + head * hd + i)];
        REQUIRE(std::abs(out[size_t(i)] - o) <= 1e-5);
      }
    }
  }
}

TEST_CASE("CPU softmax keeps exp accurate far below the maximum and underflows to zero",
          "[engine][attention]") {
  // scores spread over [-100, 0] after the max: exp down to e^-87 is a normal float; beyond, 0
  std::vector<float> x;
  for (int i = 0; i <= 200; ++i) x.push_back(-0.5f * static_cast<float>(i));
  std::vector<double> want(x.size());
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) sum += want[i] = std::exp(double(x[i]));
  softmax_f32(x.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    INFO("i " << i);
    const double p = want[i] / sum;
    if (p > 1e-36)
      REQUIRE(std::abs(x[i] - p) <= 2e-6 * p);
    else
      REQUIRE(x[i] < 1e-30);
  }
}

TEST_CASE("Grouped CPU attention kernels give each query the one-query kernels' bits",
          "[engine][attention]") {
  std::mt19937 rng(6);
  for (const int64_t hd : {8, 64, 128, 12}) {
    for (const int64_t g : {1, 3, 8}) {
      for (const int64_t n_keys : {1, 9, 64, 65, 300}) {
        INFO("head width " << hd << ", group " << g << ", keys " << n_keys);
        const int64_t stride = 2 * hd + 3;  // two KV heads per cache row
        const auto q = randoms(rng, static_cast<size_t>(g * hd), -2, 2);
        const auto k = randoms(rng, static_cast<size_t>(n_keys * stride), -2, 2);
        const auto v = randoms(rng, static_cast<size_t>(n_keys * stride), -1, 1);
        const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
        const int64_t att_stride = n_keys + 5, out_stride = hd + 1;
        std::vector<float> att(static_cast<size_t>(g * att_stride), -1.0f),
            out(static_cast<size_t>(g * out_stride), -1.0f);
        attention_scores_group(att.data(), att_stride, q.data(), hd, g, k.data() + hd, stride, n_keys, hd,
                               scale);
        bool same_scores = true, same_out = true;
        for (int64_t qi = 0; qi < g; ++qi) {
          std::vector<float> one(static_cast<size_t>(n_keys));
          attention_scores(one.data(), q.data() + qi * hd, k.data() + hd, stride, n_keys, hd, scale);
          same_scores = same_scores && std::equal(one.begin(), one.end(), att.begin() + qi * att_stride);
          softmax_f32(att.data() + qi * att_stride, n_keys);
        }
        attention_values_group(out.data(), out_stride, att.data(), att_stride, g, v.data() + hd, stride,
                               n_keys, hd);
        for (int64_t qi = 0; qi < g; ++qi) {
          std::vector<float> one(static_cast<size_t>(hd));
          attention_values(one.data(), att.data() + qi * att_stride, v.data() + hd, stride, n_keys, hd);
          same_out = same_out && std::equal(one.begin(), one.end(), out.begin() + qi * out_stride);
        }
        CHECK(same_scores);
        CHECK(same_out);
      }
    }
  }
}
