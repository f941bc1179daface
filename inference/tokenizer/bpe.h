#pragma once
// Rank-ordered BPE over tokenizer.ggml.merges, in two alphabets:
//   byte-level (`tokenizer.ggml.model = gpt2`): the pre-tokenizer cuts the text into words and every byte
//     of a word becomes its GPT-2 byte symbol;
//   SentencePiece-style (`gemma4`, PreTokenizerSpec::spm_style): spaces become U+2581, every UTF-8
//     character is a symbol, and a symbol no token covers falls back to <0xNN> byte tokens.
// Then the pair with the lowest merge rank is merged until no listed merge applies. Merges are looked up
// by token-id pair in a hash map, and finished words are cached, because prompts repeat the same words
// many times.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inference/tokenizer/pre_tokenizer.h"
#include "inference/tokenizer/vocab.h"
#include "inference/tokenizer/word_cache.h"

namespace glasswing::tokenizer {

class BpeModel {
 public:
  // `merges` are the "left right" strings of tokenizer.ggml.merges, best first. Malformed merges and
  // merges whose parts are not tokens are skipped and counted in `warnings`.
  BpeModel(const Vocab& vocab, const std::vector<std::string>& merges, const PreTokenizerSpec& pre,
           std::vector<std::string>& warnings);

  // Encodes a fragment of raw text (no special tokens in it). Invalid UTF-8 is replaced by U+FFFD first.
  // SentencePiece-style: the fragment's spaces are escaped here, so pass the text as written.
  void encode(std::string_view text, std::vector<int32_t>& out) const;

 private:
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  const Vocab& vocab_;
  RegexSplitter splitter_;
  bool ignore_merges_;
  bool spm_style_;
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) → rank and merged token
  // Token of each byte, -1 if the vocabulary lacks it: its GPT-2 symbol (byte-level, where bytes are the
  // starting symbols) or its <0xNN> token (SentencePiece-style, where bytes are only the fallback).
  std::array<int32_t, 256> byte_ids_{};

  WordCache cache_;
};

}  // namespace glasswing::tokenizer
