#include <algorithm>
// Broken model files must fail to load with a message that says exactly what is wrong. The files are real
// shared models with a few header bytes patched in memory.
#include <catch2/catch.hpp>
#include <cstring>

#include "inference/cpu/cpu_backend.h"
#include "inference/model/backend_registry.h"
#include "inference/model/model.h"
#include "inference/model/session.h"
#include "tests/engine/engine_test_util.h"
#include "tests/test_support.h"

using namespace glasswing;
using Catch::Matchers::Contains;

namespace {

// Offset of the first occurrence of a GGUF string (u64 length + bytes) equal to `text`.
size_t find_gguf_string(const std::vector<uint8_t>& bytes, const std::string& text) {
  const uint64_t n = text.size();
  std::vector<uint8_t> needle(reinterpret_cast<const uint8_t*>(&n), reinterpret_cast<const uint8_t*>(&n) + 8);
  needle.insert(needle.end(), text.begin(), text.end());
  const auto it = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
  REQUIRE(it != bytes.end());
  return static_cast<size_t>(it - bytes.begin());
}

std::unique_ptr<model::Model> load_bytes(const std::vector<uint8_t>& bytes) {
  return model::Model::from_gguf(gguf::GgufFile::parse(bytes));
}

// Position just after a tensor's name in the tensor-info section: u32 n_dims, u64 dims[n_dims], u32 type.
size_t tensor_info(const std::vector<uint8_t>& bytes, const std::string& name) {
  return find_gguf_string(bytes, name) + 8 + name.size();
}

}  // namespace

TEST_CASE("The unpatched model loads", "[engine][errors]") {
  const auto bytes = test::read_bytes(test::require_shared("models/stories260K.gguf"));
  const auto m = load_bytes(bytes);
  CHECK(m->desc().architecture == "llama");
  CHECK(m->desc().n_layer == 5);
  CHECK(m->desc().n_head_kv == 4);
  CHECK(m->desc().n_rot == 8);
  CHECK(m->desc().tied_embeddings == false);
}

TEST_CASE("An unsupported architecture is named with the supported ones", "[engine][errors]") {
  auto bytes = test::read_bytes(test::require_shared("models/stories260K.gguf"));
  const size_t key = find_gguf_string(bytes, "general.architecture");
  const size_t value = key + 8 + std::strlen("general.architecture") + 4;  // skip key and value type
  REQUIRE(std::memcmp(&bytes[value + 8], "llama", 5) == 0);
  std::memcpy(&bytes[value + 8], "rwkv6", 5);
  CHECK_THROWS_WITH(load_bytes(bytes), Contains("unsupported architecture 'rwkv6'") && Contains("llama") &&
                                           Contains("qwen2") && Contains("gpt2"));
}

TEST_CASE("A missing tensor is named", "[engine][errors]") {
  auto bytes = test::read_bytes(test::require_shared("models/stories260K.gguf"));
  const size_t at = find_gguf_string(bytes, "blk.3.ffn_up.weight");
  std::memcpy(&bytes[at + 8], "blk.3.ffn_xx.weight", 19);
  CHECK_THROWS_WITH(load_bytes(bytes), Contains("tensor 'blk.3.ffn_up.weight' is missing"));
}

TEST_CASE("A tensor of the wrong shape names expected and actual shapes", "[engine][errors]") {
  auto bytes = test::read_bytes(test::require_shared("models/stories260K.gguf"));
  const size_t at = tensor_info(bytes, "blk.0.ffn_up.weight");
  uint32_t n_dims;
  uint64_t dims[2];
  std::memcpy(&n_dims, &bytes[at], 4);
  std::memcpy(dims, &bytes[at + 4], 16);
  REQUIRE(n_dims == 2);
  REQUIRE(dims[0] == 64);
  REQUIRE(dims[1] == 172);
  std::swap(dims[0], dims[1]);  // same element count, so the file stays valid
  std::memcpy(&bytes[at + 4], dims, 16);
  CHECK_THROWS_WITH(load_bytes(bytes),
                    Contains("tensor 'blk.0.ffn_up.weight' has shape [172, 64], expected [64, 172]"));
}

TEST_CASE("A tensor type the engine cannot compute with is named", "[engine][errors]") {
  auto bytes = test::read_bytes(test::require_shared("models/synthetic/synth-llama-Q8_0.gguf"));
  const size_t at = tensor_info(bytes, "blk.1.attn_q.weight");
  uint32_t n_dims, type;
  std::memcpy(&n_dims, &bytes[at], 4);
  std::memcpy(&type, &bytes[at + 4 + 8 * n_dims], 4);
  REQUIRE(type == static_cast<uint32_t>(gguf::GgmlType::Q8_0));
  type = static_cast<uint32_t>(gguf::GgmlType::I8);  // one byte per element, fewer: still in the file
  std::memcpy(&bytes[at + 4 + 8 * n_dims], &type, 4);
  CHECK_THROWS_WITH(load_bytes(bytes), Contains("tensor 'blk.1.attn_q.weight' has type i8"));
}

TEST_CASE("Tokens past the context or outside the vocabulary are refused", "[engine][errors]") {
  auto m = model::Model::load(test::require_shared("models/stories260K.gguf"));
  cpu::CpuBackend backend(*m);
  model::Session session(*m, backend, 8);
  CHECK(session.n_ctx() == 8);
  const std::vector<int32_t> nine(9, 5);
  CHECK_THROWS_AS(backend.forward(session, nine, false), model::ContextFullError);
  CHECK_THROWS_WITH(backend.forward(session, nine, false), Contains("the context holds 8 tokens"));
  CHECK(session.position() == 0);
  CHECK_THROWS_WITH(backend.forward(session, std::vector<int32_t>{1, 512}, false),
                    Contains("token id 512") && Contains("vocabulary of 512"));
  backend.forward(session, std::vector<int32_t>(8, 5), false);
  CHECK(session.position() == 8);
  CHECK_THROWS_AS(backend.forward(session, std::vector<int32_t>{5}, false), model::ContextFullError);
}

TEST_CASE("A session is used only with the backend that made its caches", "[engine][errors]") {
  auto m = model::Model::load(test::require_shared("models/stories260K.gguf"));
  cpu::CpuBackend a(*m), b(*m);
  model::Session session(*m, a, 16);
  CHECK_THROWS_AS(b.forward(session, std::vector<int32_t>{1}, false), std::invalid_argument);
  CHECK(session.position() == 0);
}

TEST_CASE("Backends are chosen by name in one place", "[engine][errors]") {
  auto m = model::Model::load(test::require_shared("models/stories260K.gguf"));
  CHECK(model::create_backend("cpu", *m)->name() == "cpu");
  CHECK_FALSE(model::create_backend("auto", *m)->name().empty());
  const auto names = model::backend_names();
  CHECK(names.front() == "cpu");
  CHECK(names.back() == "auto");
  CHECK(std::find(names.begin(), names.end(), "cpu-llamacpp") != names.end());
  CHECK(model::create_backend("cpu-llamacpp", *m)->name() == "cpu");
  CHECK_THROWS_WITH(model::create_backend("tpu", *m), Contains("unknown backend 'tpu'") && Contains("cpu"));
}
