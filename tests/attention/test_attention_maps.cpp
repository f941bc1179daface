// Backend::attention and attention_summary on three models against an independent double-precision
// recomputation from the session's Q and K caches.
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/attention/attention_reference.h"

using namespace glasswing;
using Catch::Matchers::WithinAbs;

TEST_CASE("Every attention map is causal, rows sum to 1 and it equals softmax(q.k/sqrt(d))", "[attention]") {
  for (const auto& path : test::kAttentionModels) {
    INFO(path);
    test::Prefilled p(path);
    const auto& d = p.desc();
    const model::Range all{0, p.n};
    for (int64_t layer = 0; layer < d.n_layer; ++layer) {
      for (int64_t head = 0; head < d.n_head; ++head) {
        INFO("layer " << layer << " head " << head);
        const auto a = p.backend->attention(*p.session, layer, head, all, all);
        REQUIRE(a.probs.size() == static_cast<size_t>(p.n * p.n));
        const auto ref = test::naive_attention(*p.session, layer, head, head / d.gqa_group());
        double worst = 0, worst_row = 0;
        bool causal = true;
        for (int64_t q = 0; q < p.n; ++q) {
          double row = 0;
          for (int64_t k = 0; k < p.n; ++k) {
            if (k > q && a.at(q, k) != 0.0f) causal = false;
            row += a.at(q, k);
            worst = std::max(worst, std::abs(a.at(q, k) - ref[static_cast<size_t>(q * p.n + k)]));
          }
          worst_row = std::max(worst_row, std::abs(row - 1.0));
        }
        CHECK(causal);
        CHECK(worst_row <= 1e-5);
        CHECK(worst <= 1e-5);
      }
    }
  }
}

TEST_CASE("Query heads read the KV head the GQA mapping names", "[attention]") {
  for (const auto& path : test::kAttentionModels) {
    INFO(path);
    test::Prefilled p(path);
    const auto& d = p.desc();
    REQUIRE(d.n_head_kv > 1);
    REQUIRE(d.gqa_group() > 1);  // every model here shares KV heads
    const model::Range all{0, p.n};
    for (int64_t layer : {int64_t{0}, d.n_layer - 1}) {
      for (int64_t head = 0; head < d.n_head; ++head) {
        INFO("layer " << layer << " head " << head);
        const auto a = p.backend->attention(*p.session, layer, head, all, all);
        // Against each KV head: only the mapped one reproduces the map; the others differ visibly (so a
        // wrong mapping, e.g. head % n_head_kv, cannot pass).
        for (int64_t kv = 0; kv < d.n_head_kv; ++kv) {
          const auto ref = test::naive_attention(*p.session, layer, head, kv);
          double diff = 0;
          for (int64_t q = 0; q < p.n; ++q)
            for (int64_t k = 0; k <= q; ++k)
              diff = std::max(diff, std::abs(a.at(q, k) - ref[static_cast<size_t>(q * p.n + k)]));
          if (kv == head / d.gqa_group())
            CHECK(diff <= 1e-5);
          else
            CHECK(diff > 1e-3);
        }
      }
    }
  }
}

TEST_CASE("A window of the map is the same numbers as the full map", "[attention]") {
  for (const auto& path : test::kAttentionModels) {
    INFO(path);
    test::Prefilled p(path);
    const auto& d = p.desc();
    const model::Range all{0, p.n};
    const model::Range windows[][2] = {{{0, 1}, {0, 1}},     {{20, 25}, {3, 9}},   {{5, 31}, {0, 31}},
                                       {{30, 31}, {29, 31}}, {{10, 12}, {15, 31}}, {{0, 31}, {7, 8}}};
    for (int64_t layer = 0; layer < d.n_layer; ++layer) {
      const int64_t head = (layer * 3) % d.n_head;
      const auto full = p.backend->attention(*p.session, layer, head, all, all);
      for (const auto& w : windows) {
        const auto part = p.backend->attention(*p.session, layer, head, w[0], w[1]);
        REQUIRE(part.probs.size() == static_cast<size_t>(w[0].size() * w[1].size()));
        CHECK(part.queries.begin == w[0].begin);
        CHECK(part.keys.end == w[1].end);
        for (int64_t q = w[0].begin; q < w[0].end; ++q)
          for (int64_t k = w[1].begin; k < w[1].end; ++k) {
            INFO("layer " << layer << " q " << q << " k " << k);
            CHECK(part.at(q, k) == full.at(q, k));
          }
      }
    }
  }
}

TEST_CASE("The layer x head summary reduces the full maps", "[attention]") {
  for (const auto& path : test::kAttentionModels) {
    INFO(path);
    test::Prefilled p(path);
    const auto& d = p.desc();
    for (const model::Range queries : {model::Range{0, p.n}, model::Range{12, 20}}) {
      const auto summary = p.backend->attention_summary(*p.session, queries);
      REQUIRE(summary.size() == static_cast<size_t>(d.n_layer * d.n_head));
      for (int64_t layer = 0; layer < d.n_layer; ++layer) {
        for (int64_t head = 0; head < d.n_head; ++head) {
          INFO("layer " << layer << " head " << head << " queries " << queries.begin << ":" << queries.end);
          const auto a = p.backend->attention(*p.session, layer, head, queries, {0, p.n});
          double max = 0, entropy = 0, first = 0;
          for (int64_t q = queries.begin; q < queries.end; ++q) {
            double row_max = 0;
            for (int64_t k = 0; k <= q; ++k) {
              const double v = a.at(q, k);
              row_max = std::max(row_max, v);
              if (v > 0) entropy -= v * std::log(v);
            }
            max += row_max;
            first += a.at(q, 0);
          }
          const double nq = static_cast<double>(queries.size());
          const auto& s = summary[static_cast<size_t>(layer * d.n_head + head)];
          CHECK(s.layer == layer);
          CHECK(s.head == head);
          CHECK_THAT(s.max_prob, WithinAbs(max / nq, 1e-5));
          CHECK_THAT(s.entropy, WithinAbs(entropy / nq, 1e-4));
          CHECK_THAT(s.first_token, WithinAbs(first / nq, 1e-5));
        }
      }
    }
  }
}

TEST_CASE("Attention requests outside the model or the session are rejected", "[attention]") {
  test::Prefilled p(test::kAttentionModels[0]);
  const auto& d = p.desc();
  const model::Range all{0, p.n};
  CHECK_THROWS_AS(p.backend->attention(*p.session, d.n_layer, 0, all, all), std::out_of_range);
  CHECK_THROWS_AS(p.backend->attention(*p.session, -1, 0, all, all), std::out_of_range);
  CHECK_THROWS_AS(p.backend->attention(*p.session, 0, d.n_head, all, all), std::out_of_range);
  CHECK_THROWS_AS(p.backend->attention(*p.session, 0, 0, {0, p.n + 1}, all), std::out_of_range);
  CHECK_THROWS_AS(p.backend->attention(*p.session, 0, 0, all, {-1, 3}), std::out_of_range);
  CHECK_THROWS_AS(p.backend->attention_summary(*p.session, {5, 4}), std::out_of_range);
}
