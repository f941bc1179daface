#pragma once
// A conversation as prompt tokens: rendered by the model's chat template, then tokenized with special
// tokens parsed. BOS is added when the tokenizer metadata asks for it, unless the template already wrote it
// (most templates start with {{ bos_token }}), so it is never doubled.
#include <cstdint>
#include <span>
#include <vector>

#include "inference/chat/chat_template.h"
#include "inference/tokenizer/tokenizer.h"

namespace glasswing::model {

// Throws std::runtime_error when the model has no chat template (a plain completion model), and
// chat::ChatTemplateError when the template fails.
std::vector<int32_t> encode_chat(const gguf::GgufFile& file, const tokenizer::Tokenizer& tokenizer,
                                 std::span<const chat::ChatMessage> messages,
                                 bool add_generation_prompt = true);

}  // namespace glasswing::model
