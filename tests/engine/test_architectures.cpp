// Architectures and RoPE variants without llama.cpp reference logits in ../shared (qwen3, Llama 3.1's and
// linear RoPE scaling) are checked against the textbook forward pass of naive_forward.h, which is first
// checked against llama.cpp's logits of the shared llama and qwen2 models. The models are written by synth
// (random weights of tiny shapes; qwen3: heads of 64 against n_embd / n_head = 32, per-head q and k norm
// gains around 1).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>

#include "inference/cpu/cpu_backend.h"
#include "inference/gguf/gguf_writer.h"
#include "inference/model/backend_registry.h"
#include "inference/model/model.h"
#include "inference/model/session.h"
#include "tests/engine/engine_test_util.h"
#include "tests/engine/naive_forward.h"
#include "tests/engine/rope_scaled_models.h"
#include "tests/gguf_copy.h"
#include "tests/test_support.h"

using namespace glasswing;
using Catch::Matchers::Contains;

namespace {

const std::vector<int32_t> kTokens = {1, 17, 250, 3, 99, 42, 7, 180, 260, 5, 64};

std::filesystem::path qwen3_file(gguf::GgmlType type) {
  return test::synth_model_file("test-tiny-qwen3", type);
}

std::vector<float> engine_logits(const model::Model& m, const std::string& backend_name) {
  auto backend = model::create_backend(backend_name, m);
  model::Session session(m, *backend, static_cast<int64_t>(kTokens.size()));
  const auto logits = backend->forward(session, kTokens, true);
  return {logits.begin(), logits.end()};
}

// The last token's logits after feeding kTokens one at a time through the CPU engine's caches.
std::vector<float> decoded_one_by_one(const model::Model& m) {
  cpu::CpuBackend cpu(m);
  model::Session session(m, cpu, static_cast<int64_t>(kTokens.size()));
  std::span<const float> last;
  for (int32_t token : kTokens) last = cpu.forward(session, std::span(&token, 1), false);
  return {last.begin(), last.end()};
}

// The textbook pass's logits of kTokens, once it is checked that they say something and that the CPU engine
// gives them: in one batch (cpu-llamacpp within `llamacpp`, for its 8-bit activations and fp16 K and V) and
// one token at a time through the caches.
std::vector<float> check_against_textbook(const model::Model& m, float llamacpp) {
  const auto ref = test::naive_logits(m, kTokens);
  float spread = 0;
  for (float l : ref) spread = std::max(spread, std::fabs(l));
  REQUIRE(spread > 0.1f);  // logits that say something
  CHECK(test::max_abs_diff(engine_logits(m, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(m, "cpu-llamacpp"), ref) <= llamacpp);
  const std::vector<float> last = decoded_one_by_one(m);
  CHECK(test::max_abs_diff(last, std::span(ref).last(static_cast<size_t>(m.desc().n_vocab))) <= 1e-4f);
  return ref;
}

// A session taken back to `back` of the tokens `so_far` it held, given {60, 61, 62}: the last logits against
// the textbook pass over so_far's first `back` tokens and those three.
void check_other_way(const model::Model& m, model::Backend& backend, model::Session& session,
                     std::span<const int32_t> so_far, int64_t back) {
  const std::vector<int32_t> other = {60, 61, 62};
  const auto got = backend.forward(session, other, false);
  std::vector<int32_t> expected_tokens(so_far.begin(), so_far.begin() + back);
  expected_tokens.insert(expected_tokens.end(), other.begin(), other.end());
  const std::vector<float> expected = test::naive_logits(m, expected_tokens);
  CHECK(test::max_abs_diff({got.begin(), got.end()},
                           std::span(expected).last(static_cast<size_t>(m.desc().n_vocab))) <= 1e-4f);
}

// A recurrent model's session that held `so_far` (the prompt) taken two one-token steps further, then back
// to 5 tokens: its state restored from a checkpoint, check_other_way from there.
void check_taken_back(const model::Model& m, model::Backend& backend, model::Session& session,
                      std::span<const int32_t> so_far) {
  const int32_t more[] = {30, 31};
  backend.forward(session, std::span(more, 1), false);
  backend.forward(session, std::span(more + 1, 1), false);
  session.truncate(5);
  check_other_way(m, backend, session, so_far, 5);
}

// The model's bytes with every float of one F32 tensor transformed.
std::vector<uint8_t> with_tensor(const std::filesystem::path& path, const std::string& name,
                                 const std::function<float(float, size_t)>& change) {
  std::vector<uint8_t> bytes = test::read_bytes(path);
  const auto file = gguf::GgufFile::parse(bytes);
  const gguf::TensorInfo& t = file.require_tensor(name);
  REQUIRE(t.type == gguf::GgmlType::F32);
  const size_t at = file.data_offset() + t.offset;
  for (size_t i = 0; i < t.n_elements; ++i) {
    float v;
    std::memcpy(&v, &bytes[at + 4 * i], 4);
    v = change(v, i);
    std::memcpy(&bytes[at + 4 * i], &v, 4);
  }
  return bytes;
}

// A recurrent model's session given `prompt`, then `steps` one-token steps (its newest checkpoint then at
// `checkpoint`), taken back to each of `backs` in turn: the state restored from a checkpoint at or before
// the cut, check_other_way from there.
void check_checkpoints_taken_back(const model::Model& m, int steps, int64_t checkpoint,
                                  std::initializer_list<int64_t> backs) {
  cpu::CpuBackend cpu(m);
  model::Session session(m, cpu, 128);
  std::vector<int32_t> all = {1, 17, 250, 3, 99, 42, 7};
  cpu.forward(session, all, false);
  for (int i = 0; i < steps; ++i) {
    const int32_t next = 5 + (i * 37) % 280;
    all.push_back(next);
    cpu.forward(session, std::span(&next, 1), false);
  }
  REQUIRE(session.position() == 7 + steps);
  auto& caches = static_cast<cpu::CpuCaches&>(session.caches());
  CHECK(caches.newest_checkpoint() == checkpoint);
  for (const int64_t back : backs) {
    INFO("back to " << back);
    session.truncate(back);
    CHECK(session.position() == back);
    CHECK(caches.newest_checkpoint() <= back);
    check_other_way(m, cpu, session, all, back);
    session.truncate(back);
  }
}

// The model at `path` with the older taps of one F32 convolution zeroed (only the newest of each 4 kept),
// with the bytes it is parsed from (which must outlive it; a moved vector keeps its buffer).
struct CutModel {
  std::vector<uint8_t> bytes;
  std::unique_ptr<model::Model> model;
};
CutModel without_older_taps(const std::filesystem::path& path, const std::string& conv, size_t taps = 4) {
  CutModel cut{with_tensor(path, conv, [taps](float v, size_t i) { return i % taps == taps - 1 ? v : 0.0f; }),
               nullptr};
  cut.model = model::Model::from_gguf(gguf::GgufFile::parse(cut.bytes));
  return cut;
}

// The model at `path` with each layer's q, k and v (and their biases) packed in one attn_qkv, as llama.cpp's
// loader also takes them. (Rows are whole blocks: the three matrices' bytes one after the other are the
// packed matrix's.)
std::filesystem::path with_packed_qkv(const std::filesystem::path& path, const std::string& name) {
  const auto packed = test::temp_dir(name) / "packed.gguf";
  const auto in = gguf::GgufFile::open(path);
  gguf::GgufWriter w;
  test::copy_metadata(in, w);
  std::deque<std::vector<uint8_t>> keep;  // (the writer holds views until it writes: stable elements)
  for (const auto& t : in.tensors()) {
    const std::string tensor(t.name);
    const auto at = tensor.find("attn_q.");  // (attn_q.weight, attn_q.bias; not attn_q_norm)
    if (tensor.find("attn_k.") != std::string::npos || tensor.find("attn_v.") != std::string::npos) continue;
    if (at == std::string::npos) {
      w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
      continue;
    }
    const std::string prefix = tensor.substr(0, at), suffix = tensor.substr(at + 7);
    const auto& k = in.require_tensor(prefix + "attn_k." + suffix);
    const auto& v = in.require_tensor(prefix + "attn_v." + suffix);
    auto& qkv = keep.emplace_back(t.data, t.data + t.n_bytes);
    qkv.insert(qkv.end(), k.data, k.data + k.n_bytes);
    qkv.insert(qkv.end(), v.data, v.data + v.n_bytes);
    const size_t rows = t.dims.size() - 1;  // (a matrix's rows, a vector's elements)
    std::vector<uint64_t> dims = t.dims;
    dims[rows] += k.dims[rows] + v.dims[rows];
    w.add_tensor(prefix + "attn_qkv." + suffix, t.type, dims, qkv);
  }
  w.write(packed.string());
  return packed;
}

}  // namespace

TEST_CASE("The textbook forward pass reproduces llama.cpp's logits of the shared float models",
          "[engine][architectures]") {
  const char* name = GENERATE("stories260K", "synth-llama-F16", "synth-qwen2-f32");
  INFO(name);
  const std::string file = std::string(name) == "stories260K"
                               ? "models/stories260K.gguf"
                               : std::string("models/synthetic/") + name + ".gguf";
  auto model = model::Model::load(test::require_shared(file));
  const auto ref =
      test::read_f32_file(test::require_shared(std::string("reference/logits/") + name + ".logits.f32"));
  const auto logits = test::naive_logits(*model, test::kLlamaReferenceTokens);
  REQUIRE(logits.size() == ref.size());
  CHECK(test::max_abs_diff(logits, ref) <= 0.02f);  // llama.cpp keeps K and V in fp16
}

TEST_CASE("qwen3 logits match the textbook forward pass on every CPU path", "[engine][architectures]") {
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0, gguf::GgmlType::Q4_0);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(qwen3_file(type));
  REQUIRE(model->desc().architecture == "qwen3");
  const auto ref = test::naive_logits(*model, kTokens);
  float spread = 0;
  for (float l : ref) spread = std::max(spread, std::fabs(l));
  REQUIRE(spread > 0.1f);  // logits that say something

  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  // llama.cpp's arithmetic: fp16 K and V, and 8-bit activations for quantized weights
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.02f);

  // one token at a time through the caches gives the batch's last logits
  const std::vector<float> last = decoded_one_by_one(*model);
  const auto n_vocab = static_cast<size_t>(model->desc().n_vocab);
  CHECK(test::max_abs_diff(last, std::span(ref).last(n_vocab)) <= 1e-4f);
}

TEST_CASE("i-quant and ternary weights: prefill and decode match the textbook forward pass",
          "[engine][architectures]") {
  // test-tiny's rows are 256 and 512 wide, so every matrix has the type: the engine's decode dot products
  // (AVX2 where the CPU has it) and its prefill (rows decoded into the GEMM) against the dequantized weights
  const auto type = GENERATE(gguf::GgmlType::IQ1_S, gguf::GgmlType::IQ1_M, gguf::GgmlType::IQ2_XXS,
                             gguf::GgmlType::IQ2_XS, gguf::GgmlType::IQ2_S, gguf::GgmlType::IQ3_XXS,
                             gguf::GgmlType::IQ3_S, gguf::GgmlType::TQ1_0, gguf::GgmlType::TQ2_0);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file("test-tiny", type));
  REQUIRE(model->weights().layers[0].wq.type == type);
  const auto ref = test::naive_logits(*model, kTokens);
  float spread = 0;
  for (float l : ref) spread = std::max(spread, std::fabs(l));
  REQUIRE(spread > 0.1f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  const std::vector<float> last = decoded_one_by_one(*model);
  CHECK(test::max_abs_diff(last, std::span(ref).last(static_cast<size_t>(model->desc().n_vocab))) <= 1e-4f);
}

TEST_CASE("hunyuan-dense and hunyuan-moe: per-head q and k norms after RoPE match the textbook forward pass",
          "[engine][architectures]") {
  // the norms' gains are random (synth), so normalizing before RoPE (as qwen3) would give other logits;
  // hunyuan-moe adds a shared expert beside 4 experts chosen by softmax (2 per token), renormalized
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-hunyuan-dense", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-hunyuan-dense", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-hunyuan-moe", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-hunyuan-moe", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  REQUIRE(model->desc().traits->qk_norm_after_rope);
  const bool moe = std::string(shape) == "test-tiny-hunyuan-moe";
  if (moe) {
    CHECK(model->desc().architecture == "hunyuan-moe");
    CHECK(model->desc().n_expert == 4);
    CHECK(model->desc().n_ff_shexp == 64);
    REQUIRE(model->weights().layers[0].down_shexp);
  }
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= (moe ? 0.05f : 0.02f));
  const std::vector<float> last = decoded_one_by_one(*model);
  CHECK(test::max_abs_diff(last, std::span(ref).last(static_cast<size_t>(model->desc().n_vocab))) <= 1e-4f);
  if (moe) return;

  // the same weights as qwen3 (norms before RoPE) give other logits: the order is what this checks
  const auto source = test::synth_model_file(shape, type);
  const auto moved = test::temp_dir("hunyuan") / "as-qwen3.gguf";
  const auto file = gguf::GgufFile::open(source);
  test::rewrite_model(source, moved, [&](gguf::GgufWriter& w) {
    w.set_string("general.architecture", "qwen3");
    const std::string prefix = "hunyuan-dense.";
    for (const auto& [key, value] : file.metadata())
      if (key.rfind(prefix, 0) == 0) w.set("qwen3." + key.substr(prefix.size()), value);
  });
  auto as_qwen3 = model::Model::load(moved);
  CHECK(test::max_abs_diff(engine_logits(*as_qwen3, "cpu"), ref) > 1e-2f);
}

TEST_CASE("qwen3 normalizes every q and k head before RoPE, with the model's gains",
          "[engine][architectures]") {
  const auto path = qwen3_file(gguf::GgmlType::F32);
  auto base_model = model::Model::load(path);
  const auto base = engine_logits(*base_model, "cpu");

  SECTION("q and k projections scaled by 8 leave the logits as they are") {
    for (const char* t : {"blk.0.attn_q.weight", "blk.1.attn_k.weight"}) {
      INFO(t);
      const auto bytes = with_tensor(path, t, [](float v, size_t) { return 8.0f * v; });
      auto scaled = model::Model::from_gguf(gguf::GgufFile::parse(bytes));
      CHECK(test::max_abs_diff(engine_logits(*scaled, "cpu"), base) <= 1e-4f);
    }
    // while the v projection is not normalized
    const auto bytes = with_tensor(path, "blk.0.attn_v.weight", [](float v, size_t) { return 8.0f * v; });
    auto scaled = model::Model::from_gguf(gguf::GgufFile::parse(bytes));
    CHECK(test::max_abs_diff(engine_logits(*scaled, "cpu"), base) > 1e-2f);
  }
  SECTION("the gains count, dimension by dimension") {
    for (const char* t : {"blk.0.attn_q_norm.weight", "blk.1.attn_k_norm.weight"}) {
      INFO(t);
      const auto bytes = with_tensor(path, t, [](float v, size_t i) { return i % 2 ? v : 2.0f * v; });
      auto changed = model::Model::from_gguf(gguf::GgufFile::parse(bytes));
      CHECK(test::max_abs_diff(engine_logits(*changed, "cpu"), base) > 1e-2f);
    }
  }
  SECTION("a missing norm is named") {
    std::vector<uint8_t> bytes = test::read_bytes(path);
    const std::string name = "blk.1.attn_k_norm.weight";
    const auto it = std::search(bytes.begin(), bytes.end(), name.begin(), name.end());
    REQUIRE(it != bytes.end());
    it[6] = 'x';  // blk.1.xttn_k_norm.weight
    CHECK_THROWS_WITH(model::Model::from_gguf(gguf::GgufFile::parse(bytes)),
                      Contains("'blk.1.attn_k_norm.weight' is missing"));
  }
}

TEST_CASE("Llama 3.1's RoPE scaling (rope_freqs) divides each pair's frequency on every CPU path",
          "[engine][architectures]") {
  // test-tiny-llama3: the llama3 scaling of a model trained on 16 positions, so that most pairs turn slower
  // within these 11 tokens (real models: 8192, which shows deep in a long conversation).
  const auto type = GENERATE(gguf::GgmlType::F16, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-llama3", type);
  auto model = model::Model::load(path);
  const model::Vector divisors = model->weights().rope_freqs;
  REQUIRE(divisors.size() == 32);
  // from a blend (the fastest pair's wavelength, 2π, is past 16 / 4) up to the factor for the slowest pairs
  CHECK(divisors.front() > 1.0f);
  CHECK(std::is_sorted(divisors.begin(), divisors.end()));
  CHECK(divisors.back() == 8.0f);
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.02f);

  // the same weights with every divisor 1 (as before Glasswing read rope_freqs) answer otherwise
  const auto ones = with_tensor(path, "rope_freqs.weight", [](float, size_t) { return 1.0f; });
  auto unscaled = model::Model::from_gguf(gguf::GgufFile::parse(ones));
  CHECK(test::max_abs_diff(engine_logits(*unscaled, "cpu"), ref) > 1e-2f);

  SECTION("a divisor that is not a positive number is refused") {
    const auto bad =
        with_tensor(path, "rope_freqs.weight", [](float v, size_t i) { return i == 3 ? 0.0f : v; });
    CHECK_THROWS_WITH(model::Model::from_gguf(gguf::GgufFile::parse(bad)),
                      Contains("'rope_freqs.weight' holds 0.0"));
  }
}

namespace {

// A copy of a model file with metadata added, in a temporary folder.
std::filesystem::path with_metadata(const std::filesystem::path& path, const std::string& name,
                                    const std::function<void(gguf::GgufWriter&)>& add) {
  const auto in = gguf::GgufFile::open(path);
  gguf::GgufWriter w;
  test::copy_metadata(in, w);
  add(w);
  test::copy_tensors(in, w);
  static const std::filesystem::path dir = test::temp_dir("architectures-metadata");
  const auto out = dir / (name + ".gguf");
  w.write(out.string());
  return out;
}

// Loading the model at `path` with `add`'s metadata fails with a message containing `message` (`name` names
// the case and the copy).
void check_refused(const std::filesystem::path& path, const char* name,
                   const std::function<void(gguf::GgufWriter&)>& add, const std::string& message) {
  INFO(name);
  CHECK_THROWS_WITH(model::Model::load(with_metadata(path, name, add)), Contains(message));
}

}  // namespace

TEST_CASE("Linear RoPE scaling divides every angle by its factor, and other scalings are refused by name",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny", gguf::GgmlType::Q8_0);
  const auto linear = with_metadata(path, "linear", [](gguf::GgufWriter& w) {
    w.set_string("llama.rope.scaling.type", "linear");
    w.set_f32("llama.rope.scaling.factor", 4.0f);
  });
  auto model = model::Model::load(linear);
  const model::Vector divisors = model->weights().rope_divisors(model->desc(), 128);
  REQUIRE(divisors.size() == 32);
  for (float f : divisors) CHECK(f == 4.0f);
  CHECK(model->desc().rope_scaling.mscale() == 1.0f);
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.02f);
  auto plain = model::Model::load(path);
  CHECK(test::max_abs_diff(engine_logits(*plain, "cpu"), ref) > 1e-2f);

  for (const char* type : {"dynamic", "su"}) {
    INFO(type);
    const auto other = with_metadata(path, type, [&](gguf::GgufWriter& w) {
      w.set_string("llama.rope.scaling.type", type);
      w.set_f32("llama.rope.scaling.factor", 4.0f);
    });
    CHECK_THROWS_WITH(model::Model::load(other), Contains(std::string("RoPE scaling '") + type +
                                                          "' (rope.scaling.type) is not supported"));
  }
  const auto none = with_metadata(
      path, "none", [](gguf::GgufWriter& w) { w.set_string("llama.rope.scaling.type", "none"); });
  CHECK(model::Model::load(none)->weights().rope_divisors(model->desc(), 128).empty());
}

namespace {

std::vector<float> engine_logits(const model::Model& m, const std::string& backend_name, int64_t n_ctx) {
  auto backend = model::create_backend(backend_name, m);
  model::Session session(m, *backend, n_ctx);
  const auto logits = backend->forward(session, kTokens, true);
  return {logits.begin(), logits.end()};
}

}  // namespace

TEST_CASE(
    "YaRN RoPE scaling blends each pair between its extrapolated and interpolated angle as the textbook does",
    "[engine][architectures]") {
  // a 4x YaRN over an original context of 64: the fast pairs keep their angles, the slow ones turn 4x slower,
  // a ramp between; cos and sin grow by 0.1 ln 4 + 1 (Qwen2.5/Qwen3 long-context GGUFs)
  const std::string shape = GENERATE("test-tiny", "test-tiny-qwen3");
  INFO(shape);
  const auto path = test::synth_model_file(shape, gguf::GgmlType::Q8_0);
  const std::string arch = shape == "test-tiny" ? "llama" : "qwen3";
  const auto yarn = test::yarn_model_file(shape);
  auto model = model::Model::load(yarn);
  const model::RopeScaling& r = model->desc().rope_scaling;
  CHECK(r.ext_factor == 1.0f);
  CHECK(r.freq_scale == 0.25f);
  CHECK(r.corr_low == 0.0f);
  CHECK(r.corr_high > 2.0f);
  CHECK(r.mscale() == Approx(1.0 + 0.1 * std::log(4.0)));
  const model::Vector divisors = model->weights().rope_divisors(model->desc(), 128);
  REQUIRE(divisors.size() == static_cast<size_t>(model->desc().n_rot / 2));
  CHECK(divisors.front() == 1.0f);  // pair 0 extrapolates
  CHECK(divisors.back() == 4.0f);   // the slowest pair interpolates
  CHECK(std::is_sorted(divisors.begin(), divisors.end()));

  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.02f);
  auto plain = model::Model::load(path);
  CHECK(test::max_abs_diff(engine_logits(*plain, "cpu"), ref) > 1e-2f);

  const auto deepseek = with_metadata(path, "yarn-log-mul", [&](gguf::GgufWriter& w) {
    w.set_string(arch + ".rope.scaling.type", "yarn");
    w.set_f32(arch + ".rope.scaling.factor", 4.0f);
    w.set_f32(arch + ".rope.scaling.yarn_log_multiplier", 0.1f);
  });
  CHECK_THROWS_WITH(model::Model::load(deepseek),
                    Contains("yarn_log_multiplier (DeepSeek) is not supported for " + arch));
}

TEST_CASE("LongRoPE turns with the short factors up to the original context and the long ones past it",
          "[engine][architectures]") {
  // Phi-3.5 / Phi-4-mini: per-pair factors for short and long sessions, an original context (here 32 of the
  // trained 128) and attn_factor scaling cos and sin; rotary on 32 of the 64 head dimensions (Phi-4-mini
  // rotates three quarters)
  const auto file = test::longrope_model_file();
  auto model = model::Model::load(file);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.n_rot == 32);
  CHECK(d.rope_scaling.mscale() == 1.19f);
  CHECK_FALSE(model->weights().long_rope(d, 32));
  CHECK(model->weights().long_rope(d, 33));
  std::vector<float> by_ctx[2];
  for (int64_t n_ctx : {int64_t{16}, int64_t{64}}) {
    INFO("n_ctx " << n_ctx);
    const auto ref = test::naive_logits(*model, kTokens, n_ctx);
    const auto cpu = engine_logits(*model, "cpu", n_ctx);
    CHECK(test::max_abs_diff(cpu, ref) <= 1e-4f);
    CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp", n_ctx), ref) <= 0.02f);
    by_ctx[n_ctx == 64] = cpu;
  }
  CHECK(test::max_abs_diff(by_ctx[0], by_ctx[1]) > 1e-2f);

  CHECK_THROWS_WITH(model::Model::load(test::longrope_model_file(false)),
                    Contains("needs both rope_factors_short.weight"));
}

TEST_CASE("phi3: packed q|k|v and gate|up are read as their row ranges and match the textbook forward pass",
          "[engine][architectures]") {
  const auto type = GENERATE(gguf::GgmlType::F16, gguf::GgmlType::Q4_K);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-phi3", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.architecture == "phi3");
  // the views are the packed tensors' rows, in llama.cpp's order (q, k, v; gate, then up)
  const gguf::TensorInfo& qkv = model->file().require_tensor("blk.1.attn_qkv.weight");
  const gguf::TensorInfo& gate_up = model->file().require_tensor("blk.1.ffn_up.weight");
  const model::LayerWeights& L = model->weights().layers[1];
  const size_t qkv_row = qkv.row_bytes(), ffn_row = gate_up.row_bytes();
  CHECK(L.wq.row(0) == qkv.data);
  CHECK(L.wk.row(0) == qkv.data + d.q_dim() * qkv_row);
  CHECK(L.wv.row(d.kv_dim() - 1) == qkv.data + (d.q_dim() + 2 * d.kv_dim() - 1) * qkv_row);
  CHECK(L.w_gate.row(0) == gate_up.data);
  CHECK(L.w_up.row(0) == gate_up.data + d.n_ff * ffn_row);
  CHECK(L.w_up.n_rows == d.n_ff);
  CHECK(model->weights().matrix_bytes() == [&] {
    uint64_t total = model->file().require_tensor("output.weight").n_bytes;
    for (const auto& t : model->file().tensors())
      if (t.name.rfind("blk.", 0) == 0 && t.dims.size() == 2) total += t.n_bytes;
    return total;
  }());

  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);
}

TEST_CASE("gemma3: sliding windows, post-sublayer norms, GeGLU and scaled embeddings match the textbook pass",
          "[engine][architectures]") {
  // test-tiny-gemma3: six layers, five of them with a window of 4 keys (RoPE base 10000), the last global
  // (base 1e6, linear RoPE scaling 8); 11 tokens, so the windows slide.
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-gemma3", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.architecture == "gemma3");
  CHECK(d.sliding_window == 4);
  CHECK(d.is_local(0));
  CHECK(d.is_local(4));
  CHECK_FALSE(d.is_local(5));
  CHECK(d.first_key(0, 10) == 7);
  CHECK(d.first_key(5, 10) == 0);
  CHECK(d.rope_base(0) == 10000.0f);
  CHECK(d.rope_base(5) == 1000000.0f);
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);

  // one token at a time (the decode paths) gives the batch's last logits; also with the keys in runs of 8
  // per KV head group (the deep-context path, here from the first step on)
  setenv("GLASSWING_CPU_ATTN_GROUP_KIB", "0", 1);
  setenv("GLASSWING_CPU_ATTN_RUN_KEYS", "8", 1);
  cpu::CpuBackend grouped(*model);
  unsetenv("GLASSWING_CPU_ATTN_GROUP_KIB");
  unsetenv("GLASSWING_CPU_ATTN_RUN_KEYS");
  model::Session grouped_session(*model, grouped, static_cast<int64_t>(kTokens.size()));
  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, static_cast<int64_t>(kTokens.size()));
  std::span<const float> last, last_grouped;
  for (int32_t token : kTokens) {
    last = cpu.forward(session, std::span(&token, 1), false);
    last_grouped = grouped.forward(grouped_session, std::span(&token, 1), false);
  }
  CHECK(test::max_abs_diff(last, std::span(ref).last(static_cast<size_t>(d.n_vocab))) <= 1e-4f);
  CHECK(test::max_abs_diff(last_grouped, std::span(ref).last(static_cast<size_t>(d.n_vocab))) <= 1e-4f);

  // attention maps show the window: a local layer's query sees its last 4 keys only
  const model::Range all{0, static_cast<int64_t>(kTokens.size())};
  const auto local = cpu.attention(session, 2, 1, all, all), global = cpu.attention(session, 5, 1, all, all);
  for (int64_t q = 0; q < all.end; ++q) {
    double sum = 0;
    for (int64_t k = 0; k <= q; ++k) {
      sum += local.at(q, k);
      if (q - k >= 4) CHECK(local.at(q, k) == 0.0f);
    }
    CHECK(sum == Approx(1.0).margin(1e-5));
  }
  CHECK(global.at(10, 0) > 0.0f);
}

TEST_CASE("gemma2: soft-capped attention and logits, windows on even layers, match the textbook pass",
          "[engine][architectures]") {
  // test-tiny-gemma2: four layers, 0 and 2 with a window of 4 keys; soft caps of 1 (attention scores) and 0.5
  // (logits), small enough to shape the outputs of random weights.
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-gemma2", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.architecture == "gemma2");
  CHECK(d.is_local(0));
  CHECK_FALSE(d.is_local(1));
  CHECK(d.is_local(2));
  CHECK(d.rope_base(0) == d.rope_freq_base);
  CHECK(d.attn_softcap == 1.0f);
  CHECK(d.final_softcap == 0.5f);
  const auto ref = test::naive_logits(*model, kTokens);
  const auto cpu = engine_logits(*model, "cpu");
  CHECK(test::max_abs_diff(cpu, ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.02f);
  for (float l : cpu) CHECK(std::fabs(l) < 0.5f);  // c·tanh(l/c) stays within the cap

  // one token at a time, also through the grouped runs
  setenv("GLASSWING_CPU_ATTN_GROUP_KIB", "0", 1);
  setenv("GLASSWING_CPU_ATTN_RUN_KEYS", "8", 1);
  cpu::CpuBackend grouped(*model);
  unsetenv("GLASSWING_CPU_ATTN_GROUP_KIB");
  unsetenv("GLASSWING_CPU_ATTN_RUN_KEYS");
  model::Session session(*model, grouped, static_cast<int64_t>(kTokens.size()));
  std::span<const float> last;
  for (int32_t token : kTokens) last = grouped.forward(session, std::span(&token, 1), false);
  CHECK(test::max_abs_diff(last, std::span(ref).last(static_cast<size_t>(d.n_vocab))) <= 1e-4f);
}

TEST_CASE("Mixture-of-experts variants without their steps here are refused by name",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-qwen3moe", gguf::GgmlType::Q8_0);
  const auto shared = with_metadata(
      path, "moe-shared", [](gguf::GgufWriter& w) { w.set_u32("qwen3moe.expert_shared_count", 1); });
  CHECK_THROWS_WITH(model::Model::load(shared), Contains("shared experts are not supported"));
  const auto gating = with_metadata(path, "moe-sigmoid",
                                    [](gguf::GgufWriter& w) { w.set_u32("qwen3moe.expert_gating_func", 2); });
  CHECK_THROWS_WITH(model::Model::load(gating), Contains("gating other than softmax"));
  const auto scaled = with_metadata(
      path, "moe-scaled", [](gguf::GgufWriter& w) { w.set_f32("qwen3moe.expert_weights_scale", 2.5f); });
  CHECK_THROWS_WITH(model::Model::load(scaled), Contains("expert_weights_scale are not supported"));
}

TEST_CASE("Mixtures of experts (qwen3moe, a Mixtral-style llama) match the textbook forward pass",
          "[engine][architectures]") {
  // 4 experts, 2 per token; qwen3moe: experts of 64 with their own width key, Mixtral: experts of n_ff
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-qwen3moe", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-qwen3moe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-mixtral", gguf::GgmlType::Q4_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.n_expert == 4);
  CHECK(d.n_expert_used == 2);
  CHECK(d.n_ff_exp == (std::string(shape) == "test-tiny-mixtral" ? 256 : 64));
  REQUIRE(model->weights().layers[1].down_exps.size() == 4);
  // expert 3's down matrix is the last slice of ffn_down_exps
  const gguf::TensorInfo& down = model->file().require_tensor("blk.1.ffn_down_exps.weight");
  CHECK(model->weights().layers[1].down_exps[3].row(0) == down.data + 3 * d.n_embd * down.row_bytes());

  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);
  // one token at a time: each expert's batch of one
  const std::vector<float> last = decoded_one_by_one(*model);
  CHECK(test::max_abs_diff(last, std::span(ref).last(static_cast<size_t>(d.n_vocab))) <= 1e-4f);
}

TEST_CASE("A mixture of experts ignores its dense feed_forward_length, which no tensor bounds",
          "[engine][architectures]") {
  // a hostile or odd file: 2^40 for the (unused) dense width must not size any buffer
  const auto path = test::synth_model_file("test-tiny-qwen3moe", gguf::GgmlType::Q8_0);
  const auto odd = with_metadata(path, "moe-dense-width", [](gguf::GgufWriter& w) {
    w.set_u64("qwen3moe.feed_forward_length", uint64_t{1} << 40);
    w.set_u32("qwen3moe.expert_feed_forward_length", 64);
  });
  auto model = model::Model::load(odd);
  CHECK(model->desc().n_ff == int64_t{1} << 40);
  auto plain = model::Model::load(path);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), engine_logits(*plain, "cpu")) == 0.0f);
}

TEST_CASE("A model split by gguf-split loads from its first part, with every part's tensors",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-qwen3", gguf::GgmlType::Q8_0);
  const auto parts = test::write_split(gguf::GgufFile::open(path), test::temp_dir("split-models"), "tiny", 3);
  auto whole = model::Model::load(path);
  auto split = model::Model::load(parts[0]);
  CHECK(split->file().tensors().size() == whole->file().tensors().size());
  CHECK(test::max_abs_diff(engine_logits(*split, "cpu"), engine_logits(*whole, "cpu")) == 0.0f);

  CHECK_THROWS_WITH(model::Model::load(parts[1]),
                    Contains("is part 2 of 3 of a split model: open the first part"));
  const auto renamed = parts[0].parent_path() / "renamed.gguf";
  std::filesystem::copy_file(parts[0], renamed, std::filesystem::copy_options::overwrite_existing);
  CHECK_THROWS_WITH(model::Model::load(renamed), Contains("must be named <name>-00001-of-00003.gguf"));
  std::filesystem::remove(parts[2]);
  CHECK_THROWS_WITH(model::Model::load(parts[0]),
                    Contains("part 3 of 3 (tiny-00003-of-00003.gguf) of the split model is missing"));
}

TEST_CASE("gpt-oss: attention sinks, biases, windows on even layers with YaRN, clamped SwiGLU experts",
          "[engine][architectures]") {
  // test-tiny-gpt-oss: layer 0 with a window of 4 keys, layer 1 global, both with YaRN x4 over 32 positions;
  // 4 experts (2 per token) with biases, a sink logit per head; MXFP4 experts as gpt-oss's GGUFs have them
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0, gguf::GgmlType::MXFP4);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-gpt-oss", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.architecture == "gpt-oss");
  CHECK(d.is_local(0));
  CHECK_FALSE(d.is_local(1));
  CHECK(d.rope_scaled(0));  // unlike gemma's local layers
  CHECK(d.rope_base(0) == d.rope_freq_base);
  CHECK(d.rope_scaling.ext_factor == 1.0f);
  CHECK(d.q_dim() == 256);
  const model::LayerWeights& L = model->weights().layers[1];
  CHECK(L.attn_sinks.size() == 4);
  CHECK(L.router_b.size() == 4);
  REQUIRE(L.down_exps_b.size() == 4);
  CHECK(L.down_exps_b[3].size() == 128);
  CHECK(!L.bo.empty());
  CHECK(L.gate_exps[2].type == type);

  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);

  // one token at a time, also through the grouped runs (the sink merged with the runs' maxima and sums)
  setenv("GLASSWING_CPU_ATTN_GROUP_KIB", "0", 1);
  setenv("GLASSWING_CPU_ATTN_RUN_KEYS", "4", 1);
  cpu::CpuBackend grouped(*model);
  unsetenv("GLASSWING_CPU_ATTN_GROUP_KIB");
  unsetenv("GLASSWING_CPU_ATTN_RUN_KEYS");
  cpu::CpuBackend plain(*model);
  model::Session gs(*model, grouped, 16), ps(*model, plain, 16);
  std::span<const float> g, p;
  for (int32_t token : kTokens) {
    g = grouped.forward(gs, std::span(&token, 1), false);
    p = plain.forward(ps, std::span(&token, 1), false);
  }
  const auto last = std::span(ref).last(static_cast<size_t>(d.n_vocab));
  CHECK(test::max_abs_diff(g, last) <= 1e-4f);
  CHECK(test::max_abs_diff(p, last) <= 1e-4f);

  // the maps show where the attention went: each row's keys get what the sink leaves, less than 1
  const model::Range all{0, static_cast<int64_t>(kTokens.size())};
  const auto map = plain.attention(ps, 1, 2, all, all);
  for (int64_t q = 0; q < all.end; ++q) {
    float sum = 0;
    for (int64_t k = 0; k <= q; ++k) sum += map.at(q, k);
    CHECK(sum < 0.999f);
    CHECK(sum > 0.0f);
  }
  // without the sinks (−100: no share) the logits are others
  const auto sinkless = with_metadata(path, "gpt-oss-no-sinks", [](gguf::GgufWriter&) {});
  auto bytes = test::read_bytes(sinkless);
  for (int64_t l = 0; l < d.n_layer; ++l) {
    const std::string name = "blk." + std::to_string(l) + ".attn_sinks.weight";
    const auto file = gguf::GgufFile::parse(bytes);
    const gguf::TensorInfo& t = file.require_tensor(name);
    for (size_t i = 0; i < t.n_elements; ++i) {
      const float v = -100.0f;
      std::memcpy(&bytes[file.data_offset() + t.offset + 4 * i], &v, 4);
    }
  }
  auto no_sinks = model::Model::from_gguf(gguf::GgufFile::parse(bytes));
  CHECK(test::max_abs_diff(engine_logits(*no_sinks, "cpu"), ref) > 1e-2f);
}

TEST_CASE("smollm3: every fourth layer attends without RoPE, as the textbook pass does",
          "[engine][architectures]") {
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-smollm3", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.architecture == "smollm3");
  CHECK(d.rope_in_layer(0));
  CHECK(d.rope_in_layer(2));
  CHECK_FALSE(d.rope_in_layer(3));
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.02f);
  // the same weights read as llama (RoPE everywhere) answer otherwise
  const auto in = gguf::GgufFile::open(path);
  const auto as_llama = with_metadata(path, "smollm3-as-llama", [&](gguf::GgufWriter& w) {
    w.set_string("general.architecture", "llama");
    for (const char* k : {"context_length", "embedding_length", "block_count", "feed_forward_length",
                          "attention.head_count", "attention.head_count_kv", "rope.freq_base",
                          "rope.dimension_count", "attention.layer_norm_rms_epsilon"})
      w.set(std::string("llama.") + k, *in.find(std::string("smollm3.") + k));
  });
  // (random weights attend almost evenly, so RoPE moves the logits little: still 20x the tolerance above)
  CHECK(test::max_abs_diff(engine_logits(*model::Model::load(as_llama), "cpu"), ref) > 1e-3f);
}

TEST_CASE("granite and granitemoe: embedding, residual, attention and logit multipliers match the textbook",
          "[engine][architectures]") {
  // test-tiny-granite(moe): embeddings x12, each sublayer's output x0.22 before its residual add, scores
  // x1/64 instead of 1/sqrt(64), logits divided by 8; the mixture with 4 experts, 2 per token
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-granite", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-granite", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-granitemoe", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  const auto path = test::synth_model_file(shape, type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  CHECK(d.embedding_scale == 12.0f);
  CHECK(d.residual_scale == 0.22f);
  CHECK(d.attention_scale == 0.015625f);
  CHECK(d.logit_multiplier == 1.0f / 8.0f);
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.02f);
  // without the residual multiplier (0: none, as llama.cpp reads it) the logits are others
  const auto unscaled = with_metadata(path, std::string(shape) + "-unscaled", [&](gguf::GgufWriter& w) {
    w.set_f32(d.architecture + ".residual_scale", 0.0f);
  });
  CHECK(test::max_abs_diff(engine_logits(*model::Model::load(unscaled), "cpu"), ref) > 1e-3f);
}

TEST_CASE(
    "glm4: post-sublayer norms, packed gate|up, biased q/k/v and half-head RoPE match the textbook pass",
    "[engine][architectures]") {
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file("test-tiny-glm4", type));
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.architecture == "glm4");
  CHECK(d.n_rot == 32);
  CHECK(d.head_dim == 64);
  const model::LayerWeights& L = model->weights().layers[0];
  CHECK(!L.attn_post_norm.empty());
  CHECK(!L.ffn_post_norm.empty());
  CHECK(!L.bq.empty());
  CHECK(L.w_gate.n_rows == d.n_ff);  // the gate rows of ffn_up
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.02f);
  // the vision variant's multimodal RoPE sections (GLM-4.1V) are refused by name
  const auto mrope =
      with_metadata(test::synth_model_file("test-tiny-glm4", type), "glm4-mrope", [](gguf::GgufWriter& w) {
        const std::vector<int32_t> sections = {8, 12, 12, 0};
        w.set_i32s("glm4.rope.dimension_sections", sections);
      });
  CHECK_THROWS_WITH(model::Model::load(mrope), Contains("rope.dimension_sections) are not supported"));
}

TEST_CASE(
    "glm4moe (GLM-4.5): dense first layers, shared experts, a biased sigmoid router, MTP layers skipped",
    "[engine][architectures]") {
  // test-tiny-glm4moe: layer 0 dense, layer 1 with 4 routed experts (2 per token) and 2 shared ones, and a
  // multi-token-prediction block 2 that the forward pass must not run; -qk: per-head q and k norms, every
  // layer a mixture, one shared expert
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-glm4moe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-glm4moe", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-glm4moe-qk", gguf::GgmlType::Q4_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  const auto path = test::synth_model_file(shape, type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const bool qk = std::string(shape) == "test-tiny-glm4moe-qk";
  CHECK(d.n_layer == 2);
  CHECK(d.n_layer_nextn == (qk ? 0 : 1));
  CHECK(d.n_layer_dense_lead == (qk ? 0 : 1));
  CHECK(d.n_expert_shared == (qk ? 1 : 2));
  CHECK(d.n_ff_shexp == d.n_expert_shared * 64);
  CHECK(d.router.gating == model::ExpertGating::Sigmoid);
  CHECK(d.router.normalize);
  CHECK(d.router.scale == 2.5f);
  CHECK(d.n_rot == 32);
  const auto& layers = model->weights().layers;
  REQUIRE(layers.size() == 2);
  CHECK(layers[0].gate_exps.empty() == !qk);
  CHECK(static_cast<bool>(layers[0].w_down) == !qk);
  CHECK(layers[1].gate_exps.size() == 4);
  CHECK(layers[1].gate_shexp.n_rows == d.n_ff_shexp);
  CHECK(layers[1].exp_probs_b.size() == 4);
  CHECK(layers[1].q_norm.empty() == !qk);

  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);
  cpu::CpuBackend cpu(*model);  // one token at a time: each expert's batch of one
  model::Session session(*model, cpu, static_cast<int64_t>(kTokens.size()));
  std::span<const float> last;
  for (int32_t token : kTokens) last = cpu.forward(session, std::span(&token, 1), false);
  CHECK(test::max_abs_diff(last, std::span(ref).last(static_cast<size_t>(d.n_vocab))) <= 1e-4f);

  if (type != gguf::GgmlType::Q8_0) return;
  // Each part changes the logits, and the engine follows the textbook pass through each change: without
  // the selection bias other experts are chosen; without renormalization or scale the weights differ.
  const auto unbiased = with_tensor(path, "blk.1.exp_probs_b.bias", [](float, size_t) { return 0.0f; });
  std::vector<std::pair<const char*, std::unique_ptr<model::Model>>> variants;
  variants.emplace_back("no selection bias", model::Model::from_gguf(gguf::GgufFile::parse(unbiased)));
  variants.emplace_back("weights neither renormalized nor scaled",
                        model::Model::load(with_metadata(path, "glm4moe-raw", [](gguf::GgufWriter& w) {
                          w.set_bool("glm4moe.expert_weights_norm", false);
                          w.set_f32("glm4moe.expert_weights_scale", 1.0f);
                        })));
  variants.emplace_back("softmax router",
                        model::Model::load(with_metadata(path, "glm4moe-softmax", [](auto& w) {
                          w.set_u32("glm4moe.expert_gating_func", 1);
                        })));
  for (const auto& [what, m] : variants) {
    INFO(what);
    const auto logits = engine_logits(*m, "cpu");
    CHECK(test::max_abs_diff(logits, ref) > 1e-3f);
    CHECK(test::max_abs_diff(logits, test::naive_logits(*m, kTokens)) <= 1e-4f);
  }
}

TEST_CASE("qwen2moe: a shared expert gated per token, routed weights not renormalized",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-qwen2moe", gguf::GgmlType::Q8_0);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  CHECK(d.n_ff_shexp == 256);
  CHECK_FALSE(d.router.normalize);
  CHECK(d.router.gating == model::ExpertGating::Softmax);
  const model::LayerWeights& L = model->weights().layers[0];
  CHECK(L.shexp_gate.n_rows == 1);
  CHECK(L.shexp_gate.n_cols == d.n_embd);
  CHECK(L.gate_shexp.n_rows == 256);
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);
  // the gate matters: with its vector zeroed every token's shared output is halved
  const auto ungated =
      with_tensor(path, "blk.1.ffn_gate_inp_shexp.weight", [](float, size_t) { return 0.0f; });
  auto half = model::Model::from_gguf(gguf::GgufFile::parse(ungated));
  const auto half_logits = engine_logits(*half, "cpu");
  CHECK(test::max_abs_diff(half_logits, ref) > 1e-3f);
  CHECK(test::max_abs_diff(half_logits, test::naive_logits(*half, kTokens)) <= 1e-4f);
}

// The logits of every position of `tokens` in one batch through `backend_name`, in a session of their length.
static std::vector<float> batch_logits(const model::Model& m, const std::string& backend_name,
                                       std::span<const int32_t> tokens) {
  auto backend = model::create_backend(backend_name, m);
  model::Session session(m, *backend, static_cast<int64_t>(tokens.size()));
  const auto logits = backend->forward(session, tokens, true);
  return {logits.begin(), logits.end()};
}

TEST_CASE(
    "mistral3 (Ministral 3, Devstral 2): YaRN at unit magnitude, Llama 4's attention temperature from "
    "the original context on",
    "[engine][architectures]") {
  // test-tiny-mistral3: YaRN x4 over an original context of 32 positions, attention.temperature_scale 0.1:
  // from position 32 on, every layer's queries times 1 + 0.1 · ln(1 + ⌊pos / 32⌋) (Hugging Face's
  // Ministral3 _get_llama_4_attn_scale, llama.cpp's mistral3 graph: counted from pos, not pos + 1)
  const auto path = test::synth_model_file("test-tiny-mistral3", gguf::GgmlType::Q8_0);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  CHECK(d.rope_scaling.mscale() == Approx(1.0f));
  CHECK(d.rope_scaling.freq_scale == 0.25f);
  CHECK(d.n_ctx_max == d.n_ctx_train);  // (the temperature runs: sessions go on past the original context)
  CHECK(d.attn_temp_scale == 0.1f);
  CHECK(d.attn_temp_floor == 32);
  CHECK(d.attn_temp_offset == 0.0f);
  CHECK(d.attn_temperature(1, 31) == 1.0f);
  CHECK(d.attn_temperature(0, 32) == Approx(1.0 + 0.1 * std::log(2.0)));
  CHECK(d.attn_temperature(1, 64) == Approx(1.0 + 0.1 * std::log(3.0)));
  // 44 positions, the last 12 past the temperature's first step
  std::vector<int32_t> tokens(44);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 37 + 11) % 300);
  const auto ref = test::naive_logits(*model, tokens);
  CHECK(test::max_abs_diff(batch_logits(*model, "cpu", tokens), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(batch_logits(*model, "cpu-llamacpp", tokens), ref) <= 0.02f);
  {
    cpu::CpuBackend cpu(*model);  // one token at a time through the caches
    model::Session session(*model, cpu, static_cast<int64_t>(tokens.size()));
    std::span<const float> last;
    for (int32_t token : tokens) last = cpu.forward(session, std::span(&token, 1), false);
    CHECK(test::max_abs_diff(last, std::span(ref).last(static_cast<size_t>(d.n_vocab))) <= 1e-4f);
  }
  // the temperature counts from position 32 on: without it the first 32 positions are the same, the rest not
  auto cool = model::Model::load(with_metadata(path, "mistral3-cool", [](gguf::GgufWriter& w) {
    w.set_f32("mistral3.attention.temperature_scale", 0.0f);
  }));
  CHECK(cool->desc().attn_temp_scale == 0.0f);
  const auto cool_logits = batch_logits(*cool, "cpu", tokens);
  const size_t before = 32 * static_cast<size_t>(d.n_vocab);
  CHECK(test::max_abs_diff(std::span(cool_logits).first(before), std::span(ref).first(before)) <= 1e-4f);
  CHECK(test::max_abs_diff(std::span(cool_logits).subspan(before), std::span(ref).subspan(before)) > 1e-3f);
  CHECK(test::max_abs_diff(cool_logits, test::naive_logits(*cool, tokens)) <= 1e-4f);
  // YaRN changes the logits (here without it); the temperature still steps at the original context
  auto plain = model::Model::load(with_metadata(path, "mistral3-plain", [](gguf::GgufWriter& w) {
    w.set_string("mistral3.rope.scaling.type", "none");
  }));
  CHECK(plain->desc().attn_temp_floor == 32);
  CHECK(test::max_abs_diff(engine_logits(*plain, "cpu"), std::span(ref).first(kTokens.size() * d.n_vocab)) >
        1e-3f);
  // Mistral Large 3's deepseek2 files name the length (one that does not is refused: the test below)
  const auto ds2 = test::synth_model_file("test-tiny-deepseek2", gguf::GgmlType::Q8_0);
  auto tuned = model::Model::load(with_metadata(ds2, "deepseek2-temperature", [](gguf::GgufWriter& w) {
    w.set_f32("deepseek2.attention.temperature_scale", 0.1f);
    w.set_u32("deepseek2.attention.temperature_length", 16);
  }));
  CHECK(tuned->desc().attn_temp_floor == 16);
  CHECK(tuned->desc().attn_temp_offset == 0.0f);
  CHECK(tuned->desc().n_ctx_max == tuned->desc().n_ctx_train);
}

TEST_CASE(
    "mistral4 (Mistral Small 4): deepseek2's latent attention and experts, the attention temperature in "
    "every layer",
    "[engine][architectures]") {
  // test-tiny-mistral4: test-tiny-deepseek2-q's layers (q through a rank of 96, softmax router) under
  // Mistral's name, with attention.temperature_scale 0.5 stepping every 8 positions (from pos, not pos + 1)
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-mistral4", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.is_mla());
  CHECK(d.mla.q_rank == 96);
  CHECK(d.router.gating == model::ExpertGating::Softmax);  // (no gating key: DeepSeek-V2's, as llama.cpp)
  CHECK(d.attn_temp_scale == 0.5f);
  CHECK(d.attn_temp_floor == 8);
  CHECK(d.attn_temperature(1, 7) == 1.0f);
  CHECK(d.attn_temperature(0, 8) == Approx(1.0 + 0.5 * std::log(2.0)));
  CHECK(d.n_ctx_max == d.n_ctx_train);
  const auto ref = check_against_textbook(*model, 0.05f);
  if (type == gguf::GgmlType::Q8_0) return;
  // the temperature counts (the textbook following the file)
  auto cool = model::Model::load(with_metadata(path, "mistral4-cool", [](gguf::GgufWriter& w) {
    w.set_f32("mistral4.attention.temperature_scale", 0.0f);
  }));
  const auto cool_logits = engine_logits(*cool, "cpu");
  CHECK(test::max_abs_diff(cool_logits, ref) > 1e-3f);
  CHECK(test::max_abs_diff(cool_logits, test::naive_logits(*cool, kTokens)) <= 1e-4f);
}

TEST_CASE("ernie4_5-moe: a dense first layer, a biased softmax router, a shared expert",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-ernie4_5-moe", gguf::GgmlType::Q8_0);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  CHECK(d.n_layer_dense_lead == 1);
  CHECK(d.n_ff_shexp == 128);
  CHECK(d.router.gating == model::ExpertGating::Softmax);
  CHECK(d.router.normalize);
  CHECK(model->weights().layers[0].gate_exps.empty());
  CHECK(model->weights().layers[1].exp_probs_b.size() == 4);
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);
  const auto unbiased = with_tensor(path, "blk.1.exp_probs_b.bias", [](float, size_t) { return 0.0f; });
  auto plain = model::Model::from_gguf(gguf::GgufFile::parse(unbiased));
  CHECK(test::max_abs_diff(engine_logits(*plain, "cpu"), ref) > 1e-3f);
  CHECK_THROWS_WITH(model::Model::load(with_metadata(
                        path, "ernie-step",
                        [](gguf::GgufWriter& w) { w.set_u32("ernie4_5-moe.interleave_moe_layer_step", 2); })),
                    Contains("(interleave_moe_layer_step) are not supported"));
  CHECK_THROWS_WITH(model::Model::load(with_metadata(
                        path, "ernie-dense",
                        [](gguf::GgufWriter& w) { w.set_u32("ernie4_5-moe.leading_dense_block_count", 5); })),
                    Contains("ernie4_5-moe.leading_dense_block_count = 5 is out of range 0..2"));
}

TEST_CASE("gptneox, phi2, command-r and cohere2 (parallel blocks) match the textbook forward pass",
          "[engine][architectures]") {
  // attention and FFN both read the layer's input: GPT-NeoX from their own LayerNorms (fused q|k|v, RoPE on
  // part of each head), Phi-2 from one (packed q|k|v, a biased classifier), Command-R from one LayerNorm
  // without biases (scaled logits), Cohere2 also with windows on three layers of four and no RoPE on the
  // fourth
  const std::string shape =
      GENERATE("test-tiny-gptneox", "test-tiny-phi2", "test-tiny-command-r", "test-tiny-cohere2");
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  CHECK(d.parallel_residual);
  if (shape == "test-tiny-gptneox") {
    CHECK(L.wqkv);
    CHECK(L.bqkv.size() == static_cast<size_t>(d.q_dim() + 2 * d.kv_dim()));
    CHECK(L.ffn_norm_b.size() == static_cast<size_t>(d.n_embd));
    CHECK(d.n_rot == 8);
  } else if (shape == "test-tiny-phi2") {
    CHECK(L.ffn_norm.empty());
    CHECK(L.bv.size() == static_cast<size_t>(d.kv_dim()));
    CHECK(model->weights().output_b.size() == static_cast<size_t>(d.n_vocab));
  } else {
    CHECK(L.attn_norm_b.empty());
    CHECK(L.ffn_norm.empty());
    CHECK(d.tied_embeddings);
    CHECK(d.logit_multiplier == (shape == "test-tiny-command-r" ? 0.0625f : 0.25f));
  }
  if (shape == "test-tiny-cohere2") {
    for (int64_t l = 0; l < 4; ++l) {
      CHECK(d.is_local(l) == (l != 3));
      CHECK(d.rope_in_layer(l) == (l != 3));
      CHECK(d.rope_base(l) == 50000.0f);
    }
  }
  check_against_textbook(*model, 0.05f);
}

TEST_CASE("gptneox files that switch the parallel block off run it in sequence", "[engine][architectures]") {
  const auto path = test::temp_dir("gptneox-sequential") / "sequential.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-gptneox", gguf::GgmlType::Q8_0), path,
                      [](gguf::GgufWriter& w) { w.set_bool("gptneox.use_parallel_residual", false); });
  auto sequential = model::Model::load(path);
  auto parallel = model::Model::load(test::synth_model_file("test-tiny-gptneox", gguf::GgmlType::Q8_0));
  CHECK_FALSE(sequential->desc().parallel_residual);
  const auto ref = check_against_textbook(*sequential, 0.05f);
  CHECK(test::max_abs_diff(ref, engine_logits(*parallel, "cpu")) > 0.01f);  // (the block's order shows)
}

TEST_CASE("command-r files with a negative logit scale fail to load with a message that names the key",
          "[engine][architectures][errors]") {
  const auto bad_scale = test::temp_dir("command-r-scale") / "scale.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-command-r", gguf::GgmlType::F32), bad_scale,
                      [](gguf::GgufWriter& w) { w.set_f32("command-r.logit_scale", -0.5f); });
  CHECK_THROWS_WITH(model::Model::load(bad_scale),
                    Contains("command-r.logit_scale must be a positive number"));
}

TEST_CASE("starcoder2, stablelm and internlm2 match the textbook forward pass", "[engine][architectures]") {
  // StarCoder2: LayerNorms with biases, biased q, k, v and output, NeoX RoPE over whole heads, a biased
  // ungated GELU FFN, in sequence; StableLM 2: LayerNorms with biases, biased q, k and v, RoPE on a quarter
  // of each head, SwiGLU; InternLM2: llama's layers
  const std::string shape = GENERATE("test-tiny-starcoder2", "test-tiny-stablelm", "test-tiny-internlm2");
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  const auto n = [](int64_t v) { return static_cast<size_t>(v); };
  CHECK_FALSE(d.parallel_residual);
  if (shape == "test-tiny-starcoder2") {
    CHECK_FALSE(L.w_gate);  // (GELU, ungated)
    CHECK(L.attn_norm_b.size() == n(d.n_embd));
    CHECK(L.ffn_norm_b.size() == n(d.n_embd));
    CHECK(L.bq.size() == n(d.q_dim()));
    CHECK(L.bv.size() == n(d.kv_dim()));
    CHECK(L.bo.size() == n(d.n_embd));
    CHECK(L.b_up.size() == n(d.n_ff));
    CHECK(L.b_down.size() == n(d.n_embd));
    CHECK(d.n_rot == d.head_dim);
    CHECK(d.tied_embeddings);
  } else if (shape == "test-tiny-stablelm") {
    CHECK(L.w_gate);
    CHECK(L.attn_norm_b.size() == n(d.n_embd));
    CHECK(L.ffn_norm_b.size() == n(d.n_embd));
    CHECK(L.bk.size() == n(d.kv_dim()));
    CHECK(L.bo.empty());
    CHECK(L.b_up.empty());
    CHECK(d.n_rot == 8);
    CHECK(model->weights().output_norm_b.size() == n(d.n_embd));
  } else {
    CHECK(L.w_gate);
    CHECK(L.bq.empty());
    CHECK(L.attn_norm_b.empty());
    CHECK(d.n_rot == d.head_dim);
  }
  const auto ref = check_against_textbook(*model, 0.05f);
  // q, k and v (with their biases) packed in one attn_qkv, as llama.cpp's loader also takes them: the same
  auto packed =
      model::Model::load(with_packed_qkv(test::synth_model_file(shape, gguf::GgmlType::Q8_0), shape));
  REQUIRE(packed->file().find_tensor("blk.0.attn_q.weight") == nullptr);
  CHECK((packed->file().find_tensor("blk.0.attn_qkv.bias") != nullptr) == !L.bq.empty());
  CHECK(test::max_abs_diff(engine_logits(*packed, "cpu"), engine_logits(*model, "cpu")) == 0.0f);
}

namespace {
// The model at `path` without the tensor `drop` (a file that lacks one).
std::filesystem::path without_tensor(const std::filesystem::path& path, const std::string& drop) {
  const auto out = test::temp_dir("without-tensor") / (drop + ".gguf");
  const auto in = gguf::GgufFile::open(path);
  gguf::GgufWriter w;
  test::copy_metadata(in, w);
  for (const auto& t : in.tensors())
    if (t.name != drop) w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
  w.write(out.string());
  return out;
}
}  // namespace

TEST_CASE("baichuan, orion and xverse match the textbook forward pass", "[engine][architectures]") {
  // Baichuan 7B, XVERSE: llama's layers (adjacent RoPE pairs: their converters reorder q's and k's rows);
  // Orion: LayerNorms with biases and NeoX pairs (its converter keeps Hugging Face's order)
  const std::string shape = GENERATE("test-tiny-baichuan", "test-tiny-orion", "test-tiny-xverse");
  INFO(shape);
  const auto path = test::synth_model_file(shape, gguf::GgmlType::Q8_0);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  const auto n = [](int64_t v) { return static_cast<size_t>(v); };
  CHECK(L.w_gate);
  CHECK(L.bq.empty());
  CHECK(d.n_rot == d.head_dim);
  CHECK_FALSE(d.parallel_residual);
  CHECK_FALSE(d.tied_embeddings);
  if (shape == "test-tiny-orion") {
    CHECK(d.traits->norm == model::NormKind::Layer);
    CHECK(d.traits->rope == model::RopeKind::NeoX);
    CHECK(L.attn_norm_b.size() == n(d.n_embd));
    CHECK(L.ffn_norm_b.size() == n(d.n_embd));
    CHECK(model->weights().output_norm_b.size() == n(d.n_embd));
    // (the LayerNorms' biases are required, as llama.cpp's loader requires them)
    CHECK_THROWS_WITH(model::Model::load(without_tensor(path, "blk.1.ffn_norm.bias")),
                      Contains("blk.1.ffn_norm.bias"));
  } else {
    CHECK(d.traits->norm == model::NormKind::Rms);
    CHECK(d.traits->rope == model::RopeKind::Normal);
    CHECK(L.attn_norm_b.empty());
    CHECK(d.norm_eps == 1e-6f);
  }
  check_against_textbook(*model, 0.05f);
}

TEST_CASE("Baichuan 13B (40 layers: ALiBi, no RoPE) matches the textbook forward pass",
          "[engine][architectures]") {
  // llama.cpp tells Baichuan's 7B (RoPE) from its 13B (ALiBi at a max bias of 8) by the layer count alone
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file("test-tiny-baichuan13", type));
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.n_layer == 40);
  CHECK(d.alibi_max_bias == 8.0f);
  CHECK(d.n_head == 6);                            // (as Baichuan2 13B's 40, not a power of two)
  CHECK(d.alibi_slope(3) == Approx(0.00390625f));  // (m0 = 2^(−8/4): 2^−8 for the 4th head)
  CHECK(d.alibi_slope(4) == Approx(0.5f));         // (past 4: m1 = 2^(−8/2/4), its odd powers)
  CHECK(d.alibi_slope(5) == Approx(0.125f));
  CHECK_FALSE(d.rope_in_layer(0));
  CHECK(model->weights().layers[1].w_gate);
  const auto ref = check_against_textbook(*model, 0.05f);
  if (type == gguf::GgmlType::F32)
    CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 1e-3f);
  // the 7B's 32 layers still turn with RoPE, without ALiBi
  auto seven = model::Model::load(test::synth_model_file("test-tiny-baichuan", type));
  CHECK(seven->desc().alibi_max_bias == 0.0f);
  CHECK(seven->desc().rope_in_layer(0));
}

TEST_CASE("baichuan with another layer count than 32 or 40 is refused by name", "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-baichuan", gguf::GgmlType::F32);
  CHECK_THROWS_WITH(
      model::Model::load(with_metadata(path, "baichuan-2",
                                       [](gguf::GgufWriter& w) { w.set_u32("baichuan.block_count", 2); })),
      Contains("baichuan with 2 layers") && Contains("not supported"));
}

TEST_CASE("falcon (Falcon-7B's one norm, Falcon-40B's two) and nemotron match the textbook forward pass",
          "[engine][architectures]") {
  // Falcon: LayerNorms, fused q|k|v without biases over one KV head (7B) or two (40B's grouped kind), NeoX
  // RoPE over whole heads, attention and an ungated GELU FFN in parallel: from attn_norm alone (7B) or from
  // attn_norm_2 and attn_norm (40B); Nemotron: LayerNorms, RoPE on half of each head, ReLU², in sequence
  // (and Falcon-7B's 71 query heads over one KV head)
  const std::string shape =
      GENERATE("test-tiny-falcon", "test-tiny-falcon-40b", "test-tiny-nemotron", "test-falcon-71-heads");
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers.back();
  const auto n = [](int64_t v) { return static_cast<size_t>(v); };
  CHECK_FALSE(L.w_gate);  // (GELU, ReLU²: ungated)
  CHECK(L.b_up.empty());
  CHECK(L.bo.empty());
  CHECK(L.attn_norm_b.size() == n(d.n_embd));
  CHECK(d.n_rot == (shape == "test-tiny-nemotron" ? 16 : d.head_dim));
  if (shape == "test-tiny-nemotron") {
    CHECK_FALSE(d.parallel_residual);
    CHECK(L.ffn_norm_b.size() == n(d.n_embd));
    CHECK(d.n_head_kv == 2);
  } else {
    CHECK(d.parallel_residual);
    CHECK(L.wqkv);
    CHECK(L.bqkv.empty());
    CHECK(d.n_head_kv == (shape == "test-tiny-falcon-40b" ? 2 : 1));
    CHECK(d.tied_embeddings == (shape != "test-tiny-falcon-40b"));
  }
  if (shape == "test-tiny-falcon" || shape == "test-falcon-71-heads")
    CHECK(L.ffn_norm.empty());  // (the FFN reads attention's norm)
  if (shape == "test-tiny-falcon-40b") {
    // attention's norm is the file's attn_norm_2 (ln_attn), the FFN's its attn_norm (ln_mlp), as llama.cpp's
    // graph reads them
    const auto floats = [&](const std::string& name) {
      const gguf::TensorInfo& t = model->file().require_tensor(name);
      REQUIRE(t.type == gguf::GgmlType::F32);
      std::vector<float> v(t.n_elements);
      std::memcpy(v.data(), t.data, t.n_bytes);
      return v;
    };
    const auto same = [](model::Vector got, const std::vector<float>& want) {
      return std::equal(got.begin(), got.end(), want.begin(), want.end());
    };
    CHECK(same(L.attn_norm, floats("blk.1.attn_norm_2.weight")));
    CHECK(same(L.attn_norm_b, floats("blk.1.attn_norm_2.bias")));
    CHECK(same(L.ffn_norm, floats("blk.1.attn_norm.weight")));
    CHECK(same(L.ffn_norm_b, floats("blk.1.attn_norm.bias")));
  }
  // (cpu-llamacpp's 8-bit activations over rows of 2272: a wider spread than over the tiny ones' 128)
  check_against_textbook(*model, shape == "test-falcon-71-heads" ? 0.1f : 0.05f);
}

TEST_CASE("falcon and nemotron files without a norm's bias or with another q|k|v layout are refused by name",
          "[engine][architectures]") {
  const auto falcon = test::synth_model_file("test-tiny-falcon-40b", gguf::GgmlType::F32);
  CHECK_THROWS_WITH(model::Model::load(without_tensor(falcon, "blk.1.attn_norm_2.bias")),
                    Contains("blk.1.attn_norm_2.bias"));
  // (a q|k|v layout other than the one llama.cpp's converter writes is refused with its key named)
  const auto layout = test::temp_dir("falcon-layout") / "layout.gguf";
  test::rewrite_model(falcon, layout,
                      [](gguf::GgufWriter& w) { w.set_string("falcon.tensor_data_layout", "grouped"); });
  CHECK_THROWS_WITH(model::Model::load(layout), Contains("falcon.tensor_data_layout 'grouped'"));
  const auto nemotron = test::synth_model_file("test-tiny-nemotron", gguf::GgmlType::F32);
  CHECK_THROWS_WITH(model::Model::load(without_tensor(nemotron, "blk.0.ffn_norm.bias")),
                    Contains("blk.0.ffn_norm.bias"));
}

TEST_CASE(
    "minicpm: granite's multipliers from MiniCPM's keys (its constants where absent) match the textbook",
    "[engine][architectures]") {
  // test-tiny-minicpm: embeddings x12, each sublayer's output x1.4/sqrt(2) before its residual add, logits
  // divided by n_embd / dim_model_base = 0.5, tied embeddings, llama's RoPE pairs
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-minicpm", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.architecture == "minicpm");
  CHECK(d.embedding_scale == 12.0f);
  CHECK(d.residual_scale == 1.4f / std::sqrt(2.0f));
  CHECK(d.logit_multiplier == 2.0f);
  CHECK(d.attention_scale == 1.0f / std::sqrt(32.0f));
  CHECK(d.tied_embeddings);
  CHECK(d.n_rot == d.head_dim);
  const auto ref = check_against_textbook(*model, 0.02f);
  // a file without the keys (converted before llama.cpp's converter wrote them): MiniCPM's constants, the
  // same logits
  const std::string name = "minicpm-no-scales-" + gguf::ggml_type_name(type);
  auto bare = model::Model::load(with_metadata(path, name, [](gguf::GgufWriter& w) {
    REQUIRE(w.remove("minicpm.embedding_scale"));
    REQUIRE(w.remove("minicpm.residual_scale"));
    REQUIRE(w.remove("minicpm.logit_scale"));
  }));
  CHECK(bare->desc().embedding_scale == 12.0f);
  CHECK(bare->desc().residual_scale == d.residual_scale);
  CHECK(bare->desc().logit_multiplier == 2.0f);
  CHECK(test::max_abs_diff(engine_logits(*bare, "cpu"), engine_logits(*model, "cpu")) == 0.0f);
  // another residual multiplier: other logits
  auto other = model::Model::load(with_metadata(
      path, name + "-residual", [](gguf::GgufWriter& w) { w.set_f32("minicpm.residual_scale", 0.5f); }));
  CHECK(test::max_abs_diff(engine_logits(*other, "cpu"), ref) > 1e-3f);
}

TEST_CASE("phimoe: norms with biases run as llama.cpp runs them, biased attention and softmax-routed experts",
          "[engine][architectures]") {
  // test-tiny-phimoe: RMSNorms then their biases (llama.cpp's phi3 graph: not Hugging Face's LayerNorm),
  // q, k, v and output projections with biases, 4 SwiGLU experts (2 per token, softmax renormalized over the
  // chosen: llama.cpp's build_moe_ffn, not sparsemixer), a biased classifier
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-phimoe", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  const auto n = [](int64_t v) { return static_cast<size_t>(v); };
  REQUIRE(d.architecture == "phimoe");
  CHECK(d.n_expert == 4);
  CHECK(d.n_expert_used == 2);
  CHECK(d.router.gating == model::ExpertGating::Softmax);
  CHECK(d.router.normalize);
  CHECK(L.attn_norm_b.size() == n(d.n_embd));
  CHECK(L.ffn_norm_b.size() == n(d.n_embd));
  CHECK(L.bq.size() == n(d.q_dim()));
  CHECK(L.bk.size() == n(d.kv_dim()));
  CHECK(L.bo.size() == n(d.n_embd));
  CHECK(model->weights().output_norm_b.size() == n(d.n_embd));
  CHECK(model->weights().output_b.size() == n(d.n_vocab));
  CHECK_FALSE(d.tied_embeddings);
  const auto ref = check_against_textbook(*model, 0.05f);
  // the norms' biases take part (all zero: other logits)
  const auto unbiased = with_tensor(path, "blk.0.attn_norm.bias", [](float, size_t) { return 0.0f; });
  CHECK(test::max_abs_diff(engine_logits(*model::Model::from_gguf(gguf::GgufFile::parse(unbiased)), "cpu"),
                           ref) > 1e-3f);
  // q, k and v packed in one attn_qkv (with their biases), as llama.cpp's loader also takes them: the same
  auto packed = model::Model::load(with_packed_qkv(path, "test-tiny-phimoe-" + gguf::ggml_type_name(type)));
  REQUIRE(packed->file().find_tensor("blk.0.attn_qkv.bias") != nullptr);
  CHECK(test::max_abs_diff(engine_logits(*packed, "cpu"), engine_logits(*model, "cpu")) == 0.0f);
  // a norm's bias missing is named
  CHECK_THROWS_WITH(model::Model::load(without_tensor(path, "blk.1.ffn_norm.bias")),
                    Contains("blk.1.ffn_norm.bias"));
}

TEST_CASE(
    "minicpm, minicpm3 and phimoe turn with LongRoPE's short factors within the original context, long past "
    "it",
    "[engine][architectures]") {
  // MiniCPM4, MiniCPM3 and Phi-3.5-MoE carry LongRoPE's factors (here over an original context of 32 of the
  // trained 128; Phi-3.5-MoE's attn_factor 1.19, none for MiniCPM's; MiniCPM3's turn its latent attention's
  // RoPE parts)
  const std::string shape = GENERATE("test-tiny-minicpm", "test-tiny-minicpm3", "test-tiny-phimoe");
  INFO(shape);
  auto model = model::Model::load(test::longrope_model_file(true, shape));
  const model::ModelDescription& d = model->desc();
  CHECK(d.rope_scaling.mscale() == (shape == "test-tiny-phimoe" ? 1.19f : 1.0f));
  CHECK_FALSE(model->weights().long_rope(d, 32));
  CHECK(model->weights().long_rope(d, 33));
  std::vector<float> by_ctx[2];
  for (int64_t n_ctx : {int64_t{16}, int64_t{64}}) {
    INFO("n_ctx " << n_ctx);
    const auto ref = test::naive_logits(*model, kTokens, n_ctx);
    const auto cpu = engine_logits(*model, "cpu", n_ctx);
    CHECK(test::max_abs_diff(cpu, ref) <= 1e-4f);
    CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp", n_ctx), ref) <= 0.05f);
    by_ctx[n_ctx == 64] = cpu;
  }
  // (without Phi's attn_factor the factors alone move random weights' nearly even attention little: still
  // more than twice the tolerance above)
  CHECK(test::max_abs_diff(by_ctx[0], by_ctx[1]) > (shape == "test-tiny-phimoe" ? 1e-2f : 2.5e-4f));
  CHECK_THROWS_WITH(model::Model::load(test::longrope_model_file(false, shape)),
                    Contains("needs both rope_factors_short.weight"));
}

TEST_CASE(
    "apertus (per-head q and k norms, xIELU with each layer's parameters) matches the textbook forward pass",
    "[engine][architectures]") {
  auto model = model::Model::load(test::synth_model_file("test-tiny-apertus", gguf::GgmlType::Q8_0));
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  CHECK_FALSE(L.w_gate);  // (ungated)
  CHECK(L.q_norm.size() == static_cast<size_t>(d.head_dim));
  // each layer's own parameters (arrays), eps one for all (a scalar)
  REQUIRE(d.xielu.size() == 3);
  CHECK(d.xielu[1].alpha_n == Approx(0.7f));
  CHECK(d.xielu[2].alpha_p == Approx(0.5f));
  CHECK(d.xielu[1].beta == Approx(0.4f));
  CHECK(d.xielu[2].eps == Approx(-1e-6f));
  const auto ref = check_against_textbook(*model, 0.05f);
  // the layers' parameters matter: one layer's alpha_p changed changes the logits
  const auto path = test::temp_dir("apertus") / "alpha_p.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-apertus", gguf::GgmlType::Q8_0), path,
                      [](gguf::GgufWriter& w) {
                        w.set_f32s("xielu.alpha_p", std::vector<float>{-0.3f, 0.1f, 1.5f});
                      });
  auto changed = model::Model::load(path);
  CHECK(test::max_abs_diff(engine_logits(*changed, "cpu"), ref) > 1e-2f);
}

TEST_CASE("apertus files without their xIELU parameters fail to load with a message that names the key",
          "[engine][architectures][errors]") {
  const auto path = test::temp_dir("apertus-keys") / "bad.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-apertus", gguf::GgmlType::Q8_0), path,
                      [](gguf::GgufWriter& w) {
                        w.set_f32s("xielu.beta", std::vector<float>{0.5f, 0.5f});
                      });
  CHECK_THROWS_WITH(model::Model::load(path), Contains("xielu.beta must be one float or one per layer (3)"));
  const auto missing = test::temp_dir("apertus-keys") / "missing.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-apertus", gguf::GgmlType::Q8_0), missing,
                      [](gguf::GgufWriter& w) { w.remove("xielu.eps"); });
  CHECK_THROWS_WITH(model::Model::load(missing), Contains("missing metadata xielu.eps"));
}

TEST_CASE(
    "StableLM 2 12B and Command R+ (per-head LayerNorms of q and k, gains per head) match the textbook "
    "forward pass",
    "[engine][architectures]") {
  // every head of q and of k LayerNorm'd (mean-centred, no bias) before RoPE with gains of its own; StableLM
  // 2 12B's FFN in parallel from the attention norm (no ffn_norm), its q, k and v without biases
  const std::string shape = GENERATE("test-tiny-stablelm-12b-style", "test-tiny-command-r-plus");
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  const auto n = [](int64_t v) { return static_cast<size_t>(v); };
  CHECK(d.qk_layer_norm);
  CHECK(d.parallel_residual);
  CHECK(L.q_norm.size() == n(d.q_dim()));
  CHECK(L.k_norm.size() == n(d.kv_dim()));
  CHECK(L.ffn_norm.empty());
  CHECK(L.bq.empty());
  const auto ref = check_against_textbook(*model, 0.05f);
  // the heads' own gains matter: head 0's gains for every head change the logits
  const auto path = test::temp_dir("qk-layernorm") / (shape + "-head0.gguf");
  {
    const auto in = gguf::GgufFile::open(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
    gguf::GgufWriter w;
    test::copy_metadata(in, w);
    std::vector<std::vector<float>> head0;  // (kept alive until written)
    for (const auto& t : in.tensors()) {
      if (t.name.find("_norm.weight") != std::string::npos && t.name.find("attn_") != std::string::npos &&
          t.name.find("attn_norm") == std::string::npos) {
        REQUIRE(t.type == gguf::GgmlType::F32);
        std::vector<float> v(t.n_elements);
        std::memcpy(v.data(), t.data, t.n_bytes);
        for (size_t i = n(d.head_dim); i < v.size(); ++i) v[i] = v[i % n(d.head_dim)];
        head0.push_back(std::move(v));
        w.add_tensor(t.name, t.type, t.dims,
                     {reinterpret_cast<const uint8_t*>(head0.back().data()), t.n_bytes});
      } else {
        w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
      }
    }
    w.write(path.string());
  }
  auto same_gains = model::Model::load(path);
  CHECK(test::max_abs_diff(engine_logits(*same_gains, "cpu"), ref) > 1e-2f);
}

TEST_CASE("per-head LayerNorms of q and k without attn_k_norm, or of the wrong shape, fail to load by name",
          "[engine][architectures][errors]") {
  const std::string shape = GENERATE("test-tiny-stablelm-12b-style", "test-tiny-command-r-plus");
  INFO(shape);
  const auto in = gguf::GgufFile::open(test::synth_model_file(shape, gguf::GgmlType::F32));
  const auto write_without = [&](const std::string& name, const std::filesystem::path& out, bool one_head) {
    gguf::GgufWriter w;
    test::copy_metadata(in, w);
    for (const auto& t : in.tensors()) {
      if (t.name != name)
        w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
      else if (one_head)  // (one head's gains, as the RMS-normalizing families have)
        w.add_tensor(t.name, t.type, {t.dims[0]}, {t.data, t.n_bytes / t.dims[1]});
    }
    w.write(out.string());
  };
  const auto missing = test::temp_dir("qk-layernorm-errors") / (shape + "-missing.gguf");
  write_without("blk.1.attn_k_norm.weight", missing, false);
  CHECK_THROWS_WITH(model::Model::load(missing), Contains("blk.1.attn_k_norm.weight"));
  const auto one_head = test::temp_dir("qk-layernorm-errors") / (shape + "-one-head.gguf");
  write_without("blk.0.attn_q_norm.weight", one_head, true);
  CHECK_THROWS_WITH(model::Model::load(one_head), Contains("blk.0.attn_q_norm.weight"));
}

TEST_CASE("gemma4 (layer shapes, shared keys and values, per-layer inputs) matches the textbook forward pass",
          "[engine][architectures]") {
  auto model = model::Model::load(test::synth_model_file("test-tiny-gemma4", gguf::GgmlType::Q8_0));
  const model::ModelDescription& d = model->desc();
  // the file's layer kinds, their shapes and the sharing, read as llama.cpp reads them
  for (int64_t l = 0; l < 5; ++l) {
    INFO("layer " << l);
    const bool sliding = l != 2 && l != 4;
    CHECK(d.is_local(l) == sliding);
    CHECK(d.heads(l).head_dim == (sliding ? 32 : 64));
    CHECK(d.heads(l).n_head_kv == (sliding ? 2 : 1));
    CHECK(d.heads(l).n_rot == (sliding ? 32 : 64));
    CHECK(d.rope_base(l) == (sliding ? 10000.0f : 1000000.0f));
    CHECK(d.ff_width(l) == (l < 3 ? 256 : 512));
  }
  CHECK(d.kv_layer(3) == 1);
  CHECK(d.kv_layer(4) == 2);
  CHECK(d.keeps_kv(2));
  CHECK_FALSE(model->weights().layers[2].wv);  // (V = K)
  CHECK(d.attention_scale == 1.0f);
  CHECK(d.final_softcap == 30.0f);  // (its default)
  CHECK(d.per_layer_embd == 16);
  CHECK(model->weights().layers[4].out_scale.size() == 1);
  check_against_textbook(*model, 0.05f);
}

TEST_CASE(
    "gemma3n (AltUp, LAuReL, sparse FFN gates, shared keys and values) matches the textbook forward pass",
    "[engine][architectures]") {
  auto model = model::Model::load(test::synth_model_file("test-tiny-gemma3n", gguf::GgmlType::Q8_0));
  const model::ModelDescription& d = model->desc();
  // the file's layer kinds, the sharing and the sparse layers, as Hugging Face's Gemma3n reads them
  for (int64_t l = 0; l < 6; ++l) {
    INFO("layer " << l);
    CHECK(d.is_local(l) == (l % 2 == 0));
    CHECK(d.heads(l).head_dim == 32);  // (one head width for both kinds)
    CHECK(d.rope_base(l) == (l % 2 == 0 ? 10000.0f : 1000000.0f));
    CHECK(d.sparse_ffn(l) == (l < 2));
  }
  CHECK(d.ffn_sparsity[0] == Approx(1.6448533535f));
  CHECK(d.kv_layer(4) == 2);
  CHECK(d.kv_layer(5) == 3);
  CHECK_FALSE(model->weights().layers[4].wk);  // (its attn_k is in the file, unused)
  CHECK(d.altup.n_inputs == 4);
  CHECK(d.altup.laurel_rank == 32);
  CHECK(model->weights().altup_proj.size() == 3);
  CHECK(d.attention_scale == 1.0f);
  CHECK(d.final_softcap == 30.0f);  // (its default)
  // (cpu-llamacpp's 8-bit activations also reach the AltUp routers, whose tanh outputs mix every stream)
  check_against_textbook(*model, 0.1f);

  // the maps of a layer that reads another's keys: layer 4 (sliding) over layer 2's, layer 5 (full) over 3's
  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, 32);
  cpu.forward(session, kTokens, false);
  const model::Range q{0, static_cast<int64_t>(kTokens.size())};
  for (int64_t layer : {4, 5}) {
    INFO("layer " << layer);
    const auto map = cpu.attention(session, layer, 1, q, q);
    for (int64_t i = 0; i < q.size(); ++i) {
      double sum = 0;
      for (int64_t k = 0; k < q.size(); ++k) {
        const float p = map.probs[static_cast<size_t>(i * q.size() + k)];
        if (k > i || (layer == 4 && i - k >= d.sliding_window)) CHECK(p == 0.0f);  // (the window)
        sum += p;
      }
      CHECK(sum == Approx(1.0).epsilon(1e-5));
    }
    // (its own queries: not the source layer's map)
    CHECK(test::max_abs_diff(map.probs, cpu.attention(session, layer - 2, 1, q, q).probs) > 1e-3f);
  }
  // the caches as the engine lays them out: layers 0-3 keep K, V (2 heads of 32) and Q (4 of 32), layers 4
  // and 5 only their queries
  CHECK(d.attention_cache_floats() == 4 * (2 * 64 + 128) + 2 * 128);
  CHECK(cpu.estimate_memory(64).session_bytes == cpu.create_caches(64)->bytes());
}

TEST_CASE("gemma3n files: a float shared_kv_layers, no sparsity key, and what does not add up",
          "[engine][architectures][errors]") {
  const auto f32 = test::synth_model_file("test-tiny-gemma3n", gguf::GgmlType::F32);
  auto base = model::Model::load(f32);
  const auto dir = test::temp_dir("gemma3n-files");
  // early converters wrote shared_kv_layers as a float: the same model
  test::rewrite_model(f32, dir / "float-shared.gguf",
                      [](gguf::GgufWriter& w) { w.set_f32("gemma3n.attention.shared_kv_layers", 2.0f); });
  CHECK(test::max_abs_diff(engine_logits(*model::Model::load(dir / "float-shared.gguf"), "cpu"),
                           engine_logits(*base, "cpu")) == 0.0f);
  // without activation_sparsity_scale, llama.cpp's constants: the first 10 layers sparse (here all six)
  {
    const auto in = gguf::GgufFile::open(f32);
    gguf::GgufWriter w;
    for (const auto& [key, value] : in.metadata())
      if (key != "gemma3n.activation_sparsity_scale") w.set(key, value);
    test::copy_tensors(in, w);
    w.write((dir / "no-sparsity.gguf").string());
    auto m = model::Model::load(dir / "no-sparsity.gguf");
    for (int64_t l = 0; l < 6; ++l) CHECK(m->desc().sparse_ffn(l));
    check_against_textbook(*m, 0.05f);
  }
  const std::vector<std::pair<std::function<void(gguf::GgufWriter&)>, const char*>> cases = {
      {[](gguf::GgufWriter& w) { w.set_u32("gemma3n.altup.active_idx", 1); },
       "altup.active_idx 1: only the first stream active is supported"},
      {[](gguf::GgufWriter& w) { w.set_u32("gemma3n.altup.num_inputs", 1); },
       "altup.num_inputs 1 is outside the supported 2..16 streams"},
      {[](gguf::GgufWriter& w) { w.set_f32("gemma3n.attention.shared_kv_layers", 2.5f); },
       "gemma3n.attention.shared_kv_layers = 2.5"},
      {[](gguf::GgufWriter& w) {
         w.set_f32s("gemma3n.activation_sparsity_scale", std::vector<float>(3, 1.0f));
       },
       "activation_sparsity_scale must hold one float per layer (6)"},
      {[](gguf::GgufWriter& w) { w.set_u32("gemma3n.embedding_length_per_layer_input", 0); },
       "embedding_length_per_layer_input must be positive"},
  };
  for (const auto& [edit, message] : cases) {
    INFO(message);
    test::rewrite_model(f32, dir / "edited.gguf", edit);
    CHECK_THROWS_WITH(model::Model::load(dir / "edited.gguf"), Contains(message));
  }
  // a missing AltUp or LAuReL tensor is named
  for (const std::string missing : {"blk.3.altup_predict_coef.weight", "altup_unembd_proj.weight",
                                    "blk.1.laurel_post_norm.weight", "blk.0.laurel_l.weight"}) {
    INFO(missing);
    const auto in = gguf::GgufFile::open(f32);
    gguf::GgufWriter w;
    for (const auto& [key, value] : in.metadata()) w.set(key, value);
    for (const auto& t : in.tensors())
      if (t.name != missing) w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
    w.write((dir / "missing.gguf").string());
    CHECK_THROWS_WITH(model::Model::load(dir / "missing.gguf"), Contains("'" + missing + "'"));
  }
}

TEST_CASE("gemma4's mixture (experts beside the dense FFN, their own router input) matches the textbook pass",
          "[engine][architectures]") {
  auto model = model::Model::load(test::synth_model_file("test-tiny-gemma4-moe", gguf::GgmlType::F32));
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  CHECK(d.n_expert == 4);
  CHECK(d.n_expert_used == 2);
  CHECK(d.dense_ff_width() == 128);
  CHECK(L.gate_exps.size() == 4);
  CHECK(L.up_exps[3].n_rows == 64);
  CHECK(L.down_exps_scale.size() == 4);
  CHECK(L.w_down.n_cols == 128);
  check_against_textbook(*model, 0.05f);
  // gate and up as two tensors per layer (llama.cpp's loader takes either): the same model
  const auto split = test::temp_dir("gemma4-moe") / "split.gguf";
  {
    const auto in = gguf::GgufFile::open(test::synth_model_file("test-tiny-gemma4-moe", gguf::GgmlType::F32));
    gguf::GgufWriter w;
    for (const auto& [key, value] : in.metadata()) w.set(key, value);
    std::deque<std::vector<uint8_t>> keep;  // (the writer holds views until it writes: stable elements)
    for (const auto& t : in.tensors()) {
      const std::string name(t.name);
      if (name.find("ffn_gate_up_exps") == std::string::npos) {
        w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
        continue;
      }
      REQUIRE(t.type == gguf::GgmlType::F32);
      const uint64_t cols = t.dims[0], rows = t.dims[1] / 2, experts = t.dims[2], row = cols * 4;
      auto &gate = keep.emplace_back(), &up = keep.emplace_back();
      for (uint64_t e = 0; e < experts; ++e) {
        const uint8_t* expert = t.data + e * 2 * rows * row;
        gate.insert(gate.end(), expert, expert + rows * row);
        up.insert(up.end(), expert + rows * row, expert + 2 * rows * row);
      }
      const std::string prefix = name.substr(0, name.find("ffn_gate_up_exps"));
      w.add_tensor(prefix + "ffn_gate_exps.weight", t.type, {cols, rows, experts}, gate);
      w.add_tensor(prefix + "ffn_up_exps.weight", t.type, {cols, rows, experts}, up);
    }
    w.write(split.string());
  }
  CHECK(test::max_abs_diff(engine_logits(*model::Model::load(split), "cpu"), engine_logits(*model, "cpu")) ==
        0.0f);
  // quantized experts on the fast engine too (cpu-llamacpp's 8-bit activations may flip a close choice of
  // experts there, as they would in llama.cpp)
  auto q8 = model::Model::load(test::synth_model_file("test-tiny-gemma4-moe", gguf::GgmlType::Q8_0));
  CHECK(test::max_abs_diff(engine_logits(*q8, "cpu"), test::naive_logits(*q8, kTokens)) <= 1e-4f);
}

TEST_CASE("gemma (Gemma 1), exaone, exaone4 and arcee match the textbook forward pass",
          "[engine][architectures]") {
  const std::string shape = GENERATE("test-tiny-gemma", "test-tiny-exaone", "test-tiny-exaone4",
                                     "test-tiny-exaone4-swa", "test-tiny-arcee");
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  if (shape == "test-tiny-arcee") {
    CHECK_FALSE(L.w_gate);  // (ReLU², ungated)
  } else if (shape == "test-tiny-gemma") {
    CHECK(d.embedding_scale == Approx(std::sqrt(128.0f)));
    CHECK(d.tied_embeddings);
  } else if (shape == "test-tiny-exaone4") {  // (the 1.2B: no windows, RoPE everywhere)
    CHECK(L.attn_norm.empty());
    CHECK(L.q_norm.size() == static_cast<size_t>(d.head_dim));
    CHECK(d.sliding_window == 0);
    CHECK(d.rope_in_layer(3 % d.n_layer));
  } else if (shape == "test-tiny-exaone4-swa") {  // (the 32B's 64 layers: windows, RoPE only on them)
    CHECK(d.sliding_window == 4);
    for (int64_t l = 0; l < 8; ++l) {
      CHECK(d.is_local(l) == (l % 4 != 3));
      CHECK(d.rope_in_layer(l) == (l % 4 != 3));
    }
  }
  // (cpu-llamacpp's 8-bit activations through 64 layers drift further)
  const auto ref = check_against_textbook(*model, shape == "test-tiny-exaone4-swa" ? 0.1f : 0.05f);
  if (shape != "test-tiny-exaone4-swa") return;
  // a current converter writes the pattern as a flag per layer (the config's layer_types): the same model
  // when it marks the layers EXAONE 4.0 slides, refused by name when it marks others
  const auto flags = [&](int64_t full) {
    return [=, n = d.n_layer](gguf::GgufWriter& w) {
      gguf::Array a;
      a.elem_type = gguf::ValueType::Bool;
      for (int64_t l = 0; l < n; ++l) a.ints.push_back(l % 4 != full);
      w.set_array("exaone4.attention.sliding_window_pattern", a);
    };
  };
  const auto path = test::synth_model_file(shape, gguf::GgmlType::Q8_0);
  auto flagged = model::Model::load(with_metadata(path, "exaone4-flags", flags(3)));
  CHECK(test::max_abs_diff(engine_logits(*flagged, "cpu"), ref) <= 1e-4f);
  CHECK_THROWS_WITH(model::Model::load(with_metadata(path, "exaone4-other-flags", flags(0))),
                    Contains("exaone4.attention.sliding_window_pattern marks layer 0 as full, but exaone4's "
                             "layers slide in a fixed pattern"));
}

TEST_CASE("gemma4 files whose layer shapes do not add up fail to load with a message that names it",
          "[engine][architectures][errors]") {
  const auto u32s = [](std::vector<int64_t> values, gguf::ValueType type = gguf::ValueType::Uint32) {
    gguf::Array a;
    a.elem_type = type;
    a.ints = std::move(values);
    return a;
  };
  const std::vector<std::pair<std::function<void(gguf::GgufWriter&)>, const char*>> cases = {
      {[&](gguf::GgufWriter& w) {
         w.set_array("gemma4.attention.sliding_window_pattern", u32s({1, 1, 0}, gguf::ValueType::Bool));
       },
       "sliding_window_pattern must hold one integer per layer (5)"},
      {[&](gguf::GgufWriter& w) {
         w.set_array("gemma4.attention.head_count_kv", u32s({2, 3, 1, 2, 1}));
       },
       "which does not divide the 4 query heads"},
      {[&](gguf::GgufWriter& w) { w.set_u32("gemma4.attention.shared_kv_layers", 3); },
       "must be a sliding one, then a full one"},
      {[&](gguf::GgufWriter& w) { w.set_u32("gemma4.rope.dimension_count_swa", 48); },
       "at most the sliding layers' head dimension 32"},
      {[&](gguf::GgufWriter& w) { w.set_u32("gemma4.attention.value_length_swa", 16); },
       "value_length_swa differs from key_length_swa"},
      {[&](gguf::GgufWriter& w) {
         w.set_array("gemma4.feed_forward_length", u32s({256, 0, 256, 512, 512}));
       },
       "feed_forward_length must be positive in every layer"},
  };
  for (const auto& [edit, message] : cases) {
    INFO(message);
    const auto out = test::temp_dir("gemma4-errors") / "edited.gguf";
    test::rewrite_model(test::synth_model_file("test-tiny-gemma4", gguf::GgmlType::F32), out, edit);
    CHECK_THROWS_WITH(model::Model::load(out), Contains(message));
  }
  // (a missing key is named too)
  const auto out = test::temp_dir("gemma4-errors") / "no-pattern.gguf";
  const auto in = gguf::GgufFile::open(test::synth_model_file("test-tiny-gemma4", gguf::GgmlType::F32));
  gguf::GgufWriter w;
  for (const auto& [key, value] : in.metadata())
    if (key != "gemma4.attention.sliding_window_pattern") w.set(key, value);
  test::copy_tensors(in, w);
  w.write(out.string());
  CHECK_THROWS_WITH(model::Model::load(out), Contains("gemma4.attention.sliding_window_pattern is missing"));
  // an NVFP4 export's per-matrix output scales are refused, not ignored
  const auto scaled = test::temp_dir("gemma4-errors") / "scaled.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-gemma4", gguf::GgmlType::F32), scaled,
                      [](gguf::GgufWriter&) {}, {{"blk.1.ffn_down.scale", std::vector<float>(1, 0.5f)}});
  CHECK_THROWS_WITH(model::Model::load(scaled), Contains("per-matrix output scales (NVFP4 exports)"));
}

TEST_CASE("olmoe and seed_oss match the textbook forward pass", "[engine][architectures]") {
  // olmoe: q and k normalized whole, experts weighted by their probabilities as they are; seed_oss: attention
  // biases (the output's too), the pre-FFN norm named post_attention_norm
  const std::string shape = GENERATE("test-tiny-olmoe", "test-tiny-seed-oss");
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  if (shape == "test-tiny-olmoe") {
    CHECK(d.n_expert == 4);
    CHECK_FALSE(d.router.normalize);
    CHECK(L.q_norm.size() == static_cast<size_t>(d.q_dim()));
  } else {
    CHECK(L.bo.size() == static_cast<size_t>(d.n_embd));
    CHECK(L.bq.size() == static_cast<size_t>(d.q_dim()));
    CHECK(model->file().find_tensor("blk.1.ffn_norm.weight") == nullptr);
  }
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);
}

TEST_CASE("minimax-m2, dots1 and bailingmoe2 (Ling 2.0): DeepSeek-style mixtures match the textbook pass",
          "[engine][architectures]") {
  // minimax-m2: q and k normalized whole before partial RoPE, every layer a mixture of a biased sigmoid
  // router whose weights are renormalized though the file has no key for it; dots1: qwen3's per-head norms, a
  // dense first layer and two shared experts; bailingmoe2: q|k|v packed, per-head norms, partial RoPE, expert
  // groups, a shared expert of its own width and an MTP layer that is not run
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-minimax-m2", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-minimax-m2", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-dots1", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-dots1", gguf::GgmlType::Q4_0},
                                      std::pair{"test-tiny-bailingmoe2", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-bailingmoe2", gguf::GgmlType::F32});
  INFO(shape << " " << gguf::ggml_type_name(type));
  const std::string name = shape;
  const auto path = test::synth_model_file(name, type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const auto& layers = model->weights().layers;
  REQUIRE(layers.size() == 2);
  CHECK(d.n_layer == 2);
  CHECK(d.router.gating == model::ExpertGating::Sigmoid);
  CHECK(d.router.normalize);
  CHECK(layers[1].exp_probs_b.size() == 4);
  if (name == "test-tiny-minimax-m2") {
    CHECK(model->file().find("minimax-m2.expert_weights_norm") == nullptr);
    CHECK(d.n_layer_dense_lead == 0);
    CHECK(d.n_expert_shared == 0);
    CHECK(d.router.scale == 1.0f);
    CHECK(d.n_rot == 32);
    CHECK(d.q_dim() == 256);  // (wider than n_embd)
    CHECK(layers[0].q_norm.size() == static_cast<size_t>(d.q_dim()));
    CHECK(layers[0].k_norm.size() == static_cast<size_t>(d.kv_dim()));
    CHECK(layers[0].gate_exps.size() == 4);
  } else if (name == "test-tiny-dots1") {
    CHECK(d.n_layer_dense_lead == 1);
    CHECK(d.n_expert_shared == 2);
    CHECK(d.n_ff_shexp == 128);
    CHECK(d.router.scale == 2.5f);
    CHECK(d.n_rot == d.head_dim);
    CHECK(layers[1].q_norm.size() == static_cast<size_t>(d.head_dim));
    CHECK(static_cast<bool>(layers[0].w_down));
  } else {
    CHECK(d.n_layer_nextn == 1);
    CHECK(d.n_layer_dense_lead == 1);
    CHECK(d.n_expert_shared == 1);
    CHECK(d.n_ff_shexp == 64);  // (expert_shared_feed_forward_length, not the experts' 32)
    CHECK(layers[1].gate_shexp.n_rows == 64);
    CHECK(d.router.groups == 2);
    CHECK(d.router.groups_used == 1);
    CHECK(d.router.scale == 2.5f);
    CHECK(d.n_rot == 16);
    CHECK(d.head_dim == 32);
    CHECK(model->file().find_tensor("blk.0.attn_q.weight") == nullptr);
    CHECK(layers[0].wq.n_rows == d.q_dim());  // (the q rows of attn_qkv)
    CHECK(layers[0].wv.n_rows == d.kv_dim());
    CHECK(layers[1].q_norm.size() == static_cast<size_t>(d.head_dim));
  }
  const auto ref = check_against_textbook(*model, 0.05f);
  if (type != gguf::GgmlType::Q8_0) return;

  // Each trait changes the logits, and the engine follows the textbook pass through each change
  std::vector<std::pair<std::string, std::unique_ptr<model::Model>>> variants;
  const std::string last_bias =
      name == "test-tiny-minimax-m2" ? "blk.0.exp_probs_b.bias" : "blk.1.exp_probs_b.bias";
  // (the bytes outlive the model that reads them)
  const auto unbiased = with_tensor(path, last_bias, [](float, size_t) { return 0.0f; });
  variants.emplace_back("no selection bias", model::Model::from_gguf(gguf::GgufFile::parse(unbiased)));
  if (name == "test-tiny-bailingmoe2")
    variants.emplace_back("no expert groups", model::Model::load(with_metadata(
                                                  path, "bailingmoe2-ungrouped", [](gguf::GgufWriter& w) {
                                                    w.set_u32("bailingmoe2.expert_group_count", 1);
                                                    w.set_u32("bailingmoe2.expert_group_used_count", 1);
                                                  })));
  if (name == "test-tiny-dots1")
    variants.emplace_back("weights neither renormalized nor scaled",
                          model::Model::load(with_metadata(path, "dots1-raw", [](gguf::GgufWriter& w) {
                            w.set_bool("dots1.expert_weights_norm", false);
                            w.set_f32("dots1.expert_weights_scale", 1.0f);
                          })));
  for (const auto& [what, m] : variants) {
    INFO(what);
    const auto logits = engine_logits(*m, "cpu");
    CHECK(test::max_abs_diff(logits, ref) > 1e-3f);
    CHECK(test::max_abs_diff(logits, test::naive_logits(*m, kTokens)) <= 1e-4f);
  }
  if (name == "test-tiny-minimax-m2") {
    // MiniMax-M2's weights are renormalized whatever the file says (llama.cpp's graph passes true)
    auto unnormalized =
        model::Model::load(with_metadata(path, "minimax-m2-norm-off", [](gguf::GgufWriter& w) {
          w.set_bool("minimax-m2.expert_weights_norm", false);
        }));
    CHECK(unnormalized->desc().router.normalize);
    CHECK(test::max_abs_diff(engine_logits(*unnormalized, "cpu"), engine_logits(*model, "cpu")) == 0.0f);
    // q, k and v packed in one attn_qkv (llama.cpp's loader takes either): the same model
    const auto packed = with_packed_qkv(path, "minimax-m2");
    auto packed_model = model::Model::load(packed);
    REQUIRE(packed_model->file().find_tensor("blk.0.attn_q.weight") == nullptr);
    CHECK(test::max_abs_diff(engine_logits(*packed_model, "cpu"), engine_logits(*model, "cpu")) == 0.0f);
  }
  if (name == "test-tiny-bailingmoe2") {
    CHECK_THROWS_WITH(
        model::Model::load(with_metadata(path, "bailingmoe2-shexp",
                                         [](gguf::GgufWriter& w) {
                                           w.set_u64("bailingmoe2.expert_shared_feed_forward_length",
                                                     uint64_t{1} << 40);
                                         })),
        Contains("bailingmoe2.expert_shared_feed_forward_length 1099511627776 is out of range"));
    // the MTP layer's count beyond the model's own layers is refused by name
    CHECK_THROWS_WITH(model::Model::load(with_metadata(
                          path, "bailingmoe2-nextn",
                          [](gguf::GgufWriter& w) { w.set_u32("bailingmoe2.nextn_predict_layers", 3); })),
                      Contains("bailingmoe2.nextn_predict_layers = 3 is out of range 0..2"));
  }
}

TEST_CASE("exaone-moe (K-EXAONE): windows where the file says, RoPE only there, DeepSeek-style experts",
          "[engine][architectures]") {
  // EXAONE 4.0's per-head q and k norms with pre-norms, windows of 4 keys on layers 0, 2 and 3 (the file's
  // per-layer pattern, not EXAONE's three of four), RoPE only on them, a dense first layer, a shared expert,
  // a biased sigmoid router without a gating key, weights renormalized and scaled; an MTP layer not run
  const auto type = GENERATE(gguf::GgmlType::Q8_0, gguf::GgmlType::F32);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-exaone-moe", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const auto& layers = model->weights().layers;
  REQUIRE(d.n_layer == 5);
  CHECK(d.n_layer_nextn == 1);
  CHECK(layers.size() == 5);
  CHECK(model->file().find("exaone-moe.expert_gating_func") == nullptr);
  CHECK(d.router.gating == model::ExpertGating::Sigmoid);
  CHECK(d.router.normalize);
  CHECK(d.router.scale == 2.5f);
  CHECK(d.n_layer_dense_lead == 1);
  CHECK(d.n_expert_shared == 1);
  CHECK(d.n_ff_shexp == 64);
  CHECK(layers[1].exp_probs_b.size() == 4);
  CHECK(static_cast<bool>(layers[0].w_down));
  CHECK(layers[1].q_norm.size() == static_cast<size_t>(d.head_dim));
  CHECK(d.sliding_window == 4);
  const std::vector<bool> sliding = {true, false, true, true, false};
  for (int64_t l = 0; l < d.n_layer; ++l) {
    INFO("layer " << l);
    CHECK(d.is_local(l) == sliding[static_cast<size_t>(l)]);
    CHECK(d.rope_in_layer(l) == sliding[static_cast<size_t>(l)]);
  }
  const auto ref = check_against_textbook(*model, 0.05f);
  if (type != gguf::GgmlType::Q8_0) return;

  // Each trait changes the logits, and the engine follows the textbook pass through each change
  std::vector<std::pair<std::string, std::unique_ptr<model::Model>>> variants;
  const auto unbiased = with_tensor(path, "blk.2.exp_probs_b.bias", [](float, size_t) { return 0.0f; });
  variants.emplace_back("no selection bias", model::Model::from_gguf(gguf::GgufFile::parse(unbiased)));
  variants.emplace_back("EXAONE's three sliding layers of four",
                        model::Model::load(with_metadata(path, "exaone-moe-lllg", [](gguf::GgufWriter& w) {
                          gguf::Array pattern;
                          pattern.elem_type = gguf::ValueType::Bool;
                          pattern.ints = {1, 1, 1, 0, 1};
                          w.set_array("exaone-moe.attention.sliding_window_pattern", pattern);
                        })));
  variants.emplace_back("weights neither renormalized nor scaled",
                        model::Model::load(with_metadata(path, "exaone-moe-raw", [](gguf::GgufWriter& w) {
                          w.set_bool("exaone-moe.expert_weights_norm", false);
                          w.set_f32("exaone-moe.expert_weights_scale", 1.0f);
                        })));
  for (const auto& [what, m] : variants) {
    INFO(what);
    const auto logits = engine_logits(*m, "cpu");
    CHECK(test::max_abs_diff(logits, ref) > 1e-3f);
    CHECK(test::max_abs_diff(logits, test::naive_logits(*m, kTokens)) <= 1e-4f);
  }
  // a flag per layer, the MTP layer's too, is taken (llama.cpp reads either)
  auto with_mtp_flag = model::Model::load(with_metadata(path, "exaone-moe-mtp-flag", [](gguf::GgufWriter& w) {
    gguf::Array pattern;
    pattern.elem_type = gguf::ValueType::Bool;
    pattern.ints = {1, 0, 1, 1, 0, 0};
    w.set_array("exaone-moe.attention.sliding_window_pattern", pattern);
  }));
  CHECK(test::max_abs_diff(engine_logits(*with_mtp_flag, "cpu"), engine_logits(*model, "cpu")) == 0.0f);
  // bad windows are refused by name
  CHECK_THROWS_WITH(
      model::Model::load(with_metadata(path, "exaone-moe-pattern-short",
                                       [](gguf::GgufWriter& w) {
                                         gguf::Array pattern;
                                         pattern.elem_type = gguf::ValueType::Bool;
                                         pattern.ints = {1, 0, 1};
                                         w.set_array("exaone-moe.attention.sliding_window_pattern", pattern);
                                       })),
      Contains("exaone-moe.attention.sliding_window_pattern must hold one integer per layer (5)"));
  CHECK_THROWS_WITH(model::Model::load(with_metadata(
                        path, "exaone-moe-no-window",
                        [](gguf::GgufWriter& w) { w.set_u32("exaone-moe.attention.sliding_window", 0); })),
                    Contains("exaone-moe.attention.sliding_window is missing"));
}

TEST_CASE("cohere2moe (North): Cohere2's parallel block with experts, windows where the file says",
          "[engine][architectures]") {
  // LayerNorms without biases, attention and the FFN in parallel from one norm, windows of 4 keys on layers
  // 0, 1 and 3 (the file's pattern), RoPE (adjacent pairs) only there, a dense first layer, experts by a
  // sigmoid router without a bias, renormalized, scaled logits
  const auto type = GENERATE(gguf::GgmlType::Q8_0, gguf::GgmlType::F32);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-cohere2moe", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const auto& layers = model->weights().layers;
  REQUIRE(d.n_layer == 4);
  CHECK(d.parallel_residual);
  CHECK(d.logit_multiplier == 0.25f);
  CHECK(d.router.gating == model::ExpertGating::Sigmoid);
  CHECK(d.router.normalize);
  CHECK(d.n_layer_dense_lead == 1);
  CHECK(d.n_expert_shared == 0);
  CHECK(layers[1].exp_probs_b.empty());
  CHECK(static_cast<bool>(layers[0].w_down));
  const std::vector<bool> sliding = {true, true, false, true};
  for (int64_t l = 0; l < d.n_layer; ++l) {
    INFO("layer " << l);
    CHECK(d.is_local(l) == sliding[static_cast<size_t>(l)]);
    CHECK(d.rope_in_layer(l) == sliding[static_cast<size_t>(l)]);
  }
  const auto ref = check_against_textbook(*model, 0.05f);
  if (type != gguf::GgmlType::Q8_0) return;

  // the windows follow the file: Cohere2's three of four (layer 3 full) change the logits, and the engine
  // follows the textbook pass through the change; so does a router whose weights are not renormalized
  std::vector<std::pair<std::string, std::unique_ptr<model::Model>>> variants;
  variants.emplace_back("three sliding layers of four",
                        model::Model::load(with_metadata(path, "cohere2moe-lllg", [](gguf::GgufWriter& w) {
                          gguf::Array pattern;
                          pattern.elem_type = gguf::ValueType::Bool;
                          pattern.ints = {1, 1, 1, 0};
                          w.set_array("cohere2moe.attention.sliding_window_pattern", pattern);
                        })));
  variants.emplace_back("weights not renormalized",
                        model::Model::load(with_metadata(path, "cohere2moe-raw", [](gguf::GgufWriter& w) {
                          w.set_bool("cohere2moe.expert_weights_norm", false);
                        })));
  // an RMS epsilon beside the LayerNorm one: llama.cpp then runs every norm as an RMSNorm
  variants.emplace_back("RMSNorms",
                        model::Model::load(with_metadata(path, "cohere2moe-rms", [](gguf::GgufWriter& w) {
                          w.set_f32("cohere2moe.attention.layer_norm_rms_epsilon", 1e-6f);
                        })));
  for (const auto& [what, m] : variants) {
    INFO(what);
    const auto logits = engine_logits(*m, "cpu");
    CHECK(test::max_abs_diff(logits, ref) > 1e-3f);
    CHECK(test::max_abs_diff(logits, test::naive_logits(*m, kTokens)) <= 1e-4f);
  }
  // what Glasswing does not run is refused by name
  const auto refused = [&](const char* tag, void (*edit)(gguf::GgufWriter&)) {
    return model::Model::load(with_metadata(path, tag, edit));
  };
  CHECK_THROWS_WITH(refused("cohere2moe-dense-full",
                            [](gguf::GgufWriter& w) {
                              gguf::Array pattern;
                              pattern.elem_type = gguf::ValueType::Bool;
                              pattern.ints = {0, 1, 1, 1};
                              w.set_array("cohere2moe.attention.sliding_window_pattern", pattern);
                            }),
                    Contains("cohere2moe whose leading dense layer 0 attends to every key"));
  CHECK_THROWS_WITH(refused("cohere2moe-shared-no-tensors",
                            [](gguf::GgufWriter& w) { w.set_u32("cohere2moe.expert_shared_count", 1); }),
                    Contains("ffn_gate_shexp.weight"));
  CHECK_THROWS_WITH(
      refused("cohere2moe-no-pattern",
              [](gguf::GgufWriter& w) { w.remove("cohere2moe.attention.sliding_window_pattern"); }),
      Contains("cohere2moe.attention.sliding_window_pattern is missing"));
}

TEST_CASE("cohere2moe with RMSNorms: every norm an RMSNorm of its gain where the file gives an RMS epsilon",
          "[engine][architectures]") {
  const auto type = GENERATE(gguf::GgmlType::Q8_0, gguf::GgmlType::F32);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file("test-tiny-cohere2moe-rms", type));
  const model::ModelDescription& d = model->desc();
  CHECK(d.traits->name == "cohere2moe");
  CHECK(d.traits->norm == model::NormKind::Rms);
  CHECK(d.norm_eps == 1e-5f);
  const auto ref = check_against_textbook(*model, 0.05f);
  // not North's LayerNorms: the same weights with them give other logits
  auto north = model::Model::load(test::synth_model_file("test-tiny-cohere2moe", type));
  CHECK(north->desc().traits->norm == model::NormKind::Layer);
  CHECK(test::max_abs_diff(test::naive_logits(*north, kTokens), ref) > 1e-3f);
}

TEST_CASE("cohere2moe with shared experts (Command A+): the routed and shared experts averaged",
          "[engine][architectures]") {
  // North's shape with two shared experts of 64 (one SwiGLU 128 wide, as llama.cpp's loader sizes it from
  // expert_shared_count): llama.cpp's graph adds their output to the routed experts' sum and halves it
  const auto type = GENERATE(gguf::GgmlType::Q8_0, gguf::GgmlType::F32);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-cohere2moe-shared", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const auto& layers = model->weights().layers;
  REQUIRE(d.n_layer == 4);
  CHECK(d.n_expert_shared == 2);
  CHECK(d.n_ff_shexp == 128);
  CHECK(!layers[0].up_shexp);  // (the dense first layer has none)
  CHECK(static_cast<bool>(layers[1].gate_shexp));
  CHECK(static_cast<bool>(layers[3].down_shexp));
  const auto ref = check_against_textbook(*model, 0.05f);
  if (type != gguf::GgmlType::Q8_0) return;

  // the shared experts count: North's file without them (its routed experts the same) gives other logits
  auto north = model::Model::load(test::synth_model_file("test-tiny-cohere2moe", type));
  CHECK(test::max_abs_diff(test::naive_logits(*north, kTokens), ref) > 1e-3f);
  // the shared width as expert_shared_feed_forward_length gives it (the whole width) must match the tensors
  CHECK_NOTHROW(model::Model::load(with_metadata(path, "cohere2moe-shared-width", [](gguf::GgufWriter& w) {
    w.set_u32("cohere2moe.expert_shared_feed_forward_length", 128);
  })));
  CHECK_THROWS_WITH(
      model::Model::load(with_metadata(
          path, "cohere2moe-shared-narrow",
          [](gguf::GgufWriter& w) { w.set_u32("cohere2moe.expert_shared_feed_forward_length", 64); })),
      Contains("ffn_gate_shexp.weight"));
  // shared-expert tensors without expert_shared_count, which llama.cpp would not load, are refused by name
  CHECK_THROWS_WITH(model::Model::load(with_metadata(
                        path, "cohere2moe-shared-no-count",
                        [](gguf::GgufWriter& w) { w.set_u32("cohere2moe.expert_shared_count", 0); })),
                    Contains("cohere2moe with shared-expert tensors but no cohere2moe.expert_shared_count"));
}

TEST_CASE("bailingmoe (Ling 1.0): softmax experts beside shared ones in every layer match the textbook pass",
          "[engine][architectures]") {
  const auto type = GENERATE(gguf::GgmlType::Q8_0, gguf::GgmlType::F32);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-bailingmoe", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  CHECK(d.traits->rope == model::RopeKind::Normal);
  CHECK(d.router.gating == model::ExpertGating::Softmax);
  CHECK(d.router.normalize);
  CHECK(d.n_layer_dense_lead == 0);
  CHECK(d.n_expert_shared == 2);
  CHECK(d.n_ff_shexp == 128);
  const model::LayerWeights& L = model->weights().layers[0];
  CHECK(L.exp_probs_b.empty());
  CHECK(L.q_norm.empty());
  CHECK(L.gate_shexp.n_rows == 128);
  const auto ref = check_against_textbook(*model, 0.05f);
  if (type == gguf::GgmlType::F32) {  // the shared experts count (their down rows zeroed)
    const auto bytes = with_tensor(path, "blk.1.ffn_down_shexp.weight", [](float, size_t) { return 0.0f; });
    auto unshared = model::Model::from_gguf(gguf::GgufFile::parse(bytes));
    CHECK(test::max_abs_diff(engine_logits(*unshared, "cpu"), ref) > 1e-3f);
    CHECK(test::max_abs_diff(engine_logits(*unshared, "cpu"), test::naive_logits(*unshared, kTokens)) <=
          1e-4f);
    return;
  }
  // softmax whatever the file's gating key says (llama.cpp's graph passes it)
  auto sigmoid_key = model::Model::load(with_metadata(path, "bailingmoe-sigmoid", [](gguf::GgufWriter& w) {
    w.set_u32("bailingmoe.expert_gating_func", 2);
  }));
  CHECK(sigmoid_key->desc().router.gating == model::ExpertGating::Softmax);
  CHECK(test::max_abs_diff(engine_logits(*sigmoid_key, "cpu"), engine_logits(*model, "cpu")) == 0.0f);
  // files llama.cpp does not run as they say: dense layers, heads wider than RoPE turns
  CHECK_THROWS_WITH(
      model::Model::load(
          with_metadata(path, "bailingmoe-dense",
                        [](gguf::GgufWriter& w) { w.set_u32("bailingmoe.leading_dense_block_count", 1); })),
      Contains("bailingmoe.leading_dense_block_count 1: bailingmoe with dense layers is not supported"));
  CHECK_THROWS_WITH(model::Model::load(with_metadata(
                        path, "bailingmoe-partial",
                        [](gguf::GgufWriter& w) { w.set_u32("bailingmoe.rope.dimension_count", 16); })),
                    Contains("bailingmoe with partial RoPE is not supported"));
}

TEST_CASE("glm4moe keys out of range are refused by name, and a cut of its dense layers is a dense model",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-glm4moe", gguf::GgmlType::Q8_0);
  check_refused(
      path, "grouped", [](gguf::GgufWriter& w) { w.set_u32("glm4moe.expert_group_count", 8); },
      "expert_group_count 8 and expert_group_used_count 8 do not divide 4 experts");
  check_refused(
      path, "gating", [](gguf::GgufWriter& w) { w.set_u32("glm4moe.expert_gating_func", 3); },
      "expert_gating_func 3 is not supported");
  check_refused(
      path, "nextn", [](gguf::GgufWriter& w) { w.set_u32("glm4moe.nextn_predict_layers", 3); },
      "glm4moe.nextn_predict_layers = 3 is out of range 0..2");
  check_refused(
      path, "dense", [](gguf::GgufWriter& w) { w.set_u32("glm4moe.leading_dense_block_count", 3); },
      "glm4moe.leading_dense_block_count = 3 is out of range 0..2");
  check_refused(
      path, "scale", [](gguf::GgufWriter& w) { w.set_f32("glm4moe.expert_weights_scale", -1.0f); },
      "expert_weights_scale must be a positive number");
  // every layer dense by its keys: layer 1's dense tensors are missing
  CHECK_THROWS_WITH(
      model::Model::load(with_metadata(
          path, "all-dense", [](gguf::GgufWriter& w) { w.set_u32("glm4moe.leading_dense_block_count", 2); })),
      Contains("'blk.1.ffn_gate.weight' is missing"));
  // a cut of its dense first layer alone is a dense model, whatever widths its expert keys claim
  const auto cut = test::temp_dir("architectures-metadata") / "glm4moe-dense-cut.gguf";
  synth::Options options;
  options.shape = *synth::find_shape("test-tiny-glm4moe");
  options.shape.n_layer = 1;
  options.type = gguf::GgmlType::Q8_0;
  synth::write_model(options, cut);
  auto dense = model::Model::load(with_metadata(cut, "glm4moe-dense-cut-wide", [](gguf::GgufWriter& w) {
    w.set_u64("glm4moe.expert_feed_forward_length", uint64_t{1} << 40);
  }));
  CHECK(dense->desc().n_expert == 0);
  CHECK(dense->desc().dense_ff_width() == 256);
  CHECK(test::max_abs_diff(engine_logits(*dense, "cpu"), test::naive_logits(*dense, kTokens)) <= 1e-4f);
  // a layer the keys call a mixture must have its experts: one more dense layer than the tensors hold
  CHECK_THROWS_WITH(model::Model::load(with_metadata(
                        path, "dense-missing",
                        [](gguf::GgufWriter& w) { w.set_u32("glm4moe.leading_dense_block_count", 0); })),
                    Contains("'blk.0.ffn_gate_inp.weight' is missing"));
}

TEST_CASE("deepseek2: multi-head latent attention, absorbed as llama.cpp runs it, matches the textbook pass",
          "[engine][architectures]") {
  // The engine attends over the latent (one KV head of 16 + 64, each head's nope query through its k_b, its
  // output back through its v_b); the textbook pass decompresses every head's key and value from the latent
  // as DeepSeek-V2's paper states it. -q: the query through a rank of 96 and DeepSeek-V2's softmax router.
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-deepseek2", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-deepseek2", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-deepseek2-q", gguf::GgmlType::Q4_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const model::ModelDescription& d = model->desc();
  const bool q_rank = std::string(shape) == "test-tiny-deepseek2-q";
  REQUIRE(d.is_mla());
  CHECK(d.mla.kv_rank == 64);
  CHECK(d.mla.nope == 32);
  CHECK(d.mla.v_head == 48);
  CHECK(d.mla.q_rank == (q_rank ? 96 : 0));
  CHECK(d.n_rot == 16);
  CHECK(d.head_dim == 80);  // the RoPE key, then the latent
  CHECK(d.n_head_kv == 1);
  CHECK(d.attn_out_dim() == 4 * 48);
  CHECK(d.attention_scale == Approx(1.0 / std::sqrt(48.0)));
  CHECK(d.router.gating == (q_rank ? model::ExpertGating::Softmax : model::ExpertGating::Sigmoid));
  CHECK(d.router.scale == (q_rank ? 1.0f : 1.8f));
  CHECK(d.n_layer_dense_lead == (q_rank ? 0 : 1));
  const model::LayerWeights& L = model->weights().layers[1];
  REQUIRE(L.k_b.size() == 4);
  CHECK(L.k_b[3].n_rows == 64);
  CHECK(L.k_b[3].n_cols == 32);
  CHECK(L.v_b[3].n_rows == 48);
  CHECK(L.v_b[3].n_cols == 64);
  CHECK(static_cast<bool>(L.wq_a) == q_rank);
  CHECK(L.wo.n_cols == 4 * 48);
  CHECK(L.gate_shexp.n_rows == 64);

  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);
  cpu::CpuBackend cpu(*model);  // one token at a time
  model::Session session(*model, cpu, static_cast<int64_t>(kTokens.size()));
  std::span<const float> last;
  for (int32_t token : kTokens) last = cpu.forward(session, std::span(&token, 1), false);
  CHECK(test::max_abs_diff(last, std::span(ref).last(static_cast<size_t>(d.n_vocab))) <= 1e-4f);
  // the query cache behind the maps keeps each head unabsorbed (16 + 32 floats, not 16 + 64), beside the
  // latent keys (80), which are the values too
  CHECK(d.q_cache_dim() == 4 * 48);
  CHECK(session.caches().bytes() == uint64_t(2) * kTokens.size() * (80 + 4 * 48) * sizeof(float));
  // attention maps per head over the shared latent keys: rows of probabilities (the Vulkan tests compare them
  // with the Vulkan engine's, whose query cache holds the absorbed queries)
  const model::Range all{0, static_cast<int64_t>(kTokens.size())};
  const auto map = cpu.attention(session, 1, 3, all, all);
  for (int64_t i = 0; i < all.size(); ++i) {
    double sum = 0;
    for (int64_t j = 0; j < all.size(); ++j) sum += map.probs[static_cast<size_t>(i * all.size() + j)];
    CHECK(sum == Approx(1.0).margin(1e-5));
  }
}

TEST_CASE(
    "minicpm3: latent attention from one attn_kv_b, NeoX RoPE and MiniCPM's multipliers match the textbook",
    "[engine][architectures]") {
  // test-tiny-minicpm3: 4 heads of 32 + 16 for q and k (through a q rank of 48) and of 32 for v, a latent of
  // 64, the file's key_length and head_count_kv the heads' (as MiniCPM3's converter writes them), dense FFNs,
  // no multiplier keys (MiniCPM's constants: embeddings x12, sublayers x1.4/sqrt(2), logits x256/128)
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-minicpm3", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.is_mla());
  CHECK(d.mla.whole_kv_b);
  CHECK(d.mla.kv_rank == 64);
  CHECK(d.mla.nope == 32);
  CHECK(d.mla.v_head == 32);
  CHECK(d.mla.q_rank == 48);
  CHECK(d.n_rot == 16);
  CHECK(d.head_dim == 80);  // the RoPE key, then the latent
  CHECK(d.n_head_kv == 1);
  CHECK(d.n_expert == 0);
  CHECK(d.attention_scale == Approx(1.0 / std::sqrt(48.0)));
  CHECK(d.embedding_scale == 12.0f);
  CHECK(d.residual_scale == 1.4f / std::sqrt(2.0f));
  CHECK(d.logit_multiplier == 2.0f);
  const model::LayerWeights& L = model->weights().layers[1];
  REQUIRE(L.k_b.size() == 4);
  CHECK(L.k_b[3].n_rows == 64);
  CHECK(L.k_b[3].n_cols == 32);
  CHECK(L.v_b[3].n_rows == 32);
  CHECK(L.v_b[3].n_cols == 64);
  // k_b: head 3's k rows of attn_kv_b transposed (its rows 3·64 .. 3·64 + 31; each of 64 floats); v_b: the 32
  // rows after them, as they are
  const gguf::TensorInfo& kv_b = model->file().require_tensor("blk.1.attn_kv_b.weight");
  CHECK(L.v_b[3].row(0) == kv_b.data + (3 * 64 + 32) * kv_b.row_bytes());
  if (type == gguf::GgmlType::F32) {
    const auto* file = reinterpret_cast<const float*>(kv_b.data);
    const auto* k_b = reinterpret_cast<const float*>(L.k_b[3].data);
    bool same = true;
    for (int64_t j = 0; j < 64; ++j)
      for (int64_t i = 0; i < 32; ++i) same = same && k_b[j * 32 + i] == file[(3 * 64 + i) * 64 + j];
    CHECK(same);
  }
  check_against_textbook(*model, 0.05f);
  // a file of another layout (key and value heads apart) is refused by name
  const auto kv_heads =
      with_metadata(path, "minicpm3-kv-heads-" + gguf::ggml_type_name(type),
                    [](gguf::GgufWriter& w) { w.set_u32("minicpm3.attention.head_count_kv", 2); });
  CHECK_THROWS_WITH(model::Model::load(kv_heads), Contains("minicpm3.attention.head_count_kv 2"));
  CHECK_THROWS_WITH(model::Model::load(without_tensor(path, "blk.0.attn_kv_b.weight")),
                    Contains("blk.0.attn_kv_b.weight"));
}

TEST_CASE("deepseek2 with DeepSeek's YaRN: unscaled cos and sin, scores times mscale squared",
          "[engine][architectures]") {
  // DeepSeek-V2-Lite's scaling (factor 40 over 4096, mscale_all_dim 0.707) shrunk to this model: factor 4
  // over 16 positions, so that the ramp turns pairs within the test's tokens
  const auto path = test::synth_model_file("test-tiny-deepseek2", gguf::GgmlType::Q8_0);
  auto model = model::Model::load(with_metadata(path, "deepseek2-yarn", [](gguf::GgufWriter& w) {
    w.set_string("deepseek2.rope.scaling.type", "yarn");
    w.set_f32("deepseek2.rope.scaling.factor", 4.0f);
    w.set_u32("deepseek2.rope.scaling.original_context_length", 16);
    w.set_f32("deepseek2.rope.scaling.yarn_log_multiplier", 0.0707f);
  }));
  const model::ModelDescription& d = model->desc();
  const double mscale = 1.0 + 0.0707 * std::log(4.0);
  CHECK(d.attention_scale == Approx(mscale * mscale / std::sqrt(48.0)).epsilon(1e-6));
  CHECK(d.rope_scaling.mscale() == Approx(1.0f));
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);
  auto plain = model::Model::load(path);
  CHECK(test::max_abs_diff(engine_logits(*plain, "cpu"), ref) > 1e-3f);
}

TEST_CASE("DeepSeek-V3's group-limited expert choice: only the best groups' experts are chosen",
          "[engine][architectures]") {
  // 4 experts in 2 groups of 2, the best group's (by its two best scores) both chosen
  const auto path = test::synth_model_file("test-tiny-deepseek2", gguf::GgmlType::Q8_0);
  auto model = model::Model::load(with_metadata(path, "deepseek2-groups", [](gguf::GgufWriter& w) {
    w.set_u32("deepseek2.expert_group_count", 2);
    w.set_u32("deepseek2.expert_group_used_count", 1);
  }));
  CHECK(model->desc().router.groups == 2);
  CHECK(model->desc().router.groups_used == 1);
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  auto ungrouped = model::Model::load(path);
  CHECK(test::max_abs_diff(engine_logits(*ungrouped, "cpu"), ref) > 1e-3f);
  // the routing alone: group 1 (experts 2, 3) has the better pair though expert 0 is the best expert
  model::ExpertRouting routing;
  const float logits[] = {3.0f, -4.0f, 2.0f, 1.5f};
  routing.route(logits, 1, 4, 2, {model::ExpertGating::Sigmoid, true, 1.0f, 2, 1});
  CHECK(routing.chosen == std::vector<int32_t>{2, 3});
  routing.route(logits, 1, 4, 2, {model::ExpertGating::Sigmoid, true, 1.0f, 1, 1});
  CHECK(routing.chosen == std::vector<int32_t>{0, 2});
}

TEST_CASE("deepseek2 files the latent attention here cannot run are refused by name",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-deepseek2", gguf::GgmlType::Q8_0);
  // a file converted before llama.cpp split attn_kv_b (its keys and values decompressed)
  const auto in = gguf::GgufFile::open(path);
  gguf::GgufWriter legacy;
  for (const auto& [key, value] : in.metadata())
    if (key != "general.alignment" && key != "deepseek2.attention.key_length_mla") legacy.set(key, value);
  test::copy_tensors(in, legacy);
  const auto legacy_path = test::temp_dir("architectures-metadata") / "deepseek2-legacy.gguf";
  legacy.write(legacy_path.string());
  CHECK_THROWS_WITH(model::Model::load(legacy_path),
                    Contains("predates llama.cpp's split attn_k_b/attn_v_b"));
  check_refused(
      path, "yarn",
      [](gguf::GgufWriter& w) {
        w.set_string("deepseek2.rope.scaling.type", "yarn");
        w.set_f32("deepseek2.rope.scaling.factor", 4.0f);
        w.set_u32("deepseek2.rope.scaling.original_context_length", 32);
      },
      "RoPE scaling with multi-head latent attention is supported as DeepSeek's YaRN only");
  check_refused(
      path, "kv-heads", [](gguf::GgufWriter& w) { w.set_u32("deepseek2.attention.head_count_kv", 4); },
      "multi-head latent attention needs attention.key_length = kv_lora_rank");
  check_refused(
      path, "grouped", [](gguf::GgufWriter& w) { w.set_u32("deepseek2.expert_group_count", 3); },
      "expert_group_count 3 and expert_group_used_count 3 do not divide 4 experts");
  check_refused(
      path, "temperature",
      [](gguf::GgufWriter& w) { w.set_f32("deepseek2.attention.temperature_scale", 0.1f); },
      "the length it steps by (deepseek2.attention.temperature_length)");
}

TEST_CASE("olmo2: norms after the sublayers only, q and k normalized whole, OLMo 3's windows",
          "[engine][architectures]") {
  // test-tiny-olmo2: four layers, the first three with a window of 4 keys (OLMo 3; OLMo 2 has none)
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-olmo2", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.architecture == "olmo2");
  CHECK(d.is_local(0));
  CHECK(d.is_local(2));
  CHECK_FALSE(d.is_local(3));
  const model::LayerWeights& L = model->weights().layers[1];
  CHECK(L.attn_norm.empty());
  CHECK(L.ffn_norm.empty());
  CHECK(L.q_norm.size() == static_cast<size_t>(d.q_dim()));
  CHECK(L.k_norm.size() == static_cast<size_t>(d.kv_dim()));
  const auto ref = test::naive_logits(*model, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), ref) <= 1e-4f);
  // (llama.cpp's 8-bit activations of quantized weights: here the raw residual stream, no norm before)
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 0.05f);
  // OLMo 2: no windows
  const auto olmo2 =
      with_metadata(path, std::string("olmo2-no-window-") + gguf::ggml_type_name(type),
                    [](gguf::GgufWriter& w) { w.set_u32("olmo2.attention.sliding_window", 0); });
  auto unwindowed = model::Model::load(olmo2);
  CHECK_FALSE(unwindowed->desc().is_local(0));
  const auto ref2 = test::naive_logits(*unwindowed, kTokens);
  CHECK(test::max_abs_diff(engine_logits(*unwindowed, "cpu"), ref2) <= 1e-4f);
  CHECK(test::max_abs_diff(ref2, ref) > 1e-3f);
}

TEST_CASE("Qwen2/3-VL chat as text, and ERNIE 4.5 is llama: the same weights, the same logits",
          "[engine][architectures]") {
  // a text token's three multimodal positions are one, which is plain RoPE: the same weights under the VL
  // architecture (with its rope.dimension_sections) give the same logits; ERNIE 4.5's dense models are
  // llama's layers under another name
  const auto [base, vl] = GENERATE(std::pair{"qwen2", "qwen2vl"}, std::pair{"qwen3", "qwen3vl"},
                                   std::pair{"qwen3moe", "qwen3vlmoe"}, std::pair{"", "ernie4_5"});
  INFO(vl);
  const std::string shape = *base ? std::string("test-tiny-") + base : "test-tiny";  // ("": llama)
  const auto path = test::synth_model_file(shape, gguf::GgmlType::Q8_0);
  const auto in = gguf::GgufFile::open(path);
  const auto renamed = with_metadata(path, std::string("as-") + vl, [&](gguf::GgufWriter& w) {
    w.set_string("general.architecture", vl);
    const std::string from = in.architecture() + ".";
    for (const auto& [key, value] : in.metadata())
      if (key.rfind(from, 0) == 0) w.set(std::string(vl) + "." + key.substr(from.size()), value);
    const std::vector<int32_t> sections = {8, 12, 12, 0};
    if (std::string(vl).find("vl") != std::string::npos)
      w.set_i32s(std::string(vl) + ".rope.dimension_sections", sections);
  });
  auto model = model::Model::load(renamed);
  REQUIRE(model->desc().architecture == vl);
  CHECK(test::max_abs_diff(engine_logits(*model, "cpu"), engine_logits(*model::Model::load(path), "cpu")) ==
        0.0f);
}

TEST_CASE(
    "lfm2 and lfm2moe: short-convolution layers between attention layers match the textbook forward pass",
    "[engine][architectures]") {
  // test-tiny-lfm2: attention on layers 2 and 4 of five, gated short convolutions of 3 taps on the others;
  // test-tiny-lfm2moe: attention on layers 1 and 3 of four, a dense first layer, then 4 experts (2 per token)
  // chosen by sigmoid plus a bias, renormalized
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-lfm2", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-lfm2", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-lfm2moe", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-lfm2moe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-lfm2-swa", gguf::GgmlType::F32});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const model::ModelDescription& d = model->desc();
  const bool moe = std::string(shape) == "test-tiny-lfm2moe";
  REQUIRE(d.traits->short_conv);
  // (test-tiny-lfm2-swa: its attention layers see the last 4 keys, which kTokens' 11 exceed)
  CHECK(d.sliding_window == (std::string(shape) == "test-tiny-lfm2-swa" ? 4 : 0));
  CHECK(d.is_local(2) == (d.sliding_window > 0));
  CHECK(d.shortconv_kernel == 3);
  CHECK(d.n_head_kv == 2);
  CHECK(d.n_attention_layers() == 2);
  using M = model::ModelDescription::Mixer;
  CHECK(d.mixers ==
        (moe ? std::vector<M>{M::ShortConv, M::Attention, M::ShortConv, M::Attention}
             : std::vector<M>{M::ShortConv, M::ShortConv, M::Attention, M::ShortConv, M::Attention}));
  CHECK(d.cache_slot(moe ? 3 : 4) == 1);  // the second attention layer's caches
  CHECK(d.cache_slot(moe ? 2 : 3) == (moe ? 1 : 2));
  if (moe) {
    CHECK(d.n_expert == 4);
    CHECK(d.n_layer_dense_lead == 1);
    CHECK(d.router.gating == model::ExpertGating::Sigmoid);
    CHECK(d.router.normalize);
    REQUIRE_FALSE(model->weights().layers[1].exp_probs_b.empty());
  }
  REQUIRE(model->weights().layers[0].conv_in);
  REQUIRE_FALSE(model->weights().layers[0].wq);

  const auto ref = check_against_textbook(*model, (moe ? 0.05f : 0.02f));

  // the convolution is what mixes the tokens of its layers: without the taps of the first layer's oldest
  // two positions the logits change
  if (type == gguf::GgmlType::F32) {
    const auto cut =
        without_older_taps(test::synth_model_file(shape, type), "blk.0.shortconv.conv.weight", 3);
    CHECK(test::max_abs_diff(engine_logits(*cut.model, "cpu"), ref) > 1e-2f);
  }
}

TEST_CASE("lfm2: a session taken back to an earlier position convolves what it holds there",
          "[engine][architectures]") {
  // The convolution layers keep each position's input (b·x), as attention keeps its keys: going back and
  // taking another way, then back again, gives the first way's logits.
  auto model = model::Model::load(test::synth_model_file("test-tiny-lfm2", gguf::GgmlType::F32));
  const auto ref = test::naive_logits(*model, kTokens);
  const auto n_vocab = static_cast<size_t>(model->desc().n_vocab);
  const auto backend_name = GENERATE("cpu", "cpu-llamacpp");
  INFO(backend_name);
  auto backend = model::create_backend(backend_name, *model);
  model::Session session(*model, *backend, static_cast<int64_t>(kTokens.size()));
  const std::span<const int32_t> all(kTokens);
  backend->forward(session, all, false);
  session.truncate(5);
  const std::vector<int32_t> other = {200, 201, 202, 203};
  const auto other_logits = backend->forward(session, other, false);
  const float tolerance = backend_name == std::string("cpu") ? 1e-4f : 0.02f;
  const std::vector<float> other_ref =
      test::naive_logits(*model, std::vector<int32_t>{1, 17, 250, 3, 99, 200, 201, 202, 203});
  CHECK(test::max_abs_diff({other_logits.begin(), other_logits.end()}, std::span(other_ref).last(n_vocab)) <=
        tolerance);
  session.truncate(5);
  std::span<const float> last;
  for (size_t i = 5; i < kTokens.size(); ++i) last = backend->forward(session, all.subspan(i, 1), false);
  CHECK(test::max_abs_diff({last.begin(), last.end()}, std::span(ref).last(n_vocab)) <= tolerance);
}

TEST_CASE("qwen35: gated delta-net layers and gated attention match the textbook forward pass",
          "[engine][architectures]") {
  // test-tiny-qwen35: attention on layers 2 and 5 of six (heads of 64, RoPE on 16 dimensions, an output
  // gate), gated delta nets of 2 key and 4 value heads of 32 with a convolution of 4 taps on the others
  // test-tiny-qwen35moe: the same, with 4 experts (2 per token, softmax, renormalized) and a shared expert
  // gated per token
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-qwen35", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-qwen35", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-qwen35moe", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-qwen35moe", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-qwen3next", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-qwen3next", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const model::ModelDescription& d = model->desc();
  // (qwen3next: β and α in one matrix, value head h reading key head h / 2; the textbook pass reads them so)
  CHECK(d.delta.grouped == (std::string(shape) == "test-tiny-qwen3next"));
  CHECK(d.delta.key_head(1) == (d.delta.grouped ? 0 : 1));
  if (std::string(shape) != "test-tiny-qwen35") {
    CHECK(d.n_expert == 4);
    CHECK(d.router.normalize);
    CHECK(d.router.gating == model::ExpertGating::Softmax);
    REQUIRE(model->weights().layers[0].shexp_gate);
  }
  using M = model::ModelDescription::Mixer;
  CHECK(d.mixers ==
        std::vector<M>{M::DeltaNet, M::DeltaNet, M::Attention, M::DeltaNet, M::DeltaNet, M::Attention});
  CHECK(d.cache_slot(5) == 1);
  CHECK(d.cache_slot(4) == 3);
  CHECK(d.delta.conv_kernel == 4);
  CHECK(d.delta.n_k_heads == 2);
  CHECK(d.delta.n_v_heads == 4);
  CHECK(d.delta.head_v_dim == 32);
  CHECK(d.n_rot == 16);
  CHECK(model->weights().layers[2].wq.n_rows == 2 * d.q_dim());  // [q, gate] per head
  REQUIRE(model->weights().layers[0].dn_qkv);

  const auto ref = check_against_textbook(*model, 0.06f);

  // the convolution reads the positions before: without its older taps, other logits (the textbook pass fixes
  // the rest, e.g. value head h reading key head h % 2, not h / 2 as Hugging Face's layout would)
  if (type == gguf::GgmlType::F32) {
    const auto cut = without_older_taps(test::synth_model_file(shape, type), "blk.0.ssm_conv1d.weight");
    CHECK(test::max_abs_diff(engine_logits(*cut.model, "cpu"), ref) > 1e-2f);
  }
}

TEST_CASE("qwen35: a session taken back re-evaluates from the delta net's newest checkpoint before it",
          "[engine][architectures]") {
  // The delta-net state carries every position into the next, so going back restores a checkpoint (one
  // before each prompt and every 32 one-token steps) and evaluates the tokens after it again.
  auto model = model::Model::load(test::synth_model_file("test-tiny-qwen35", gguf::GgmlType::F32));
  // (checkpoints before the prompt's last token (6), then every 32 one-token steps: at 38)
  check_checkpoints_taken_back(*model, 60, 38, {50, 20, 3});
}

TEST_CASE("kimi-linear: Kimi Delta Attention and latent attention without RoPE match the textbook pass",
          "[engine][architectures]") {
  // test-tiny-kimi-linear: Kimi Delta Attention (4 heads of 32, a decay per key channel, convolutions of 4
  // taps on q, k and v) on layers 0 and 2, latent attention without RoPE on 1 and 3, a dense first layer,
  // then 4 experts (2 per token, sigmoid steered by a bias, renormalized, times 2.446) beside a shared one
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-kimi-linear", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  using M = model::ModelDescription::Mixer;
  CHECK(d.mixers == std::vector<M>{M::DeltaNet, M::Attention, M::DeltaNet, M::Attention});
  CHECK(d.cache_slot(2) == 1);
  CHECK(d.cache_slot(3) == 1);
  REQUIRE(d.delta.kda);
  CHECK(d.delta.n_k_heads == 4);
  CHECK(d.delta.n_v_heads == 4);
  CHECK(d.delta.head_k_dim == 32);
  CHECK(d.delta.conv_kernel == 4);
  CHECK(d.delta.conv_dim() == 3 * 128);
  CHECK(d.is_mla());
  CHECK(d.mla.q_rank == 0);
  CHECK(d.head_dim == 80);
  CHECK(d.n_head_kv == 1);
  CHECK_FALSE(d.rope_in_layer(1));
  CHECK(d.attention_scale == Approx(1.0 / std::sqrt(48.0)));
  CHECK(d.router.gating == model::ExpertGating::Sigmoid);
  CHECK(d.router.normalize);  // (llama.cpp's graph always renormalizes Kimi's)
  CHECK(d.router.scale == 2.446f);
  CHECK(d.n_layer_dense_lead == 1);
  const model::LayerWeights& L0 = model->weights().layers[0];
  CHECK(L0.dn_conv.size() == 3 * 128 * 4);  // q's, k's and v's taps, read from [4, 1, 128] each
  CHECK(L0.dn_dt_bias.size() == 128);       // a decay bias per channel
  CHECK(L0.kda_f_a.n_rows == 32);
  CHECK(L0.kda_g_b.n_rows == 128);

  const auto ref = check_against_textbook(*model, 0.06f);

  // the overview: the latent-attention layers' heads summed up, the KDA layers' empty; a KDA layer has no map
  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, 64);
  cpu.forward(session, kTokens, false);
  const model::Range all{0, static_cast<int64_t>(kTokens.size())};
  for (const model::HeadSummary& h : cpu.attention_summary(session, all)) {
    INFO("layer " << h.layer << " head " << h.head);
    CHECK(std::isnan(h.entropy) == (h.layer % 2 == 0));
  }
  CHECK_THROWS_WITH(cpu.attention(session, 2, 0, all, all), Contains("Kimi Delta Attention"));
  const auto map = cpu.attention(session, 3, 1, all, all);
  for (int64_t i = 0; i < all.size(); ++i) {
    double sum = 0;
    for (int64_t j = 0; j < all.size(); ++j) sum += map.probs[static_cast<size_t>(i * all.size() + j)];
    CHECK(sum == Approx(1.0).margin(1e-5));
  }

  if (type != gguf::GgmlType::F32) return;
  // the convolutions read the positions before: without k's older taps, other logits
  const auto no_taps = without_older_taps(path, "blk.2.ssm_conv1d_k.weight");
  CHECK(test::max_abs_diff(engine_logits(*no_taps.model, "cpu"), ref) > 1e-3f);
}

TEST_CASE("kimi-linear: a session taken back re-evaluates from the recurrent state's newest checkpoint",
          "[engine][architectures]") {
  // (Kimi Delta Attention's state and its convolutions' last inputs are kept with checkpoints, as Qwen3.5's:
  // an edit or a regenerate goes back to one and evaluates the tokens after it again)
  auto model = model::Model::load(test::synth_model_file("test-tiny-kimi-linear", gguf::GgmlType::F32));
  check_checkpoints_taken_back(*model, 40, 38, {45, 20, 2});
}

TEST_CASE("kimi-linear files whose Kimi Delta Attention differs from Kimi Linear's are refused by name",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-kimi-linear", gguf::GgmlType::Q8_0);
  check_refused(
      path, "safe-gate", [](gguf::GgufWriter& w) { w.set_bool("kimi-linear.kda.safe_gate", true); },
      "kimi-linear.kda.safe_gate: Kimi Delta Attention with a bounded gate is not supported");
  check_refused(
      path, "attn-res", [](gguf::GgufWriter& w) { w.set_u32("kimi-linear.attn_res_block_size", 4); },
      "attention residuals across blocks are not supported");
  check_refused(
      path, "no-kda-layers", [](gguf::GgufWriter& w) { w.set_u32("kimi-linear.attention.head_count_kv", 1); },
      "must mark the Kimi Delta Attention layers with 0");
  check_refused(
      path, "taps", [](gguf::GgufWriter& w) { w.set_u32("kimi-linear.ssm.conv_kernel", 40); },
      "ssm.conv_kernel 40 is outside the supported 2..16 taps");
  // a missing tensor is named
  const auto in = gguf::GgufFile::open(path);
  gguf::GgufWriter w;
  test::copy_metadata(in, w);
  for (const auto& t : in.tensors())
    if (t.name != "blk.2.ssm_f_b.weight") w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
  const auto missing = test::temp_dir("architectures-metadata") / "kimi-missing.gguf";
  w.write(missing.string());
  CHECK_THROWS_WITH(model::Model::load(missing),
                    Contains("tensor 'blk.2.ssm_f_b.weight' is missing from the model file"));
}

TEST_CASE("granitehybrid: Mamba-2 layers beside attention without RoPE match the textbook forward pass",
          "[engine][architectures]") {
  // test-tiny-granitehybrid: Mamba-2 on layers 0, 1 and 3 (8 heads of 32 channels, a state of 16, B and C in
  // 2 groups), attention without RoPE on layer 2, granite's multipliers; "-moe": experts beside a shared one,
  // B and C in one group (its norm written [256], where llama.cpp's converter writes [256, 1]: the same
  // tensor)
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-granitehybrid", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-granitehybrid", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-granitehybrid-moe", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-granitehybrid-moe", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const model::ModelDescription& d = model->desc();
  using M = model::ModelDescription::Mixer;
  CHECK(d.mixers == std::vector<M>{M::Mamba2, M::Mamba2, M::Attention, M::Mamba2});
  CHECK(d.cache_slot(3) == 2);
  CHECK(d.mamba.n_head == 8);
  CHECK(d.mamba.head_dim() == 32);
  const bool moe = std::string(shape) == "test-tiny-granitehybrid-moe";
  CHECK(d.mamba.n_group == (moe ? 1 : 2));
  CHECK(d.rope_off);
  CHECK(d.residual_scale == Approx(0.22f));
  if (moe) {
    CHECK(d.n_expert == 4);
    CHECK(d.n_ff_shexp == 64);
    REQUIRE(model->weights().layers[0].gate_shexp);
  }
  const auto ref = check_against_textbook(*model, 0.05f);

  // a session taken back restores the Mamba-2 state's checkpoint and evaluates again
  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, 64);
  cpu.forward(session, kTokens, false);
  check_taken_back(*model, cpu, session, kTokens);
}

TEST_CASE(
    "jamba: Mamba-1 layers with normed dt, B and C beside NoPE attention and experts match the textbook",
    "[engine][architectures]") {
  // test-tiny-jamba: Mamba-1 on layers 0, 1 and 3 (256 channels, a state of 16, dt through a rank of 8, its
  // dt, B and C RMS-normalized with gains of their own), attention without RoPE on layer 2, 4 experts (2 per
  // token, their softmax probabilities not renormalized) on layers 1 and 3, dense SwiGLUs on 0 and 2
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file("test-tiny-jamba", type));
  const model::ModelDescription& d = model->desc();
  using M = model::ModelDescription::Mixer;
  CHECK(d.mixers == std::vector<M>{M::Mamba1, M::Mamba1, M::Attention, M::Mamba1});
  CHECK(d.cache_slot(3) == 2);
  CHECK(d.cache_slot(2) == 0);
  CHECK(d.n_attention_layers() == 1);
  CHECK(d.n_recurrent_layers() == 3);
  CHECK(d.mamba.v1);
  CHECK(d.mamba.dt_b_c_rms);
  CHECK(d.mamba.dt_b_c_gains);
  CHECK(d.mamba.dt_rank == 8);
  CHECK_FALSE(d.rope_in_layer(2));
  CHECK(d.n_expert == 4);
  CHECK(d.moe_step == 2);
  CHECK_FALSE(d.router.normalize);
  for (int64_t l = 0; l < d.n_layer; ++l) {
    CHECK(d.moe_layer(l) == (l % 2 == 1));
    CHECK(d.has_ffn(l));
  }
  const model::LayerWeights& L0 = model->weights().layers[0];
  CHECK(L0.mb_dt_norm.size() == 8);
  CHECK(L0.mb_b_norm.size() == 16);
  CHECK(L0.mb_c_norm.size() == 16);
  CHECK(L0.w_gate);
  CHECK(model->weights().layers[1].router);
  const auto ref = check_against_textbook(*model, 0.05f);

  // attention maps over the one attention layer
  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, 64);
  cpu.forward(session, kTokens, false);
  CHECK(cpu.attention(session, 2, 1, {0, 11}, {0, 11}).probs.size() == 121);

  // a session taken back restores the Mamba-1 state's checkpoint and evaluates again
  check_taken_back(*model, cpu, session, kTokens);

  // files it cannot run as written are refused by name
  const auto out = test::temp_dir("jamba-errors") / "edited.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-jamba", gguf::GgmlType::F32), out,
                      [](gguf::GgufWriter& w) {
                        gguf::Array kv;
                        kv.elem_type = gguf::ValueType::Uint32;
                        kv.ints = {2, 2, 2, 2};
                        w.set_array("jamba.attention.head_count_kv", kv);
                      });
  CHECK_THROWS_WITH(model::Model::load(out), Contains("with 0 for jamba's Mamba layers"));
  test::rewrite_model(test::synth_model_file("test-tiny-jamba", gguf::GgmlType::F32), out,
                      [](gguf::GgufWriter&) {}, {{"blk.0.ffn_gate_inp.weight", std::vector<float>(4, 0.0f)}});
  CHECK_THROWS_WITH(model::Model::load(out), Contains("layer 2 lacks an expert router (ffn_gate_inp)"));
}

TEST_CASE("jamba without experts (expert_count 1, no router) runs dense FFNs on every layer",
          "[engine][architectures]") {
  // llama.cpp's converter writes the config's num_experts even where it is 1 and every FFN is dense: the
  // model runs as it reads, no expert anywhere
  const auto out = test::temp_dir("jamba-dense") / "one-expert.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-jamba-dense", gguf::GgmlType::F32), out,
                      [](gguf::GgufWriter& w) {
                        w.set_u32("jamba.expert_count", 1);
                        w.set_u32("jamba.expert_used_count", 1);
                      });
  auto model = model::Model::load(out);
  const model::ModelDescription& d = model->desc();
  CHECK(d.n_expert == 0);
  for (int64_t l = 0; l < d.n_layer; ++l) {
    CHECK_FALSE(d.moe_layer(l));
    CHECK(model->weights().layers[static_cast<size_t>(l)].w_gate);
  }
  check_against_textbook(*model, 0.05f);
  // (more than one expert with no router anywhere: refused by name)
  const auto bad = test::temp_dir("jamba-dense") / "four-experts.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-jamba-dense", gguf::GgmlType::F32), bad,
                      [](gguf::GgufWriter& w) {
                        w.set_u32("jamba.expert_count", 4);
                        w.set_u32("jamba.expert_used_count", 2);
                      });
  CHECK_THROWS_WITH(model::Model::load(bad), Contains("no layer has an expert router"));
}

TEST_CASE("falcon-h1: Mamba-2 beside attention in every layer matches the textbook forward pass",
          "[engine][architectures]") {
  // test-tiny-falcon-h1: 3 layers, each Mamba-2 (8 heads of 32 channels, a state of 16, B and C in 2 groups)
  // and attention (4 heads of 64, 2 KV heads, NeoX RoPE; q 256 wide against n_embd 128) on one norm's
  // output, then SwiGLU; without the Mamba-2 norm, and "-norm" with it
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-falcon-h1", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-falcon-h1", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-falcon-h1-norm", gguf::GgmlType::F32});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const model::ModelDescription& d = model->desc();
  using M = model::ModelDescription::Mixer;
  CHECK(d.mixers == std::vector<M>(3, M::Mamba2Attention));
  for (int64_t l = 0; l < d.n_layer; ++l) {
    CHECK(d.has_attention(l));
    CHECK(d.has_ffn(l));
    CHECK(d.rope_in_layer(l));
    CHECK(d.cache_slot(l) == l);
  }
  CHECK(d.n_recurrent_layers() == 3);
  CHECK(d.n_attention_layers() == 3);
  CHECK(d.head_dim == 64);
  CHECK(d.n_rot == 64);  // (no rope.dimension_count: the whole head)
  CHECK(d.q_dim() == 256);
  CHECK(d.attention_scale == Approx(0.125f));
  CHECK(d.mamba.head_dim() == 32);
  const model::LayerWeights& L0 = model->weights().layers[0];
  CHECK(L0.mb_norm.empty() == (std::string(shape) == "test-tiny-falcon-h1"));
  // the FFN norm's gains are the file's blk.0.ffn_norm (without ".weight"), not the attention norm's
  const std::vector<uint8_t> bytes = test::read_bytes(test::synth_model_file(shape, type));
  const auto file = gguf::GgufFile::parse(bytes);
  const gguf::TensorInfo& ffn_norm = file.require_tensor("blk.0.ffn_norm");
  REQUIRE(ffn_norm.type == gguf::GgmlType::F32);
  std::vector<float> gains(static_cast<size_t>(d.n_embd));
  std::memcpy(gains.data(), &bytes[file.data_offset() + ffn_norm.offset], gains.size() * sizeof(float));
  REQUIRE(L0.ffn_norm.size() == gains.size());
  CHECK(std::equal(gains.begin(), gains.end(), L0.ffn_norm.begin()));
  CHECK_FALSE(std::equal(gains.begin(), gains.end(), L0.attn_norm.begin()));
  REQUIRE(L0.wq);
  REQUIRE(L0.mb_in);
  const auto ref = check_against_textbook(*model, 0.05f);

  // every layer attends: its attention map is there
  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, 64);
  cpu.forward(session, kTokens, false);
  CHECK(cpu.attention(session, 2, 1, {0, 11}, {0, 11}).probs.size() == 121);

  // a session taken back restores the Mamba-2 state's checkpoint and evaluates again (the keys and values
  // past the cut overwritten)
  check_taken_back(*model, cpu, session, kTokens);
}

TEST_CASE(
    "mamba2 and mamba (Mamba-1, Falcon-Mamba): state-space layers alone match the textbook forward pass",
    "[engine][architectures]") {
  // test-tiny-mamba2: 3 Mamba-2 layers (8 heads of 32 channels, a state of 16, B and C in 2 groups), tied
  // embeddings; test-tiny-mamba: 3 Mamba-1 layers (256 channels, a state of 16 each, dt through a rank of 8);
  // "falcon-mamba": dt, B and C RMS-normalized. No attention, no FFN.
  const auto [shape, type] = GENERATE(
      std::pair{"test-tiny-mamba2", gguf::GgmlType::F32}, std::pair{"test-tiny-mamba2", gguf::GgmlType::Q8_0},
      std::pair{"test-tiny-mamba", gguf::GgmlType::F32}, std::pair{"test-tiny-mamba", gguf::GgmlType::Q8_0},
      std::pair{"test-tiny-falcon-mamba", gguf::GgmlType::F32},
      std::pair{"test-tiny-falcon-mamba", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const model::ModelDescription& d = model->desc();
  using M = model::ModelDescription::Mixer;
  const bool v2 = std::string(shape) == "test-tiny-mamba2";
  CHECK(d.mixers == std::vector<M>(3, v2 ? M::Mamba2 : M::Mamba1));
  CHECK(d.n_attention_layers() == 0);
  CHECK(d.n_recurrent_layers() == 3);
  CHECK(d.n_head == 0);
  CHECK(d.tied_embeddings == v2);
  for (int64_t l = 0; l < d.n_layer; ++l) {
    CHECK_FALSE(d.has_ffn(l));
    CHECK(d.cache_slot(l) == l);
  }
  CHECK(d.mamba.v1 == !v2);
  CHECK(d.mamba.conv_kernel == 4);
  CHECK(d.mamba.d_state == 16);
  if (v2) {
    CHECK(d.mamba.n_head == 8);
    CHECK(d.mamba.n_group == 2);
  } else {
    CHECK(d.mamba.dt_rank == 8);
    CHECK(d.mamba.dt_b_c_rms == (std::string(shape) == "test-tiny-falcon-mamba"));
    CHECK(d.recurrent_state_floats() == 256 * 16);
    CHECK(d.recurrent_window_floats() == 3 * 256);
  }
  check_against_textbook(*model, 0.05f);

  // no layer attends: the attention map says so by the architecture's name
  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, 64);
  cpu.forward(session, kTokens, false);
  CHECK_THROWS_WITH(cpu.attention(session, 0, 0, {0, 4}, {0, 4}),
                    Contains(d.architecture + " has no attention layers"));

  // a session taken back restores the state's checkpoint and evaluates again
  check_taken_back(*model, cpu, session, kTokens);
}

TEST_CASE("mamba and mamba2 files that do not describe their state spaces fail to load, naming the key",
          "[engine][architectures][errors]") {
  const auto mamba = test::synth_model_file("test-tiny-mamba", gguf::GgmlType::F32);
  const auto mamba2 = test::synth_model_file("test-tiny-mamba2", gguf::GgmlType::F32);
  const auto load_with = [](const std::filesystem::path& in, std::function<void(gguf::GgufWriter&)> edit) {
    const auto out = test::temp_dir("ssm_errors") / "edited.gguf";
    test::rewrite_model(in, out, std::move(edit));
    return model::Model::load(out);
  };
  CHECK_THROWS_WITH(load_with(mamba, [](gguf::GgufWriter& w) { w.set_u32("mamba.attention.head_count", 4); }),
                    Contains("mamba.attention.head_count 4: mamba has no attention"));
  CHECK_THROWS_WITH(load_with(mamba, [](gguf::GgufWriter& w) { w.set_u32("mamba.ssm.conv_kernel", 40); }),
                    Contains("outside the supported 2..16 taps"));
  CHECK_THROWS_WITH(load_with(mamba, [](gguf::GgufWriter& w) { w.set_u32("mamba.ssm.time_step_rank", 9); }),
                    Contains("tensor 'blk.0.ssm_x.weight' has shape"));
  CHECK_THROWS_WITH(load_with(mamba2, [](gguf::GgufWriter& w) { w.set_u32("mamba2.ssm.group_count", 3); }),
                    Contains("do not divide evenly"));
  CHECK_THROWS_WITH(model::Model::load(without_tensor(mamba, "blk.1.ssm_dt.bias")),
                    Contains("tensor 'blk.1.ssm_dt.bias' is missing"));
  CHECK_THROWS_WITH(model::Model::load(without_tensor(mamba, "blk.2.ssm_conv1d.bias")),
                    Contains("tensor 'blk.2.ssm_conv1d.bias' is missing"));
}

TEST_CASE(
    "nemotron_h: Mamba-2, attention without RoPE and ReLU² FFNs as layers of their own match the "
    "textbook forward pass",
    "[engine][architectures]") {
  // test-tiny-nemotron-h: "M-M*-M" (Mamba-2 on 0, 2 and 5, FFNs on 1 and 4, attention on 3); "-moe": the FFN
  // layers mixtures of ReLU² experts (sigmoid router with a bias, renormalized, times 2.5) and a shared one
  const auto [shape, type] = GENERATE(std::pair{"test-tiny-nemotron-h", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-nemotron-h", gguf::GgmlType::Q8_0},
                                      std::pair{"test-tiny-nemotron-h-moe", gguf::GgmlType::F32},
                                      std::pair{"test-tiny-nemotron-h-moe", gguf::GgmlType::Q8_0});
  INFO(shape << " " << gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file(shape, type));
  const model::ModelDescription& d = model->desc();
  using M = model::ModelDescription::Mixer;
  CHECK(d.mixers == std::vector<M>{M::Mamba2, M::None, M::Mamba2, M::Attention, M::None, M::Mamba2});
  CHECK(d.has_ffn(1));
  CHECK_FALSE(d.has_ffn(3));
  CHECK_FALSE(d.rope_in_layer(3));
  CHECK_FALSE(model->weights().layers[0].w_up);
  if (std::string(shape) == "test-tiny-nemotron-h") {
    CHECK(d.n_ff == 256);
    REQUIRE(model->weights().layers[1].w_up);
    CHECK_FALSE(model->weights().layers[1].w_gate);
  } else {
    CHECK(d.n_expert == 4);
    CHECK(d.router.gating == model::ExpertGating::Sigmoid);
    CHECK(d.router.normalize);
    CHECK(d.router.scale == 2.5f);
    CHECK(d.n_ff_shexp == 64);
    REQUIRE(model->weights().layers[1].up_exps.size() == 4);
    CHECK(model->weights().layers[1].gate_exps.empty());
    CHECK_FALSE(model->weights().layers[1].gate_shexp);
    REQUIRE_FALSE(model->weights().layers[1].exp_probs_b.empty());
  }

  const auto ref = check_against_textbook(*model, 0.05f);
  // an FFN layer has no attention map, and says why
  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, 16);
  cpu.forward(session, kTokens, false);
  CHECK_THROWS_WITH(cpu.attention(session, 1, 0, {0, 4}, {0, 4}), Contains("is an FFN layer"));
  CHECK(cpu.attention(session, 3, 1, {0, 11}, {0, 11}).probs.size() == 121);
}

TEST_CASE("Hybrid models with inconsistent metadata fail to load with a message that names it",
          "[engine][architectures][errors]") {
  struct Case {
    const char* shape;
    std::function<void(gguf::GgufWriter&)> edit;
    const char* message;
  };
  const auto u32s = [](std::vector<int64_t> values) {
    gguf::Array a;
    a.elem_type = gguf::ValueType::Uint32;
    a.ints = std::move(values);
    return a;
  };
  const std::vector<Case> cases = {
      {"test-tiny-lfm2",
       [&](gguf::GgufWriter& w) {
         w.set_array("lfm2.attention.head_count_kv", u32s({0, 0, 0, 0, 0}));
       },
       "leaves no attention layer"},
      {"test-tiny-lfm2",
       [&](gguf::GgufWriter& w) {
         w.set_array("lfm2.attention.head_count_kv", u32s({0, 0, 2, 0, 1}));
       },
       "must share one positive count"},
      {"test-tiny-lfm2",
       [&](gguf::GgufWriter& w) {
         w.set_array("lfm2.attention.head_count_kv", u32s({0, 2, 0}));
       },
       "one integer per layer (5)"},
      {"test-tiny-lfm2", [](gguf::GgufWriter& w) { w.set_u32("lfm2.shortconv.l_cache", 40); },
       "outside the supported 2..16 taps"},
      {"test-tiny-qwen3",
       [&](gguf::GgufWriter& w) {
         w.set_array("qwen3.attention.head_count_kv", u32s({2, 2}));
       },
       "per-layer qwen3.attention.head_count_kv (an array) is not supported for qwen3"},
      {"test-tiny-qwen35", [](gguf::GgufWriter& w) { w.set_u32("qwen35.ssm.time_step_rank", 3); },
       "do not make heads of one width"},
      {"test-tiny-granitehybrid", [](gguf::GgufWriter& w) { w.set_u32("granitehybrid.ssm.group_count", 3); },
       "do not divide evenly"},
      {"test-tiny-nemotron-h",
       [&](gguf::GgufWriter& w) {
         w.set_array("nemotron_h.feed_forward_length", u32s({0, 256, 0, 0, 128, 0}));
       },
       "the FFN layers must share one positive width"},
      {"test-tiny-nemotron-h-moe",
       [](gguf::GgufWriter& w) { w.set_u32("nemotron_h_moe.moe_latent_size", 64); }, "latent width"},
      {"test-tiny-falcon-h1", [](gguf::GgufWriter& w) { w.set_u32("falcon-h1.ssm.time_step_rank", 6); },
       "do not divide evenly"},
      {"test-tiny-falcon-h1", [](gguf::GgufWriter& w) { w.set_u32("falcon-h1.ssm.inner_size", 128); },
       "blk.0.ssm_in.weight"},
      {"test-tiny-falcon-h1",
       [](gguf::GgufWriter& w) {
         w.set_u32("falcon-h1.attention.key_length", 32);
         w.set_u32("falcon-h1.attention.value_length", 32);
       },
       "blk.0.attn_q.weight"},
      {"test-tiny-falcon-h1",
       [&](gguf::GgufWriter& w) {
         w.set_array("falcon-h1.attention.head_count_kv", u32s({2, 0, 2}));
       },
       "is not supported for falcon-h1"},
      {"test-tiny-falcon-h1", [](gguf::GgufWriter& w) { w.set_u32("falcon-h1.expert_count", 4); },
       "falcon-h1 with experts is not supported"},
  };
  for (const Case& c : cases) {
    INFO(c.shape << ": " << c.message);
    const auto out = test::temp_dir("hybrid-errors") / "edited.gguf";
    test::rewrite_model(test::synth_model_file(c.shape, gguf::GgmlType::F32), out, c.edit);
    CHECK_THROWS_WITH(model::Model::load(out), Contains(c.message));
  }
  // an older Qwen3-Next conversion (q, k, v and z packed per key head in ssm_in) is refused, not misread
  const auto old_next = test::temp_dir("hybrid-errors") / "old-qwen3next.gguf";
  test::rewrite_model(test::synth_model_file("test-tiny-qwen3next", gguf::GgmlType::F32), old_next,
                      [](gguf::GgufWriter&) {}, {{"blk.0.ssm_in.weight", std::vector<float>(4, 0.0f)}});
  CHECK_THROWS_WITH(model::Model::load(old_next), Contains("convert it again with a current llama.cpp"));
}

TEST_CASE("llama4: chunked RoPE layers, NoPE layers' temperature, input-weighted experts match the textbook",
          "[engine][architectures]") {
  // test-tiny-llama4: four layers, 0 .. 2 turning q and k (llama3 scaling over 16 positions), RMS-normalizing
  // them per head after RoPE and attending within chunks of 4 positions; layer 3 without RoPE over every key,
  // its queries times 1 + 0.5 · ln(1 + ⌊(pos + 1) / 3⌋); experts (4 of 64, one per token, sigmoid-weighted on
  // their input) beside a shared one on layers 1 and 3, dense FFNs of 256 on layers 0 and 2.
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-llama4", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  CHECK(d.attn_chunk == 4);
  CHECK(d.attn_temp_floor == 3);
  CHECK(d.attn_temp_scale == 0.5f);
  CHECK(d.qk_rms_norm);                 // (4 experts, not Maverick's 128)
  CHECK(d.n_ctx_max == d.n_ctx_train);  // (the temperature runs: sessions need not stop before it)
  CHECK(d.router.gating == model::ExpertGating::Sigmoid);
  CHECK_FALSE(d.router.normalize);
  CHECK(d.n_expert_used == 1);
  CHECK(d.n_ff_shexp == 64);
  for (int64_t l = 0; l < 4; ++l) {
    INFO(l);
    CHECK(d.moe_layer(l) == (l % 2 == 1));
    CHECK(d.chunked(l) == (l != 3));
    CHECK(d.rope_in_layer(l) == (l != 3));
  }
  CHECK(d.first_key(0, 9) == 8);
  CHECK(d.first_key(2, 7) == 4);
  CHECK(d.first_key(3, 9) == 0);
  CHECK(d.attn_temperature(3, 1) == 1.0f);
  CHECK(d.attn_temperature(3, 2) == Approx(1.0 + 0.5 * std::log(2.0)));
  CHECK(d.attn_temperature(0, 2) == 1.0f);
  CHECK(model->weights().layers[0].up_exps.empty());
  CHECK(model->weights().layers[1].up_shexp.n_rows == 64);
  const auto ref = check_against_textbook(*model, 0.05f);

  // the attention maps show the chunks: a chunked layer's query sees the keys of its own chunk only, the
  // NoPE layer's every earlier key
  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, static_cast<int64_t>(kTokens.size()));
  cpu.forward(session, kTokens, false);
  const model::Range all{0, static_cast<int64_t>(kTokens.size())};
  const auto chunked = cpu.attention(session, 1, 2, all, all), full = cpu.attention(session, 3, 2, all, all);
  for (int64_t q = 0; q < all.end; ++q) {
    double sum = 0;
    for (int64_t k = 0; k <= q; ++k) {
      sum += chunked.at(q, k);
      if (k / 4 != q / 4) CHECK(chunked.at(q, k) == 0.0f);
      if (k / 4 == q / 4) CHECK(chunked.at(q, k) > 0.0f);
    }
    CHECK(sum == Approx(1.0).margin(1e-5));
  }
  CHECK(full.at(10, 0) > 0.0f);

  // the deep-context decode path (keys in runs of 3 per KV head group, here from the first step on) starts
  // its runs at the chunk's first key
  setenv("GLASSWING_CPU_ATTN_GROUP_KIB", "0", 1);
  setenv("GLASSWING_CPU_ATTN_RUN_KEYS", "3", 1);
  cpu::CpuBackend grouped(*model);
  unsetenv("GLASSWING_CPU_ATTN_GROUP_KIB");
  unsetenv("GLASSWING_CPU_ATTN_RUN_KEYS");
  model::Session grouped_session(*model, grouped, static_cast<int64_t>(kTokens.size()));
  std::span<const float> last;
  for (int32_t token : kTokens) last = grouped.forward(grouped_session, std::span(&token, 1), false);
  CHECK(test::max_abs_diff(last, std::span(ref).last(static_cast<size_t>(d.n_vocab))) <= 1e-4f);
  if (type == gguf::GgmlType::Q8_0) return;

  // each of the new steps counts (and the textbook follows the file in each)
  const auto differs = [&](const char* name, const std::function<void(gguf::GgufWriter&)>& change) {
    INFO(name);
    auto other = model::Model::load(with_metadata(path, name, change));
    const auto logits = engine_logits(*other, "cpu");
    CHECK(test::max_abs_diff(logits, ref) > 1e-3f);
    CHECK(test::max_abs_diff(logits, test::naive_logits(*other, kTokens)) <= 1e-4f);
  };
  differs("llama4-no-chunks", [](gguf::GgufWriter& w) { w.set_u32("llama4.attention.chunk_size", 8192); });
  differs("llama4-no-norm", [](gguf::GgufWriter& w) { w.set_bool("llama4.use_qk_norm", false); });
  differs("llama4-cooler",
          [](gguf::GgufWriter& w) { w.set_f32("llama4.attention.temperature_scale", 0.0f); });
}

TEST_CASE("llama4 files whose keys its graph cannot run are refused by name", "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-llama4", gguf::GgmlType::Q8_0);
  check_refused(
      path, "llama4-step", [](gguf::GgufWriter& w) { w.set_u32("llama4.interleave_moe_layer_step", 0); },
      "llama4.interleave_moe_layer_step 0 is out of range (1 .. block_count 4)");
  check_refused(
      path, "llama4-softmax", [](gguf::GgufWriter& w) { w.set_u32("llama4.expert_gating_func", 1); },
      "expert_gating_func: llama4's router is a sigmoid");
  check_refused(
      path, "llama4-norm", [](gguf::GgufWriter& w) { w.set_bool("llama4.expert_weights_norm", true); },
      "llama4 weights its experts by the router's sigmoid as it is");
  check_refused(
      path, "llama4-mobilellm", [](gguf::GgufWriter& w) { w.set_u32("llama4.attention.sliding_window", 0); },
      "attention.sliding_window 0 (llama4 without chunked attention, MobileLLM) is not supported");
  // (every layer a mixture by the key: layer 0's router is missing)
  check_refused(
      path, "llama4-every-layer",
      [](gguf::GgufWriter& w) { w.set_u32("llama4.interleave_moe_layer_step", 1); },
      "'blk.0.ffn_gate_inp.weight' is missing");
  check_refused(
      path, "llama4-chunk", [](gguf::GgufWriter& w) { w.set_u32("llama4.attention.chunk_size", 0); },
      "llama4.attention.chunk_size 0, temperature_length 3 and temperature_scale 0.500000 must be positive");
}

TEST_CASE("deci: Llama-Nemotron's layers, each of its own shape, match the textbook forward pass",
          "[engine][architectures]") {
  // test-tiny-deci: attention over 2 KV heads, none, one matrix, attention over 1 KV head without an FFN,
  // attention over 4, an empty layer, attention over 2; FFNs of 256, 192, 320, -, 128, -, 256
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  auto model = model::Model::load(test::synth_model_file("test-tiny-deci", type));
  const model::ModelDescription& d = model->desc();
  using M = model::ModelDescription::Mixer;
  CHECK(d.mixers ==
        std::vector<M>{M::Attention, M::None, M::Linear, M::Attention, M::Attention, M::None, M::Attention});
  CHECK(d.n_head == 4);
  CHECK(d.n_head_kv == 4);  // (the widest layer's)
  CHECK(d.layer_kv_heads == std::vector<int64_t>{2, 0, 0, 1, 4, 0, 2});
  CHECK(d.layer_ff == std::vector<int64_t>{256, 192, 320, 0, 128, 0, 256});
  CHECK(d.n_ff == 320);
  for (int64_t l = 0; l < d.n_layer; ++l) CHECK(d.has_ffn(l) == (l != 3 && l != 5));
  const auto& L = model->weights().layers;
  CHECK(L[1].attn_norm.empty());  // (no attention: no norm before it either)
  CHECK_FALSE(L[1].wq);
  CHECK_FALSE(L[1].wo);
  REQUIRE(L[2].wo);  // (attention replaced by one n_embd × n_embd matrix)
  CHECK(L[2].wo.n_rows == d.n_embd);
  CHECK(L[2].wo.n_cols == d.n_embd);
  CHECK_FALSE(L[2].wq);
  CHECK(L[3].wk.n_rows == d.head_dim);
  CHECK(L[4].wv.n_rows == 4 * d.head_dim);
  CHECK_FALSE(L[3].w_up);
  CHECK(L[1].w_down.n_cols == 192);
  CHECK_FALSE(model->weights().rope_freqs.empty());  // (Llama 3's scaling)
  // the caches hold keys, values and queries of the attention layers only, each of its own width
  CHECK(d.attention_cache_floats() == (2 * (2 + 1 + 4 + 2)) * d.head_dim + 4 * d.q_dim());

  check_against_textbook(*model, 0.05f);

  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, 64);
  cpu.forward(session, kTokens, false);
  // each layer without attention says what it is instead
  CHECK_THROWS_WITH(cpu.attention(session, 1, 0, {0, 4}, {0, 4}),
                    Contains("has no attention (only its FFN)"));
  CHECK_THROWS_WITH(cpu.attention(session, 2, 0, {0, 4}, {0, 4}),
                    Contains("replaces attention by one linear map"));
  CHECK_THROWS_WITH(cpu.attention(session, 5, 0, {0, 4}, {0, 4}), Contains("has no attention and no FFN"));
  // the maps of layers with 1 and 4 KV heads are distributions; the overview leaves the others empty
  for (const int64_t l : {3, 4}) {
    const auto m = cpu.attention(session, l, 3, {0, 11}, {0, 11});
    for (int64_t q = 0; q < 11; ++q) {
      double sum = 0;
      for (int64_t k = 0; k <= q; ++k) sum += m.probs[static_cast<size_t>(q * 11 + k)];
      CHECK(sum == Approx(1.0).epsilon(1e-4));
    }
  }
  for (const auto& h : cpu.attention_summary(session, {2, 11})) {
    INFO("layer " << h.layer << " head " << h.head);
    CHECK(std::isnan(h.entropy) == !d.has_attention(h.layer));
  }
  // a session taken back evaluates again from its caches
  const int32_t more[] = {30, 31};
  cpu.forward(session, std::span(more, 2), false);
  session.truncate(5);
  check_other_way(*model, cpu, session, kTokens, 5);
}

TEST_CASE("deci files whose layer shapes do not add up, or lack a layer's tensor, fail to load naming it",
          "[engine][architectures][errors]") {
  const auto u32s = [](std::vector<int64_t> values) {
    gguf::Array a;
    a.elem_type = gguf::ValueType::Uint32;
    a.ints = std::move(values);
    return a;
  };
  const std::vector<std::pair<std::function<void(gguf::GgufWriter&)>, const char*>> cases = {
      {[&](gguf::GgufWriter& w) {
         w.set_array("deci.attention.head_count", u32s({4, 0, 4, 2, 4, 0, 4}));
       },
       "gives layer 3 2 query heads: the attention layers must share one positive count"},
      {[&](gguf::GgufWriter& w) {
         w.set_array("deci.attention.head_count_kv", u32s({2, 1, 0, 1, 4, 0, 2}));
       },
       "gives layer 1 1 KV heads, but it has no query heads"},
      {[&](gguf::GgufWriter& w) {
         w.set_array("deci.attention.head_count_kv", u32s({2, 0, 0, 3, 4, 0, 2}));
       },
       "which do not divide its 4 query heads"},
      {[&](gguf::GgufWriter& w) {
         w.set_array("deci.attention.head_count_kv", u32s({2, 0, 0}));
       },
       "head_count_kv must hold one integer per layer (7)"},
      {[&](gguf::GgufWriter& w) {
         w.set_array("deci.attention.head_count_kv", u32s({0, 0, 0, 0, 0, 0, 0}));
       },
       "leaves no attention layer"},
      {[&](gguf::GgufWriter& w) {
         w.set_array("deci.feed_forward_length", u32s({256, 192}));
       },
       "feed_forward_length must hold one integer per layer (7)"},
  };
  for (const auto& [edit, message] : cases) {
    INFO(message);
    const auto out = test::temp_dir("deci-errors") / "edited.gguf";
    test::rewrite_model(test::synth_model_file("test-tiny-deci", gguf::GgmlType::F32), out, edit);
    CHECK_THROWS_WITH(model::Model::load(out), Contains(message));
  }
  // a layer that needs a tensor the file lacks is named with it
  const auto deci = test::synth_model_file("test-tiny-deci", gguf::GgmlType::F32);
  for (const char* name :
       {"blk.3.attn_k.weight", "blk.2.attn_output.weight", "blk.2.attn_norm.weight", "blk.4.ffn_up.weight"}) {
    INFO(name);
    CHECK_THROWS_WITH(model::Model::load(without_tensor(deci, name)),
                      Contains(std::string("tensor '") + name + "' is missing"));
  }
}

TEST_CASE(
    "afmoe (Arcee Trinity): gated attention, sandwich norms, windows and DeepSeek-style experts match "
    "the textbook pass",
    "[engine][architectures]") {
  // Scaled embeddings, norms before and after both sublayers, per-head q and k norms, each head's output
  // times σ(attn_gate · x); windows of 4 on layers 0-2 (which alone turn), layer 3 over every key without
  // RoPE; a dense first layer, then experts with a shared one, a biased sigmoid router, weights renormalized
  // × 2.826
  const auto type = GENERATE(gguf::GgmlType::Q8_0, gguf::GgmlType::F32);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-afmoe", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const auto& layers = model->weights().layers;
  REQUIRE(d.n_layer == 4);
  CHECK(d.embedding_scale == std::sqrt(128.0f));
  CHECK(d.sliding_window == 4);
  CHECK((d.is_local(0) && d.is_local(1) && d.is_local(2) && !d.is_local(3)));
  CHECK((d.rope_in_layer(0) && d.rope_in_layer(2) && !d.rope_in_layer(3)));
  CHECK(d.n_layer_dense_lead == 1);
  CHECK(d.n_expert_shared == 1);
  CHECK(d.router.gating == model::ExpertGating::Sigmoid);
  CHECK(d.router.normalize);
  CHECK(d.router.scale == 2.826f);
  CHECK(layers[0].w_attn_gate.n_rows == d.q_dim());
  CHECK(layers[0].attn_post_norm.size() == static_cast<size_t>(d.n_embd));
  CHECK(layers[1].ffn_post_norm.size() == static_cast<size_t>(d.n_embd));
  CHECK(layers[1].exp_probs_b.size() == 4);
  const auto ref = check_against_textbook(*model, 0.05f);

  // the gate matters, and the engine follows the textbook pass through it: with attn_gate 0 every head's
  // output is halved
  if (type == gguf::GgmlType::F32) {
    const auto ungated = with_tensor(path, "blk.2.attn_gate.weight", [](float, size_t) { return 0.0f; });
    auto m = model::Model::from_gguf(gguf::GgufFile::parse(ungated));
    const auto logits = engine_logits(*m, "cpu");
    CHECK(test::max_abs_diff(logits, ref) > 1e-3f);
    CHECK(test::max_abs_diff(logits, test::naive_logits(*m, kTokens)) <= 1e-4f);
  }
  // without windows every layer attends to all keys (the fourth still without RoPE)
  auto unwindowed = model::Model::load(with_metadata(
      path, "afmoe-nowindow", [](gguf::GgufWriter& w) { w.set_u32("afmoe.attention.sliding_window", 0); }));
  CHECK_FALSE(unwindowed->desc().rope_in_layer(3));
  CHECK(test::max_abs_diff(engine_logits(*unwindowed, "cpu"), test::naive_logits(*unwindowed, kTokens)) <=
        1e-4f);

  // the gate's matrix is required, by name
  CHECK_THROWS_WITH(model::Model::load(without_tensor(path, "blk.1.attn_gate.weight")),
                    Contains("tensor 'blk.1.attn_gate.weight' is missing"));
}

TEST_CASE(
    "smallthinker (PowerInfer SmallThinker): ReGLU experts routed from the layer's input match the "
    "textbook pass",
    "[engine][architectures]") {
  // Every layer a mixture of ReGLU experts whose router reads the layer's input (before attention, without a
  // norm), softmax then renormalized; with windows (4096 keys, llama.cpp's) the first layer of four attends
  // to every key without RoPE, the others turn
  const auto type = GENERATE(gguf::GgmlType::Q8_0, gguf::GgmlType::F32);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-smallthinker", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.n_layer == 5);
  CHECK(d.router.gating == model::ExpertGating::Softmax);
  CHECK(d.router.normalize);
  CHECK(d.router.scale == 1.0f);
  CHECK(d.n_layer_dense_lead == 0);
  CHECK(d.n_expert_shared == 0);
  CHECK(d.sliding_window == 4096);
  CHECK((!d.is_local(0) && d.is_local(1) && d.is_local(3) && !d.is_local(4)));
  CHECK((!d.rope_in_layer(0) && d.rope_in_layer(1) && d.rope_in_layer(3) && !d.rope_in_layer(4)));
  const auto ref = check_against_textbook(*model, 0.05f);
  if (type != gguf::GgmlType::Q8_0) return;

  // each trait changes the logits, and the engine follows the textbook pass through each change
  std::vector<std::pair<std::string, std::unique_ptr<model::Model>>> variants;
  variants.emplace_back("sigmoid router", model::Model::load(with_metadata(
                                              path, "smallthinker-sigmoid", [](gguf::GgufWriter& w) {
                                                w.set_u32("smallthinker.expert_gating_func", 2);
                                              })));
  variants.emplace_back(
      "no windows: every layer turns",
      model::Model::load(with_metadata(path, "smallthinker-nowindow", [](gguf::GgufWriter& w) {
        w.set_u32("smallthinker.attention.sliding_window", 0);
      })));
  CHECK(variants.back().second->desc().rope_in_layer(0));
  for (const auto& [what, m] : variants) {
    INFO(what);
    const auto logits = engine_logits(*m, "cpu");
    CHECK(test::max_abs_diff(logits, ref) > 1e-3f);
    CHECK(test::max_abs_diff(logits, test::naive_logits(*m, kTokens)) <= 1e-4f);
  }

  // a router without its gating function is refused by name (llama.cpp's converter always writes one)
  const auto in = gguf::GgufFile::open(path);
  gguf::GgufWriter w;
  for (const auto& [key, value] : in.metadata())
    if (key != "smallthinker.expert_gating_func" && key != "general.alignment") w.set(key, value);
  test::copy_tensors(in, w);
  const auto no_gating = test::temp_dir("smallthinker") / "no-gating.gguf";
  w.write(no_gating.string());
  CHECK_THROWS_WITH(model::Model::load(no_gating), Contains("smallthinker.expert_gating_func"));
}

TEST_CASE("The textbook pass's learned positions reproduce llama.cpp's logits of the shared gpt2 model",
          "[engine][architectures]") {
  // gpt2 is the one shared model with learned positions: the textbook pass that starcoder is proven against
  // must first give llama.cpp's logits here and the CPU engine's. (llama.cpp rounds the activations to 8 bits
  // before every Q8_0 mat-mul, which the textbook pass does not: 0.075 apart, measured; the pass without its
  // positions is 1.5 apart)
  auto model = model::Model::load(test::require_shared("models/synthetic/synth-gpt2-Q8_0.gguf"));
  const auto ref = test::read_f32_file(test::require_shared("reference/logits/synth-gpt2-Q8_0.logits.f32"));
  const auto logits = test::naive_logits(*model, test::kGpt2ReferenceTokens);
  REQUIRE(logits.size() == ref.size());
  CHECK(test::max_abs_diff(logits, ref) <= 0.1f);
  auto cpu = model::create_backend("cpu", *model);
  model::Session session(*model, *cpu, static_cast<int64_t>(test::kGpt2ReferenceTokens.size()));
  const auto got = cpu->forward(session, test::kGpt2ReferenceTokens, true);
  CHECK(test::max_abs_diff({got.begin(), got.end()}, logits) <= 1e-4f);
}

TEST_CASE("starcoder (gpt2's block over one KV head) matches the textbook forward pass",
          "[engine][architectures]") {
  // StarCoder, SantaCoder, WizardCoder: learned positions, LayerNorms and every projection biased, q|k|v in
  // one matrix (all q heads, then the one KV head's k and v), an ungated GELU FFN; tied or untied output
  const std::string shape = GENERATE("test-tiny-starcoder", "test-tiny-starcoder-untied");
  INFO(shape);
  auto model = model::Model::load(test::synth_model_file(shape, gguf::GgmlType::Q8_0));
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  const auto n = [](int64_t v) { return static_cast<size_t>(v); };
  CHECK(d.n_head_kv == 1);
  CHECK(d.n_ctx_max == d.n_ctx_train);  // (no position past the learned ones)
  CHECK(model->weights().position_embd.n_rows == d.n_ctx_train);
  CHECK(L.wqkv);
  CHECK(L.bqkv.size() == n(d.q_dim() + 2 * d.kv_dim()));
  CHECK(L.bo.size() == n(d.n_embd));
  CHECK_FALSE(L.w_gate);
  CHECK(L.b_up.size() == n(d.n_ff));
  CHECK(L.b_down.size() == n(d.n_embd));
  CHECK_FALSE(d.parallel_residual);
  CHECK(d.tied_embeddings == (shape == "test-tiny-starcoder"));
  check_against_textbook(*model, 0.05f);
}

TEST_CASE("starcoder files without their learned positions or a bias are refused naming the tensor",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-starcoder", gguf::GgmlType::F32);
  for (const std::string drop : {"position_embd.weight", "blk.1.attn_qkv.bias", "blk.0.attn_output.bias",
                                 "blk.1.ffn_up.bias", "blk.0.ffn_down.bias", "output_norm.bias"}) {
    INFO(drop);
    CHECK_THROWS_WITH(model::Model::load(without_tensor(path, drop)), Contains(drop));
  }
}

TEST_CASE(
    "olmo (OLMo 1: LayerNorms without parameters, q, k and v clamped) matches the textbook forward pass",
    "[engine][architectures]") {
  // llama's layers (adjacent RoPE pairs, SwiGLU, no biases) with (x - mean)/std norms that have no gains or
  // biases (the file has no norm tensors), and OLMo-7B-0424's clip_qkv where the file has it
  const std::string shape = GENERATE("test-tiny-olmo", "test-tiny-olmo-clip");
  INFO(shape);
  const auto path = test::synth_model_file(shape, gguf::GgmlType::Q8_0);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  CHECK_FALSE(model->file().find_tensor("blk.0.attn_norm.weight"));
  CHECK_FALSE(model->file().find_tensor("output_norm.weight"));
  for (const model::Vector gains : {L.attn_norm, L.ffn_norm, model->weights().output_norm}) {
    REQUIRE(gains.size() == static_cast<size_t>(d.n_embd));
    CHECK(std::all_of(gains.begin(), gains.end(), [](float g) { return g == 1.0f; }));
  }
  CHECK(L.attn_norm_b.empty());
  CHECK(L.bq.empty());
  CHECK(d.n_rot == d.head_dim);
  CHECK(d.tied_embeddings == (shape == "test-tiny-olmo"));
  CHECK(d.clamp_kqv == (shape == "test-tiny-olmo-clip" ? 0.5f : 0.0f));
  const auto ref = check_against_textbook(*model, 0.05f);
  if (shape == "test-tiny-olmo-clip") {
    // the clamp cuts into these projections: without it (0: none) the logits differ, and follow the textbook
    auto unclamped = model::Model::load(with_metadata(
        path, "olmo-unclamped", [](gguf::GgufWriter& w) { w.set_f32("olmo.attention.clamp_kqv", 0.0f); }));
    const auto logits = engine_logits(*unclamped, "cpu");
    CHECK(test::max_abs_diff(logits, ref) > 1e-3f);
    CHECK(test::max_abs_diff(logits, test::naive_logits(*unclamped, kTokens)) <= 1e-4f);
  }
}

TEST_CASE("olmo files with a negative or non-finite attention.clamp_kqv are refused naming the key",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-olmo", gguf::GgmlType::F32);
  for (const float bad : {-1.0f, std::numeric_limits<float>::infinity()}) {
    const auto file = with_metadata(
        path, "olmo-bad-clamp", [bad](gguf::GgufWriter& w) { w.set_f32("olmo.attention.clamp_kqv", bad); });
    CHECK_THROWS_WITH(model::Model::load(file),
                      Contains("olmo.attention.clamp_kqv must be a positive number"));
  }
}
namespace {
// The model at `path` with every layer's attn_qkv (and its bias) cut into attn_q, attn_k and attn_v of
// q_dim, kv_dim and kv_dim rows: the layout of GLM-4-9B-Chat's -hf export (GlmForCausalLM), which llama.cpp's
// chatglm loader takes beside the packed one.
std::filesystem::path with_qkv_apart(const std::filesystem::path& path, uint64_t q_dim, uint64_t kv_dim) {
  const auto out = test::temp_dir("qkv-apart") / path.filename();
  const auto in = gguf::GgufFile::open(path);
  gguf::GgufWriter w;
  test::copy_metadata(in, w);
  for (const auto& t : in.tensors()) {
    const auto at = t.name.find("attn_qkv.");
    if (at == std::string::npos) {
      w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
      continue;
    }
    const std::string p = t.name.substr(0, at), suffix = t.name.substr(at + 9);  // "weight" or "bias"
    const bool bias = suffix == "bias";
    // (a bias is one row of q_dim + 2·kv_dim floats; a matrix q_dim + 2·kv_dim rows)
    const uint64_t unit = bias ? t.n_bytes / t.n_elements : t.row_bytes();
    uint64_t first = 0;
    for (const auto& [name, n] : {std::pair{"attn_q.", q_dim}, {"attn_k.", kv_dim}, {"attn_v.", kv_dim}}) {
      std::vector<uint64_t> dims = t.dims;
      dims[bias ? 0 : 1] = n;
      w.add_tensor(p + name + suffix, t.type, dims, {t.data + first * unit, n * unit});
      first += n;
    }
  }
  w.write(out.string());
  return out;
}
}  // namespace

TEST_CASE(
    "chatglm (ChatGLM3, GLM-4-9B-Chat): packed q|k|v with biases, half-head RoPE in adjacent pairs and "
    "packed "
    "gate|up match the textbook pass",
    "[engine][architectures]") {
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-chatglm", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.architecture == "chatglm");
  // (llama.cpp's rope type for chatglm is NORM: adjacent pairs, over n_rot = half of each head)
  CHECK(d.traits->rope == model::RopeKind::Normal);
  CHECK(d.n_rot == 16);
  CHECK(d.head_dim == 32);
  CHECK(d.n_head_kv == 2);
  const model::LayerWeights& L = model->weights().layers[0];
  CHECK(L.attn_post_norm.empty());  // (glm4's post-sublayer norms are not chatglm's)
  CHECK(L.bq.size() == static_cast<size_t>(d.q_dim()));
  CHECK(L.bv.size() == static_cast<size_t>(d.kv_dim()));
  CHECK(L.w_gate.n_rows == d.n_ff);  // the gate rows of ffn_up, then the up rows
  CHECK(L.w_up.n_rows == d.n_ff);
  const auto ref = check_against_textbook(*model, 0.05f);
  // the -hf export's q, k and v apart (with their biases) run as the packed ones
  auto apart = model::Model::load(
      with_qkv_apart(path, static_cast<uint64_t>(d.q_dim()), static_cast<uint64_t>(d.kv_dim())));
  CHECK(!apart->file().find_tensor("blk.0.attn_qkv.weight"));
  CHECK(test::max_abs_diff(engine_logits(*apart, "cpu"), ref) <= 1e-4f);
  // a file without its packed gate|up is refused with the tensor named
  CHECK_THROWS_WITH(model::Model::load(without_tensor(path, "blk.1.ffn_up.weight")),
                    Contains("blk.1.ffn_up.weight"));
}

TEST_CASE(
    "qwen (Qwen-7B/14B): packed q|k|v with biases, NeoX RoPE and half the file's feed_forward_length match "
    "the "
    "textbook pass",
    "[engine][architectures]") {
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-qwen", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  REQUIRE(d.architecture == "qwen");
  // the file says 512 (the config's intermediate_size, as the converter writes it): each matrix is 256 wide
  const auto file = gguf::GgufFile::open(path);
  CHECK(file.get_int("qwen.feed_forward_length") == 512);
  CHECK_FALSE(file.find("qwen.attention.head_count_kv"));  // (as the converter writes it: none)
  CHECK(d.n_ff == 256);
  CHECK(d.n_head_kv == d.n_head);  // (no head_count_kv in the file)
  CHECK(d.n_rot == d.head_dim);
  CHECK(d.traits->rope == model::RopeKind::NeoX);
  const model::LayerWeights& L = model->weights().layers[1];
  CHECK(L.bq.size() == static_cast<size_t>(d.q_dim()));
  CHECK(L.bk.size() == static_cast<size_t>(d.kv_dim()));
  CHECK(L.w_gate.n_rows == 256);
  check_against_textbook(*model, 0.05f);
  // an odd feed_forward_length cannot be halved: refused with the key named
  const auto odd = with_metadata(path, "qwen-odd-ff",
                                 [](gguf::GgufWriter& w) { w.set_u32("qwen.feed_forward_length", 511); });
  CHECK_THROWS_WITH(model::Model::load(odd), Contains("qwen.feed_forward_length 511"));
  CHECK_THROWS_WITH(model::Model::load(without_tensor(path, "blk.0.ffn_gate.weight")),
                    Contains("blk.0.ffn_gate.weight"));
}

TEST_CASE("ALiBi slopes are ggml's for 8 heads and for 12 (past the largest power of two)",
          "[engine][architectures]") {
  using model::ModelDescription;
  // 8 heads, max bias 8: m0 = 2^(−8/8), head h takes m0^(h+1)
  const float eight[] = {0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, 0.015625f, 0.0078125f, 0.00390625f};
  for (int64_t h = 0; h < 8; ++h) CHECK(ModelDescription::alibi_slope_of(h, 8, 8.0f) == Approx(eight[h]));
  // 12 heads: the first 8 as above; heads 8..11 the odd powers 1, 3, 5, 7 of m1 = 2^(−8/2/8) = 2^(−1/2)
  const float twelve[] = {0.5f,       0.25f,       0.125f,      0.0625f,     0.03125f,    0.015625f,
                          0.0078125f, 0.00390625f, 0.70710678f, 0.35355339f, 0.17677670f, 0.08838835f};
  for (int64_t h = 0; h < 12; ++h) CHECK(ModelDescription::alibi_slope_of(h, 12, 8.0f) == Approx(twelve[h]));
  // another max bias (MPT's key): m0 = 2^(−16/8) = 1/4
  CHECK(ModelDescription::alibi_slope_of(1, 8, 16.0f) == Approx(0.0625f));
  CHECK(ModelDescription::alibi_slope_of(3, 8, 0.0f) == 0.0f);  // (no ALiBi)
}

TEST_CASE("bloom (the embeddings LayerNorm'd, ALiBi, gpt2's block) matches the textbook forward pass",
          "[engine][architectures]") {
  const auto type = GENERATE(gguf::GgmlType::F32, gguf::GgmlType::Q8_0);
  INFO(gguf::ggml_type_name(type));
  const auto path = test::synth_model_file("test-tiny-bloom", type);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const model::Weights& w = model->weights();
  const model::LayerWeights& L = w.layers[1];
  const auto n = [](int64_t v) { return static_cast<size_t>(v); };
  REQUIRE(d.architecture == "bloom");
  CHECK(d.n_head == 12);            // (not a power of two: m1's slopes run too)
  CHECK(d.alibi_max_bias == 8.0f);  // (llama.cpp's constant: the file has no key)
  CHECK(d.alibi_slope(8) == Approx(0.70710678f));
  CHECK(d.traits->rope == model::RopeKind::None);
  CHECK(w.token_embd_norm.size() == n(d.n_embd));
  CHECK(w.token_embd_norm_b.size() == n(d.n_embd));
  CHECK(L.wqkv);
  CHECK(L.bqkv.size() == n(d.q_dim() + 2 * d.kv_dim()));
  CHECK(L.bo.size() == n(d.n_embd));
  CHECK_FALSE(L.w_gate);
  CHECK(L.b_up.size() == n(d.n_ff));
  CHECK(L.b_down.size() == n(d.n_embd));
  CHECK(d.tied_embeddings);
  const auto ref = check_against_textbook(*model, 0.05f);
  // llama.cpp's arithmetic carries the bias too: with F32 weights only its fp16 K and V set cpu-llamacpp
  // apart (4e-5 here; 0.026 without the bias)
  if (type == gguf::GgmlType::F32)
    CHECK(test::max_abs_diff(engine_logits(*model, "cpu-llamacpp"), ref) <= 1e-3f);

  // one token at a time through the grouped runs too (each run's keys biased by their own positions)
  setenv("GLASSWING_CPU_ATTN_GROUP_KIB", "0", 1);
  setenv("GLASSWING_CPU_ATTN_RUN_KEYS", "4", 1);
  cpu::CpuBackend grouped(*model);
  unsetenv("GLASSWING_CPU_ATTN_GROUP_KIB");
  unsetenv("GLASSWING_CPU_ATTN_RUN_KEYS");
  model::Session gs(*model, grouped, 16);
  std::span<const float> g;
  for (int32_t token : kTokens) g = grouped.forward(gs, std::span(&token, 1), false);
  CHECK(test::max_abs_diff({g.begin(), g.end()}, std::span(ref).last(n(d.n_vocab))) <= 1e-4f);

  // the maps include the bias: head 0's slope of 1/2 takes e^−5 off the first key for the query at 10, which
  // the small random scores cannot make up, so the query's own key draws far more; each row sums to 1
  cpu::CpuBackend cpu(*model);
  model::Session session(*model, cpu, 16);
  cpu.forward(session, kTokens, false);
  const model::Range all{0, static_cast<int64_t>(kTokens.size())};
  for (int64_t layer = 0; layer < d.n_layer; ++layer) {
    const auto map = cpu.attention(session, layer, 0, all, all);
    CHECK(map.at(10, 10) > 20.0f * map.at(10, 0));
    float sum = 0;
    for (int64_t k = 0; k <= 10; ++k) sum += map.at(10, k);
    CHECK(sum == Approx(1.0f));
  }
}

TEST_CASE("bloom files without their embedding norm or a bias are refused naming the tensor",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-bloom", gguf::GgmlType::F32);
  for (const std::string drop : {"token_embd_norm.weight", "token_embd_norm.bias", "blk.1.attn_qkv.bias",
                                 "blk.0.attn_output.bias", "blk.1.ffn_up.bias", "blk.0.ffn_down.bias"}) {
    INFO(drop);
    CHECK_THROWS_WITH(model::Model::load(without_tensor(path, drop)), Contains(drop));
  }
}

TEST_CASE("mpt (ALiBi, no biases, q|k|v clamped where the file says) matches the textbook forward pass",
          "[engine][architectures]") {
  const std::string shape = GENERATE("test-tiny-mpt", "test-tiny-mpt-clip");
  INFO(shape);
  const auto path = test::synth_model_file(shape, gguf::GgmlType::Q8_0);
  auto model = model::Model::load(path);
  const model::ModelDescription& d = model->desc();
  const model::LayerWeights& L = model->weights().layers[1];
  REQUIRE(d.architecture == "mpt");
  CHECK(d.alibi_max_bias == 8.0f);  // (the key, as the converter writes it)
  CHECK(d.alibi_slope(0) == 0.5f);  // (8 heads: m0 = 2^−1)
  CHECK(L.wqkv);
  CHECK(L.bqkv.empty());
  CHECK(L.attn_norm_b.empty());
  CHECK(L.bo.empty());
  CHECK(L.b_up.empty());
  CHECK_FALSE(L.w_gate);
  CHECK(d.tied_embeddings);
  CHECK(d.clamp_kqv == (shape == "test-tiny-mpt-clip" ? 0.5f : 0.0f));
  const auto ref = check_against_textbook(*model, 0.05f);
  if (shape == "test-tiny-mpt-clip") {
    // the clamp cuts into these projections: without it the logits differ, and follow the textbook
    auto unclamped = model::Model::load(with_metadata(
        path, "mpt-unclamped", [](gguf::GgufWriter& w) { w.set_f32("mpt.attention.clamp_kqv", 0.0f); }));
    const auto logits = engine_logits(*unclamped, "cpu");
    CHECK(test::max_abs_diff(logits, ref) > 1e-3f);
    CHECK(test::max_abs_diff(logits, test::naive_logits(*unclamped, kTokens)) <= 1e-4f);
  } else {
    // another max bias (the key read, not assumed): other slopes, other logits, still the textbook's
    auto steeper = model::Model::load(with_metadata(
        path, "mpt-bias-16", [](gguf::GgufWriter& w) { w.set_f32("mpt.attention.max_alibi_bias", 16.0f); }));
    CHECK(steeper->desc().alibi_slope(0) == 0.25f);
    const auto logits = engine_logits(*steeper, "cpu");
    CHECK(test::max_abs_diff(logits, ref) > 1e-3f);
    CHECK(test::max_abs_diff(logits, test::naive_logits(*steeper, kTokens)) <= 1e-4f);
  }
}

TEST_CASE("mpt files with variants Glasswing does not run are refused naming the tensor or key",
          "[engine][architectures]") {
  const auto path = test::synth_model_file("test-tiny-mpt", gguf::GgmlType::F32);
  const auto bad_bias = with_metadata(
      path, "mpt-no-bias", [](gguf::GgufWriter& w) { w.set_f32("mpt.attention.max_alibi_bias", 0.0f); });
  CHECK_THROWS_WITH(model::Model::load(bad_bias), Contains("mpt.attention.max_alibi_bias"));
  // a file with one tensor more: a copy of the first layer's norm gains under another name
  const auto with_extra = [&](const std::string& extra) {
    const auto out = test::temp_dir("mpt-extra") / (extra + ".gguf");
    const auto in = gguf::GgufFile::open(path);
    gguf::GgufWriter w;
    test::copy_metadata(in, w);
    for (const auto& t : in.tensors()) w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
    const auto& g = in.require_tensor("blk.0.attn_norm.weight");
    w.add_tensor(extra, g.type, g.dims, {g.data, g.n_bytes});
    w.write(out.string());
    return out;
  };
  for (const std::string extra :
       {"blk.0.attn_q_norm.weight", "blk.1.ffn_act.scales", "position_embd.weight"}) {
    INFO(extra);
    CHECK_THROWS_WITH(model::Model::load(with_extra(extra)), Contains(extra) && Contains("not supported"));
  }
}
