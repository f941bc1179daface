#pragma once
// What the app needs from the inference engine, as a small Qt-free interface. The real implementation
// (backend/engine_adapter.cpp) wraps inference/model; tests plug in a scripted twin. An engine and its
// sessions live on the InferenceWorker thread only.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace glasswing::ui {

// Sampling and context settings of one conversation (saved with it as JSON, see settings_json.h).
struct GenerationSettings {
  std::string system_prompt;
  double temperature = 0.8;
  int top_k = 40;
  double top_p = 0.95;
  double min_p = 0.05;
  double repetition_penalty = 1.1;
  uint64_t seed = 0;       // 0: a fresh random seed per reply
  int max_tokens = 512;    // per reply
  int context_length = 0;  // 0: the model's own
  std::string device;      // "" or "CPU" or a Vulkan device name
  bool thinking = true;    // reasoning models think before they answer (the template's enable_thinking)
  std::string reasoning_effort =
      "medium";  // gpt-oss: "low", "medium" or "high" (the template's reasoning_effort)
};

struct ChatTurn {
  std::string role;  // "system", "user", "assistant"
  std::string text;
};

struct LoadedModel {
  std::string name;  // general.name or the file name
  std::string architecture;
  std::string device;           // what actually runs it
  std::string backend;          // "CPU" or "Vulkan"
  std::string fallback_reason;  // why it runs on the CPU although another device was asked for; "" otherwise
  int context_length = 0;       // the model's trained context
  bool has_chat_template = false;
  bool thinking_switch =
      false;  // the template reads enable_thinking (Qwen3): GenerationSettings::thinking works
  bool reasoning_effort = false;  // the template reads reasoning_effort (gpt-oss): GenerationSettings's works
};

// Live numbers of one reply; sent with every token so the status bar can update while generating.
struct GenerationStats {
  int prompt_tokens = 0;
  int generated_tokens = 0;
  int context_used = 0;
  int context_total = 0;
  double time_to_first_token_ms = 0;
  double prompt_tokens_per_s = 0;
  double generation_tokens_per_s = 0;
  int turns_left_out = 0;  // the earliest turns the model did not see: the conversation outgrew the context
};

enum class StopReason { EndOfText, MaxTokens, ContextFull, Stopped };

// One cell of the attention overview: a (layer, head) summarised over the inspected message's tokens.
struct HeadOverview {
  float max_prob = 0;     // mean over the message's tokens of the largest probability in the row
  float entropy = 0;      // mean −Σ p·ln p (nats): low = focused, high = spread out
  float first_token = 0;  // mean attention to position 0 (the BOS / attention sink)
  // (all three NaN for a layer without attention: LFM2's short convolutions, Qwen3.5's delta nets)
};

// What an attention view shows of one message: the conversation up to and including it, as the model reads
// it (chat template and all), and every head summarised over the message's own tokens.
struct AttentionContext {
  std::vector<std::string> tokens;  // the text of every position (special tokens as written)
  int message_begin = 0;            // the message's positions: [message_begin, message_end)
  int message_end = 0;
  int overview_end = 0;    // the overview covers [message_begin, overview_end) (long messages: their start)
  int turns_left_out = 0;  // earliest turns not in `tokens`: cut, as for the reply, to fit the context
  int layers = 0;
  int heads = 0;
  int kv_heads = 0;
  // per layer, where layers differ (Gemma 4, deci; 0 for a layer without attention); empty: kv_heads in all
  std::vector<int> layer_kv_heads;
  std::vector<HeadOverview> overview;  // layers × heads, layer-major
};

// One head's attention probabilities: rows are query positions, columns key positions; each row is the
// softmax over every key the query sees, NaN where a key comes after its query (masked, not merely 0).
struct AttentionMap {
  int layer = 0;
  int head = 0;
  int query_begin = 0, query_end = 0;
  int key_begin = 0, key_end = 0;
  std::vector<float> probs;  // (query_end − query_begin) × (key_end − key_begin), row-major
};

class ChatSession {
 public:
  virtual ~ChatSession() = default;
  // Renders the turns with the model's chat template (or a plain continuation when it has none), then
  // generates. A conversation longer than the context loses its earliest turns (the system prompt stays)
  // until it fits with room for the reply; stats.turns_left_out says how many. on_piece gets each decoded
  // piece of text as soon as it is sampled. `stop` is read before every token. Throws std::exception with a
  // one-line message on failure.
  virtual StopReason generate(
      const std::vector<ChatTurn>& turns, const GenerationSettings& settings,
      const std::function<void(std::string_view piece, const GenerationStats&)>& on_piece,
      const std::atomic<bool>& stop, GenerationStats& stats) = 0;

  // Evaluates `turns` as generate() lays them out (the last turn is the message to look at, complete: a user
  // message or a reply) and summarises every head over that message's tokens. The session's caches then hold
  // exactly this conversation, so attention_map() can read any head of it. Positions already evaluated are
  // reused, as generate() reuses them. Throws std::exception with a one-line message (no attention maps on
  // this backend, the conversation does not fit the context, an empty message).
  virtual AttentionContext inspect_attention(const std::vector<ChatTurn>& turns,
                                             const GenerationSettings& settings) = 0;
  // One head of the last inspect_attention(), for queries and keys within its positions. Throws when nothing
  // was inspected since the last generate(), or a range or index is out of bounds.
  virtual AttentionMap attention_map(int layer, int head, int query_begin, int query_end, int key_begin,
                                     int key_end) = 0;
};

// One of the tokens the model rated most likely at a step, with its probability under the model's own
// distribution (softmax of the logits, temperature 1, no filters).
struct TokenCandidate {
  std::string text;
  float probability = 0;
};

// One sampled token of a comparison: its id, the text it completes, and the model's top candidates at that
// step (the chosen token need not be among them).
struct CompareToken {
  int side = 0;
  int32_t token = -1;  // −1: text held back until the end
  std::string text;
  std::vector<TokenCandidate> candidates;
};

// One side of a comparison: the turns to answer and the settings to answer them with.
struct CompareSide {
  std::vector<ChatTurn> turns;
  GenerationSettings settings;
};

class ChatEngine {
 public:
  virtual ~ChatEngine() = default;
  // Device names the user may pick ("CPU" always present).
  virtual std::vector<std::string> devices() = 0;
  // Loads a model (replacing any loaded one). progress gets values in [0, 1]. Throws on failure.
  virtual LoadedModel load(const std::string& path, const std::string& device,
                           const std::function<void(double)>& progress) = 0;
  // A fresh session on the loaded model; many may exist at once (the compare view runs two).
  virtual std::unique_ptr<ChatSession> new_session() = 0;
  // Answers both sides on two fresh sessions of the loaded model, one token of each in turn, so that the
  // replies grow side by side. on_token gets every sampled token with the model's `top` most likely
  // candidates at that step. A seed of 0 on both sides means one fresh seed for both. `stop` is read before
  // every token. Throws std::exception with a one-line message on failure.
  virtual std::array<StopReason, 2> compare(const std::array<CompareSide, 2>& sides, int top,
                                            const std::function<void(const CompareToken&)>& on_token,
                                            const std::atomic<bool>& stop,
                                            std::array<GenerationStats, 2>& stats) = 0;
};

using EngineFactory = std::function<std::unique_ptr<ChatEngine>()>;

}  // namespace glasswing::ui
