#include "inference/model/generator.h"

#include <chrono>
#include <cmath>

#include "inference/model/model.h"
#include "inference/tokenizer/streaming_decoder.h"
#include "inference/tokenizer/tokenizer.h"

namespace glasswing::model {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
}  // namespace

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::EndOfGeneration:
      return "eos";
    case StopReason::MaxTokens:
      return "max tokens";
    case StopReason::Stopped:
      return "stopped";
    case StopReason::ContextFull:
      return "context full";
  }
  return "?";
}

Generator::Generator(Backend& backend, Session& session, const tokenizer::Tokenizer& tokenizer)
    : backend_(backend), session_(session), tokenizer_(tokenizer) {}

GenerationStats Generator::run(const GenerationRequest& request, const TokenCallback& on_token) {
  start(request);
  while (step(on_token)) {
  }
  return stats_;
}

void Generator::start(const GenerationRequest& request) {
  request_ = request;
  if (request_.prompt.empty() && !request_.prompt_text.empty())
    request_.prompt = tokenizer_.encode(
        request_.prompt_text,
        {.add_bos = session_.position() == 0 && tokenizer_.add_bos_by_default(), .parse_special = true});
  stats_ = {};
  stats_.prompt_tokens = static_cast<int64_t>(request_.prompt.size());
  if (stats_.prompt_tokens >= session_.remaining())
    throw ContextFullError("the prompt has " + std::to_string(stats_.prompt_tokens) + " tokens but only " +
                           std::to_string(session_.remaining()) + " of the context's " +
                           std::to_string(session_.n_ctx()) +
                           " positions are free (one is needed to answer)");
  if (request_.prompt.empty() && session_.logits().empty())
    throw std::invalid_argument("an empty prompt needs a session that has already been evaluated");

  sampler_.emplace(request_.sampler);
  decoder_.emplace(tokenizer_);
  // The answer continues the text so far: feed the decoder the prompt first so that it does not treat the
  // first generated token as the start of a text (SentencePiece drops a leading space there).
  for (int32_t id : request_.prompt) decoder_->push(id);

  // prefill
  start_at_ = Clock::now();
  logits_ = request_.prompt.empty() ? session_.logits() : backend_.forward(session_, request_.prompt, false);
  stats_.prompt_seconds = seconds_since(start_at_);
  done_ = false;
}

// One round of the decode loop: sample, report, evaluate the sampled token.
bool Generator::step(const TokenCallback& on_token) {
  if (done_) return false;
  if (request_.stop && request_.stop->load(std::memory_order_relaxed))
    return end(StopReason::Stopped, on_token);
  if (stats_.generated_tokens >= request_.max_tokens) return end(StopReason::MaxTokens, on_token);
  std::span<const float> logits = logits_;
  if (!tokenizer_.suppressed_tokens().empty()) {  // (tokens the model must not write: never drawn)
    masked_.assign(logits_.begin(), logits_.end());
    for (const int32_t t : tokenizer_.suppressed_tokens()) masked_[static_cast<size_t>(t)] = -INFINITY;
    logits = masked_;
  }
  const int32_t id = sampler_->sample(logits, session_.tokens());
  if (stats_.generated_tokens++ == 0) {
    first_token_at_ = Clock::now();
    stats_.time_to_first_token_ms =
        std::chrono::duration<double, std::milli>(first_token_at_ - start_at_).count();
  }
  stats_.unevaluated_token = id;
  if (tokenizer_.is_end_of_generation(id)) {
    on_token(id, {});
    return end(StopReason::EndOfGeneration, on_token);
  }
  on_token(id, decoder_->push(id));
  if (stats_.generated_tokens >= request_.max_tokens) return end(StopReason::MaxTokens, on_token);
  if (session_.remaining() == 0) return end(StopReason::ContextFull, on_token);
  logits_ = backend_.forward(session_, std::span(&id, 1), false);
  stats_.unevaluated_token = -1;
  ++stats_.decode_steps;
  return true;
}

bool Generator::end(StopReason reason, const TokenCallback& on_token) {
  done_ = true;
  stats_.stop_reason = reason;
  if (stats_.generated_tokens > 0) stats_.decode_seconds = seconds_since(first_token_at_);
  if (std::string rest = decoder_->flush(); !rest.empty()) on_token(-1, rest);
  return false;
}

}  // namespace glasswing::model
