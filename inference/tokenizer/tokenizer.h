#pragma once
// Text ↔ token ids for a GGUF model, built from its `tokenizer.ggml.*` metadata.
//
// Three families, chosen by tokenizer.ggml.model:
//   "llama"  — SentencePiece-style (scores, <0xNN> byte fallback, a leading space added to the text);
//   "gpt2"   — byte-level BPE (merges, a regex pre-tokenizer chosen by tokenizer.ggml.pre);
//   "gemma4" — BPE with merges over SentencePiece-style pieces: spaces as U+2581, raw UTF-8 characters,
//              <0xNN> byte fallback, text split only at runs of newlines, BOS always added.
// Results match llama.cpp's tokenizer on the reference cases in ../shared/tokenizers. An unknown or missing
// tokenizer.ggml.pre falls back to llama.cpp's "default" pre-tokenizer (see pre_tokenizer.h) and says so
// in warnings().
//
//   auto tok = Tokenizer::from_gguf(gguf::GgufFile::open(path));
//   auto ids = tok.encode(prompt, {.add_bos = tok.add_bos_by_default(), .parse_special = true});
//   StreamingDecoder out(tok);  for (id : generated) ui_append(out.push(id));  ui_append(out.flush());
//
// A Tokenizer is cheap to copy (shared, immutable state) and safe to use from several threads.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/tokenizer/vocab.h"

namespace glasswing::gguf {
class GgufFile;
}

namespace glasswing::tokenizer {

class Tokenizer {
 public:
  // Throws std::runtime_error naming the key when the metadata is missing or invalid (no tokenizer, an
  // unsupported model, array lengths that disagree, ...). Recoverable oddities — an unknown pre-tokenizer
  // name, out-of-range special ids, unusable merges — become warnings() instead.
  static Tokenizer from_gguf(const gguf::GgufFile& file);

  struct EncodeOptions {
    bool add_bos = false;        // prepend the BOS token (throws if the vocabulary has none)
    bool add_eos = false;        // append the EOS token
    bool parse_special = false;  // match control tokens written in the text ("<|im_start|>")
  };
  // User-defined tokens are matched in the text even without parse_special (llama.cpp's behaviour).
  std::vector<int32_t> encode(std::string_view text, const EncodeOptions& options) const;
  std::vector<int32_t> encode(std::string_view text) const { return encode(text, EncodeOptions{}); }

  // The text of a token sequence: pieces concatenated, special tokens as their text. For SentencePiece
  // vocabularies the space that encode() puts before text at the start (and after a special token) is
  // removed again, so decode(encode(x)) == x. May end in an incomplete UTF-8 sequence.
  // Throws std::out_of_range for an id outside [0, n_vocab()).
  std::string decode(std::span<const int32_t> ids) const;

  // The bytes one token stands for in text ("▁Hello" → " Hello", "<0x0A>" → "\n", "ĠHello" → " Hello",
  // "<|im_end|>" → itself). Throws std::out_of_range for a bad id.
  std::string token_piece(int32_t id) const;
  // The token as stored in the vocabulary ("▁Hello", "ĠHello"). Throws std::out_of_range for a bad id.
  const std::string& token_text(int32_t id) const;
  TokenType token_type(int32_t id) const;
  bool is_special(int32_t id) const;  // control, user-defined or unknown

  int32_t n_vocab() const;
  int32_t bos_id() const;  // -1 when absent
  int32_t eos_id() const;  // -1 when absent
  int32_t eot_id() const;  // -1 when absent
  int32_t unk_id() const;  // -1 when absent
  int32_t pad_id() const;  // -1 when absent
  // EOS, EOT, EOM and the usual end-of-turn tokens found by text (<|eot_id|>, <|im_end|>, <|end|>,
  // <end_of_turn>, <|endoftext|>, ...): generation stops on any of them.
  bool is_end_of_generation(int32_t id) const;
  // Tokens a generation must never sample (tokenizer.ggml.suppress_tokens; Gemma 4's multimodal markers).
  std::span<const int32_t> suppressed_tokens() const;

  bool add_bos_by_default() const;  // tokenizer.ggml.add_bos_token, or the family's default (gemma4: true)
  bool add_eos_by_default() const;  // tokenizer.ggml.add_eos_token, default false

  const std::vector<std::string>& warnings() const;
  std::string kind() const;                  // "spm" or "bpe" (gemma4 is "bpe", pre-tokenizer "gemma4")
  const std::string& pre_tokenizer() const;  // the pre-tokenizer in use for "bpe" ("" for "spm")

 private:
  struct Impl;
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  // Piece of `id` for decoding, with the SentencePiece leading-space rule; `at_start` carries the state
  // from token to token (true before the first one). Throws std::out_of_range for a bad id.
  std::string_view decode_piece(int32_t id, bool& at_start) const;
  std::shared_ptr<const Impl> impl_;
  friend class StreamingDecoder;
};

}  // namespace glasswing::tokenizer
