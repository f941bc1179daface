// Every reference case of ../shared/tokenizers: the ids must equal the .out line exactly (no BOS, special
// tokens not parsed), and decoding the ids must give the text back.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "inference/gguf/gguf_file.h"
#include "inference/tokenizer/tokenizer.h"
#include "tests/test_support.h"

namespace {

using glasswing::tokenizer::Tokenizer;

struct Case {
  std::string text;
  std::vector<int32_t> ids;
};

// .inp: texts each followed by "\n__ggml_vocab_test__\n"; .out: one line of ids per text.
std::vector<Case> load_cases(const std::string& vocab) {
  const auto base = glasswing::test::require_shared("tokenizers/ggml-vocab-" + vocab + ".gguf");
  const std::string inp = glasswing::test::read_file(base.string() + ".inp");
  const std::string out = glasswing::test::read_file(base.string() + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<Case> cases;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t end = inp.find(sep, pos);
    REQUIRE(end != std::string::npos);
    cases.push_back({inp.substr(pos, end - pos), {}});
    pos = end + sep.size();
  }
  std::istringstream lines(out);
  std::string line;
  for (auto& c : cases) {
    REQUIRE(std::getline(lines, line));
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) c.ids.push_back(id);
  }
  REQUIRE(cases.size() > 40);
  return cases;
}

void check_vocab(const std::string& vocab) {
  const auto cases = load_cases(vocab);
  const auto file = glasswing::gguf::GgufFile::open(glasswing::test::shared_dir() /
                                                    ("tokenizers/ggml-vocab-" + vocab + ".gguf"));
  const auto tok = Tokenizer::from_gguf(file);
  CHECK(tok.warnings().empty());
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(vocab << " case " << i << ": \"" << cases[i].text << "\"");
    const auto ids = tok.encode(cases[i].text);
    CHECK(ids == cases[i].ids);
    CHECK(tok.decode(ids) == cases[i].text);
  }
}

}  // namespace

TEST_CASE("reference cases: llama-spm") {
  check_vocab("llama-spm");
}
TEST_CASE("reference cases: phi-3") {
  check_vocab("phi-3");
}
TEST_CASE("reference cases: gpt-2") {
  check_vocab("gpt-2");
}
TEST_CASE("reference cases: starcoder") {
  check_vocab("starcoder");
}
TEST_CASE("reference cases: falcon") {
  check_vocab("falcon");
}
TEST_CASE("reference cases: deepseek-llm") {
  check_vocab("deepseek-llm");
}

TEST_CASE("stories260K prompt with BOS matches the reference logits' token ids") {
  const auto file =
      glasswing::gguf::GgufFile::open(glasswing::test::require_shared("models/stories260K.gguf"));
  const auto tok = Tokenizer::from_gguf(file);
  CHECK(tok.kind() == "spm");
  CHECK(tok.n_vocab() == 512);
  CHECK(tok.add_bos_by_default());
  CHECK(tok.warnings().empty());
  const std::string text =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun.";
  const std::vector<int32_t> expected = {1,   403, 407, 261, 378, 432, 383, 286, 261, 376, 298,
                                         315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410,
                                         408, 419, 292, 411, 322, 265, 262, 379, 426};
  Tokenizer::EncodeOptions opts;
  opts.add_bos = true;
  CHECK(tok.encode(text, opts) == expected);
  CHECK(tok.decode(std::vector<int32_t>(expected.begin() + 1, expected.end())) == text);
}

TEST_CASE("synth-gpt2 prompt matches the reference logits' token ids") {
  const auto file = glasswing::gguf::GgufFile::open(
      glasswing::test::require_shared("models/synthetic/synth-gpt2-Q8_0.gguf"));
  const auto tok = Tokenizer::from_gguf(file);
  CHECK(tok.kind() == "bpe");
  CHECK(tok.pre_tokenizer() == "gpt-2");
  CHECK_FALSE(tok.add_bos_by_default());
  const std::string text = "The quick brown fox jumps over the lazy dog. Attention is all you need!";
  const std::vector<int32_t> expected = {464,  2068, 7586,  21831, 18045, 625, 262, 16931,
                                         3290, 13,   47406, 318,   477,   345, 761, 0};
  CHECK(tok.encode(text) == expected);
  CHECK(tok.decode(expected) == text);
}
