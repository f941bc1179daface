// glasswing-cli generate — streams a continuation of a prompt (or, with --chat, the answer to it as a user
// message) to stdout; speed statistics go to stderr.
#include <cstdio>
#include <random>
#include <string>

#include "cli/command.h"
#include "cli/engine_setup.h"
#include "inference/model/chat_prompt.h"
#include "inference/model/generator.h"
#include "inference/model/session.h"
#include "inference/tokenizer/tokenizer.h"

namespace {

using namespace glasswing;

sampling::SamplerSettings sampler_settings(const cli::Args& args) {
  sampling::SamplerSettings s;
  s.temperature = static_cast<float>(args.number("--temp", s.temperature));
  s.top_k = static_cast<int32_t>(args.integer("--top-k", s.top_k));
  s.top_p = static_cast<float>(args.number("--top-p", s.top_p));
  s.min_p = static_cast<float>(args.number("--min-p", s.min_p));
  s.repeat_penalty = static_cast<float>(args.number("--repeat-penalty", s.repeat_penalty));
  if (s.top_p <= 0 || s.top_p > 1) throw cli::UsageError("--top-p must be in (0, 1]");
  if (s.min_p < 0 || s.min_p > 1) throw cli::UsageError("--min-p must be in [0, 1]");
  if (s.repeat_penalty <= 0) throw cli::UsageError("--repeat-penalty must be positive");
  // Without --seed, a random one, printed so the run can be repeated.
  s.seed = args.has("--seed") ? static_cast<uint64_t>(args.integer("--seed", 0)) : std::random_device{}();
  return s;
}

int run_generate(cli::Args& args) {
  const std::string prompt = args.require("--prompt");
  const int64_t n_predict = args.integer("--n-predict", 128);
  if (n_predict < 1) throw cli::UsageError("-n must be at least 1");
  model::GenerationRequest request;
  request.sampler = sampler_settings(args);
  request.max_tokens = n_predict;

  auto engine = cli::load_engine(args);
  const auto tokenizer = tokenizer::Tokenizer::from_gguf(engine.model->file());
  if (args.has("--chat")) {
    const chat::ChatMessage message{"user", prompt};
    request.prompt = model::encode_chat(engine.model->file(), tokenizer, std::span(&message, 1));
  } else {
    // Plain completion: the text as it is, BOS as the tokenizer metadata says.
    request.prompt =
        tokenizer.encode(prompt, {.add_bos = tokenizer.add_bos_by_default(), .parse_special = false});
  }
  if (request.prompt.empty()) throw std::runtime_error("the prompt encodes to no tokens");

  const int64_t n_ctx = std::min<int64_t>(engine.model->desc().n_ctx_train,
                                          static_cast<int64_t>(request.prompt.size()) + n_predict);
  model::Session session(*engine.model, *engine.backend, n_ctx);
  model::Generator generator(*engine.backend, session, tokenizer);
  bool streamed = false;
  model::GenerationStats stats;
  try {
    stats = generator.run(request, [&](int32_t, std::string_view delta) {
      std::fwrite(delta.data(), 1, delta.size(), stdout);
      std::fflush(stdout);
      streamed = true;
    });
  } catch (const std::exception&) {
    // An engine error mid-reply (e.g. the GPU lost): end the partial text's line, so that the error is a
    // line of its own on a terminal.
    if (streamed) std::printf("\n");
    throw;
  }
  std::printf("\n");
  std::fprintf(stderr, "\nprompt tokens:      %lld (%.2f t/s)\n", static_cast<long long>(stats.prompt_tokens),
               stats.prompt_tokens_per_second());
  std::fprintf(stderr, "generated tokens:   %lld (%.2f t/s)\n",
               static_cast<long long>(stats.generated_tokens), stats.generation_tokens_per_second());
  std::fprintf(stderr, "time to first token: %.1f ms, stop: %s, seed: %llu, backend: %s\n",
               stats.time_to_first_token_ms, std::string(model::stop_reason_name(stats.stop_reason)).c_str(),
               static_cast<unsigned long long>(request.sampler.seed), engine.backend->name().c_str());
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(
    generate,
    "generate -m MODEL.gguf -p TEXT [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p P] "
    "[--repeat-penalty R] [--seed S] [--backend cpu] [--chat]",
    "stream generated text to stdout; speed statistics to stderr",
    ({cli::model_option(),
      {"--prompt", "-p", true, "prompt text"},
      {"--n-predict", "-n", true, "tokens to generate at most (default 128)"},
      {"--temp", "", true, "temperature; 0 is greedy (default 0.8)"},
      {"--top-k", "", true, "keep the K most likely tokens; 0 is off (default 40)"},
      {"--top-p", "", true, "nucleus sampling threshold; 1 is off (default 0.95)"},
      {"--min-p", "", true, "drop tokens below P x the top probability; 0 is off (default 0.05)"},
      {"--repeat-penalty", "", true, "penalty for the last 64 tokens; 1 is off (default 1)"},
      {"--seed", "", true, "sampling seed (default: random, printed)"},
      cli::backend_option(),
      cli::device_option(),
      {"--chat", "", false, "send the prompt as one user message through the model's chat template"}}),
    run_generate);
