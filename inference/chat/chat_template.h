#pragma once
// Chat templates: turn a conversation into the exact prompt text a model was trained on, by rendering the
// Jinja template stored in its GGUF (`tokenizer.chat_template`) the way Hugging Face transformers does:
// trim_blocks and lstrip_blocks on, raise_exception() and strftime_now() available, tojson without
// ASCII-escaping and with Python's json.dumps spacing, JSON key order preserved.
//
//   auto tmpl = ChatTemplate::from_gguf(file);          // nullopt: plain text completion model
//   ChatTemplate::Options opt{.bos_token = "<s>", .eos_token = "</s>", .add_generation_prompt = true};
//   std::string prompt = tmpl->render(messages_json, opt);
//
// Every failure (syntax with line:column, runtime error, raise_exception) is a ChatTemplateError.
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/chat/chat_template_error.h"

namespace glasswing::gguf {
class GgufFile;
}

namespace glasswing::chat {

namespace jinja {
struct Program;
}

struct ChatMessage {
  std::string role;
  std::string content;
};

class ChatTemplate {
 public:
  struct Options {
    std::string bos_token;
    std::string eos_token;
    bool add_generation_prompt = false;
    // More template variables (tools, documents, date_string, ...); they may override the ones above.
    nlohmann::ordered_json extra_context = nlohmann::ordered_json::object();
    // The time strftime_now() formats, in UTC (reproducible renders). Default: the real current time, in the
    // local time zone.
    std::optional<std::chrono::system_clock::time_point> now;
  };

  // Parses a template. Throws ChatTemplateError (Kind::Syntax) with line:column.
  static ChatTemplate parse(std::string source);

  // The model's template (`tokenizer.chat_template`, or `tokenizer.chat_template.<name>` for a named one such
  // as "tool_use"), or nullopt when the file has none or it is empty (see is_plain_completion_model). A
  // Qwen (1) file without one (none of them has one) gets ChatML, as llama.cpp gives it.
  // Throws gguf::GgufError when the key exists but is not a string, ChatTemplateError when it does not parse.
  static std::optional<ChatTemplate> from_gguf(const gguf::GgufFile& file, std::string_view name = {});

  // `messages`: a JSON array of objects, at least {role, content}; other fields (tool_calls, ...) pass
  // through to the template. Throws ChatTemplateError.
  std::string render(const nlohmann::ordered_json& messages, const Options& options) const;
  std::string render(std::span<const ChatMessage> messages, const Options& options) const;

  const std::string& source() const { return source_; }

 private:
  ChatTemplate() = default;
  std::string source_;
  std::shared_ptr<const jinja::Program> program_;
};

// True when the model has no (non-empty) chat template: it is used for plain text completion (the prompt is
// the raw text, e.g. stories260K), not for chat.
bool is_plain_completion_model(const gguf::GgufFile& file);

// Names of the extra templates a model carries (`tokenizer.chat_template.<name>`), e.g. {"tool_use", "rag"}.
std::vector<std::string> named_templates(const gguf::GgufFile& file);

}  // namespace glasswing::chat
