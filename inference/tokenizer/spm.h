#pragma once
// SentencePiece-style BPE as llama.cpp runs it for `tokenizer.ggml.model = llama`: the text is split into
// UTF-8 characters, then the adjacent pair whose concatenation is the highest-scoring vocabulary token is
// merged, repeatedly (a priority queue over a linked list of symbols: O(n log n)). Characters that never
// become a token fall back to <0xNN> byte tokens.
//
// Speed: when no token has U+2581 after some other character (true of SentencePiece vocabularies trained
// with split_by_whitespace, e.g. Llama 2, Phi-3, TinyStories), no merge can cross the start of a word, so
// each "▁word" is merged on its own — same result, far smaller queues — and looked up in a word cache.
#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inference/tokenizer/vocab.h"
#include "inference/tokenizer/word_cache.h"

namespace glasswing::tokenizer {

class SpmModel {
 public:
  SpmModel(const Vocab& vocab, int32_t unk_id);

  // `text` is already escaped: spaces replaced by U+2581 and the optional leading space added.
  void encode(std::string_view text, std::vector<int32_t>& out) const;

  // The <0xNN> token of a byte, or -1 when the vocabulary has none.
  int32_t byte_token(uint8_t byte) const { return byte_tokens_[byte]; }
  bool has_byte_tokens() const { return has_byte_tokens_; }

 private:
  int32_t find_mergeable(std::string_view s) const;
  void encode_piece(std::string_view text, std::vector<int32_t>& out) const;

  const Vocab& vocab_;
  int32_t unk_id_;
  // Text → id of the tokens merging may produce (normal and user-defined; never control, byte, unused).
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> mergeable_;
  // (left id << 32 | right id) → id of the token spelled by their concatenation: lets the merge loop
  // look pairs up without building strings.
  std::unordered_map<uint64_t, int32_t> pairs_;
  std::array<int32_t, 256> byte_tokens_{};
  bool has_byte_tokens_ = false;
  bool split_words_ = false;  // see the note above
  WordCache cache_;
};

}  // namespace glasswing::tokenizer
