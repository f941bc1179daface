#include "inference/tokenizer/tokenizer.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include "inference/gguf/gguf_file.h"
#include "inference/tokenizer/bpe.h"
#include "inference/tokenizer/pre_tokenizer.h"
#include "inference/tokenizer/special_tokens.h"
#include "inference/tokenizer/spm.h"
#include "inference/tokenizer/unicode.h"

namespace glasswing::tokenizer {

struct Tokenizer::Impl {
  Vocab vocab;
  bool is_spm = true;
  bool spm_pieces = false;  // pieces spell spaces as U+2581 and bytes as <0xNN> (llama, gemma4)
  std::string pre_name;
  std::unique_ptr<SpmModel> spm;
  std::unique_ptr<BpeModel> bpe;
  SpecialTokenMatcher special;
  int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, pad = -1;
  bool add_bos = false, add_eos = false, add_space_prefix = false;
  std::vector<uint8_t> eog;         // per id
  std::vector<int32_t> suppressed;  // tokenizer.ggml.suppress_tokens
  std::vector<std::string> pieces;  // per id: token_piece()
  std::vector<std::string> warnings;

  void check(int32_t id) const {
    if (!vocab.valid(id))
      throw std::out_of_range("token id " + std::to_string(id) + " is out of range (the vocabulary has " +
                              std::to_string(vocab.size()) + " tokens)");
  }
};

namespace {

constexpr const char* kSpaceMark = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space

std::string spm_piece(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, kSpaceMark) == 0) {
      out += ' ';
      i += 3;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string byte_level_piece(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  uint32_t cp = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t len = unicode::decode(text, i, cp);
    if (len == 0) {  // not valid UTF-8: pass the byte through
      out += text[i++];
      continue;
    }
    const int byte = unicode::symbol_to_byte(cp);
    if (byte >= 0)
      out += static_cast<char>(byte);
    else
      out.append(text, i, len);  // not a byte symbol: keep the character itself
    i += len;
  }
  return out;
}

// Reads a special token id; UINT32_MAX / negative mean "none" (writers use them for absent ids).
std::optional<int32_t> read_id(const gguf::GgufFile& f, const char* key, int32_t n_vocab,
                               std::vector<std::string>& warnings) {
  const gguf::Value* v = f.find(key);
  if (!v) return std::nullopt;
  const auto i = v->as_int();
  if (!i) throw std::runtime_error(std::string(key) + " must be an integer, got " + v->to_display_string());
  if (*i < 0 || *i == 0xFFFFFFFFll) return -1;
  if (*i >= n_vocab) {
    warnings.push_back(std::string(key) + " = " + std::to_string(*i) + " is outside the vocabulary of " +
                       std::to_string(n_vocab) + " tokens; ignored");
    return std::nullopt;
  }
  return static_cast<int32_t>(*i);
}

const gguf::Array* read_array(const gguf::GgufFile& f, const char* key, size_t n, bool required) {
  const gguf::Array* a = f.get_array(key);
  if (!a) {
    if (required) throw std::runtime_error("GGUF metadata has no " + std::string(key));
    return nullptr;
  }
  if (n && a->size() != n)
    throw std::runtime_error(std::string(key) + " has " + std::to_string(a->size()) +
                             " entries but tokenizer.ggml.tokens has " + std::to_string(n));
  return a;
}

}  // namespace

Tokenizer Tokenizer::from_gguf(const gguf::GgufFile& file) {
  auto impl = std::make_shared<Impl>();
  Impl& t = *impl;

  const auto model = file.get_string("tokenizer.ggml.model");
  if (!model)
    throw std::runtime_error("GGUF metadata has no tokenizer.ggml.model: the file carries no tokenizer");
  // "gemma4" is BPE with merges, as "gpt2", but over SentencePiece-style pieces: llama.cpp gives it the
  // "gemma4" pre-tokenizer whatever tokenizer.ggml.pre says, and reads no default special ids.
  const bool gemma4 = *model == "gemma4";
  if (*model == "llama") {
    t.is_spm = true;
  } else if (*model == "gpt2" || gemma4) {
    t.is_spm = false;
  } else {
    throw std::runtime_error("unsupported tokenizer.ggml.model '" + *model +
                             "' (supported: llama, gpt2, gemma4)");
  }

  // Token table.
  const gguf::Array* tokens = read_array(file, "tokenizer.ggml.tokens", 0, true);
  if (tokens->elem_type != gguf::ValueType::String)
    throw std::runtime_error("tokenizer.ggml.tokens must be an array of strings");
  if (tokens->strings.empty()) throw std::runtime_error("tokenizer.ggml.tokens is empty");
  if (tokens->strings.size() > static_cast<size_t>(INT32_MAX))
    throw std::runtime_error("tokenizer.ggml.tokens has too many entries");
  const size_t n = tokens->strings.size();
  const gguf::Array* scores = read_array(file, "tokenizer.ggml.scores", n, false);
  if (scores && scores->floats.size() != n)
    throw std::runtime_error("tokenizer.ggml.scores must be an array of floats");
  const gguf::Array* types = read_array(file, "tokenizer.ggml.token_type", n, false);
  if (types && types->ints.size() != n)
    throw std::runtime_error("tokenizer.ggml.token_type must be an array of integers");
  // (A llama vocabulary without scores merges as llama.cpp merges it, every score 0: the leftmost pair in the
  // vocabulary first. XVERSE's converter writes its tokenizer.json's tokens so, without scores.)

  Vocab& v = t.vocab;
  v.text.resize(n);
  v.score.resize(n, 0.0f);
  v.type.resize(n, TokenType::Normal);
  v.ids.reserve(n);
  size_t duplicates = 0;
  for (size_t i = 0; i < n; ++i) {
    v.text[i] = tokens->strings[i];
    if (v.text[i].empty()) v.text[i] = "[EMPTY_" + std::to_string(i) + "]";  // keeps the lookup table sane
    if (scores) v.score[i] = static_cast<float>(scores->floats[i]);
    if (types) {
      const int64_t ty = types->ints[i];
      v.type[i] = ty >= 1 && ty <= 6 ? static_cast<TokenType>(ty) : TokenType::Undefined;
    }
    if (!v.ids.emplace(v.text[i], static_cast<int32_t>(i)).second) ++duplicates;
  }
  if (duplicates)
    t.warnings.push_back(std::to_string(duplicates) +
                         " token texts occur more than once; the first id is used");

  // Special ids. SentencePiece files conventionally use <unk>=0, <s>=1, </s>=2 when the keys are missing.
  const auto nv = static_cast<int32_t>(n);
  if (t.is_spm) {
    t.unk = nv > 0 ? 0 : -1;
    t.bos = nv > 1 ? 1 : -1;
    t.eos = nv > 2 ? 2 : -1;
  }
  if (auto id = read_id(file, "tokenizer.ggml.bos_token_id", nv, t.warnings)) t.bos = *id;
  if (auto id = read_id(file, "tokenizer.ggml.eos_token_id", nv, t.warnings)) t.eos = *id;
  if (auto id = read_id(file, "tokenizer.ggml.unknown_token_id", nv, t.warnings)) t.unk = *id;
  if (auto id = read_id(file, "tokenizer.ggml.padding_token_id", nv, t.warnings)) t.pad = *id;
  if (auto id = read_id(file, "tokenizer.ggml.eot_token_id", nv, t.warnings)) t.eot = *id;
  if (auto id = read_id(file, "tokenizer.ggml.eom_token_id", nv, t.warnings)) t.eom = *id;

  // Model.
  bool force_bos = false;
  if (t.is_spm) {
    t.spm_pieces = true;
    t.add_bos = true;
    t.add_space_prefix = true;
    t.spm = std::make_unique<SpmModel>(v, t.unk);
    if (!t.spm->has_byte_tokens())
      t.warnings.push_back("vocabulary has no <0xNN> byte tokens; unknown characters encode to <unk>");
  } else {
    const PreTokenizerSpec* pre = nullptr;
    const auto pre_name =
        gemma4 ? std::optional<std::string>("gemma4") : file.get_string("tokenizer.ggml.pre");
    if (pre_name) pre = find_pre_tokenizer(*pre_name);
    if (!pre) {
      pre = &default_pre_tokenizer();
      t.warnings.push_back((pre_name ? "unknown pre-tokenizer '" + *pre_name + "'"
                                     : std::string("no tokenizer.ggml.pre in the file")) +
                           "; using '" + pre->name +
                           "' (token ids may differ from the model's own tokenizer)");
    }
    t.pre_name = pre->name;
    t.add_bos = pre->add_bos;
    force_bos = pre->force_bos;
    t.spm_pieces = pre->spm_style;
    const gguf::Array* merges = read_array(file, "tokenizer.ggml.merges", 0, true);
    if (merges->elem_type != gguf::ValueType::String)
      throw std::runtime_error("tokenizer.ggml.merges must be an array of strings");
    t.bpe = std::make_unique<BpeModel>(v, merges->strings, *pre, t.warnings);
  }
  if (auto b = file.get_bool("tokenizer.ggml.add_bos_token")) t.add_bos = *b;
  // Gemma 4 files may say add_bos_token = false, yet the model needs its <bos> (llama.cpp overrides it too).
  if (force_bos) t.add_bos = true;
  if (auto b = file.get_bool("tokenizer.ggml.add_eos_token")) t.add_eos = *b;
  if (auto b = file.get_bool("tokenizer.ggml.add_space_prefix")) t.add_space_prefix = *b;
  if (t.add_bos && t.bos < 0)
    t.warnings.push_back("add_bos_token is set but the vocabulary has no BOS token");

  // Special-token matching. Phi-3's added tokens swallow the whitespace after them (rstrip in its
  // tokenizer.json), which GGUF does not record; llama.cpp applies the same fix by model name.
  t.special.build(v);
  std::string name = file.get_string("general.name").value_or("");
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (int32_t id = 0; id < nv; ++id) {
      const std::string& s = v.text[id];
      if (v.is_special(id) && s != "<unk>" && s != "<s>" && s != "<|endoftext|>")
        t.special.set_strip(id, false, true);
    }
  }

  // End of generation.
  t.eog.assign(n, 0);
  // Gemma 4 ends a turn with <turn|>, and a tool call by opening <|tool_response> for the caller to fill.
  for (const char* s :
       {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
        "<|end_of_text|>", "<｜end▁of▁sentence｜>", "<end_of_utterance>", "<turn|>", "<|tool_response>"}) {
    const int32_t id = v.find(s);
    if (id >= 0) t.eog[id] = 1;
  }
  for (int32_t id : {t.eos, t.eot, t.eom})
    if (id >= 0) t.eog[id] = 1;
  // gpt-oss (the harmony format): a reply ends with <|return|> (or <|call|> for a tool call); its <|end|>
  // only closes one channel (the reasoning) before the next begins, so it must not stop the generation (as
  // llama.cpp decides, by these tokens' presence).
  if (const int32_t ret = v.find("<|return|>"), call = v.find("<|call|>"); ret >= 0 && call >= 0) {
    t.eog[ret] = t.eog[call] = 1;
    if (const int32_t end = v.find("<|end|>"); end >= 0) t.eog[end] = 0;
  }

  // GLM's chat models (ChatGLM3, GLM-4-9B-Chat: their vocabularies have [gMASK]) end a reply by opening the
  // next turn, <|user|>, or a tool's, <|observation|>, as their generation_config lists them; files converted
  // before llama.cpp wrote <|user|> as the EOT token would otherwise run on into a made-up user turn.
  if (v.find("[gMASK]") >= 0)
    for (const char* s : {"<|user|>", "<|observation|>"})
      if (const int32_t id = v.find(s); id >= 0) t.eog[id] = 1;

  // Tokens the model must never be given to write (Gemma 4's image and audio markers: a generation that
  // sampled one would be cut off mid-reply), as llama.cpp reads them.
  if (const gguf::Value* s = file.find("tokenizer.ggml.suppress_tokens")) {
    if (s->type != gguf::ValueType::Array || !gguf::is_integer_type(s->array->elem_type))
      throw std::runtime_error("tokenizer.ggml.suppress_tokens must be an array of token ids");
    for (const int64_t id : s->array->ints) {
      if (id < 0 || id >= static_cast<int64_t>(n))
        throw std::runtime_error("tokenizer.ggml.suppress_tokens holds " + std::to_string(id) +
                                 ", outside the vocabulary of " + std::to_string(n) + " tokens");
      t.suppressed.push_back(static_cast<int32_t>(id));
    }
  }

  // Pieces.
  t.pieces.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const TokenType ty = v.type[i];
    if (ty == TokenType::Byte && t.spm_pieces) {
      const std::string& s = v.text[i];  // "<0xNN>"
      unsigned value = 0;
      if (s.size() == 6 && s.compare(0, 3, "<0x") == 0 && s[5] == '>' &&
          std::sscanf(s.c_str() + 3, "%2x", &value) == 1)
        t.pieces[i] = std::string(1, static_cast<char>(value));
      else
        t.pieces[i] = s;
    } else if (ty == TokenType::Normal || ty == TokenType::Undefined) {
      t.pieces[i] = t.spm_pieces ? spm_piece(v.text[i]) : byte_level_piece(v.text[i]);
    } else {
      t.pieces[i] = v.text[i];  // control, user-defined, unknown, unused: their text
    }
  }
  return Tokenizer(std::move(impl));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  const Impl& t = *impl_;
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (options.add_bos) {
    if (t.bos < 0) throw std::runtime_error("cannot add BOS: the vocabulary has no BOS token");
    out.push_back(t.bos);
  }
  std::vector<Fragment> fragments;
  t.special.partition(text, options.parse_special, fragments);
  bool prev_special =
      true;  // SentencePiece adds its space before text that starts the input or follows a token
  std::string escaped;
  for (const Fragment& f : fragments) {
    if (f.token >= 0) {
      out.push_back(f.token);
      prev_special = true;
      continue;
    }
    const std::string_view raw = text.substr(f.offset, f.length);
    if (t.is_spm) {
      escaped.clear();
      escaped.reserve(raw.size() + 8);
      if (t.add_space_prefix && prev_special) escaped += kSpaceMark;
      for (char c : raw) {
        if (c == ' ')
          escaped += kSpaceMark;
        else
          escaped += c;
      }
      t.spm->encode(escaped, out);
    } else {
      t.bpe->encode(raw, out);
    }
    prev_special = false;
  }
  if (options.add_eos) {
    if (t.eos < 0) throw std::runtime_error("cannot add EOS: the vocabulary has no EOS token");
    out.push_back(t.eos);
  }
  return out;
}

std::string_view Tokenizer::decode_piece(int32_t id, bool& at_start) const {
  const Impl& t = *impl_;
  t.check(id);
  std::string_view piece = t.pieces[id];
  const bool special = t.vocab.is_special(id);
  if (t.is_spm && t.add_space_prefix && at_start && !special && t.vocab.type[id] != TokenType::Byte &&
      !piece.empty() && piece[0] == ' ')
    piece.remove_prefix(1);
  at_start = special;
  return piece;
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  std::string out;
  bool at_start = true;
  for (int32_t id : ids) out += decode_piece(id, at_start);
  return out;
}

std::string Tokenizer::token_piece(int32_t id) const {
  impl_->check(id);
  return impl_->pieces[id];
}

const std::string& Tokenizer::token_text(int32_t id) const {
  impl_->check(id);
  return impl_->vocab.text[id];
}

TokenType Tokenizer::token_type(int32_t id) const {
  impl_->check(id);
  return impl_->vocab.type[id];
}

bool Tokenizer::is_special(int32_t id) const {
  impl_->check(id);
  return impl_->vocab.is_special(id);
}

int32_t Tokenizer::n_vocab() const {
  return impl_->vocab.size();
}
int32_t Tokenizer::bos_id() const {
  return impl_->bos;
}
int32_t Tokenizer::eos_id() const {
  return impl_->eos;
}
int32_t Tokenizer::eot_id() const {
  return impl_->eot;
}
int32_t Tokenizer::unk_id() const {
  return impl_->unk;
}
int32_t Tokenizer::pad_id() const {
  return impl_->pad;
}
std::span<const int32_t> Tokenizer::suppressed_tokens() const {
  return impl_->suppressed;
}

bool Tokenizer::is_end_of_generation(int32_t id) const {
  return impl_->vocab.valid(id) && impl_->eog[id];
}
bool Tokenizer::add_bos_by_default() const {
  return impl_->add_bos;
}
bool Tokenizer::add_eos_by_default() const {
  return impl_->add_eos;
}
const std::vector<std::string>& Tokenizer::warnings() const {
  return impl_->warnings;
}
std::string Tokenizer::kind() const {
  return impl_->is_spm ? "spm" : "bpe";
}
const std::string& Tokenizer::pre_tokenizer() const {
  return impl_->pre_name;
}

}  // namespace glasswing::tokenizer
