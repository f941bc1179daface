// Attention maps recomputed from the Q and K caches.
#include <catch2/catch.hpp>
#include <cmath>

#include "inference/cpu/cpu_backend.h"
#include "inference/model/model.h"
#include "inference/model/session.h"
#include "tests/engine/engine_test_util.h"
#include "tests/test_support.h"

using namespace glasswing;
using Catch::Matchers::WithinAbs;

TEST_CASE("Attention rows are causal distributions and summaries reduce them", "[engine][attention]") {
  auto m = model::Model::load(test::require_shared("models/stories260K.gguf"));
  cpu::CpuBackend backend(*m);
  model::Session session(*m, backend);
  backend.forward(session, test::kLlamaReferenceTokens, false);
  const int64_t n = session.position();
  const model::Range all{0, n};

  const auto summary = backend.attention_summary(session, all);
  REQUIRE(summary.size() == static_cast<size_t>(m->desc().n_layer * m->desc().n_head));
  for (int64_t layer : {0, 4}) {
    for (int64_t head : {0, 5}) {
      const auto a = backend.attention(session, layer, head, all, all);
      REQUIRE(a.probs.size() == static_cast<size_t>(n * n));
      double max_sum = 0, first_sum = 0;
      for (int64_t q = 0; q < n; ++q) {
        double row = 0, row_max = 0;
        for (int64_t k = 0; k < n; ++k) {
          if (k > q) CHECK(a.at(q, k) == 0.0f);
          row += a.at(q, k);
          row_max = std::max<double>(row_max, a.at(q, k));
        }
        CHECK_THAT(row, WithinAbs(1.0, 1e-5));
        max_sum += row_max;
        first_sum += a.at(q, 0);
      }
      CHECK(a.at(0, 0) == 1.0f);  // the first token can only attend to itself
      const auto& s = summary[static_cast<size_t>(layer * m->desc().n_head + head)];
      CHECK(s.layer == layer);
      CHECK(s.head == head);
      CHECK_THAT(s.max_prob, WithinAbs(max_sum / n, 1e-5));
      CHECK_THAT(s.first_token, WithinAbs(first_sum / n, 1e-5));
      CHECK(s.entropy > 0);

      // A window of the map is the same numbers: rows are normalised over every key they see.
      const auto window = backend.attention(session, layer, head, {20, 25}, {3, 9});
      for (int64_t q = 20; q < 25; ++q)
        for (int64_t k = 3; k < 9; ++k) CHECK(window.at(q, k) == a.at(q, k));
    }
  }
  CHECK_THROWS_AS(backend.attention(session, 5, 0, all, all), std::out_of_range);
  CHECK_THROWS_AS(backend.attention(session, 0, 0, {0, n + 1}, all), std::out_of_range);
}
