#pragma once
// One conversation's state: the tokens seen so far, their position, the last logits, and the backend's
// caches (KV cache + Q cache) for them. Sessions are cheap; many share one Model and one Backend.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace glasswing::model {

class Model;
class Backend;

// The caches a backend keeps per session (host arrays for the CPU, device buffers for Vulkan).
class SessionCaches {
 public:
  virtual ~SessionCaches() = default;
  virtual uint64_t bytes() const = 0;
};

class Session {
 public:
  // Caches are sized for the whole context up front, so the default stays modest for long-context models.
  static constexpr int64_t kDefaultContext = 4096;

  // A session of n_ctx positions: 0 means min(trained context, kDefaultContext); more than the model was
  // trained for is cut to the trained context length.
  Session(const Model& model, Backend& backend, int64_t n_ctx = 0);

  const Model& model() const { return *model_; }
  Backend& backend() const { return *backend_; }
  int64_t n_ctx() const { return n_ctx_; }
  int64_t position() const { return static_cast<int64_t>(tokens_.size()); }  // next token's position
  int64_t remaining() const { return n_ctx_ - position(); }
  const std::vector<int32_t>& tokens() const { return tokens_; }  // every token evaluated, in order
  // Logits of the last forward: (n_vocab) or, when all were asked for, (n_tokens, n_vocab).
  std::span<const float> logits() const { return logits_; }

  // Forgets positions from `n_tokens` on (0: the whole conversation); the caches are simply overwritten
  // later.
  void truncate(int64_t n_tokens);

  // For backends: their caches and the buffers forward() fills.
  SessionCaches& caches() const { return *caches_; }
  std::vector<int32_t>& mutable_tokens() { return tokens_; }
  std::vector<float>& logits_buffer() { return logits_buffer_; }
  void set_logits(std::span<const float> logits) { logits_ = logits; }

 private:
  const Model* model_;
  Backend* backend_;
  int64_t n_ctx_;
  std::vector<int32_t> tokens_;
  std::vector<float> logits_buffer_;  // grows to the largest request, then is reused
  std::span<const float> logits_;
  std::unique_ptr<SessionCaches> caches_;
};

}  // namespace glasswing::model
