#include "inference/chat/chat_template.h"

#include "inference/chat/jinja_builtins.h"
#include "inference/chat/jinja_interpreter.h"
#include "inference/chat/jinja_parser.h"
#include "inference/gguf/gguf_file.h"

namespace glasswing::chat {

namespace {
constexpr const char* kTemplateKey = "tokenizer.chat_template";
}

ChatTemplate ChatTemplate::parse(std::string source) {
  ChatTemplate t;
  try {
    t.program_ = std::make_shared<const jinja::Program>(jinja::parse(source));
  } catch (const ChatTemplateError&) {
    throw;
  } catch (const std::exception& e) {
    throw ChatTemplateError(ChatTemplateError::Kind::Syntax,
                            std::string("internal parser error: ") + e.what());
  }
  t.source_ = std::move(source);
  return t;
}

std::optional<ChatTemplate> ChatTemplate::from_gguf(const gguf::GgufFile& file) {
  auto source = file.get_string(kTemplateKey);
  if (!source) return std::nullopt;
  return parse(std::move(*source));
}

bool is_plain_completion_model(const gguf::GgufFile& file) {
  return file.find(kTemplateKey) == nullptr;
}

std::string ChatTemplate::render(const nlohmann::ordered_json& messages, const Options& options) const {
  if (!messages.is_array())
    throw ChatTemplateError(ChatTemplateError::Kind::Runtime, "messages must be a JSON array of objects");
  if (!options.extra_context.is_null() && !options.extra_context.is_object())
    throw ChatTemplateError(ChatTemplateError::Kind::Runtime, "extra_context must be a JSON object");
  try {
    auto globals = std::make_shared<jinja::Scope>();
    jinja::install_globals(*globals);
    globals->vars["messages"] = jinja::Value::from_json(messages);
    globals->vars["bos_token"] = jinja::Value(options.bos_token);
    globals->vars["eos_token"] = jinja::Value(options.eos_token);
    globals->vars["add_generation_prompt"] = jinja::Value(options.add_generation_prompt);
    if (options.extra_context.is_object())
      for (const auto& [k, v] : options.extra_context.items()) globals->vars[k] = jinja::Value::from_json(v);
    jinja::Interpreter interp(*program_, jinja::Limits{},
                              options.now.value_or(std::chrono::system_clock::now()));
    return interp.render(globals);
  } catch (const ChatTemplateError&) {
    throw;
  } catch (const jinja::EvalError& e) {
    throw ChatTemplateError(ChatTemplateError::Kind::Runtime, e.what());
  } catch (const std::bad_alloc&) {
    throw ChatTemplateError(ChatTemplateError::Kind::Runtime, "out of memory while rendering");
  } catch (const std::exception& e) {
    throw ChatTemplateError(ChatTemplateError::Kind::Runtime, std::string("internal error: ") + e.what());
  }
}

std::string ChatTemplate::render(std::span<const ChatMessage> messages, const Options& options) const {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& m : messages) j.push_back({{"role", m.role}, {"content", m.content}});
  return render(j, options);
}

}  // namespace glasswing::chat
