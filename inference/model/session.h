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

  // A recurrent state (Qwen3.5's delta-net layers) carries every position into the next and cannot forget
  // positions the way K and V caches do, so the caches keep checkpoints of it: checkpoint(p) records the
  // state now as the state after p positions; rewind(p) restores the newest checkpoint at or before p (0:
  // the empty state), drops the later ones and returns its position, from which the session evaluates its
  // tokens again. Caches without such state keep nothing and rewind to p itself.
  virtual bool recurrent() const { return false; }
  virtual void checkpoint(int64_t /*position*/) {}
  virtual int64_t newest_checkpoint() const { return 0; }
  virtual int64_t rewind(int64_t position) { return position; }
};

// The checkpoints themselves, oldest first, at most kMax (the oldest goes): copies of a recurrent state and
// its convolution window, as floats on the host (the CPU engine) or bytes read back from a device (Vulkan).
template <typename T>
class StateCheckpoints {
 public:
  static constexpr size_t kMax = 8;
  struct Entry {
    int64_t position;
    std::vector<T> state, window;
  };
  void add(Entry e) {
    if (entries_.size() >= kMax) entries_.erase(entries_.begin());
    entries_.push_back(std::move(e));
  }
  int64_t newest() const { return entries_.empty() ? 0 : entries_.back().position; }
  // Drops the checkpoints after `position` and returns the newest left; null when none is (the empty state
  // of position 0 is the one to restore).
  const Entry* back_to(int64_t position) {
    while (!entries_.empty() && entries_.back().position > position) entries_.pop_back();
    return entries_.empty() ? nullptr : &entries_.back();
  }
  size_t elements() const {
    size_t n = 0;
    for (const Entry& e : entries_) n += e.state.size() + e.window.size();
    return n;
  }

 private:
  std::vector<Entry> entries_;
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
  // later. With a recurrent state, the tokens after its newest checkpoint at or before n_tokens are evaluated
  // again (SessionCaches::rewind).
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
