#include "ui/backend/engine_adapter.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>

#include "inference/chat/chat_template.h"
#include "inference/chat/gemma4_channels.h"
#include "inference/chat/harmony.h"
#include "inference/model/backend_registry.h"
#include "inference/model/generator.h"
#include "inference/model/model.h"
#include "inference/tokenizer/tokenizer.h"
#if GLASSWING_HAVE_VULKAN
#include "inference/vulkan/instance.h"
#include "inference/vulkan/vulkan_backend.h"
#endif
// (after the engine's headers: Qt's `slots` macro would rename members there)
#include "ui/core/markdown_blocks.h"

namespace glasswing::ui {

namespace {

using Clock = std::chrono::steady_clock;

// Backend names as the registry spells them, and as the settings panel shows them.
std::string display_name(const std::string& backend) {
  if (backend == "cpu") return "CPU";
  if (backend == "vulkan") return "Vulkan";
  if (backend == "auto") return "Auto";
  return backend;
}

// "Vulkan: <GPU name>" (one entry per GPU) selects the Vulkan backend.
std::string registry_name(std::string device) {
  if (device.rfind("Vulkan", 0) == 0) return "vulkan";
  std::transform(device.begin(), device.end(), device.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return device.empty() ? "auto" : device;
}

// The GPUs the Vulkan loader reports, as "Vulkan: <name>"; none when Vulkan is absent or fails.
std::vector<std::string> vulkan_devices() {
  std::vector<std::string> out;
#if GLASSWING_HAVE_VULKAN
  try {
    const auto instance = vulkan::Instance::Create(false);
    for (VkPhysicalDevice d : instance->physical_devices()) {
      VkPhysicalDeviceProperties props{};
      vkGetPhysicalDeviceProperties(d, &props);
      out.push_back(std::string("Vulkan: ") + props.deviceName);
    }
  } catch (const std::exception&) {
    // No Vulkan here: the CPU remains.
  }
#endif
  return out;
}

// The backend for a device entry of devices(), with why "auto" chose it. A chosen GPU gets its own
// VulkanBackend, so that the weight upload (the slow part of loading onto a GPU) drives the progress bar from
// 0.6 to 1.0.
model::BackendChoice create_backend(const std::string& wanted, const std::string& device,
                                    const model::Model& model, const std::function<void(double)>& progress) {
#if GLASSWING_HAVE_VULKAN
  if (wanted == "vulkan") {
    const std::string prefix = "Vulkan: ";
    const std::string gpu = device.rfind(prefix, 0) == 0 ? device.substr(prefix.size()) : std::string();
    model::BackendChoice choice;
    choice.name = wanted;
    choice.backend = std::make_unique<vulkan::VulkanBackend>(model, gpu, [&](uint64_t done, uint64_t total) {
      progress(0.6 + 0.4 * (total ? static_cast<double>(done) / static_cast<double>(total) : 1.0));
    });
    return choice;
  }
#else
  (void)device;
  (void)progress;
#endif
  const auto names = model::backend_names();
  if (std::find(names.begin(), names.end(), wanted) == names.end())
    throw std::runtime_error("no " + display_name(wanted) + " backend in this build");
  return model::choose_backend(wanted, model);
}

// Why "Auto" runs on the CPU, from what the registry saw while choosing (no second look at the devices): the
// Vulkan policy's own words, or "Vulkan could not start: <error>" (BackendChoice::explanation() with the
// names as the settings panel shows them).
std::string auto_fallback_reason(const model::BackendChoice& choice) {
  std::string why;
  for (const auto& s : choice.skipped)
    why += (why.empty() ? "" : "; ") +
           (s.failed ? display_name(s.name) + " could not start: " + s.reason : s.reason);
  return why.empty() ? "this build has no GPU backend" : why;
}

// How a model marks the reasoning in its replies, where it does not write <think>…</think> itself.
enum class ReplyMarkup {
  Plain,    // as generated (<think>…</think> or no reasoning at all)
  Harmony,  // gpt-oss: channels (chat/harmony.h)
  Gemma4,   // Gemma 4: <|channel>thought\n…<channel|> ahead of the answer (chat/gemma4_channels.h)
};

ReplyMarkup reply_markup(const std::optional<chat::ChatTemplate>& tmpl) {
  if (!tmpl) return ReplyMarkup::Plain;
  if (chat::is_harmony_template(tmpl->source())) return ReplyMarkup::Harmony;
  if (chat::is_gemma4_channel_template(tmpl->source())) return ReplyMarkup::Gemma4;
  return ReplyMarkup::Plain;
}

// What one loaded model shares with its sessions.
struct Loaded {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<model::Backend> backend;
  std::optional<tokenizer::Tokenizer> tokenizer;
  std::optional<chat::ChatTemplate> chat_template;  // none: a plain text-completion model
  // gpt-oss's and Gemma 4's replies mark their reasoning in channels, shown and stored as <think>…</think>
  ReplyMarkup markup = ReplyMarkup::Plain;
};

// A reply's text as the app shows it: a model's channel markup rewritten, else as generated.
class ReplyText {
 public:
  explicit ReplyText(ReplyMarkup markup) : markup_(markup) {}
  std::string feed(std::string_view piece) {
    switch (markup_) {
      case ReplyMarkup::Harmony:
        return harmony_.feed(piece);
      case ReplyMarkup::Gemma4:
        return gemma4_.feed(piece);
      case ReplyMarkup::Plain:
        break;
    }
    return std::string(piece);
  }
  std::string flush() {
    switch (markup_) {
      case ReplyMarkup::Harmony:
        return harmony_.flush();
      case ReplyMarkup::Gemma4:
        return gemma4_.flush();
      case ReplyMarkup::Plain:
        break;
    }
    return {};
  }

 private:
  ReplyMarkup markup_;
  chat::HarmonyRewriter harmony_;
  chat::Gemma4ChannelRewriter gemma4_;
};

// The turns as the model reads them; add_generation_prompt appends the template's header of a reply.
// settings.thinking: the template's enable_thinking (Qwen3's starts a reply with an empty <think></think>
// when false; templates without the switch ignore it); settings.reasoning_effort: gpt-oss's reasoning_effort.
std::vector<int32_t> render_prompt(const Loaded& loaded, const std::vector<ChatTurn>& turns,
                                   bool add_generation_prompt, const GenerationSettings& settings) {
  const tokenizer::Tokenizer& tok = *loaded.tokenizer;
  std::string text;
  if (loaded.chat_template) {
    std::vector<chat::ChatMessage> messages;
    // A past reply goes back as its answer alone where the reasoning was rewritten from channels: harmony
    // templates refuse channel markup and drop reasoning; Gemma 4's drop a past reply's reasoning channel
    // (strip_thinking) and would read <think>…</think> as answer text.
    const bool answer_only = loaded.markup != ReplyMarkup::Plain;
    for (const auto& t : turns)
      messages.push_back(
          {t.role, answer_only && t.role == "assistant"
                       ? MarkdownBlockSplitter::answer(QString::fromStdString(t.text)).toStdString()
                       : t.text});
    chat::ChatTemplate::Options options;
    if (tok.bos_id() >= 0) options.bos_token = tok.token_text(tok.bos_id());
    if (tok.eos_id() >= 0) options.eos_token = tok.token_text(tok.eos_id());
    options.add_generation_prompt = add_generation_prompt;
    options.extra_context["enable_thinking"] = settings.thinking;
    options.extra_context["reasoning_effort"] = settings.reasoning_effort;
    text = loaded.chat_template->render(messages, options);
    // Templates usually write the BOS themselves; add it only when they do not.
    const bool has_bos = !options.bos_token.empty() && text.rfind(options.bos_token, 0) == 0;
    return tok.encode(text, {.add_bos = tok.add_bos_by_default() && !has_bos, .parse_special = true});
  }
  // A text-completion model (e.g. stories260K) continues the conversation's text as written.
  for (const auto& t : turns) {
    if (t.text.empty()) continue;
    if (!text.empty()) text += "\n";
    text += t.text;
  }
  return tok.encode(text, {.add_bos = tok.add_bos_by_default() && tok.bos_id() >= 0});
}

// Positions kept free for the reply when a conversation has to be cut to fit the context.
int64_t reply_reserve(const GenerationSettings& settings, int64_t n_ctx) {
  return std::min<int64_t>(std::max(1, settings.max_tokens), n_ctx / 4);
}

// A conversation longer than the context, as the model gets to read it: the system turns and as many of the
// latest turns as fit with reply_reserve() positions to spare, starting with a user turn (templates expect
// one after the system prompt). The last turn always stays (alone it may still not fit: the caller's error).
// `left_out` counts the turns dropped. Returns the prompt of the kept turns.
std::vector<int32_t> fit_turns(const Loaded& loaded, std::vector<ChatTurn>& turns, int64_t n_ctx,
                               const GenerationSettings& settings, int& left_out) {
  left_out = 0;
  const int64_t reserve = reply_reserve(settings, n_ctx);
  const auto render = [&](const std::vector<ChatTurn>& t) {
    return render_prompt(loaded, t, true, settings);
  };
  std::vector<int32_t> prompt = render(turns);
  if (static_cast<int64_t>(prompt.size()) + reserve <= n_ctx) return prompt;
  // Where the kept part may start: a user turn after the system turns, or at the latest the last turn.
  const size_t first = static_cast<size_t>(
      std::find_if(turns.begin(), turns.end(), [](const ChatTurn& t) { return t.role != "system"; }) -
      turns.begin());
  if (first + 1 >= turns.size()) return prompt;  // nothing to drop but the last turn
  std::vector<size_t> starts;
  for (size_t i = first + 1; i + 1 < turns.size(); ++i)
    if (turns[i].role == "user") starts.push_back(i);
  starts.push_back(turns.size() - 1);
  auto kept = [&](size_t start) {
    std::vector<ChatTurn> t(turns.begin(), turns.begin() + static_cast<std::ptrdiff_t>(first));
    t.insert(t.end(), turns.begin() + static_cast<std::ptrdiff_t>(start), turns.end());
    return t;
  };
  // The longest conversation that fits: the prompt shrinks as the start moves on, so a binary search over
  // the starts renders the conversation a handful of times, not once per dropped turn.
  size_t lo = 0, hi = starts.size() - 1;
  std::vector<int32_t> best = render(kept(starts[hi]));
  if (static_cast<int64_t>(best.size()) + reserve <= n_ctx) {
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      std::vector<int32_t> p = render(kept(starts[mid]));
      if (static_cast<int64_t>(p.size()) + reserve <= n_ctx) {
        hi = mid;
        best = std::move(p);
      } else {
        lo = mid + 1;
      }
    }
  }
  const size_t start = starts[hi];
  left_out = static_cast<int>(start - first);
  turns = kept(start);
  return best;
}

uint64_t fresh_seed() {
  return static_cast<uint64_t>(Clock::now().time_since_epoch().count());
}

// The engine's request for a reply to `prompt` with the conversation's sampling settings.
model::GenerationRequest make_request(const GenerationSettings& settings, std::vector<int32_t> prompt,
                                      const std::atomic<bool>& stop) {
  model::GenerationRequest request;
  request.prompt = std::move(prompt);
  request.sampler.temperature = static_cast<float>(settings.temperature);
  request.sampler.top_k = settings.top_k;
  request.sampler.top_p = static_cast<float>(settings.top_p);
  request.sampler.min_p = static_cast<float>(settings.min_p);
  request.sampler.repeat_penalty = static_cast<float>(settings.repetition_penalty);
  request.sampler.seed = settings.seed != 0 ? settings.seed : fresh_seed();
  request.max_tokens = std::max(1, settings.max_tokens);
  request.stop = &stop;
  return request;
}

// A finished turn's numbers as the status bar shows them (the engine's own timings are the exact ones).
void finish_stats(GenerationStats& stats, const model::GenerationStats& done, const model::Session& session) {
  stats.generated_tokens = static_cast<int>(done.generated_tokens);
  stats.context_used = static_cast<int>(session.position());
  stats.context_total = static_cast<int>(session.n_ctx());
  stats.time_to_first_token_ms = done.time_to_first_token_ms;
  stats.prompt_tokens_per_s = done.prompt_tokens_per_second();
  stats.generation_tokens_per_s = done.generation_tokens_per_second();
}

// The `top` most likely tokens under softmax(logits), most likely first.
std::vector<TokenCandidate> top_candidates(const tokenizer::Tokenizer& tok, std::span<const float> logits,
                                           int top) {
  if (top <= 0 || logits.empty()) return {};
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (const float l : logits) sum += std::exp(static_cast<double>(l - max));
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  const size_t n = std::min(ids.size(), static_cast<size_t>(top));
  std::partial_sort(
      ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(),
      [&](int32_t a, int32_t b) { return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)]; });
  std::vector<TokenCandidate> out;
  for (size_t k = 0; k < n; ++k)
    out.push_back(
        {tok.token_piece(ids[k]),
         static_cast<float>(std::exp(static_cast<double>(logits[static_cast<size_t>(ids[k])] - max)) / sum)});
  return out;
}

StopReason stop_reason(model::StopReason reason) {
  switch (reason) {
    case model::StopReason::EndOfGeneration:
      return StopReason::EndOfText;
    case model::StopReason::MaxTokens:
      return StopReason::MaxTokens;
    case model::StopReason::Stopped:
      return StopReason::Stopped;
    case model::StopReason::ContextFull:
      return StopReason::ContextFull;
  }
  return StopReason::EndOfText;
}

class EngineSession : public ChatSession {
 public:
  explicit EngineSession(std::shared_ptr<Loaded> loaded) : loaded_(std::move(loaded)) {}

  StopReason generate(const std::vector<ChatTurn>& turns, const GenerationSettings& settings,
                      const std::function<void(std::string_view, const GenerationStats&)>& on_piece,
                      const std::atomic<bool>& stop, GenerationStats& stats) override {
    const tokenizer::Tokenizer& tok = *loaded_->tokenizer;
    use_context(settings);
    inspected_ = false;  // the caches will hold this reply, not the inspected conversation

    std::vector<ChatTurn> kept = turns;
    int left_out = 0;
    const std::vector<int32_t> prompt = fit_turns(*loaded_, kept, session_->n_ctx(), settings, left_out);
    // Reuse the cached positions the new prompt shares with what the session has already evaluated
    // (a follow-up turn extends the previous prompt), and evaluate only the rest.
    size_t common = common_prefix(session_->tokens(), prompt);
    if (common == prompt.size() && common > 0) --common;  // the last prompt token must run to give logits
    session_->truncate(static_cast<int64_t>(common));

    const model::GenerationRequest request =
        make_request(settings, {prompt.begin() + static_cast<std::ptrdiff_t>(common), prompt.end()}, stop);

    stats = {};
    stats.prompt_tokens = static_cast<int>(prompt.size());
    stats.turns_left_out = left_out;
    stats.context_total = static_cast<int>(session_->n_ctx());
    const auto start = Clock::now();
    std::optional<Clock::time_point> first_token;
    model::Generator generator(*loaded_->backend, *session_, tok);
    ReplyText reply(loaded_->markup);
    const model::GenerationStats done = generator.run(request, [&](int32_t, std::string_view text_delta) {
      const auto now = Clock::now();
      if (!first_token) {
        first_token = now;
        stats.time_to_first_token_ms = std::chrono::duration<double, std::milli>(now - start).count();
        const double prefill_s = stats.time_to_first_token_ms / 1000.0;
        stats.prompt_tokens_per_s = prefill_s > 0 ? request.prompt.size() / prefill_s : 0;
      }
      ++stats.generated_tokens;
      stats.context_used = static_cast<int>(session_->position());
      const double decode_s = std::chrono::duration<double>(now - *first_token).count();
      if (decode_s > 0) stats.generation_tokens_per_s = (stats.generated_tokens - 1) / decode_s;
      on_piece(reply.feed(text_delta), stats);
    });
    if (const std::string rest = reply.flush(); !rest.empty()) on_piece(rest, stats);
    finish_stats(stats, done, *session_);
    return stop_reason(done.stop_reason);
  }

  AttentionContext inspect_attention(const std::vector<ChatTurn>& turns,
                                     const GenerationSettings& settings) override {
    if (turns.empty()) throw std::invalid_argument("no message to look at");
    model::Backend& backend = *loaded_->backend;
    if (!backend.capabilities().attention_maps)
      throw std::runtime_error(display_name(backend.name()) + " backend keeps no attention maps");
    // (a pure state-space model, Mamba: no layer attends, so there is no overview to draw)
    if (const auto& md = loaded_->model->desc(); md.n_attention_layers() == 0)
      throw std::runtime_error(md.architecture +
                               " has no attention layers (a state-space model): there is "
                               "no attention to look at");
    const tokenizer::Tokenizer& tok = *loaded_->tokenizer;
    use_context(settings);
    inspected_ = false;

    // The message's tokens are what the conversation with it adds to the conversation before it; before a
    // reply that includes the template's "assistant:" header, which the model read and did not write.
    const bool reply = turns.back().role == "assistant";
    // Cut as generate() cut the prompt of this reply (or of the reply to this message), so the view shows
    // what the model read.
    std::vector<ChatTurn> before(turns.begin(), turns.end() - (reply ? 1 : 0));
    int left_out = 0;
    std::vector<int32_t> prefix = fit_turns(*loaded_, before, session_->n_ctx(), settings, left_out);
    std::vector<ChatTurn> shown = before;
    if (reply) {
      shown.push_back(turns.back());  // `prefix` is the reply's prompt, header included
    } else {
      before.pop_back();
      prefix = render_prompt(*loaded_, before, false, settings);
    }
    const std::vector<int32_t> all = render_prompt(*loaded_, shown, false, settings);
    const size_t begin = common_prefix(prefix, all);
    if (begin >= all.size()) throw std::runtime_error("the message has no tokens to look at");
    if (static_cast<int64_t>(all.size()) > session_->n_ctx())
      throw std::runtime_error("the conversation up to this message is " + std::to_string(all.size()) +
                               " tokens, more than the context of " + std::to_string(session_->n_ctx()) +
                               " (raise the context length in the settings)");

    // Evaluate only what the caches do not already hold (after a reply, usually nothing but its last token).
    const size_t cached = common_prefix(session_->tokens(), all);
    session_->truncate(static_cast<int64_t>(cached));
    if (cached < all.size()) backend.forward(*session_, std::span<const int32_t>(all).subspan(cached), false);

    const auto& d = loaded_->model->desc();
    AttentionContext ctx;
    ctx.tokens.reserve(all.size());
    for (const int32_t id : all) ctx.tokens.push_back(tok.token_piece(id));
    ctx.message_begin = static_cast<int>(begin);
    ctx.turns_left_out = left_out;
    ctx.message_end = static_cast<int>(all.size());
    // The overview reads every key of every head for each query: a long message's start stands for it.
    ctx.overview_end = static_cast<int>(std::min(all.size(), begin + kOverviewQueries));
    ctx.layers = static_cast<int>(d.n_layer);
    ctx.heads = static_cast<int>(d.n_head);
    ctx.kv_heads = static_cast<int>(d.n_head_kv);
    if (!d.layer_kv_heads.empty())
      for (int64_t l = 0; l < d.n_layer; ++l)
        ctx.layer_kv_heads.push_back(d.has_attention(l) ? static_cast<int>(d.heads(l).n_head_kv) : 0);
    ctx.overview.resize(static_cast<size_t>(ctx.layers) * static_cast<size_t>(ctx.heads));
    for (const model::HeadSummary& h :
         backend.attention_summary(*session_, {ctx.message_begin, ctx.overview_end}))
      ctx.overview[static_cast<size_t>(h.layer * ctx.heads + h.head)] = {h.max_prob, h.entropy,
                                                                         h.first_token};
    inspected_ = true;
    return ctx;
  }

  AttentionMap attention_map(int layer, int head, int query_begin, int query_end, int key_begin,
                             int key_end) override {
    if (!inspected_ || !session_)
      throw std::runtime_error("the conversation changed since it was inspected: inspect it again");
    const model::AttentionMatrix m =
        loaded_->backend->attention(*session_, layer, head, {query_begin, query_end}, {key_begin, key_end});
    AttentionMap map{layer, head, query_begin, query_end, key_begin, key_end, m.probs};
    const size_t n_keys = static_cast<size_t>(key_end - key_begin);
    for (int q = query_begin; q < query_end; ++q)
      for (int k = std::max(key_begin, q + 1); k < key_end; ++k)
        map.probs[static_cast<size_t>(q - query_begin) * n_keys + static_cast<size_t>(k - key_begin)] = NAN;
    return map;
  }

 private:
  static constexpr size_t kOverviewQueries = 256;

  static size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
    size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
  }

  // The chat's session, made anew when the conversation asks for another context length.
  void use_context(const GenerationSettings& settings) {
    const int64_t n_ctx = settings.context_length > 0 ? settings.context_length : 0;
    if (!session_ || (n_ctx > 0 && session_->n_ctx() != n_ctx))
      session_ = std::make_unique<model::Session>(*loaded_->model, *loaded_->backend, n_ctx);
  }

  std::shared_ptr<Loaded> loaded_;
  std::unique_ptr<model::Session> session_;
  bool inspected_ = false;  // the caches hold the conversation of the last inspect_attention()
};

class Engine : public ChatEngine {
 public:
  Engine() {
#if GLASSWING_HAVE_VULKAN
    // "Auto" then means what it means in glasswing-cli: a real GPU when there is one, else the CPU engine.
    vulkan::register_vulkan_backend();
#endif
  }

  std::vector<std::string> devices() override {
    std::vector<std::string> out{"Auto", "CPU"};
    for (auto& d : vulkan_devices()) out.push_back(std::move(d));
    return out;
  }

  LoadedModel load(const std::string& path, const std::string& device,
                   const std::function<void(double)>& progress) override {
    loaded_.reset();  // sessions made earlier keep the old model alive until they go
    auto loaded = std::make_shared<Loaded>();
    progress(0.05);
    loaded->model = model::Model::load(path);
    progress(0.5);
    loaded->tokenizer = tokenizer::Tokenizer::from_gguf(loaded->model->file());
    loaded->chat_template = chat::ChatTemplate::from_gguf(loaded->model->file());
    loaded->markup = reply_markup(loaded->chat_template);
    progress(0.6);

    LoadedModel info;
    const std::string wanted = registry_name(device);
    try {
      model::BackendChoice choice = create_backend(wanted, device, *loaded->model, progress);
      if (wanted == "auto" && choice.name == "cpu") info.fallback_reason = auto_fallback_reason(choice);
      loaded->backend = std::move(choice.backend);
    } catch (const std::exception& e) {
      if (wanted == "cpu") throw;
      info.fallback_reason = display_name(wanted) + " unavailable (" + e.what() + "), using the CPU";
      loaded->backend = model::create_backend("cpu", *loaded->model);
    }
    progress(1.0);

    const auto& desc = loaded->model->desc();
    info.name = desc.name;
    info.architecture = desc.architecture;
    info.device = loaded->backend->capabilities().device;
    info.backend = display_name(loaded->backend->name());
    info.context_length = static_cast<int>(desc.n_ctx_max);
    info.has_chat_template = loaded->chat_template.has_value();
    info.thinking_switch = info.has_chat_template &&
                           loaded->chat_template->source().find("enable_thinking") != std::string::npos;
    info.reasoning_effort = info.has_chat_template &&
                            loaded->chat_template->source().find("reasoning_effort") != std::string::npos;
    loaded_ = std::move(loaded);
    return info;
  }

  std::unique_ptr<ChatSession> new_session() override {
    if (!loaded_) throw std::runtime_error("no model is loaded");
    return std::make_unique<EngineSession>(loaded_);
  }

  std::array<StopReason, 2> compare(const std::array<CompareSide, 2>& sides, int top,
                                    const std::function<void(const CompareToken&)>& on_token,
                                    const std::atomic<bool>& stop,
                                    std::array<GenerationStats, 2>& stats) override {
    if (!loaded_) throw std::runtime_error("no model is loaded");
    const Loaded& loaded = *loaded_;
    const uint64_t shared_seed = fresh_seed();
    // Sessions of their own, sized for this comparison only (the chat's caches stay as they are).
    std::array<std::unique_ptr<model::Session>, 2> sessions;
    std::array<std::optional<model::Generator>, 2> generators;
    std::array<ReplyText, 2> replies{ReplyText(loaded.markup), ReplyText(loaded.markup)};
    for (int i = 0; i < 2; ++i) {
      const CompareSide& side = sides[static_cast<size_t>(i)];
      std::vector<int32_t> prompt = render_prompt(loaded, side.turns, true, side.settings);
      const int64_t n_ctx = side.settings.context_length > 0 ? side.settings.context_length
                                                             : static_cast<int64_t>(prompt.size()) +
                                                                   std::max(1, side.settings.max_tokens) + 1;
      auto& session = sessions[static_cast<size_t>(i)];
      session = std::make_unique<model::Session>(*loaded.model, *loaded.backend, n_ctx);
      GenerationSettings settings = side.settings;
      if (sides[0].settings.seed == 0 && sides[1].settings.seed == 0) settings.seed = shared_seed;
      stats[static_cast<size_t>(i)] = {};
      stats[static_cast<size_t>(i)].prompt_tokens = static_cast<int>(prompt.size());
      auto& generator = generators[static_cast<size_t>(i)];
      generator.emplace(*loaded.backend, *session, *loaded.tokenizer);
      try {
        generator->start(make_request(settings, std::move(prompt), stop));
      } catch (const std::exception& e) {
        throw std::runtime_error(std::string(i == 0 ? "A" : "B") + ": " + e.what());
      }
    }
    // A token of each in turn: both replies grow together, and a stop ends both within one token.
    std::array<bool, 2> live{true, true};
    while (live[0] || live[1])
      for (int i = 0; i < 2; ++i)
        if (live[static_cast<size_t>(i)])
          live[static_cast<size_t>(i)] =
              generators[static_cast<size_t>(i)]->step([&](int32_t token, std::string_view piece) {
                CompareToken t{i, token, replies[static_cast<size_t>(i)].feed(piece), {}};
                if (token < 0) t.text += replies[static_cast<size_t>(i)].flush();
                if (token >= 0)
                  t.candidates =
                      top_candidates(*loaded.tokenizer, generators[static_cast<size_t>(i)]->logits(), top);
                on_token(t);
              });
    std::array<StopReason, 2> reasons{};
    for (size_t i = 0; i < 2; ++i) {
      finish_stats(stats[i], generators[i]->stats(), *sessions[i]);
      reasons[i] = stop_reason(generators[i]->stats().stop_reason);
    }
    return reasons;
  }

 private:
  std::shared_ptr<Loaded> loaded_;
};

}  // namespace

std::unique_ptr<ChatEngine> create_engine() {
  return std::make_unique<Engine>();
}

EngineCapabilities engine_capabilities() {
  EngineCapabilities caps;
  for (const auto& arch : model::supported_architectures()) caps.architectures.emplace_back(arch.name);
  caps.memory_budget_bytes = available_memory_bytes();
  return caps;
}

}  // namespace glasswing::ui
