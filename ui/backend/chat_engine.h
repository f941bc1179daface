#pragma once
// What the app needs from the inference engine, as a small Qt-free interface. The real implementation
// (backend/engine_adapter.cpp) wraps inference/model; tests plug in a scripted twin. An engine and its
// sessions live on the InferenceWorker thread only.
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
};

enum class StopReason { EndOfText, MaxTokens, ContextFull, Stopped };

class ChatSession {
 public:
  virtual ~ChatSession() = default;
  // Renders the turns with the model's chat template (or a plain continuation when it has none), then
  // generates. on_piece gets each decoded piece of text as soon as it is sampled. `stop` is read before
  // every token. Throws std::exception with a one-line message on failure.
  virtual StopReason generate(
      const std::vector<ChatTurn>& turns, const GenerationSettings& settings,
      const std::function<void(std::string_view piece, const GenerationStats&)>& on_piece,
      const std::atomic<bool>& stop, GenerationStats& stats) = 0;
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
};

using EngineFactory = std::function<std::unique_ptr<ChatEngine>()>;

}  // namespace glasswing::ui
