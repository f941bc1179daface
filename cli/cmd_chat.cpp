// glasswing-cli chat --db FILE.sqlite -m MODEL.gguf -p TEXT [--conversation ID] [sampling flags] — one turn
// of a stored conversation: the user message and the answer are stored as they stream (see
// storage/README.md), the answer goes to stdout, and the last line printed is "conversation ID".
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "cli/command.h"
#include "cli/engine_setup.h"
#include "cli/storage_open.h"
#include "inference/gguf/tensor_summary.h"
#include "inference/model/chat_prompt.h"
#include "inference/model/generator.h"
#include "inference/model/session.h"
#include "inference/tokenizer/tokenizer.h"
#include "storage/sha256.h"
#include "storage/store.h"

namespace {

using namespace glasswing;

// Ctrl-C stops generation at the next token; the answer so far is kept and marked interrupted.
std::atomic<bool> g_stop{false};
extern "C" void on_interrupt(int) {
  g_stop.store(true);
}

sampling::SamplerSettings sampler_settings(const cli::Args& args, const nlohmann::json& stored,
                                           std::optional<int64_t> stored_seed) {
  // A continued conversation keeps its settings unless a flag overrides one.
  sampling::SamplerSettings s;
  auto stored_number = [&](const char* key, double fallback) {
    return stored.contains(key) && stored[key].is_number() ? stored[key].get<double>() : fallback;
  };
  s.temperature = static_cast<float>(args.number("--temp", stored_number("temperature", s.temperature)));
  s.top_k =
      static_cast<int32_t>(args.integer("--top-k", static_cast<int64_t>(stored_number("top_k", s.top_k))));
  s.top_p = static_cast<float>(args.number("--top-p", stored_number("top_p", s.top_p)));
  s.min_p = static_cast<float>(args.number("--min-p", stored_number("min_p", s.min_p)));
  s.repeat_penalty =
      static_cast<float>(args.number("--repeat-penalty", stored_number("repeat_penalty", s.repeat_penalty)));
  if (s.top_p <= 0 || s.top_p > 1) throw cli::UsageError("--top-p must be in (0, 1]");
  if (s.min_p < 0 || s.min_p > 1) throw cli::UsageError("--min-p must be in [0, 1]");
  if (s.repeat_penalty <= 0) throw cli::UsageError("--repeat-penalty must be positive");
  if (args.has("--seed"))
    s.seed = static_cast<uint64_t>(args.integer("--seed", 0));
  else if (stored_seed)
    s.seed = static_cast<uint64_t>(*stored_seed);
  else
    s.seed = std::random_device{}();
  return s;
}

// Floats as the user typed them (0.05, not 0.05000000074505806).
double tidy(float value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", static_cast<double>(value));
  return std::strtod(text, nullptr);
}

nlohmann::json settings_json(const sampling::SamplerSettings& s) {
  return {{"temperature", tidy(s.temperature)},
          {"top_k", s.top_k},
          {"top_p", tidy(s.top_p)},
          {"min_p", tidy(s.min_p)},
          {"repeat_penalty", tidy(s.repeat_penalty)}};
}

// The model as the store remembers it: path, size, header hash, architecture, dominant tensor type, size.
storage::ModelRecord describe_model(const gguf::GgufFile& file) {
  storage::ModelRecord record;
  record.path = std::filesystem::absolute(file.path()).string();
  record.file_size_bytes = static_cast<int64_t>(file.file_size());
  record.header_sha256 = storage::sha256_of_file_prefix(file.path(), file.data_offset());
  record.architecture = file.architecture();
  const gguf::TensorSummary tensors = gguf::summarize_tensors(file);
  record.n_params = tensors.n_params;
  record.quant = tensors.dominant_type;
  return record;
}

int run_chat(cli::Args& args) {
  if (!args.positional().empty()) throw cli::UsageError("unexpected argument '" + args.positional()[0] + "'");
  const std::string prompt = args.require("--prompt");
  const int64_t n_predict = args.integer("--n-predict", 256);
  if (n_predict < 1) throw cli::UsageError("-n must be at least 1");
  std::optional<int64_t> conversation_id;
  if (auto id = args.get("--conversation")) conversation_id = cli::parse_conversation_id(*id);

  storage::Store store = cli::open_store(args.require("--db"), /*create=*/true);
  std::optional<storage::Conversation> existing;
  if (conversation_id)
    existing = store.conversation(*conversation_id);  // NotFoundError before loading a model

  auto engine = cli::load_engine(args);
  const gguf::GgufFile& file = engine.model->file();
  const auto tokenizer = tokenizer::Tokenizer::from_gguf(file);
  model::GenerationRequest request;
  request.sampler = existing ? sampler_settings(args, existing->sampler_settings, existing->seed)
                             : sampler_settings(args, nlohmann::json::object(), std::nullopt);
  request.max_tokens = n_predict;
  request.stop = &g_stop;

  const int64_t model_id = store.record_model(describe_model(file));
  if (!conversation_id) {
    storage::NewConversation nc;
    nc.title = prompt.substr(0, 80);
    nc.model_id = model_id;
    nc.sampler_settings = settings_json(request.sampler);
    nc.seed = static_cast<int64_t>(request.sampler.seed);
    conversation_id = store.create_conversation(nc);
  } else {
    store.set_model(*conversation_id, model_id);
    store.set_sampler_settings(*conversation_id, settings_json(request.sampler));
  }
  const int64_t conv = *conversation_id;

  // The prompt: the active branch plus the new message, through the model's chat template. A model without a
  // template (a plain completion model) continues the conversation's text as one document.
  std::vector<chat::ChatMessage> history;
  if (existing && !existing->system_prompt.empty()) history.push_back({"system", existing->system_prompt});
  for (const auto& m : store.active_branch(conv))
    history.push_back({std::string(storage::to_string(m.role)), m.content});
  history.push_back({"user", prompt});
  if (file.find("tokenizer.chat_template")) {
    request.prompt = model::encode_chat(file, tokenizer, history);
  } else {
    std::string text;
    for (const auto& m : history) text += m.content;
    request.prompt =
        tokenizer.encode(text, {.add_bos = tokenizer.add_bos_by_default(), .parse_special = false});
  }
  if (request.prompt.empty()) throw std::runtime_error("the prompt encodes to no tokens");
  const int64_t n_ctx = std::min<int64_t>(engine.model->desc().n_ctx_train,
                                          static_cast<int64_t>(request.prompt.size()) + n_predict);
  if (static_cast<int64_t>(request.prompt.size()) >= n_ctx)
    throw std::runtime_error("the conversation (" + std::to_string(request.prompt.size()) +
                             " tokens) does not fit the model's context of " + std::to_string(n_ctx));

  store.add_user_message(conv, prompt);
  storage::StreamWriter writer = store.start_assistant_message(conv);
  storage::Completion completion;
  completion.backend = engine.backend->name();
  completion.device = engine.backend->capabilities().device;
  std::signal(SIGINT, on_interrupt);
  try {
    model::Session session(*engine.model, *engine.backend, n_ctx);
    model::Generator generator(*engine.backend, session, tokenizer);
    const auto stats = generator.run(request, [&](int32_t token, std::string_view delta) {
      writer.append(delta, token >= 0 ? 1 : 0);
      std::fwrite(delta.data(), 1, delta.size(), stdout);
      std::fflush(stdout);
    });
    completion.timings.time_to_first_token_ms = stats.time_to_first_token_ms;
    completion.timings.prompt_tokens_per_s = stats.prompt_tokens_per_second();
    completion.timings.generation_tokens_per_s = stats.generation_tokens_per_second();
    completion.token_count = stats.generated_tokens;
    if (stats.stop_reason == model::StopReason::ContextFull)
      writer.interrupt("the context is full", completion);
    else if (stats.stop_reason == model::StopReason::Stopped)
      writer.interrupt("stopped by the user", completion);
    else
      writer.finish(completion);
  } catch (const std::exception& e) {
    writer.fail(e.what(), completion);
    throw;
  }
  std::printf("\nconversation %lld\n", static_cast<long long>(conv));
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(
    chat,
    "chat --db FILE.sqlite -m MODEL.gguf -p TEXT [--conversation ID] [-n N] [--temp T] [--top-k K] "
    "[--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [--backend cpu]",
    "one turn of a stored conversation: stores the message and the streamed answer, prints the conversation "
    "id",
    ({{"--db", "", true, "the conversation database (created if missing)"},
      cli::model_option(),
      {"--prompt", "-p", true, "the user message"},
      {"--conversation", "", true, "continue this conversation (default: start a new one)"},
      {"--n-predict", "-n", true, "tokens to generate at most (default 256)"},
      {"--temp", "", true, "temperature; 0 is greedy (default 0.8, or the conversation's)"},
      {"--top-k", "", true, "keep the K most likely tokens; 0 is off (default 40)"},
      {"--top-p", "", true, "nucleus sampling threshold; 1 is off (default 0.95)"},
      {"--min-p", "", true, "drop tokens below P x the top probability; 0 is off (default 0.05)"},
      {"--repeat-penalty", "", true, "penalty for the last 64 tokens; 1 is off (default 1)"},
      {"--seed", "", true, "sampling seed (default: the conversation's, or random)"},
      cli::backend_option(),
      cli::device_option()}),
    run_chat);
