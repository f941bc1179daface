#pragma once
// The token table of a GGUF vocabulary (tokenizer.ggml.tokens / scores / token_type) with a fast
// text → id lookup. Shared, read-only, by the SentencePiece and BPE encoders.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace glasswing::tokenizer {

// Values of tokenizer.ggml.token_type (the llama.cpp / SentencePiece piece types).
enum class TokenType : int32_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Vocab {
  std::vector<std::string> text;
  std::vector<float> score;
  std::vector<TokenType> type;
  // Every token's text → its id (the first id when a text repeats).
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids;

  int32_t size() const { return static_cast<int32_t>(text.size()); }
  bool valid(int32_t id) const { return id >= 0 && id < size(); }
  int32_t find(std::string_view s) const {
    auto it = ids.find(s);
    return it == ids.end() ? -1 : it->second;
  }
  // Tokens matched in raw text before the model runs (SentencePiece "user defined" / HF added tokens,
  // control tokens, <unk>): they are never produced by merging.
  bool is_special(int32_t id) const {
    const TokenType t = type[id];
    return t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown;
  }
};

}  // namespace glasswing::tokenizer
