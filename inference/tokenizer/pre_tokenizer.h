#pragma once
// Byte-level BPE pre-tokenizers: the text is cut into "words" by a sequence of regexes before merging.
// Each regex is applied inside every piece produced by the previous one; both its matches and the gaps
// between them become pieces (llama.cpp's unicode_regex_split semantics, which the reference token ids
// in ../shared/tokenizers were made with). The regexes run on PCRE2 in UTF + UCP mode with JIT.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glasswing::tokenizer {

struct PreTokenizerSpec {
  std::string name;                  // canonical name, e.g. "gpt-2", "llama3"
  std::vector<std::string> regexes;  // applied in order
  bool ignore_merges = false;        // a word that is itself a token is emitted whole (Llama 3, Tekken)
  bool add_bos = false;              // default for tokenizer.ggml.add_bos_token when the key is absent
  // SentencePiece-style BPE (Gemma 4; llama.cpp's escape_whitespaces with byte_encode = false): spaces
  // become U+2581 before the split, merges run over raw UTF-8 characters rather than GPT-2 byte symbols, a
  // character no token covers falls back to its <0xNN> byte tokens, a run of newlines that is itself a
  // token is taken whole, and decoding turns U+2581 back into spaces.
  bool spm_style = false;
  bool force_bos = false;  // BOS even when tokenizer.ggml.add_bos_token says false (llama.cpp's Gemma 4 rule)
};

// The spec for a tokenizer.ggml.pre value (aliases included), or nullptr when the name is unknown.
const PreTokenizerSpec* find_pre_tokenizer(std::string_view name);

// Used for unknown or missing names: llama.cpp's "default" BPE pre-tokenizer (punctuation runs,
// the GPT-2 word regex, digit runs, then groups of three ASCII digits).
const PreTokenizerSpec& default_pre_tokenizer();

// Names accepted by find_pre_tokenizer (for messages and tests).
std::vector<std::string> known_pre_tokenizers();

class RegexSplitter {
 public:
  // Compiles every pattern (UTF, UCP, DOLLAR_ENDONLY) and JIT-compiles it when the library allows.
  // Throws std::runtime_error naming the pattern and PCRE2's message when one does not compile.
  explicit RegexSplitter(const std::vector<std::string>& patterns);
  ~RegexSplitter();
  RegexSplitter(const RegexSplitter&) = delete;
  RegexSplitter& operator=(const RegexSplitter&) = delete;

  // Cuts `text` (which must be valid UTF-8) into consecutive pieces covering all of it, as
  // (offset, length) pairs. Thread-safe.
  void split(std::string_view text, std::vector<std::pair<size_t, size_t>>& pieces) const;

 private:
  struct Compiled;
  std::vector<std::unique_ptr<Compiled>> compiled_;
};

}  // namespace glasswing::tokenizer
