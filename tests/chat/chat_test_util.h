#pragma once
// Small helpers for the chat-template unit tests: render a template string with a JSON context.
#include <chrono>
#include <string>

#include "inference/chat/chat_template.h"

namespace glasswing::chat::test {

// Renders `source` with `context` entries as variables (messages defaults to []), trim/lstrip_blocks on.
inline std::string render(const std::string& source,
                          const nlohmann::ordered_json& context = nlohmann::ordered_json::object()) {
  ChatTemplate::Options opt;
  opt.bos_token = "<s>";
  opt.eos_token = "</s>";
  opt.extra_context = context;
  opt.now = std::chrono::sys_days{std::chrono::year{2026} / 1 / 15} + std::chrono::hours{9};
  return ChatTemplate::parse(source).render(nlohmann::ordered_json::array(), opt);
}

// The ChatTemplateError a template raises (parse or render); fails the test if it renders.
inline ChatTemplateError error_of(const std::string& source,
                                  const nlohmann::ordered_json& context = nlohmann::ordered_json::object()) {
  try {
    render(source, context);
  } catch (const ChatTemplateError& e) {
    return e;
  }
  throw std::runtime_error("template rendered without the expected error: " + source);
}

}  // namespace glasswing::chat::test
