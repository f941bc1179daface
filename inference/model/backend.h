#pragma once
// What every compute backend (CpuBackend, VulkanBackend) provides for one loaded Model. The public methods
// validate their arguments once, here, and call the backend's implementation; so every backend rejects
// the same bad input with the same message.
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "inference/model/session.h"

namespace glasswing::model {

class Model;

// A forward pass would run past the session's context.
class ContextFullError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BackendCapabilities {
  std::string device;           // e.g. "CPU, 16 threads" or the GPU's name
  bool attention_maps = false;  // attention() and attention_summary() work
  int64_t max_batch = 0;        // tokens one forward() step processes at once (larger requests are split)
};

struct MemoryEstimate {
  uint64_t weight_bytes = 0;   // resident weights (mapped file pages for the CPU)
  uint64_t session_bytes = 0;  // caches of one session of the given context
  uint64_t scratch_bytes = 0;  // activations, allocated once per backend
  uint64_t total() const { return weight_bytes + session_bytes + scratch_bytes; }
};

struct Range {  // [begin, end)
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

// Attention probabilities of one (layer, head): rows are query positions, columns key positions.
// Each row is softmax over all keys the query sees (causal), then cut to the requested columns.
struct AttentionMatrix {
  Range queries, keys;
  std::vector<float> probs;  // (queries.size(), keys.size()); 0 where a key is after the query
  float at(int64_t q, int64_t k) const {
    return probs[static_cast<size_t>((q - queries.begin) * keys.size() + (k - keys.begin))];
  }
};

// One cell of the layer × head overview, averaged over the summarised query positions.
struct HeadSummary {
  int64_t layer = 0, head = 0;
  float max_prob = 0;     // mean over queries of the largest probability in the row
  float entropy = 0;      // mean over queries of −Σ p·ln p (nats)
  float first_token = 0;  // mean attention to position 0 (the BOS / attention sink)
  // (all three NaN for the heads of a layer without attention: LFM2's short-convolution layers)
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;  // "cpu", "vulkan"
  virtual BackendCapabilities capabilities() const = 0;
  virtual MemoryEstimate estimate_memory(int64_t n_ctx) const = 0;

  // Caches for a session of n_ctx positions; called by Session's constructor.
  virtual std::unique_ptr<SessionCaches> create_caches(int64_t n_ctx) = 0;

  // Evaluates `tokens` at the session's next positions (prefill when several, decode when one) and returns
  // the logits of the last token (n_vocab) or of every token (n_tokens, n_vocab). The span lives in the
  // session until its next forward. Throws ContextFullError when the tokens do not fit, std::out_of_range
  // for a token id outside the vocabulary; the session is unchanged then.
  std::span<const float> forward(Session& session, std::span<const int32_t> tokens, bool want_all_logits);
  static constexpr int64_t kCheckpointEvery = 32;  // positions between a recurrent state's checkpoints

  // Recomputes softmax(q·kᵀ/√d + causal mask) of one head from the session's Q and K caches.
  AttentionMatrix attention(const Session& session, int64_t layer, int64_t head, Range queries, Range keys);

  // Every (layer, head) summarised over the query positions `queries` (all keys each query sees).
  std::vector<HeadSummary> attention_summary(const Session& session, Range queries);

 protected:
  // Runs the tokens at positions session.position()… and writes the logits into session.logits_buffer()
  // (already sized); forward() then records the tokens in the session.
  virtual void forward_impl(Session& session, std::span<const int32_t> tokens, bool want_all_logits) = 0;
  virtual AttentionMatrix attention_impl(const Session& session, int64_t layer, int64_t head, Range queries,
                                         Range keys) = 0;
  virtual std::vector<HeadSummary> attention_summary_impl(const Session& session, Range queries) = 0;
};

}  // namespace glasswing::model
