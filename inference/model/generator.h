#pragma once
// One generation turn: prefill the prompt, then decode and sample token by token until end-of-generation,
// the token limit, the stop flag or a full context. What the chat CLI and the app's worker thread call.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/model/backend.h"
#include "inference/model/session.h"
#include "inference/sampling/sampler.h"
#include "inference/tokenizer/streaming_decoder.h"

namespace glasswing::tokenizer {
class Tokenizer;
}

namespace glasswing::model {

enum class StopReason { EndOfGeneration, MaxTokens, Stopped, ContextFull };
std::string_view stop_reason_name(StopReason reason);  // "eos", "max tokens", "stopped", "context full"

struct GenerationStats {
  int64_t prompt_tokens = 0;
  double prompt_seconds = 0;
  int64_t generated_tokens = 0;       // sampled tokens, an end-of-generation token included
  int64_t decode_steps = 0;           // single-token forwards after the prompt
  double decode_seconds = 0;          // time in those steps and their sampling
  double time_to_first_token_ms = 0;  // from the start of prefill to the first sampled token
  StopReason stop_reason = StopReason::MaxTokens;
  // The last sampled token is reported but not evaluated (nothing asked for its logits); -1 when none.
  // A caller that continues the conversation puts it first in the next prompt.
  int32_t unevaluated_token = -1;

  double prompt_tokens_per_second() const { return prompt_seconds > 0 ? prompt_tokens / prompt_seconds : 0; }
  double generation_tokens_per_second() const {
    return decode_seconds > 0 ? decode_steps / decode_seconds : 0;
  }
};

struct GenerationRequest {
  std::vector<int32_t> prompt;  // tokens appended to the session (BOS already included when wanted)
  sampling::SamplerSettings sampler;
  int64_t max_tokens = 256;                 // sampled tokens at most
  const std::atomic<bool>* stop = nullptr;  // checked before every token; may be null
  // Or the prompt as text, used when `prompt` is empty: encoded with special tokens parsed (chat templates
  // write them as text) and, when the session is empty, BOS as the tokenizer metadata says.
  std::string prompt_text;
};

// Called for every sampled token with the text it completes (may be empty while a UTF-8 sequence or a
// multi-token piece is pending). End-of-generation tokens are reported with empty text. Text still held
// back at the end (an unfinished UTF-8 sequence, as U+FFFD) comes in a last call with token -1.
using TokenCallback = std::function<void(int32_t token, std::string_view text_delta)>;

class Generator {
 public:
  Generator(Backend& backend, Session& session, const tokenizer::Tokenizer& tokenizer);

  // The whole turn: start(), then step() until it ends. Throws ContextFullError before doing any work when
  // the prompt does not fit the session's context.
  GenerationStats run(const GenerationRequest& request, const TokenCallback& on_token);

  // The same turn a token at a time, so that one thread can interleave several generators (the compare
  // view streams two replies side by side on one backend). start() evaluates the prompt; each step()
  // samples a token, reports it and evaluates it, and returns false once the turn has ended (after
  // reporting any text still held back; stats().stop_reason says why).
  void start(const GenerationRequest& request);
  bool step(const TokenCallback& on_token);
  const GenerationStats& stats() const { return stats_; }
  // Inside the token callback: the logits the reported token was sampled from (n_vocab; the model's own,
  // before the sampler's temperature and filters). Valid until the generator's next forward.
  std::span<const float> logits() const { return logits_; }

 private:
  bool end(StopReason reason, const TokenCallback& on_token);

  Backend& backend_;
  Session& session_;
  const tokenizer::Tokenizer& tokenizer_;
  GenerationRequest request_;
  GenerationStats stats_;
  std::optional<sampling::Sampler> sampler_;
  std::optional<tokenizer::StreamingDecoder> decoder_;
  std::span<const float> logits_;
  std::vector<float> masked_;  // the logits with the tokenizer's suppressed tokens at −∞
  std::chrono::steady_clock::time_point start_at_{}, first_token_at_{};
  bool done_ = true;
};

}  // namespace glasswing::model
