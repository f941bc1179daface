#include "inference/model/generator.h"

#include <chrono>

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

GenerationStats Generator::run(const GenerationRequest& request_in, const TokenCallback& on_token) {
  GenerationRequest text_request;
  if (request_in.prompt.empty() && !request_in.prompt_text.empty()) {
    text_request = request_in;
    text_request.prompt = tokenizer_.encode(
        request_in.prompt_text,
        {.add_bos = session_.position() == 0 && tokenizer_.add_bos_by_default(), .parse_special = true});
  }
  const GenerationRequest& request = text_request.prompt.empty() ? request_in : text_request;
  GenerationStats stats;
  stats.prompt_tokens = static_cast<int64_t>(request.prompt.size());
  if (stats.prompt_tokens >= session_.remaining())
    throw ContextFullError("the prompt has " + std::to_string(stats.prompt_tokens) + " tokens but only " +
                           std::to_string(session_.remaining()) + " of the context's " +
                           std::to_string(session_.n_ctx()) +
                           " positions are free (one is needed to answer)");
  if (request.prompt.empty() && session_.logits().empty())
    throw std::invalid_argument("an empty prompt needs a session that has already been evaluated");

  sampling::Sampler sampler(request.sampler);
  tokenizer::StreamingDecoder decoder(tokenizer_);
  // The answer continues the text so far: feed the decoder the prompt first so that it does not treat the
  // first generated token as the start of a text (SentencePiece drops a leading space there).
  for (int32_t id : request.prompt) decoder.push(id);

  // prefill
  const auto start = Clock::now();
  std::span<const float> logits =
      request.prompt.empty() ? session_.logits() : backend_.forward(session_, request.prompt, false);
  stats.prompt_seconds = seconds_since(start);

  // decode loop: sample, report, evaluate the sampled token
  Clock::time_point first_token_at{};
  for (;;) {
    if (request.stop && request.stop->load(std::memory_order_relaxed)) {
      stats.stop_reason = StopReason::Stopped;
      break;
    }
    if (stats.generated_tokens >= request.max_tokens) {
      stats.stop_reason = StopReason::MaxTokens;
      break;
    }
    const int32_t id = sampler.sample(logits, session_.tokens());
    if (stats.generated_tokens++ == 0) {
      first_token_at = Clock::now();
      stats.time_to_first_token_ms =
          std::chrono::duration<double, std::milli>(first_token_at - start).count();
    }
    stats.unevaluated_token = id;
    if (tokenizer_.is_end_of_generation(id)) {
      on_token(id, {});
      stats.stop_reason = StopReason::EndOfGeneration;
      break;
    }
    on_token(id, decoder.push(id));
    if (stats.generated_tokens >= request.max_tokens) {
      stats.stop_reason = StopReason::MaxTokens;
      break;
    }
    if (session_.remaining() == 0) {
      stats.stop_reason = StopReason::ContextFull;
      break;
    }
    logits = backend_.forward(session_, std::span(&id, 1), false);
    stats.unevaluated_token = -1;
    ++stats.decode_steps;
  }
  if (stats.generated_tokens > 0) stats.decode_seconds = seconds_since(first_token_at);
  if (std::string rest = decoder.flush(); !rest.empty()) on_token(-1, rest);
  return stats;
}

}  // namespace glasswing::model
