// Gemma 4 (`tokenizer.ggml.model = gemma4`) on a hand-made vocabulary: BPE by merge rank over raw UTF-8
// characters with spaces written as U+2581, a split only at runs of newlines, <0xNN> byte fallback, BOS
// always added. Every expected id list below is worked out by hand from kMerges (the comments show the
// merge order), so a change to any of those rules fails a check.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <stdexcept>

#include "inference/gguf/gguf_file.h"
#include "inference/tokenizer/streaming_decoder.h"
#include "inference/tokenizer/tokenizer.h"
#include "inference/tokenizer/unicode.h"
#include "tests/tokenizer/gguf_bytes.h"

namespace {

using glasswing::gguf::GgufFile;
using glasswing::test::GgufBytes;
using glasswing::tokenizer::StreamingDecoder;
using glasswing::tokenizer::Tokenizer;
using glasswing::tokenizer::TokenType;
using Ids = std::vector<int32_t>;

// Ids of the vocabulary built by gemma4_vocab().
enum : int32_t {
  kPad = 0,
  kEos = 1,
  kBos = 2,
  kUnk = 3,
  kTurnOpen = 4,   // <|turn>   (control)
  kTurnClose = 5,  // <turn|>   (control)
  kChannel = 6,    // <|channel> (user-defined, as Gemma 4 files mark it)
  kByte0 = 7,      // <0x00> .. <0xFF> are 7 .. 262
  kSp = 263,       // ▁
  kSpSp,           // ▁▁
  kNl,             // \n
  kNlNl,           // \n\n
  kNl3,            // \n\n\n
  kH,
  kE,
  kL,
  kO,
  kW,
  kR,
  kD,
  kB,
  kUml,  // ü
  kLl,
  kHe,
  kHell,
  kHello,
  kSpW,  // ▁w
  kOr,
  kSpWor,
  kSpWorl,
  kSpWorld,
  kLo,
  kOw,
  kUmlB,  // üb
  kDNl,   // d\n
  kVocabSize
};

int32_t byte_id(uint8_t b) {
  return kByte0 + b;
}

// Best first. "▁ w" (4) outranks "▁ ▁" (9), and "o w" (11) outranks "l o" (12) although "lo" has the
// higher score: only the rank may decide.
const std::vector<std::string> kMerges = {
    "l l",      // 0
    "h e",      // 1
    "he ll",    // 2
    "hell o",   // 3
    "▁ w",      // 4
    "o r",      // 5
    "▁w or",    // 6
    "▁wor l",   // 7
    "▁worl d",  // 8
    "▁ ▁",      // 9
    "\n \n",    // 10
    "o w",      // 11
    "l o",      // 12
    "ü b",      // 13
    "d \n",     // 14: never used, since text is cut at newlines before merging
};

std::vector<uint8_t> gemma4_vocab(bool add_bos_key = false, const char* model = "gemma4") {
  std::vector<std::string> tokens = {"<pad>", "<eos>", "<bos>", "<unk>", "<|turn>", "<turn|>", "<|channel>"};
  std::vector<int32_t> types = {3, 3, 3, 2, 3, 3, 4};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    tokens.push_back(name);
    types.push_back(6);
  }
  for (const char* t :
       {"▁",  "▁▁", "\n",   "\n\n",  "\n\n\n", "h",  "e",    "l",     "o",      "w",  "r",  "d",  "b",  "ü",
        "ll", "he", "hell", "hello", "▁w",     "or", "▁wor", "▁worl", "▁world", "lo", "ow", "üb", "d\n"}) {
    tokens.push_back(t);
    types.push_back(1);
  }
  REQUIRE(tokens.size() == static_cast<size_t>(kVocabSize));
  std::vector<float> scores(tokens.size(), 0.0f);
  scores[kLo] = 10.0f;  // a score-driven (SentencePiece "llama") merge would pick "lo" first
  GgufBytes b;
  b.str("tokenizer.ggml.model", model)
      .strings("tokenizer.ggml.tokens", tokens)
      .floats("tokenizer.ggml.scores", scores)
      .ints("tokenizer.ggml.token_type", types)
      .strings("tokenizer.ggml.merges", kMerges)
      .u32("tokenizer.ggml.bos_token_id", kBos)
      .u32("tokenizer.ggml.eos_token_id", kEos)
      .u32("tokenizer.ggml.unknown_token_id", kUnk)
      .u32("tokenizer.ggml.padding_token_id", kPad)
      .boolean("tokenizer.ggml.add_space_prefix", false);
  if (add_bos_key) b.boolean("tokenizer.ggml.add_bos_token", false);  // Gemma 4 overrides this
  return b.bytes();
}

Tokenizer load(const std::vector<uint8_t>& bytes) {
  return Tokenizer::from_gguf(GgufFile::parse(bytes));
}

Tokenizer::EncodeOptions special() {
  Tokenizer::EncodeOptions o;
  o.parse_special = true;
  return o;
}

std::string stream(const Tokenizer& tok, const Ids& ids) {
  StreamingDecoder dec(tok);
  std::string out;
  for (int32_t id : ids) {
    const std::string part = dec.push(id);
    CHECK(glasswing::tokenizer::unicode::is_valid(part));
    out += part;
  }
  return out + dec.flush();
}

}  // namespace

TEST_CASE("gemma4: loads as BPE with the gemma4 pre-tokenizer and no warnings") {
  const auto bytes = gemma4_vocab();
  const auto tok = load(bytes);
  CHECK(tok.kind() == "bpe");
  CHECK(tok.pre_tokenizer() == "gemma4");
  CHECK(tok.warnings().empty());  // every merge names tokens; no tokenizer.ggml.pre is needed
  CHECK(tok.n_vocab() == kVocabSize);
  CHECK(tok.bos_id() == kBos);
  CHECK(tok.eos_id() == kEos);
  CHECK(tok.is_end_of_generation(kEos));
  CHECK(tok.is_end_of_generation(kTurnClose));
  CHECK_FALSE(tok.is_end_of_generation(kTurnOpen));
}

TEST_CASE("gemma4: BOS is added by default even when the file says add_bos_token = false") {
  const auto bytes = gemma4_vocab(/*add_bos_key=*/true);
  const auto tok = load(bytes);
  CHECK(tok.add_bos_by_default());
  Tokenizer::EncodeOptions o;
  o.add_bos = tok.add_bos_by_default();
  CHECK(tok.encode("hello", o) == Ids{kBos, kHello});
}

TEST_CASE("gemma4: words and spaces merge by rank over U+2581") {
  const auto bytes = gemma4_vocab();
  const auto tok = load(bytes);
  // "hello▁world": l+l(0), h+e(1), he+ll(2), hell+o(3), ▁+w(4), o+r(5), ▁w+or(6), +l(7), +d(8).
  CHECK(tok.encode("hello world") == Ids{kHello, kSpWorld});
  // "▁hello▁▁world▁": no merge "▁ h", so the leading ▁ stays alone; ▁+w (4) is taken before ▁+▁ (9),
  // which leaves the middle ▁ and the trailing ▁ alone.
  CHECK(tok.encode(" hello  world ") == Ids{kSp, kHello, kSp, kSpWorld, kSp});
  // "hello▁▁▁world": ▁+w (4) first, then the two ▁ left of it pair up (9).
  CHECK(tok.encode("hello   world") == Ids{kHello, kSpSp, kSpWorld});
  CHECK(tok.encode(" ") == Ids{kSp});
  CHECK(tok.encode("  ") == Ids{kSpSp});
  // "low": o+w (11) outranks l+o (12), whatever the scores say.
  CHECK(tok.encode("low") == Ids{kL, kOw});
  // "über": merges work on whole characters (ü is two bytes): ü+b (13).
  CHECK(tok.encode("über") == Ids{kUmlB, kE, kR});
  // A tab is not a space: it is no token, so it falls back to its byte.
  CHECK(tok.encode("\thello") == Ids{byte_id('\t'), kHello});
}

TEST_CASE("gemma4: runs of newlines are cut from the text, and taken whole when they are a token") {
  const auto bytes = gemma4_vocab();
  const auto tok = load(bytes);
  // "world" alone: only o+r applies ("▁w" needs the ▁); "d \n" cannot apply across the cut.
  CHECK(tok.encode("world\n") == Ids{kW, kOr, kL, kD, kNl});
  CHECK(tok.encode("\n") == Ids{kNl});
  // "\n\n\n" is a token: taken whole, not merged into "\n\n" + "\n".
  CHECK(tok.encode("hello\n\n\nworld") == Ids{kHello, kNl3, kW, kOr, kL, kD});
  // "\n\n\n\n" is no token: merged, leftmost pair first (10), then the remaining pair (10).
  CHECK(tok.encode("\n\n\n\n") == Ids{kNlNl, kNlNl});
  // Spaces before and after a newline stay on their own lines' side.
  CHECK(tok.encode("hello \n world") == Ids{kHello, kSp, kNl, kSpWorld});
}

TEST_CASE("gemma4: characters outside the vocabulary fall back to <0xNN> byte tokens") {
  const auto bytes = gemma4_vocab();
  const auto tok = load(bytes);
  // é = C3 A9; 🦙 = F0 9F A6 99.
  CHECK(tok.encode("hé") == Ids{kH, byte_id(0xC3), byte_id(0xA9)});
  CHECK(tok.encode("hello 🦙") ==
        Ids{kHello, kSp, byte_id(0xF0), byte_id(0x9F), byte_id(0xA6), byte_id(0x99)});
  CHECK(tok.token_piece(byte_id(0x0A)) == "\n");
  CHECK(tok.token_piece(byte_id(0xF0)) == "\xF0");
  CHECK(tok.token_piece(kSpWorld) == " world");
  CHECK(tok.token_text(kSpWorld) == "▁world");
}

TEST_CASE("gemma4: special tokens inside text") {
  const auto bytes = gemma4_vocab();
  const auto tok = load(bytes);
  // No space is added after a special token, and none is removed.
  CHECK(tok.encode("<|turn>hello world<turn|>\n", special()) ==
        Ids{kTurnOpen, kHello, kSpWorld, kTurnClose, kNl});
  CHECK(tok.encode("<bos><|turn> hello<turn|>", special()) == Ids{kBos, kTurnOpen, kSp, kHello, kTurnClose});
  // Control tokens only with parse_special: otherwise "<|turn>" is spelled out (here as bytes).
  const auto plain = tok.encode("<|turn>hello");
  CHECK(plain.size() == 8);  // < | t u r n > as bytes (only "r" is a token), then hello
  CHECK(std::find(plain.begin(), plain.end(), kTurnOpen) == plain.end());
  CHECK(tok.decode(plain) == "<|turn>hello");
  // User-defined tokens are matched even without parse_special, and decode as their text.
  CHECK(tok.encode("hello<|channel>world") == Ids{kHello, kChannel, kW, kOr, kL, kD});
  CHECK(tok.decode(Ids{kTurnOpen, kChannel, kTurnClose}) == "<|turn><|channel><turn|>");
}

TEST_CASE("gemma4: decode and the streaming decoder give the text back exactly") {
  const auto bytes = gemma4_vocab();
  const auto tok = load(bytes);
  const std::string texts[] = {"hello world",
                               " hello  world ",
                               "hello   world",
                               "low über",
                               "world\n",
                               "hello\n\n\nworld\n\n\n\n",
                               "hello \n world",
                               "hé 🦙 done\t!",
                               "<|turn>hello world<turn|>\n<|turn>  hello<|channel>",
                               "   ",
                               "\n"};
  for (const auto& text : texts) {
    INFO(text);
    const auto ids = tok.encode(text, special());
    CHECK(tok.decode(ids) == text);
    CHECK(stream(tok, ids) == text);
  }
  // BOS decodes as its text, and the text after it keeps its leading space.
  Tokenizer::EncodeOptions o = special();
  o.add_bos = true;
  CHECK(tok.decode(tok.encode(" hello", o)) == "<bos> hello");
}

TEST_CASE("gemma4: the streaming decoder assembles a character from its byte tokens") {
  const auto bytes = gemma4_vocab();
  const auto tok = load(bytes);
  const Ids ids = {kHello, kSp, byte_id(0xF0), byte_id(0x9F), byte_id(0xA6), byte_id(0x99), kSpWorld};
  StreamingDecoder dec(tok);
  CHECK(dec.push(ids[0]) == "hello");
  CHECK(dec.push(ids[1]) == " ");
  CHECK(dec.push(ids[2]).empty());
  CHECK(dec.push(ids[3]).empty());
  CHECK(dec.push(ids[4]).empty());
  CHECK(dec.push(ids[5]) == "🦙");
  CHECK(dec.push(ids[6]) == " world");
  CHECK(dec.flush().empty());
}

TEST_CASE("gemma4: an unknown tokenizer model is refused with the supported list") {
  const auto bytes = gemma4_vocab(false, "gemma5");
  CHECK_THROWS_WITH(load(bytes), Catch::Contains("'gemma5'") && Catch::Contains("llama, gpt2, gemma4"));
  // gemma4 needs its merges, like gpt2.
  GgufBytes b;
  b.str("tokenizer.ggml.model", "gemma4").strings("tokenizer.ggml.tokens", {"<bos>", "a"});
  const auto no_merges = b.bytes();
  CHECK_THROWS_WITH(load(no_merges), Catch::Contains("tokenizer.ggml.merges"));
}
