// Quantizers: exact block bytes on inputs whose result can be worked out by hand, round-trip error bounds,
// and byte-for-byte agreement with files written by the reference implementation (llama.cpp).
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "inference/gguf/gguf_file.h"
#include "inference/quant/fp16.h"
#include "inference/quant/quant.h"
#include "tests/test_support.h"

using glasswing::gguf::GgmlType;
using namespace glasswing;

namespace {

std::vector<uint8_t> quantize(GgmlType t, const std::vector<float>& x) {
  const auto traits = gguf::ggml_type_traits(t);
  std::vector<uint8_t> out(x.size() / traits.block_elements * traits.block_bytes, 0xAA);
  quant::quantize_row(t, x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

uint16_t half_at(const std::vector<uint8_t>& b, size_t off) {
  return static_cast<uint16_t>(b[off] | b[off + 1] << 8);
}

const GgmlType kAll[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
                         GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q2_K, GgmlType::Q3_K,
                         GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

}  // namespace

TEST_CASE("q8_0 bytes: absmax 127 gives d = 1 and codes equal to the inputs") {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j * 8 - 127);
  const auto b = quantize(GgmlType::Q8_0, x);
  REQUIRE(b.size() == 34);
  CHECK(half_at(b, 0) == 0x3c00);
  for (int j = 0; j < 32; ++j) CHECK(static_cast<int8_t>(b[2 + j]) == j * 8 - 127);
}

TEST_CASE("q4_0 bytes: the largest magnitude (negative) maps to code 0") {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16);  // max |x| = 16 at x = -16 -> d = 2
  const auto b = quantize(GgmlType::Q4_0, x);
  CHECK(half_at(b, 0) == 0x4000);
  // code = trunc((j - 16) / 2 + 8.5) = trunc(j / 2 + 0.5), capped at 15
  auto code = [](int j) { return std::min(15, (j + 1) / 2); };
  for (int j = 0; j < 16; ++j) CHECK(b[2 + j] == (code(j) | code(j + 16) << 4));
}

TEST_CASE("q4_1 and q5_1 bytes: range 0..15 / 0..31 gives d = 1, m = 0, codes = inputs") {
  std::vector<float> x4(32), x5(32);
  for (int j = 0; j < 32; ++j) {
    x4[j] = static_cast<float>(j % 16);
    x5[j] = static_cast<float>(j);
  }
  const auto b4 = quantize(GgmlType::Q4_1, x4);
  CHECK(half_at(b4, 0) == 0x3c00);
  CHECK(half_at(b4, 2) == 0x0000);
  for (int j = 0; j < 16; ++j) CHECK(b4[4 + j] == (j | j << 4));

  const auto b5 = quantize(GgmlType::Q5_1, x5);
  CHECK(half_at(b5, 0) == 0x3c00);
  CHECK(half_at(b5, 2) == 0x0000);
  CHECK(b5[4] == 0x00);  // qh: elements 16..31 have the fifth bit
  CHECK(b5[5] == 0x00);
  CHECK(b5[6] == 0xFF);
  CHECK(b5[7] == 0xFF);
  for (int j = 0; j < 16; ++j) CHECK(b5[8 + j] == (j | j << 4));
}

TEST_CASE("q5_0 bytes: -16..15 gives d = 1 and codes 0..31") {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16);
  const auto b = quantize(GgmlType::Q5_0, x);
  CHECK(half_at(b, 0) == 0x3c00);
  CHECK((b[2] | b[3] << 8 | b[4] << 16 | static_cast<uint32_t>(b[5]) << 24) == 0xFFFF0000u);
  for (int j = 0; j < 16; ++j) CHECK(b[6 + j] == (j | j << 4));
}

TEST_CASE("all-zero rows quantize to all-zero blocks that decode to zeros") {
  for (GgmlType t : kAll) {
    INFO(gguf::ggml_type_name(t));
    const std::vector<float> x(256, 0.0f);
    const auto b = quantize(t, x);
    std::vector<float> y(256, 1.0f);
    quant::dequantize_row(t, b.data(), y.data(), 256);
    for (float v : y) REQUIRE(v == 0.0f);
  }
}

TEST_CASE("round trip error stays within each type's bound") {
  // Relative RMS error bounds on N(0,1) data (measured values are about 2/3 of these; a wrong scale search or
  // rounding shows up as a larger error).
  struct Bound {
    GgmlType type;
    double rel_rms;
  };
  const Bound bounds[] = {{GgmlType::F32, 0},      {GgmlType::F16, 3e-4},   {GgmlType::BF16, 2.5e-3},
                          {GgmlType::Q8_0, 0.008}, {GgmlType::Q6_K, 0.026}, {GgmlType::Q5_K, 0.054},
                          {GgmlType::Q5_1, 0.057}, {GgmlType::Q5_0, 0.064}, {GgmlType::Q4_K, 0.11},
                          {GgmlType::Q4_1, 0.116}, {GgmlType::Q4_0, 0.128}, {GgmlType::Q3_K, 0.23},
                          {GgmlType::Q2_K, 0.44}};
  std::mt19937 rng(99);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(256 * 64);
  for (auto& v : x) v = normal(rng);
  for (const auto& bound : bounds) {
    const auto b = quantize(bound.type, x);
    std::vector<float> y(x.size());
    quant::dequantize_row(bound.type, b.data(), y.data(), static_cast<int64_t>(x.size()));
    double err = 0, norm = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      err += (double(y[i]) - x[i]) * (double(y[i]) - x[i]);
      norm += double(x[i]) * x[i];
    }
    const double rel = std::sqrt(err / norm);
    INFO(gguf::ggml_type_name(bound.type) << " relative RMS error " << rel);
    REQUIRE(rel <= bound.rel_rms);
  }
}

TEST_CASE("legacy types: every element within one step of its block scale") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uni(-3.0f, 3.0f);
  std::vector<float> x(32 * 50);
  for (auto& v : x) v = uni(rng);
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1}) {
    const auto b = quantize(t, x);
    std::vector<float> y(x.size());
    quant::dequantize_row(t, b.data(), y.data(), static_cast<int64_t>(x.size()));
    const size_t block_bytes = gguf::ggml_type_traits(t).block_bytes;
    for (size_t i = 0; i < x.size(); ++i) {
      const float d = std::fabs(glasswing::quant::fp16_to_f32(half_at(b, (i / 32) * block_bytes)));
      INFO(gguf::ggml_type_name(t) << " element " << i);
      // Half a step from rounding; symmetric types clamp the top code (one step), plus fp16 rounding of d.
      REQUIRE(std::fabs(y[i] - x[i]) <= d * 1.01f + 1e-6f);
    }
  }
}

TEST_CASE("quantizing the unquantized qwen2 file reproduces llama.cpp's q8_0, q4_K and q6_K bytes exactly") {
  const auto f32 = gguf::GgufFile::open(test::require_shared("models/synthetic/synth-qwen2-f32.gguf"));
  for (const char* name : {"synth-qwen2-Q8_0.gguf", "synth-qwen2-Q4_K_M.gguf"}) {
    const auto q = gguf::GgufFile::open(test::require_shared(std::string("models/synthetic/") + name));
    int checked = 0;
    for (const auto& t : q.tensors()) {
      INFO(name << ": " << t.name << " " << gguf::ggml_type_name(t.type));
      const auto& src = f32.require_tensor(t.name);
      REQUIRE(src.type == GgmlType::F32);
      std::vector<float> x(src.n_elements);
      std::memcpy(x.data(), src.data, src.n_bytes);
      const auto out = quantize(t.type, x);
      REQUIRE(out.size() == t.n_bytes);
      REQUIRE(std::memcmp(out.data(), t.data, t.n_bytes) == 0);
      ++checked;
    }
    CHECK(checked > 30);
  }
}

TEST_CASE("requantizing the llama F16 file comes close to llama.cpp's files for every type") {
  // These files were quantized from f32 weights we only have as F16, so a few codes near a rounding
  // boundary differ; a wrong algorithm differs in far more bytes.
  const auto f16 = gguf::GgufFile::open(test::require_shared("models/synthetic/synth-llama-F16.gguf"));
  for (const char* name : {"synth-llama-Q4_0.gguf", "synth-llama-Q4_1.gguf", "synth-llama-Q5_0.gguf",
                           "synth-llama-Q5_1.gguf", "synth-llama-Q8_0.gguf", "synth-llama-Q2_K.gguf",
                           "synth-llama-Q3_K_M.gguf", "synth-llama-Q5_K_M.gguf", "synth-llama-Q6_K.gguf"}) {
    const auto q = gguf::GgufFile::open(test::require_shared(std::string("models/synthetic/") + name));
    for (const auto& t : q.tensors()) {
      if (t.type == GgmlType::F32) continue;
      INFO(name << ": " << t.name << " " << gguf::ggml_type_name(t.type));
      const auto& src = f16.require_tensor(t.name);
      std::vector<float> x(src.n_elements);
      quant::dequantize_row(src.type, src.data, x.data(), static_cast<int64_t>(x.size()));
      const auto out = quantize(t.type, x);
      REQUIRE(out.size() == t.n_bytes);
      size_t differ = 0;
      for (size_t i = 0; i < out.size(); ++i) differ += out[i] != t.data[i];
      INFO(differ << " of " << out.size() << " bytes differ");
      REQUIRE(differ <= out.size() * 6 / 100);
    }
  }
}

TEST_CASE("can_quantize and bad arguments") {
  for (GgmlType t : kAll) CHECK(quant::can_quantize(t));
  CHECK_FALSE(quant::can_quantize(GgmlType::Q8_1));
  CHECK_FALSE(quant::can_quantize(GgmlType::Q8_K));
  std::vector<float> x(256, 1.0f);
  std::vector<uint8_t> out(1024);
  CHECK_THROWS_AS(quant::quantize_row(GgmlType::Q4_K, x.data(), out.data(), 128), std::invalid_argument);
  CHECK_THROWS_AS(quant::quantize_row(GgmlType::Q8_1, x.data(), out.data(), 256), std::invalid_argument);
  CHECK_THROWS_AS(quant::quantize_row(GgmlType::IQ2_XXS, x.data(), out.data(), 128), std::invalid_argument);
  CHECK_THROWS_AS(quant::quantize_row(GgmlType::IQ4_XS, x.data(), out.data(), 32), std::invalid_argument);
}

TEST_CASE("mxfp4: values on the E2M1 grid come back exactly, random rows within half a grid step") {
  using glasswing::quant::quantize_row;
  std::vector<float> x(64), y(64);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = 0.25f *
           std::array<float, 16>{0, 0.5f, 1, 1.5f, 2, 3, 4, 6, 0, -0.5f, -1, -1.5f, -2, -3, -4, -6}[i % 16];
  std::vector<uint8_t> q(2 * 17);
  quantize_row(GgmlType::MXFP4, x.data(), q.data(), 64);
  glasswing::quant::dequantize_row(GgmlType::MXFP4, q.data(), y.data(), 64);
  CHECK(y == x);
  std::mt19937 rng(8);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (float& v : x) v = normal(rng);
  quantize_row(GgmlType::MXFP4, x.data(), q.data(), 64);
  glasswing::quant::dequantize_row(GgmlType::MXFP4, q.data(), y.data(), 64);
  for (size_t b = 0; b < 64; b += 32) {
    float amax = 0;
    for (size_t j = b; j < b + 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    // the scale s puts amax in (6, 12] doubled-grid units, s < amax / 6; the widest gap (8 to 12) is 4 units:
    // at most 2 s off
    for (size_t j = b; j < b + 32; ++j) CHECK(std::fabs(y[j] - x[j]) <= amax / 3.0f + 1e-9f);
  }
}

TEST_CASE(
    "iq4_nl and iq4_xs: values on the codebook come back exactly, random rows within the grid's spacing") {
  using glasswing::quant::quantize_row;
  // a block whose values are the codebook itself (times 2): the largest magnitude, -254, maps to -127·2
  std::vector<float> x(256);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] =
        2.0f * std::array{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}[i % 16];
  for (auto type : {GgmlType::IQ4_NL, GgmlType::IQ4_XS}) {
    INFO(glasswing::gguf::ggml_type_name(type));
    std::vector<uint8_t> q(glasswing::gguf::ggml_type_traits(type).block_bytes * 256 /
                           glasswing::gguf::ggml_type_traits(type).block_elements);
    quantize_row(type, x.data(), q.data(), 256);
    std::vector<float> y(256);
    glasswing::quant::dequantize_row(type, q.data(), y.data(), 256);
    CHECK(y == x);
    // random normal rows: every element within half the codebook's widest gap (24) times its block's scale
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> r(256);
    for (float& v : r) v = normal(rng);
    quantize_row(type, r.data(), q.data(), 256);
    glasswing::quant::dequantize_row(type, q.data(), y.data(), 256);
    for (size_t b = 0; b < 256; b += 32) {
      float amax = 0;
      for (size_t j = b; j < b + 32; ++j) amax = std::max(amax, std::fabs(r[j]));
      for (size_t j = b; j < b + 32; ++j) CHECK(std::fabs(y[j] - r[j]) <= amax / 127.0f * 12.5f + 1e-3f);
    }
  }
}
