// Every GGUF file in ../shared parses, says what ../shared/README.md says it holds, and survives a copy
// through GgufWriter unchanged.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "inference/gguf/gguf_file.h"
#include "inference/gguf/gguf_writer.h"
#include "tests/test_support.h"

using namespace glasswing::gguf;
using glasswing::test::require_shared;

namespace {

uint64_t n_params(const GgufFile& f) {
  uint64_t n = 0;
  for (const auto& t : f.tensors()) n += t.n_elements;
  return n;
}

std::set<std::string> type_names(const GgufFile& f) {
  std::set<std::string> s;
  for (const auto& t : f.tensors()) s.insert(ggml_type_name(t.type));
  return s;
}

// Tensor data must tile the data section in file order without gaps beyond alignment padding.
void check_layout(const GgufFile& f) {
  uint64_t end = 0;
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : f.tensors()) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (const TensorInfo* t : by_offset) {
    INFO(t->name);
    CHECK(t->offset >= end);
    CHECK(t->offset - end < f.alignment());
    CHECK(t->data == f.tensors().front().data - f.tensors().front().offset + t->offset);
    end = t->offset + t->n_bytes;
  }
  CHECK(f.data_offset() + end <= f.file_size());
}

}  // namespace

TEST_CASE("stories260K is llama with 48 tensors and 292800 parameters", "[gguf][shared]") {
  const auto f = GgufFile::open(require_shared("models/stories260K.gguf"));
  CHECK(f.version() == 3);
  CHECK(f.architecture() == "llama");
  CHECK(f.tensors().size() == 48);
  CHECK(n_params(f) == 292800);
  CHECK(f.require_uint("llama.embedding_length") == 64);
  CHECK(f.require_uint("llama.block_count") == 5);
  CHECK(f.require_uint("llama.attention.head_count") == 8);
  CHECK(f.require_uint("llama.attention.head_count_kv") == 4);
  CHECK(f.require_uint("llama.feed_forward_length") == 172);
  CHECK(f.require_uint("llama.rope.dimension_count") == 8);
  CHECK(f.require_array("tokenizer.ggml.tokens").size() == 512);
  CHECK(f.find("tokenizer.chat_template") == nullptr);
  CHECK(type_names(f) == std::set<std::string>{"f32"});
  const TensorInfo& emb = f.require_tensor("token_embd.weight");
  CHECK(emb.dims == std::vector<uint64_t>{64, 512});
  check_layout(f);
}

TEST_CASE("the synthetic models hold the architecture and quant mix their names say", "[gguf][shared]") {
  struct Expect {
    const char* file;
    const char* arch;
    uint64_t n_embd, n_layers, n_heads, n_kv_heads, n_ff, n_vocab;
    std::set<std::string> types;  // besides f32 norms
  };
  const Expect expect[] = {
      {"synth-llama-F16.gguf", "llama", 256, 4, 8, 4, 768, 512, {"f16"}},
      {"synth-llama-Q8_0.gguf", "llama", 256, 4, 8, 4, 768, 512, {"q8_0"}},
      {"synth-llama-Q4_0.gguf", "llama", 256, 4, 8, 4, 768, 512, {"q4_0"}},
      {"synth-llama-Q4_1.gguf", "llama", 256, 4, 8, 4, 768, 512, {"q4_1"}},
      {"synth-llama-Q5_0.gguf", "llama", 256, 4, 8, 4, 768, 512, {"q5_0"}},
      {"synth-llama-Q5_1.gguf", "llama", 256, 4, 8, 4, 768, 512, {"q5_1"}},
      {"synth-llama-Q2_K.gguf", "llama", 256, 4, 8, 4, 768, 512, {"q2_K"}},
      {"synth-llama-Q3_K_M.gguf", "llama", 256, 4, 8, 4, 768, 512, {"q3_K"}},
      {"synth-llama-Q4_K_M.gguf", "llama", 256, 4, 8, 4, 768, 512, {"q4_K", "q6_K"}},
      {"synth-llama-Q5_K_M.gguf", "llama", 256, 4, 8, 4, 768, 512, {"q5_K", "q6_K"}},
      {"synth-llama-Q6_K.gguf", "llama", 256, 4, 8, 4, 768, 512, {"q6_K"}},
      {"synth-qwen2-f32.gguf", "qwen2", 256, 3, 8, 2, 768, 512, {}},
      {"synth-qwen2-Q8_0.gguf", "qwen2", 256, 3, 8, 2, 768, 512, {"q8_0"}},
      {"synth-qwen2-Q4_K_M.gguf", "qwen2", 256, 3, 8, 2, 768, 512, {"q4_K", "q6_K"}},
      {"synth-gpt2-Q8_0.gguf", "gpt2", 128, 3, 4, 4, 512, 50257, {"q8_0"}},
  };
  for (const auto& e : expect) {
    INFO(e.file);
    const auto f = GgufFile::open(require_shared(std::string("models/synthetic/") + e.file));
    const std::string a = e.arch;
    CHECK(f.architecture() == a);
    CHECK(f.alignment() == 32);
    CHECK(f.require_uint(a + ".embedding_length") == e.n_embd);
    CHECK(f.require_uint(a + ".block_count") == e.n_layers);
    CHECK(f.require_uint(a + ".attention.head_count") == e.n_heads);
    CHECK(f.get_uint(a + ".attention.head_count_kv").value_or(e.n_heads) == e.n_kv_heads);
    CHECK(f.require_uint(a + ".feed_forward_length") == e.n_ff);
    CHECK(f.require_array("tokenizer.ggml.tokens").size() == e.n_vocab);
    std::set<std::string> types = type_names(f);
    types.erase("f32");
    for (const auto& t : e.types) CHECK(types.count(t) == 1);
    check_layout(f);
  }
}

TEST_CASE("the vocab-only tokenizer files parse with their vocabularies", "[gguf][shared]") {
  const std::pair<const char*, size_t> files[] = {
      {"ggml-vocab-llama-spm.gguf", 32000}, {"ggml-vocab-phi-3.gguf", 32064},
      {"ggml-vocab-gpt-2.gguf", 50257},     {"ggml-vocab-starcoder.gguf", 49152},
      {"ggml-vocab-falcon.gguf", 65024},    {"ggml-vocab-deepseek-llm.gguf", 102400},
  };
  for (const auto& [name, n_vocab] : files) {
    INFO(name);
    const auto f = GgufFile::open(require_shared(std::string("tokenizers/") + name));
    CHECK(f.tensors().empty());
    CHECK(f.require_array("tokenizer.ggml.tokens").size() == n_vocab);
    CHECK(f.require_array("tokenizer.ggml.tokens").elem_type == ValueType::String);
    CHECK_FALSE(f.require_string("tokenizer.ggml.model").empty());
  }
}

TEST_CASE("every shared GGUF file is reproduced byte for byte by a copy through GgufWriter",
          "[gguf][shared][writer]") {
  const auto root = require_shared("models");
  std::vector<std::filesystem::path> files;
  for (const char* dir : {"models", "models/synthetic", "tokenizers"})
    for (const auto& e : std::filesystem::directory_iterator(glasswing::test::shared_dir() / dir))
      if (e.path().extension() == ".gguf") files.push_back(e.path());
  REQUIRE(files.size() >= 22);
  for (const auto& path : files) {
    INFO(path.filename().string());
    const auto in = GgufFile::open(path);
    GgufWriter w(in.version());
    for (const auto& [key, v] : in.metadata()) w.set(key, v);
    for (const auto& t : in.tensors()) w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
    const std::vector<uint8_t> copy = w.to_bytes();
    const std::vector<uint8_t> original = glasswing::test::read_bytes(path);
    INFO("copy " << copy.size() << " bytes, original " << original.size()
                 << " bytes, first difference at byte "
                 << (std::mismatch(copy.begin(), copy.end(), original.begin(), original.end()).first -
                     copy.begin()));
    CHECK((copy == original));  // parenthesized: Catch must not print megabytes of bytes
  }
}
