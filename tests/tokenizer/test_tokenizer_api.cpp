// Behaviour beyond the reference ids: special tokens, streaming decode, fallbacks and errors.
#include <catch2/catch.hpp>
#include <stdexcept>

#include "inference/gguf/gguf_file.h"
#include "inference/tokenizer/streaming_decoder.h"
#include "inference/tokenizer/tokenizer.h"
#include "inference/tokenizer/unicode.h"
#include "tests/test_support.h"
#include "tests/tokenizer/gguf_bytes.h"

namespace {

using glasswing::gguf::GgufFile;
using glasswing::test::GgufBytes;
using glasswing::tokenizer::StreamingDecoder;
using glasswing::tokenizer::Tokenizer;
namespace unicode = glasswing::tokenizer::unicode;

Tokenizer load_vocab(const std::string& name) {
  const auto file =
      GgufFile::open(glasswing::test::require_shared("tokenizers/ggml-vocab-" + name + ".gguf"));
  return Tokenizer::from_gguf(file);
}

bool contains(const std::vector<int32_t>& ids, int32_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// A text with characters of 1 to 4 UTF-8 bytes, several of which no vocabulary has as one token.
const std::string kMixed = "Grüße, 世界! 🦙 llamas ≠ camels — ½ 🚀🌫️ done";

}  // namespace

TEST_CASE("streaming decoder holds back bytes of a split character (SPM byte fallback)") {
  const auto tok = load_vocab("llama-spm");
  // 🦙 is not in the Llama vocabulary: it becomes the four byte tokens <0xF0><0x9F><0xA6><0x99>.
  const auto ids = tok.encode("🦙");
  REQUIRE(ids.size() == 5);  // "▁" + four bytes
  StreamingDecoder dec(tok);
  CHECK(dec.push(ids[0]).empty());  // the leading space encode() added is not output
  CHECK(dec.push(ids[1]).empty());
  CHECK(dec.push(ids[2]).empty());
  CHECK(dec.push(ids[3]).empty());
  CHECK(dec.push(ids[4]) == "🦙");
  CHECK(dec.flush().empty());
}

TEST_CASE("streaming decoder output equals decode() for split multi-byte characters") {
  for (const char* name : {"llama-spm", "gpt-2", "deepseek-llm"}) {
    INFO(name);
    const auto tok = load_vocab(name);
    const auto ids = tok.encode(kMixed);
    bool split_seen = false;
    for (int32_t id : ids) split_seen |= !unicode::is_valid(tok.token_piece(id));
    CHECK(split_seen);  // the text really exercises partial characters
    StreamingDecoder dec(tok);
    std::string streamed;
    for (int32_t id : ids) {
      const std::string part = dec.push(id);
      CHECK(unicode::is_valid(part));
      streamed += part;
    }
    streamed += dec.flush();
    CHECK(streamed == kMixed);
    CHECK(tok.decode(ids) == kMixed);
  }
}

TEST_CASE("streaming decoder flush replaces an unfinished character") {
  const auto tok = load_vocab("llama-spm");
  const auto ids = tok.encode("🦙");
  StreamingDecoder dec(tok);
  std::string out;
  for (size_t i = 0; i + 1 < ids.size(); ++i) out += dec.push(ids[i]);  // stop one byte short
  CHECK(out.empty());
  CHECK(dec.flush() == "\xEF\xBF\xBD");  // one replacement for the truncated character
  // After a flush the decoder starts over.
  for (int32_t id : tok.encode("Hi")) out += dec.push(id);
  CHECK(out + dec.flush() == "Hi");
}

TEST_CASE("control tokens are matched only with parse_special") {
  const auto gpt2 = load_vocab("gpt-2");
  const std::string text = "Hello<|endoftext|>World";
  Tokenizer::EncodeOptions on;
  on.parse_special = true;
  const auto parsed = gpt2.encode(text, on);
  CHECK(parsed == std::vector<int32_t>{15496, 50256, 10603});
  const auto plain = gpt2.encode(text);
  CHECK_FALSE(contains(plain, 50256));
  CHECK(plain.size() > parsed.size());
  CHECK(gpt2.decode(parsed) == text);
  CHECK(gpt2.decode(plain) == text);
  CHECK(gpt2.is_end_of_generation(50256));
  CHECK_FALSE(gpt2.is_end_of_generation(15496));

  const auto starcoder = load_vocab("starcoder");
  const auto fim = starcoder.encode("<fim_prefix>def f():<fim_suffix>", on);
  CHECK(fim.front() == 1);
  CHECK(contains(fim, 3));
  CHECK_FALSE(contains(starcoder.encode("<fim_prefix>def f():<fim_suffix>"), 1));
}

TEST_CASE("SentencePiece: space prefix after special tokens, BOS/EOS options, round trip") {
  const auto tok = load_vocab("llama-spm");
  CHECK(tok.add_bos_by_default());
  CHECK_FALSE(tok.add_eos_by_default());
  Tokenizer::EncodeOptions opts;
  opts.parse_special = true;
  const auto ids = tok.encode("<s>Hello</s>", opts);
  CHECK(ids == std::vector<int32_t>{1, 15043, 2});
  CHECK(tok.decode(ids) == "<s>Hello</s>");
  CHECK_FALSE(contains(tok.encode("<s>Hello</s>"), 1));

  opts = {};
  opts.add_bos = true;
  opts.add_eos = true;
  CHECK(tok.encode("Hello world", opts) == std::vector<int32_t>{1, 15043, 3186, 2});
  CHECK(tok.encode("", opts) == std::vector<int32_t>{1, 2});
  CHECK(tok.encode("").empty());
  CHECK(tok.token_piece(15043) == " Hello");
  CHECK(tok.token_text(15043) == "▁Hello");
  CHECK(tok.token_piece(13) == "\n");  // <0x0A>
  CHECK(tok.is_end_of_generation(2));
}

TEST_CASE("Phi-3 special tokens swallow the whitespace after them") {
  const auto tok = load_vocab("phi-3");
  Tokenizer::EncodeOptions opts;
  opts.parse_special = true;
  const auto ids = tok.encode("<|user|>\nHi<|end|>\n<|assistant|>", opts);
  REQUIRE(ids.size() >= 4);
  CHECK(ids.front() == 32010);
  CHECK(ids.back() == 32001);
  CHECK(contains(ids, 32007));
  CHECK(tok.encode("<|user|>\nHi", opts) == tok.encode("<|user|>Hi", opts));
  CHECK(tok.is_end_of_generation(32007));
  CHECK(tok.is_end_of_generation(32000));
  CHECK(tok.pad_id() == 32000);
  CHECK(tok.eos_id() == 32000);
}

TEST_CASE("user-defined tokens are matched even without parse_special") {
  // DeepSeek LLM lists accented letters as user-defined tokens (100002..): "ü" is 100014.
  const auto tok = load_vocab("deepseek-llm");
  CHECK(tok.encode("Führer") == std::vector<int32_t>{37, 100014, 71, 6245});
}

TEST_CASE("decode(encode(x)) round-trips long and odd inputs") {
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += kMixed + "\n\t  " + std::to_string(i * 7919) + " ";
  const std::string odd[] = {long_text, std::string(5000, ' '), std::string(3000, 'a'), "\n\n\n\r\n",
                             "'s 'LL"};
  for (const char* name : {"llama-spm", "phi-3", "gpt-2", "starcoder", "falcon", "deepseek-llm"}) {
    const auto tok = load_vocab(name);
    for (const auto& text : odd) {
      INFO(name << ": " << text.substr(0, 40));
      CHECK(tok.decode(tok.encode(text)) == text);
    }
  }
}

TEST_CASE("invalid UTF-8 input does not break encoding") {
  const std::string bad = "ok \xFF\xC3 then \xE2\x82";
  const auto spm = load_vocab("llama-spm");
  CHECK(spm.decode(spm.encode(bad)) == bad);  // byte fallback keeps every byte
  const auto bpe = load_vocab("gpt-2");
  CHECK(bpe.decode(bpe.encode(bad)) == unicode::sanitize(bad));  // byte-level BPE sees U+FFFD
}

TEST_CASE("bad token ids are errors, not crashes") {
  const auto tok = load_vocab("gpt-2");
  CHECK_THROWS_AS(tok.decode(std::vector<int32_t>{464, -1}), std::out_of_range);
  CHECK_THROWS_AS(tok.decode(std::vector<int32_t>{tok.n_vocab()}), std::out_of_range);
  CHECK_THROWS_AS(tok.token_piece(tok.n_vocab()), std::out_of_range);
  CHECK_THROWS_AS(tok.token_text(-5), std::out_of_range);
  StreamingDecoder dec(tok);
  CHECK_THROWS_AS(dec.push(1 << 30), std::out_of_range);
  CHECK_FALSE(tok.is_end_of_generation(-1));
}

namespace {

// A copy of the gpt-2 vocabulary's metadata with the pre-tokenizer name replaced (or left out).
std::vector<uint8_t> gpt2_with_pre(const std::string* pre) {
  const auto src = GgufFile::open(glasswing::test::require_shared("tokenizers/ggml-vocab-gpt-2.gguf"));
  GgufBytes b;
  b.str("tokenizer.ggml.model", "gpt2");
  if (pre) b.str("tokenizer.ggml.pre", *pre);
  b.strings("tokenizer.ggml.tokens", src.require_array("tokenizer.ggml.tokens").strings);
  b.strings("tokenizer.ggml.merges", src.require_array("tokenizer.ggml.merges").strings);
  std::vector<int32_t> types;
  for (int64_t t : src.require_array("tokenizer.ggml.token_type").ints)
    types.push_back(static_cast<int32_t>(t));
  b.ints("tokenizer.ggml.token_type", types);
  b.u32("tokenizer.ggml.eos_token_id", 50256);
  return b.bytes();
}

}  // namespace

TEST_CASE("harmony vocabularies (gpt-oss) end a reply at <|return|> or <|call|>, not at <|end|>") {
  const auto src = GgufFile::open(glasswing::test::require_shared("tokenizers/ggml-vocab-gpt-2.gguf"));
  auto tokens = src.require_array("tokenizer.ggml.tokens").strings;
  std::vector<int32_t> types;
  for (int64_t t : src.require_array("tokenizer.ggml.token_type").ints)
    types.push_back(static_cast<int32_t>(t));
  const auto base = static_cast<int32_t>(tokens.size());
  const std::vector<std::string> harmony = {"<|start|>", "<|channel|>", "<|message|>",
                                            "<|end|>",   "<|return|>",  "<|call|>"};
  const auto make = [&](bool with_call) {
    GgufBytes b;
    b.str("tokenizer.ggml.model", "gpt2").str("tokenizer.ggml.pre", "gpt-2");
    auto t = tokens;
    auto ty = types;
    for (const auto& h : harmony) {
      if (h == "<|call|>" && !with_call) continue;
      t.push_back(h);
      ty.push_back(3);  // control
    }
    b.strings("tokenizer.ggml.tokens", t);
    b.strings("tokenizer.ggml.merges", src.require_array("tokenizer.ggml.merges").strings);
    b.ints("tokenizer.ggml.token_type", ty);
    b.u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(base + 4));  // <|return|>
    return b.bytes();
  };
  const auto with = make(true), without = make(false);
  const auto tok = Tokenizer::from_gguf(GgufFile::parse(with));
  CHECK(tok.is_end_of_generation(base + 4));        // <|return|>
  CHECK(tok.is_end_of_generation(base + 5));        // <|call|>
  CHECK_FALSE(tok.is_end_of_generation(base + 3));  // <|end|>: the reasoning channel's end
  // elsewhere (Phi-3's <|end|>, without <|return|> and <|call|>) <|end|> ends the turn
  const auto other = Tokenizer::from_gguf(GgufFile::parse(without));
  CHECK(other.is_end_of_generation(base + 3));
}

TEST_CASE("GLM vocabularies ([gMASK]) end a reply at <|user|> and <|observation|>, others do not") {
  const auto src = GgufFile::open(glasswing::test::require_shared("tokenizers/ggml-vocab-gpt-2.gguf"));
  const auto base = static_cast<int32_t>(src.require_array("tokenizer.ggml.tokens").strings.size());
  const auto make = [&](bool glm) {
    GgufBytes b;
    b.str("tokenizer.ggml.model", "gpt2").str("tokenizer.ggml.pre", "chatglm-bpe");
    auto t = src.require_array("tokenizer.ggml.tokens").strings;
    std::vector<int32_t> ty;
    for (int64_t v : src.require_array("tokenizer.ggml.token_type").ints)
      ty.push_back(static_cast<int32_t>(v));
    for (const char* s : {"<|user|>", "<|observation|>", "<|assistant|>", glm ? "[gMASK]" : "[MASK]"}) {
      t.push_back(s);
      ty.push_back(3);  // control
    }
    b.strings("tokenizer.ggml.tokens", t);
    b.strings("tokenizer.ggml.merges", src.require_array("tokenizer.ggml.merges").strings);
    b.ints("tokenizer.ggml.token_type", ty);
    b.boolean("tokenizer.ggml.add_bos_token", false);  // (as llama.cpp's converter writes chatglm's)
    return b.bytes();
  };
  const auto glm = Tokenizer::from_gguf(GgufFile::parse(make(true)));
  CHECK(glm.is_end_of_generation(base));      // <|user|>
  CHECK(glm.is_end_of_generation(base + 1));  // <|observation|>
  CHECK_FALSE(glm.is_end_of_generation(base + 2));
  CHECK(glm.encode("[gMASK]<|user|>", {.add_bos = glm.add_bos_by_default(), .parse_special = true}) ==
        std::vector<int32_t>{base + 3, base});  // (specials parsed, no BOS)
  const auto other = Tokenizer::from_gguf(GgufFile::parse(make(false)));
  CHECK_FALSE(other.is_end_of_generation(base));
  CHECK_FALSE(other.is_end_of_generation(base + 1));
}

TEST_CASE("unknown pre-tokenizer falls back to 'default' with a warning") {
  const std::string name = "no-such-pre";
  const auto bytes = gpt2_with_pre(&name);
  const auto tok = Tokenizer::from_gguf(GgufFile::parse(bytes));
  CHECK(tok.pre_tokenizer() == "default");
  REQUIRE(tok.warnings().size() == 1);
  CHECK_THAT(tok.warnings()[0], Catch::Contains("no-such-pre") && Catch::Contains("default"));
  // It still tokenizes; "default" isolates punctuation, so "Hello, world" keeps its usual words.
  CHECK(tok.encode("Hello, world") == std::vector<int32_t>{15496, 11, 995});
  CHECK(tok.decode(tok.encode(kMixed)) == kMixed);

  const auto missing = gpt2_with_pre(nullptr);
  const auto tok2 = Tokenizer::from_gguf(GgufFile::parse(missing));
  CHECK(tok2.pre_tokenizer() == "default");
  REQUIRE(tok2.warnings().size() == 1);
  CHECK_THAT(tok2.warnings()[0], Catch::Contains("tokenizer.ggml.pre"));
}

TEST_CASE("missing or invalid tokenizer metadata is a clear error") {
  auto load = [](const GgufBytes& b) {
    const auto bytes = b.bytes();
    return Tokenizer::from_gguf(GgufFile::parse(bytes));
  };
  const std::vector<std::string> toks = {"<unk>", "<s>", "</s>", "a", "b", "ab"};
  const std::vector<float> scores = {0, 0, 0, -1, -2, -3};

  CHECK_THROWS_WITH(load(GgufBytes().str("general.architecture", "llama")),
                    Catch::Contains("tokenizer.ggml.model"));
  CHECK_THROWS_WITH(load(GgufBytes().str("tokenizer.ggml.model", "llama")),
                    Catch::Contains("tokenizer.ggml.tokens"));
  CHECK_THROWS_WITH(
      load(GgufBytes().str("tokenizer.ggml.model", "bert").strings("tokenizer.ggml.tokens", toks)),
      Catch::Contains("bert"));
  CHECK_THROWS_WITH(
      load(GgufBytes().str("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", toks)),
      Catch::Contains("tokenizer.ggml.merges"));
  CHECK_THROWS_WITH(load(GgufBytes()
                             .str("tokenizer.ggml.model", "llama")
                             .strings("tokenizer.ggml.tokens", toks)
                             .floats("tokenizer.ggml.scores", {0, 1})),
                    Catch::Contains("tokenizer.ggml.scores"));
  CHECK_THROWS_WITH(
      load(GgufBytes().str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {})),
      Catch::Contains("empty"));
  CHECK_THROWS_WITH(load(GgufBytes().str("tokenizer.ggml.model", "llama").u32("tokenizer.ggml.tokens", 3)),
                    Catch::Contains("tokenizer.ggml.tokens"));

  // A minimal valid SentencePiece vocabulary; an out-of-range BOS id is a warning, not an error.
  const auto tok = load(GgufBytes()
                            .str("tokenizer.ggml.model", "llama")
                            .strings("tokenizer.ggml.tokens", toks)
                            .floats("tokenizer.ggml.scores", scores)
                            .ints("tokenizer.ggml.token_type", {2, 3, 3, 1, 1, 1})
                            .u32("tokenizer.ggml.bos_token_id", 99)
                            .boolean("tokenizer.ggml.add_space_prefix", false));
  CHECK(tok.encode("abab") == std::vector<int32_t>{5, 5});
  CHECK(tok.bos_id() == 1);  // default kept
  bool warned = false;
  for (const auto& w : tok.warnings()) warned |= w.find("bos_token_id") != std::string::npos;
  CHECK(warned);
}

namespace {
// A SentencePiece ("llama") vocabulary of a, b, c, ab and bc, with or without scores (bc over ab when it has
// them), without the space prefix (as Baichuan2's model says)
std::vector<uint8_t> abc_vocab(bool with_scores) {
  GgufBytes b;
  b.str("tokenizer.ggml.model", "llama")
      .strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a", "b", "c", "ab", "bc"})
      .ints("tokenizer.ggml.token_type", {2, 3, 3, 1, 1, 1, 1, 1})
      .u32("tokenizer.ggml.bos_token_id", 1)
      .u32("tokenizer.ggml.eos_token_id", 2)
      .u32("tokenizer.ggml.unknown_token_id", 0)
      .boolean("tokenizer.ggml.add_space_prefix", false);
  if (with_scores) b.floats("tokenizer.ggml.scores", {0, 0, 0, -1, -1, -1, 1, 5});
  return b.bytes();
}
}  // namespace

TEST_CASE("a llama vocabulary without scores merges the leftmost pair first, as llama.cpp does (XVERSE)") {
  // XVERSE's converter writes its tokenizer.json's tokens as a "llama" vocabulary without scores: llama.cpp
  // then takes every score as 0, so of pairs in the vocabulary the leftmost merges first
  const auto scored_bytes = abc_vocab(true), unscored_bytes = abc_vocab(false);
  const Tokenizer scored = Tokenizer::from_gguf(GgufFile::parse(scored_bytes));
  const Tokenizer unscored = Tokenizer::from_gguf(GgufFile::parse(unscored_bytes));
  CHECK(scored.encode("abc") == std::vector<int32_t>{3, 7});    // a, bc (bc's score over ab's)
  CHECK(unscored.encode("abc") == std::vector<int32_t>{6, 5});  // ab, c (a tie: leftmost)
  CHECK(unscored.decode(unscored.encode("abcab")) == "abcab");
}
