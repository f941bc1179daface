#include "inference/model/chat_prompt.h"

#include <stdexcept>

namespace glasswing::model {

std::vector<int32_t> encode_chat(const gguf::GgufFile& file, const tokenizer::Tokenizer& tokenizer,
                                 std::span<const chat::ChatMessage> messages, bool add_generation_prompt) {
  const auto tmpl = chat::ChatTemplate::from_gguf(file);
  if (!tmpl)
    throw std::runtime_error(
        "the model has no chat template (tokenizer.chat_template): it is a plain text completion model");
  chat::ChatTemplate::Options options;
  if (tokenizer.bos_id() >= 0) options.bos_token = tokenizer.token_text(tokenizer.bos_id());
  if (tokenizer.eos_id() >= 0) options.eos_token = tokenizer.token_text(tokenizer.eos_id());
  options.add_generation_prompt = add_generation_prompt;
  const std::string text = tmpl->render(messages, options);
  const bool template_wrote_bos = !options.bos_token.empty() && text.starts_with(options.bos_token);
  return tokenizer.encode(
      text, {.add_bos = tokenizer.add_bos_by_default() && !template_wrote_bos, .parse_special = true});
}

}  // namespace glasswing::model
