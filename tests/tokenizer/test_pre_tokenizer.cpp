// The pre-tokenizer table: every listed regex compiles and splits text into contiguous pieces, and the
// families not covered by ../shared vocabularies split the way their tokenizer.json regexes do.
#include <catch2/catch.hpp>

#include "inference/tokenizer/pre_tokenizer.h"

namespace {

using glasswing::tokenizer::find_pre_tokenizer;
using glasswing::tokenizer::RegexSplitter;

std::vector<std::string> words(const std::string& pre, const std::string& text) {
  const auto* spec = find_pre_tokenizer(pre);
  REQUIRE(spec != nullptr);
  RegexSplitter splitter(spec->regexes);
  std::vector<std::pair<size_t, size_t>> pieces;
  splitter.split(text, pieces);
  std::vector<std::string> out;
  for (const auto& [off, len] : pieces) out.push_back(text.substr(off, len));
  return out;
}

using W = std::vector<std::string>;

}  // namespace

TEST_CASE("every known pre-tokenizer compiles and covers the text exactly") {
  const std::string text =
      "Hello, WORLD's 12345 naïve   ünïcödé\n\n\tcode(){ return x+1; } 世界 안녕 🦙!";
  for (const auto& name : glasswing::tokenizer::known_pre_tokenizers()) {
    INFO(name);
    const auto* spec = find_pre_tokenizer(name);
    REQUIRE(spec != nullptr);
    RegexSplitter splitter(spec->regexes);
    std::vector<std::pair<size_t, size_t>> pieces;
    splitter.split(text, pieces);
    size_t expect = 0;
    for (const auto& [off, len] : pieces) {
      CHECK(off == expect);
      CHECK(len > 0);
      expect = off + len;
    }
    CHECK(expect == text.size());
  }
  CHECK(find_pre_tokenizer("no-such-pre") == nullptr);
}

TEST_CASE("pre-tokenizer families split like their reference regexes") {
  // GPT-2: lower-case contractions only, digit runs kept whole with their leading space.
  CHECK(words("gpt-2", "HE'S he's 12345") == W{"HE", "'", "S", " he", "'s", " 12345"});
  // Llama 3: contractions in any case, digits in groups of three, punctuation glued to the next letter run.
  CHECK(words("llama-bpe", "HE'S 12345 (x)") == W{"HE", "'S", " ", "123", "45", " (", "x", ")"});
  CHECK(find_pre_tokenizer("llama-bpe")->ignore_merges);
  CHECK(find_pre_tokenizer("llama3")->add_bos);
  // Qwen 2: single digits.
  CHECK(words("qwen2", "a 123") == W{"a", " ", "1", "2", "3"});
  // DeepSeek Coder: newlines alone, letters with one optional leading space, digits one by one.
  CHECK(words("deepseek-coder", "ab\n 12") == W{"ab", "\n", " ", "1", "2"});
  // Starcoder / refact: every digit its own piece.
  CHECK(words("refact", "x 42") == W{"x", " ", "4", "2"});
  // StarCoder, SantaCoder, WizardCoder ("starcoder"): digits cut off first, one by one, then GPT-2's split
  // (the space before a number stays alone)
  CHECK(words("starcoder", "def f(x): return 42") ==
        W{"def", " f", "(", "x", "):", " return", " ", "4", "2"});
  // OLMo ("olmo"): GPT-2's split, digit runs whole with their leading space
  CHECK(words("olmo", "HE'S he's 12345") == W{"HE", "'", "S", " he", "'s", " 12345"});
  // BLOOM, BLOOMZ ("bloom", Poro's regex): a word with the space before it; punctuation, brackets and the
  // space that no word follows stay between the words as the text has them
  CHECK(words("bloom", "Hello, world. (x)") == W{"Hello", ",", " world", ". (", "x", ")"});
  CHECK(words("bloom", "a  b") == W{"a", " ", " b"});
  // MPT and GPT-NeoX use the GPT-2 regex.
  CHECK(words("mpt", "a  b") == words("gpt-2", "a  b"));
  CHECK(words("gpt-neox", "a  b") == W{"a", " ", " b"});
  CHECK(words("phi-2", "don't") == W{"don", "'t"});
  // Seed-Coder / Seed-OSS: as Qwen 2, but a punctuation run leaves the newlines after it on their own.
  CHECK(words("seed-coder", "a.\n\nb 12") == W{"a", ".", "\n\n", "b", " ", "1", "2"});
  CHECK(words("qwen2", "a.\n\nb") == W{"a", ".\n\n", "b"});
  // Ling (bailingmoe): contractions in any case, single digits.
  CHECK(words("bailingmoe2", "HE'S 12") == W{"HE", "'S", " ", "1", "2"});
  // Kimi K2: Han runs on their own, never inside a letter run (o200k's regex keeps "AI模型" whole); words
  // keep their contraction, digits in threes.
  CHECK(words("kimi-k2", "Hello世界 don't 12345") == W{"Hello", "世界", " don't", " ", "123", "45"});
  CHECK(words("kimi-k2", "AI模型") == W{"AI", "模型"});
  CHECK(words("gpt-4o", "AI模型") == W{"AI模型"});
  // Qwen 3.5: a combining mark stays in its word (Qwen 2 splits it off as punctuation)
  CHECK(words("qwen35", "cafe\u0301 ok 12") == W{"cafe\u0301", " ok", " ", "1", "2"});
  CHECK(words("qwen2", "cafe\u0301 ok") == W{"cafe", "\u0301", " ok"});
  // Arcee Trinity (afmoe): digit runs cut from the right into threes, CJK and Hangul runs apart, an ASCII
  // punctuation mark glued to the letters after it
  CHECK(words("afmoe", "Hello, world 1234567 \ud55c\uad6d\uc5b4.txt \n") ==
        W{"Hello", ",", " world", " ", "1", "234", "567", " ", "\ud55c\uad6d\uc5b4", ".txt", " \n"});
  CHECK(words("afmoe", "x12345 999") == W{"x", "12", "345", " ", "999"});
  CHECK(words("afmoe", "AI\u6a21\u578b") == W{"AI", "\u6a21\u578b"});
  // K-EXAONE (exaone-moe): letters run on across single spaces, not two; single digits; one newline glued to
  // the punctuation before it
  CHECK(words("exaone-moe", "Hello big world, 42 ok.\n") ==
        W{"Hello big world", ",", " ", "4", "2", " ok", ".\n"});
  CHECK(words("exaone-moe", "a  b cafe\u0301 x") == W{"a", " ", " b cafe\u0301 x"});
  // Cohere's Tiny Aya / North: digits in threes from the right where the run ends a word (ASCII \b), then
  // GPT-4o's split (threes from the left)
  CHECK(words("tiny_aya", "x12345 1234abc 2024\u5e74") ==
        W{"x", "12", "345", " ", "123", "4", "abc", " ", "2", "024", "\u5e74"});
  CHECK(words("cohere2moe", "1234567") == W{"1", "234", "567"});
  CHECK(words("gpt-4o", "1234567") == W{"123", "456", "7"});
  // aliases of families above, as llama.cpp maps them
  CHECK(words("hunyuan", "a.\n\nb 12") == words("qwen2", "a.\n\nb 12"));
  CHECK(words("hunyuan-dense", "x 12345") == words("deepseek-v3", "x 12345"));
  CHECK(words("minimax-m2", "AI模型 don't") == words("gpt-4o", "AI模型 don't"));
  // Gemma 4: only runs of newlines are cut off (spaces, tabs and \r stay in the line); SentencePiece-style
  // pieces and a forced BOS.
  CHECK(words("gemma4", "a b\t\r\n\nc  d\n") == W{"a b\t\r", "\n\n", "c  d", "\n"});
  CHECK(find_pre_tokenizer("gemma4")->spm_style);
  CHECK(find_pre_tokenizer("gemma4")->force_bos);
  CHECK_FALSE(find_pre_tokenizer("gpt-2")->spm_style);
}

TEST_CASE("chatglm-bpe (GLM-4-9B-Chat) and qwen2 (Qwen 1's files) split by hand") {
  // GLM-4's tokenizer (llama.cpp's CHATGLM4): contractions in any case, digits in groups of three, a letter
  // run taking one non-letter before it (so CJK punctuation joins the next run), newlines kept apart
  CHECK(words("chatglm-bpe", "I'M a 12345") == W{"I", "'M", " a", " ", "123", "45"});
  CHECK(words("chatglm-bpe", "你好，世界!\n\nok") == W{"你好", "，世界", "!\n\n", "ok"});
  CHECK(words("chatglm-bpe", "x  y") == W{"x", " ", " y"});
  CHECK(words("glm4", "a 1234") == words("chatglm-bpe", "a 1234"));
  // Qwen (1): its tiktoken pattern is Qwen 2's (single digits), and llama.cpp's converter names it qwen2
  CHECK(words("qwen2", "I'M 2024年") == W{"I", "'M", " ", "2", "0", "2", "4", "年"});
}
