#include "inference/chat/chat_template.h"

#include <algorithm>

#include "inference/chat/jinja_builtins.h"
#include "inference/chat/jinja_interpreter.h"
#include "inference/chat/jinja_parser.h"
#include "inference/gguf/gguf_file.h"

namespace glasswing::chat {

namespace {

constexpr std::string_view kTemplateKey = "tokenizer.chat_template";

// Qwen (1)'s files carry no template: Qwen-7B/14B-Chat's tokenizer_config.json has none (its Python code,
// make_context, writes ChatML itself, with this system prompt when the conversation has none), and llama.cpp
// falls back to ChatML. A qwen file whose vocabulary has ChatML's markers is given that template.
constexpr std::string_view kQwenChatMl =
    "{% if messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

bool is_chatml_qwen(const gguf::GgufFile& file) {
  if (file.get_string("general.architecture") != "qwen") return false;
  const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
  if (!tokens || !tokens->array) return false;
  const auto& t = tokens->array->strings;
  return std::find(t.begin(), t.end(), "<|im_start|>") != t.end() &&
         std::find(t.begin(), t.end(), "<|im_end|>") != t.end();
}

std::optional<std::string> template_source(const gguf::GgufFile& file, std::string_view name) {
  std::string key(kTemplateKey);
  if (!name.empty()) key += "." + std::string(name);
  auto source = file.get_string(key);
  if (!source || source->find_first_not_of(" \t\r\n") == std::string::npos) {
    if (name.empty() && !file.find(key) && is_chatml_qwen(file)) return std::string(kQwenChatMl);
    return std::nullopt;
  }
  return source;
}

}  // namespace

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

std::optional<ChatTemplate> ChatTemplate::from_gguf(const gguf::GgufFile& file, std::string_view name) {
  auto source = template_source(file, name);
  if (!source) return std::nullopt;
  return parse(std::move(*source));
}

bool is_plain_completion_model(const gguf::GgufFile& file) {
  const gguf::Value* v = file.find(kTemplateKey);
  if (!v) return !is_chatml_qwen(file);  // (Qwen 1's ChatML, above)
  if (v->type != gguf::ValueType::String) return true;
  return v->str.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::vector<std::string> named_templates(const gguf::GgufFile& file) {
  std::vector<std::string> names;
  const std::string prefix = std::string(kTemplateKey) + ".";
  for (const auto& [key, value] : file.metadata())
    if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
        value.type == gguf::ValueType::String)
      names.push_back(key.substr(prefix.size()));
  return names;
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
    jinja::Interpreter interp(*program_, jinja::Limits{}, options.now);
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
