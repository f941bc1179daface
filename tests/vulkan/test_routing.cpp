// route_experts.comp (a decode step's expert choice on the device) against model::ExpertRouting, the host's
// routing that every backend shares; and the products and biases that read its ids.
#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>

#include "inference/model/expert_routing.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing;
using namespace glasswing::vulkan;
using namespace glasswing::vulkan::test;

namespace {

struct RoutedOnDevice {
  std::vector<uint32_t> ids;
  std::vector<float> weights, row_weights;
};

// One token's logits through route_experts; row_weights holds (k - 1) · row_align + 1 floats.
RoutedOnDevice route_on_device(const std::vector<float>& logits, const std::vector<float>& bias,
                               const std::vector<float>& scale, const ExpertChoice& c) {
  auto& ctx = context();
  Buffer lb = device_buffer(logits), bb = device_buffer(bias, 1), sb = device_buffer(scale, 1);
  const size_t rows = size_t(c.k - 1) * c.row_align + 1;
  Buffer ids = device_buffer(std::vector<float>(c.k, -1.0f)), weights = device_buffer({}, c.k),
         row_weights = device_buffer(std::vector<float>(rows, -1.0f));
  Recorder rec(ctx);
  rec.begin();
  rec.route_experts(whole(lb), bias.empty() ? BufferRange{} : whole(bb),
                    scale.empty() ? BufferRange{} : whole(sb), whole(ids), whole(weights), whole(row_weights),
                    c);
  rec.end();
  rec.submit_and_wait();
  RoutedOnDevice out;
  for (float f : read_floats(ids, c.k)) out.ids.push_back(std::bit_cast<uint32_t>(f));
  out.weights = read_floats(weights, c.k);
  out.row_weights = read_floats(row_weights, rows);
  return out;
}

model::ExpertGating gating_of(ExpertChoice::Gating g) {
  return g == ExpertChoice::Softmax   ? model::ExpertGating::Softmax
         : g == ExpertChoice::Sigmoid ? model::ExpertGating::Sigmoid
                                      : model::ExpertGating::SoftmaxOfChosen;
}

}  // namespace

TEST_CASE("route_experts chooses a token's experts and weights as the host's routing does", "[routing]") {
  // Every router the engines run: softmax renormalized or not (Mixtral, Qwen3; Qwen2-MoE), a sigmoid steered
  // by a selection bias and scaled (GLM-4.5, DeepSeek-V3), group-limited (DeepSeek-V3's 8 groups, 4 used),
  // the chosen logits' softmax (gpt-oss); from 4 experts to the kernel's 1024 and 32 picks. Logits drawn
  // from few values in half the draws, so that ties (to the lower id) are common. The weights times a
  // scale (Granite's residual scale) and each expert's own output scale (Gemma 4).
  struct Case {
    ExpertChoice choice;
    bool bias = false, output_scale = false;
  };
  using G = ExpertChoice::Gating;
  const std::vector<Case> cases = {
      {{.n_expert = 4, .k = 2}},
      {{.n_expert = 8, .k = 2, .weight_scale = 0.25f}},
      {{.n_expert = 60, .k = 4, .normalize = false}},
      {{.n_expert = 128, .k = 8, .gating = G::Sigmoid, .scale = 2.5f}, true},
      {{.n_expert = 256, .k = 8, .gating = G::Sigmoid, .scale = 2.5f, .groups = 8, .groups_used = 4}, true},
      {{.n_expert = 64, .k = 6, .gating = G::Softmax, .groups = 64, .groups_used = 8}},
      {{.n_expert = 32, .k = 4, .gating = G::SoftmaxOfChosen}},
      {{.n_expert = 128, .k = 8}, false, true},
      {{.n_expert = 512, .k = 10}},
      {{.n_expert = 1024, .k = 32, .gating = G::Sigmoid}, true},
  };
  std::mt19937 rng(11);
  for (const auto& [c, with_bias, with_scale] : cases) {
    for (int draw = 0; draw < 6; ++draw) {
      INFO(c.n_expert << " experts, " << c.k << " picked, gating " << c.gating << ", groups " << c.groups
                      << ", draw " << draw);
      std::vector<float> logits(c.n_expert), bias, scale;
      std::normal_distribution<float> normal(0.0f, 2.0f);
      for (float& l : logits) l = draw % 2 ? std::round(normal(rng)) : normal(rng);  // (odd draws: ties)
      if (with_bias)
        for (uint32_t e = 0; e < c.n_expert; ++e) bias.push_back(0.05f * float(int(rng() % 7) - 3));
      if (with_scale)
        for (uint32_t e = 0; e < c.n_expert; ++e) scale.push_back(0.5f + float(rng() % 8) / 4.0f);
      model::ExpertRouting host;
      host.route(logits.data(), 1, c.n_expert, c.k,
                 {gating_of(c.gating), c.normalize, c.scale, int64_t(c.groups), int64_t(c.groups_used)},
                 bias);
      const RoutedOnDevice got = route_on_device(logits, bias, scale, c);
      for (uint32_t r = 0; r < c.k; ++r) {
        INFO("rank " << r);
        REQUIRE(got.ids[r] == uint32_t(host.chosen[r]));
        const float want =
            host.weight[r] * c.weight_scale * (scale.empty() ? 1.0f : scale[size_t(host.chosen[r])]);
        CHECK(got.weights[r] == Approx(want).epsilon(1e-5).margin(1e-7));
      }
    }
  }
  require_no_validation_messages();
}

TEST_CASE("route_experts puts the weights on the input rows where the experts weight their input",
          "[routing]") {
  // Llama 4: the chosen experts' weights scale their input rows (rank r's at row r · row_align, the rows
  // between zeroed), the output weights are the scale alone.
  const ExpertChoice c{.n_expert = 16,
                       .k = 3,
                       .gating = ExpertChoice::Sigmoid,
                       .normalize = false,
                       .weight_scale = 0.5f,
                       .weight_on_input = true,
                       .row_align = 4};
  std::mt19937 rng(12);
  std::vector<float> logits(c.n_expert);
  for (float& l : logits) l = std::normal_distribution<float>(0.0f, 2.0f)(rng);
  model::ExpertRouting host;
  host.route(logits.data(), 1, c.n_expert, c.k, {model::ExpertGating::Sigmoid, false, 1.0f, 1, 1});
  const RoutedOnDevice got = route_on_device(logits, {}, {}, c);
  for (uint32_t r = 0; r < c.k; ++r) {
    CHECK(got.ids[r] == uint32_t(host.chosen[r]));
    CHECK(got.weights[r] == 0.5f);
    CHECK(got.row_weights[r * c.row_align] == Approx(host.weight[r]).epsilon(1e-6));
    for (uint32_t i = 1; r + 1 < c.k && i < c.row_align; ++i)
      CHECK(got.row_weights[r * c.row_align + i] == 0.0f);
  }
  require_no_validation_messages();
}

TEST_CASE("a prompt's tokens routed and batched on the device as the host's routing does", "[routing]") {
  // 37 tokens, 3 of 16 experts each (GLM-4.5's sigmoid with a selection bias, and Llama 4's weights on the
  // input): route_experts' ids for every token, then batch_experts' rows (each expert's pairs in token
  // order, experts in order, no padding), slots, input weights and expert tiles, all exactly as the host's
  // counting sort (model::ExpertRouting::pairs) places them; the tiles past the last empty.
  auto& ctx = context();
  const uint32_t n = 37, ne = 16, k = 3, pairs = n * k, max_tiles = pairs / kExpertTileVectors + ne + 1;
  std::mt19937 rng(13);
  std::vector<float> logits(n * ne), bias(ne);
  for (float& l : logits) l = std::normal_distribution<float>(0.0f, 2.0f)(rng);
  for (float& b : bias) b = 0.05f * float(int(rng() % 7) - 3);
  for (const bool on_input : {false, true}) {
    INFO("weights on the input " << on_input);
    const ExpertChoice c{
        .n_expert = ne, .k = k, .gating = ExpertChoice::Sigmoid, .weight_on_input = on_input, .n_tokens = n};
    Buffer lb = device_buffer(logits), bb = device_buffer(bias), ids = device_buffer({}, pairs),
           weights = device_buffer({}, pairs), pair_weights = device_buffer({}, pairs),
           rows = device_buffer({}, pairs), slots = device_buffer({}, pairs),
           row_weights = device_buffer({}, pairs),
           tiles = device_buffer(std::vector<float>(3 * max_tiles, 1.0f));
    Recorder rec(ctx);
    rec.begin();
    rec.route_experts(whole(lb), whole(bb), {}, whole(ids), whole(weights), whole(pair_weights), c);
    rec.barrier();
    rec.batch_experts({.ids = whole(ids),
                       .pair_weights = whole(pair_weights),
                       .rows = whole(rows),
                       .slots = whole(slots),
                       .row_weights = whole(row_weights),
                       .tiles = whole(tiles),
                       .n_pairs = pairs,
                       .k = k,
                       .n_expert = ne,
                       .max_tiles = max_tiles,
                       .weight_on_input = on_input});
    rec.end();
    rec.submit_and_wait();
    model::ExpertRouting host;
    host.route(logits.data(), n, ne, k, {model::ExpertGating::Sigmoid, true, 1.0f, 1, 1}, bias);
    const auto u32s = [](const Buffer& b, size_t count) {
      std::vector<uint32_t> out;
      for (float f : read_floats(b, count)) out.push_back(std::bit_cast<uint32_t>(f));
      return out;
    };
    const auto got_ids = u32s(ids, pairs), got_rows = u32s(rows, pairs), got_slots = u32s(slots, pairs),
               got_tiles = u32s(tiles, 3 * max_tiles);
    const auto got_pair_weights = read_floats(pair_weights, pairs),
               got_row_weights = read_floats(row_weights, pairs);
    size_t wrong = 0;
    for (uint32_t i = 0; i < pairs; ++i) wrong += got_ids[i] != uint32_t(host.chosen[i]);
    REQUIRE(wrong == 0);
    std::vector<uint32_t> want_tiles;
    for (uint32_t row = 0; row < pairs; ++row) {  // the host's pairs are its rows, in expert then token order
      const auto i = static_cast<uint32_t>(host.pairs[row]);
      wrong += got_rows[row] != i / k || got_slots[i] != row;
      if (on_input) wrong += got_row_weights[row] != got_pair_weights[i];
    }
    CHECK(wrong == 0);
    for (uint32_t e = 0; e < ne; ++e)
      for (int64_t s = 0; s < host.count(e); s += kExpertTileVectors)
        want_tiles.insert(want_tiles.end(),
                          {e, uint32_t(host.begin[e] + s),
                           uint32_t(std::min<int64_t>(kExpertTileVectors, host.count(e) - s))});
    want_tiles.resize(3 * max_tiles, 0u);
    CHECK(got_tiles == want_tiles);
  }
  require_no_validation_messages();
}

TEST_CASE("route_experts refuses more experts or picks than it holds, and groups that do not fit",
          "[routing]") {
  auto& ctx = context();
  Buffer b = device_buffer({}, 4096);
  Recorder rec(ctx);
  rec.begin();
  const auto route = [&](ExpertChoice c) {
    rec.route_experts(whole(b), {}, {}, whole(b), whole(b), whole(b), c);
  };
  CHECK_THROWS_WITH(route({.n_expert = 1025, .k = 8}), Catch::Contains("at most 1024 experts and 32 picks"));
  CHECK_THROWS_WITH(route({.n_expert = 64, .k = 33}), Catch::Contains("at most 1024 experts and 32 picks"));
  CHECK_THROWS_WITH(route({.n_expert = 64, .k = 8, .groups = 5}), Catch::Contains("the groups must divide"));
  CHECK_THROWS_WITH(route({.n_expert = 64, .k = 8, .groups = 8, .groups_used = 0}),
                    Catch::Contains("the groups must divide"));
  CHECK_THROWS_WITH(route({.n_expert = 64, .k = 9, .groups = 8, .groups_used = 1}),
                    Catch::Contains("hold k of them"));
  Buffer small = device_buffer({}, 4);
  CHECK_THROWS_WITH(
      rec.route_experts(whole(b), {}, {}, whole(small), whole(b), whole(b), {.n_expert = 64, .k = 8}),
      Catch::Contains("smaller than the tokens, experts and picks need"));
  rec.end();
  CHECK_THROWS_WITH(rec.batch_experts({.ids = whole(b),
                                       .rows = whole(b),
                                       .slots = whole(b),
                                       .tiles = whole(b),
                                       .n_pairs = 64,
                                       .k = 2,
                                       .n_expert = 16,
                                       .max_tiles = 4}),
                    Catch::Contains("4 tiles may not hold 64 rows over 16 experts"));
  CHECK_THROWS_WITH(rec.batch_experts({.ids = whole(b),
                                       .rows = whole(b),
                                       .slots = whole(b),
                                       .tiles = whole(b),
                                       .n_pairs = 63,
                                       .k = 2,
                                       .n_expert = 16,
                                       .max_tiles = 40}),
                    Catch::Contains("whole tokens"));
  CHECK(!route_on_device_supported(2000, 8));
  CHECK(route_on_device_supported(512, 10));
}
