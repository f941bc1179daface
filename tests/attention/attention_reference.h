#pragma once
// An independent recomputation of attention maps for the tests: softmax(q·kᵀ/√d) with the causal mask, in
// double precision, straight from the CPU session's post-RoPE Q and K caches — none of the backend's
// kernels (dot, softmax, attention_row) are used.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inference/cpu/cpu_backend.h"
#include "inference/model/backend.h"
#include "inference/model/backend_registry.h"
#include "inference/model/model.h"
#include "inference/model/session.h"
#include "tests/engine/engine_test_util.h"
#include "tests/test_support.h"

namespace glasswing::test {

// The models the attention tests cover: GQA with interleaved RoPE (stories260K, real weights), NeoX RoPE
// with Q/K biases and a group of 4 (qwen2), and quantized weights (Q4_K_M).
inline const std::vector<std::string> kAttentionModels = {"models/stories260K.gguf",
                                                          "models/synthetic/synth-qwen2-f32.gguf",
                                                          "models/synthetic/synth-llama-Q4_K_M.gguf"};

// A model, a backend and a session that has prefilled the 31 reference tokens.
struct Prefilled {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<model::Backend> backend;
  std::unique_ptr<model::Session> session;
  int64_t n = 0;

  Prefilled(const std::string& relative, const std::string& backend_name = "cpu") {
    model = model::Model::load(require_shared(relative));
    backend = model::create_backend(backend_name, *model);
    session = std::make_unique<model::Session>(*model, *backend, 64);
    backend->forward(*session, kLlamaReferenceTokens, false);
    n = session->position();
  }
  const model::ModelDescription& desc() const { return model->desc(); }
};

// Probabilities (n × n, row-major, zero above the diagonal) of query head `head` against the keys of
// `kv_head`, which the model maps to head / gqa_group(); the tests also pass other KV heads to show the
// mapping is observable.
inline std::vector<double> naive_attention(const model::Session& session, int64_t layer, int64_t head,
                                           int64_t kv_head) {
  const auto& c = static_cast<const cpu::CpuCaches&>(session.caches());
  const auto& d = session.model().desc();
  const int64_t n = session.position(), hd = d.head_dim;
  std::vector<double> p(static_cast<size_t>(n * n), 0.0);
  for (int64_t q = 0; q < n; ++q) {
    const float* qv = c.q_at(layer, q) + head * hd;
    double max = -INFINITY;
    std::vector<double> s(static_cast<size_t>(q + 1));
    for (int64_t k = 0; k <= q; ++k) {
      const float* kv = c.k_at(layer, k) + kv_head * hd;
      double dot = 0;
      for (int64_t i = 0; i < hd; ++i) dot += static_cast<double>(qv[i]) * kv[i];
      s[static_cast<size_t>(k)] = dot / std::sqrt(static_cast<double>(hd));
      max = std::max(max, s[static_cast<size_t>(k)]);
    }
    double sum = 0;
    for (auto& v : s) sum += (v = std::exp(v - max));
    for (int64_t k = 0; k <= q; ++k) p[static_cast<size_t>(q * n + k)] = s[static_cast<size_t>(k)] / sum;
  }
  return p;
}

}  // namespace glasswing::test
