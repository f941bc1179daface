// Synthetic models: written with the hidden small shapes only (the real presets are far too large for tests)
// and read back with GgufFile: metadata, tensor shapes and types, fallbacks, weight statistics, tokenizer.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include "inference/gguf/gguf_file.h"
#include "inference/model/model.h"
#include "inference/quant/quant.h"
#include "inference/synth/synth_model.h"
#include "inference/tokenizer/tokenizer.h"
#include "tests/test_support.h"

using namespace glasswing;
using gguf::GgmlType;

namespace {

struct Written {
  synth::Report report;
  std::filesystem::path path;
};

// Each call writes into the same per-process folder (created once), so earlier files stay.
Written write(const std::string& shape, GgmlType type, uint64_t seed = 42, unsigned threads = 0,
              const std::string& file = "") {
  static const std::filesystem::path dir = test::temp_dir("synth");
  const synth::Shape* s = synth::find_shape(shape);
  REQUIRE(s != nullptr);
  synth::Options o;
  o.shape = *s;
  o.type = type;
  o.seed = seed;
  o.threads = threads;
  const auto path = dir / (file.empty() ? shape + ".gguf" : file);
  return {synth::write_model(o, path), path};
}

std::vector<float> decode(const gguf::TensorInfo& t) {
  std::vector<float> v(t.n_elements);
  quant::dequantize_row(t.type, t.data, v.data(), static_cast<int64_t>(t.n_elements));
  return v;
}

void check_spread(const gguf::TensorInfo& t, double want_std) {
  const auto v = decode(t);
  double sum = 0, sum2 = 0;
  for (float x : v) {
    REQUIRE(std::isfinite(x));
    sum += x;
    sum2 += double(x) * x;
  }
  const double mean = sum / v.size(), std = std::sqrt(sum2 / v.size() - mean * mean);
  INFO(t.name << " " << gguf::ggml_type_name(t.type) << " mean " << mean << " std " << std);
  CHECK(std::fabs(mean) < 4 * want_std / std::sqrt(double(v.size())) + 1e-4);
  CHECK(std > want_std * 0.93);
  CHECK(std < want_std * 1.07);
}

}  // namespace

TEST_CASE("test-tiny as q4_K: llama metadata, shapes, types and weight spread") {
  const auto w = write("test-tiny", GgmlType::Q4_K);
  CHECK(w.report.fallbacks.empty());
  const auto f = gguf::GgufFile::open(w.path);
  CHECK(f.architecture() == "llama");
  CHECK(f.alignment() == 32);
  CHECK(f.require_uint("general.alignment") == 32);
  CHECK(f.require_uint("general.file_type") == 14);  // LLAMA_FTYPE_MOSTLY_Q4_K_S
  CHECK(f.require_uint("llama.embedding_length") == 256);
  CHECK(f.require_uint("llama.block_count") == 2);
  CHECK(f.require_uint("llama.feed_forward_length") == 512);
  CHECK(f.require_uint("llama.attention.head_count") == 4);
  CHECK(f.require_uint("llama.attention.head_count_kv") == 2);
  CHECK(f.require_uint("llama.context_length") == 128);
  CHECK(f.require_uint("llama.rope.dimension_count") == 64);
  CHECK(f.require_float("llama.rope.freq_base") == 10000.0);
  CHECK(f.require_float("llama.attention.layer_norm_rms_epsilon") == Approx(1e-5));
  CHECK(f.require_string("tokenizer.ggml.model") == "llama");
  CHECK(f.require_array("tokenizer.ggml.tokens").size() == 320);
  CHECK(f.require_array("tokenizer.ggml.scores").size() == 320);
  CHECK(f.require_array("tokenizer.ggml.token_type").size() == 320);
  CHECK(f.require_uint("tokenizer.ggml.bos_token_id") == 1);
  CHECK(f.require_uint("tokenizer.ggml.eos_token_id") == 2);

  // 1 embedding + 2 layers x 9 + output norm + output (untied) = 21 tensors.
  REQUIRE(f.tensors().size() == 21);
  const std::map<std::string, std::vector<uint64_t>> dims = {
      {"token_embd.weight", {256, 320}},   {"output.weight", {256, 320}},
      {"output_norm.weight", {256}},       {"blk.1.attn_norm.weight", {256}},
      {"blk.1.attn_q.weight", {256, 256}}, {"blk.1.attn_k.weight", {256, 128}},
      {"blk.1.attn_v.weight", {256, 128}}, {"blk.1.attn_output.weight", {256, 256}},
      {"blk.1.ffn_norm.weight", {256}},    {"blk.1.ffn_gate.weight", {256, 512}},
      {"blk.1.ffn_up.weight", {256, 512}}, {"blk.1.ffn_down.weight", {512, 256}}};
  for (const auto& [name, d] : dims) {
    INFO(name);
    const auto& t = f.require_tensor(name);
    CHECK(t.dims == d);
    CHECK(t.type == (d.size() == 1 ? GgmlType::F32 : GgmlType::Q4_K));
  }
  for (const auto& t : f.tensors()) {
    if (t.dims.size() == 1) {
      for (float v : decode(t)) REQUIRE(v == 1.0f);  // norms
    } else {
      check_spread(t, 0.02);
    }
  }
}

TEST_CASE("rows that K-quants cannot hold fall back like llama.cpp and are reported") {
  // test-tiny-odd: n_embd 96, n_ff 160: no row is a multiple of 256, all are multiples of 32.
  const std::pair<GgmlType, GgmlType> cases[] = {{GgmlType::Q4_K, GgmlType::Q5_0},
                                                 {GgmlType::Q5_K, GgmlType::Q5_1},
                                                 {GgmlType::Q6_K, GgmlType::Q8_0},
                                                 {GgmlType::Q3_K, GgmlType::Q4_0}};
  for (const auto& [wanted, used] : cases) {
    INFO(gguf::ggml_type_name(wanted));
    const auto w = write("test-tiny-odd", wanted);
    const auto f = gguf::GgufFile::open(w.path);
    size_t weights = 0;
    for (const auto& t : f.tensors())
      if (t.dims.size() == 2) {
        ++weights;
        CHECK(t.type == used);
      }
    CHECK(w.report.fallbacks.size() == weights);
    for (const auto& fb : w.report.fallbacks) {
      CHECK(fb.wanted == wanted);
      CHECK(fb.used == used);
      CHECK(f.require_tensor(fb.tensor).row_elements() == fb.row_length);
    }
    CHECK(f.find_tensor("output.weight") == nullptr);  // tied embeddings
  }
  CHECK(synth::fallback_type(GgmlType::Q4_K, 512) == GgmlType::Q4_K);
  CHECK(synth::fallback_type(GgmlType::Q4_K, 100) == GgmlType::F16);
  CHECK(synth::fallback_type(GgmlType::Q8_0, 100) == GgmlType::F16);
  CHECK(synth::fallback_type(GgmlType::F16, 7) == GgmlType::F16);
}

TEST_CASE("qwen2 shapes carry Q/K/V biases and qwen2 metadata") {
  const auto w = write("test-tiny-qwen2", GgmlType::Q8_0);
  const auto f = gguf::GgufFile::open(w.path);
  CHECK(f.architecture() == "qwen2");
  CHECK(f.require_uint("qwen2.embedding_length") == 128);
  CHECK(f.require_float("qwen2.rope.freq_base") == 1000000.0);
  CHECK(f.require_float("qwen2.attention.layer_norm_rms_epsilon") == Approx(1e-6));
  CHECK(f.require_uint("general.file_type") == 7);
  for (int l = 0; l < 2; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    CHECK(f.require_tensor(p + "attn_q.bias").dims == std::vector<uint64_t>{128});
    CHECK(f.require_tensor(p + "attn_k.bias").dims == std::vector<uint64_t>{64});
    CHECK(f.require_tensor(p + "attn_v.bias").type == GgmlType::F32);
    CHECK(f.require_tensor(p + "attn_q.weight").type == GgmlType::Q8_0);
  }
  std::vector<float> biases;
  for (const auto& t : f.tensors())
    if (t.name.find(".bias") != std::string::npos) {
      const auto v = decode(t);
      biases.insert(biases.end(), v.begin(), v.end());
    }
  REQUIRE(biases.size() == 2 * (128 + 64 + 64));
  double sum2 = 0;
  for (float b : biases) sum2 += double(b) * b;
  const double std = std::sqrt(sum2 / biases.size());
  CHECK(std > 0.016);
  CHECK(std < 0.024);
  check_spread(f.require_tensor("blk.0.ffn_down.weight"), 0.02);
}

TEST_CASE("qwen3 shapes carry per-head q and k norms and their head width") {
  const auto w = write("test-tiny-qwen3", GgmlType::Q8_0);
  const auto f = gguf::GgufFile::open(w.path);
  CHECK(f.architecture() == "qwen3");
  CHECK(f.require_uint("qwen3.attention.key_length") == 64);
  CHECK(f.require_uint("qwen3.attention.value_length") == 64);
  CHECK(f.require_uint("qwen3.rope.dimension_count") == 64);
  CHECK(f.find_tensor("output.weight") == nullptr);
  for (int l = 0; l < 2; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    CHECK(f.find_tensor(p + "attn_q.bias") == nullptr);
    CHECK(f.require_tensor(p + "attn_q.weight").dims == std::vector<uint64_t>{128, 4 * 64});
    CHECK(f.require_tensor(p + "attn_k.weight").dims == std::vector<uint64_t>{128, 2 * 64});
    CHECK(f.require_tensor(p + "attn_output.weight").dims == std::vector<uint64_t>{4 * 64, 128});
    for (const char* norm : {"attn_q_norm.weight", "attn_k_norm.weight"}) {
      const auto& t = f.require_tensor(p + norm);
      CHECK(t.dims == std::vector<uint64_t>{64});
      CHECK(t.type == GgmlType::F32);
      // gains around 1 that differ from head dim to head dim, so that an engine ignoring them is caught
      const auto g = decode(t);
      const auto [lo, hi] = std::minmax_element(g.begin(), g.end());
      CHECK(*lo > 0.0f);
      CHECK(*hi - *lo > 0.3f);
    }
  }
  const auto model = model::Model::from_gguf(gguf::GgufFile::open(w.path));
  CHECK(model->desc().head_dim == 64);
  CHECK(model->desc().q_dim() == 256);
}

TEST_CASE("Llama 3.1-style shapes carry rope_freqs as llama.cpp's converter computes them") {
  // llama-3.2-1b itself is too large to write here: its divisors through a small shape of the same RoPE
  // (head 64, base 500000, factor 32, original context 8192)
  synth::Shape s = *synth::find_shape("test-tiny-llama3");
  const synth::Shape& big = *synth::find_shape("llama-3.2-1b");
  CHECK(big.rope_scaling_factor == 32.0f);
  CHECK(big.rope_original_ctx == 8192);
  s.rope_scaling_factor = big.rope_scaling_factor;
  s.rope_original_ctx = big.rope_original_ctx;
  s.rope_base = big.rope_base;
  synth::Options o;
  o.shape = s;
  o.type = GgmlType::Q8_0;
  const auto path = test::temp_dir("synth-llama3") / "x.gguf";
  synth::write_model(o, path);
  const auto f = gguf::GgufFile::open(path);
  const auto& t = f.require_tensor("rope_freqs.weight");
  CHECK(t.type == GgmlType::F32);
  REQUIRE(t.dims == std::vector<uint64_t>{32});
  const auto v = decode(t);
  // wavelength 2π·500000^(2i/64): below 8192 / 4 = 2048 tokens 1, above 8192 the factor, a blend between
  int blended = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const double wavelen = 2 * std::numbers::pi * std::pow(500000.0, 2.0 * double(i) / 64);
    INFO("pair " << i << " wavelength " << wavelen);
    if (wavelen < 2048) CHECK(v[i] == 1.0f);
    if (wavelen > 8192) CHECK(v[i] == 32.0f);
    if (wavelen > 2048 && wavelen < 8192) {
      ++blended;
      const double smooth = (8192 / wavelen - 1) / 3;
      CHECK(v[i] == Approx(1 / ((1 - smooth) / 32 + smooth)));
    }
  }
  CHECK(blended > 0);
  CHECK(gguf::GgufFile::open(write("test-tiny", GgmlType::Q8_0).path).find_tensor("rope_freqs.weight") ==
        nullptr);
  // Llama 4 Scout's scaling (x16 over 8192 positions, high_freq_factor 1): no blend, each pair kept or
  // divided
  const synth::Shape& scout = *synth::find_shape("llama-4-scout");
  CHECK(scout.rope_high_freq_factor == 1.0f);
  s.rope_scaling_factor = scout.rope_scaling_factor;
  s.rope_original_ctx = scout.rope_original_ctx;
  s.rope_base = scout.rope_base;
  s.rope_high_freq_factor = scout.rope_high_freq_factor;
  o.shape = s;
  synth::write_model(o, path);
  const auto scout_v = decode(gguf::GgufFile::open(path).require_tensor("rope_freqs.weight"));
  REQUIRE(scout_v.size() == 32);
  for (size_t i = 0; i < scout_v.size(); ++i) {
    const double wavelen = 2 * std::numbers::pi * std::pow(500000.0, 2.0 * double(i) / 64);
    INFO("pair " << i << " wavelength " << wavelen);
    CHECK(scout_v[i] == (wavelen < 8192 ? 1.0f : 16.0f));
  }
}

TEST_CASE("phi3 shapes pack q|k|v into attn_qkv and gate|up into ffn_up") {
  const auto w = write("test-tiny-phi3", GgmlType::Q8_0);
  const auto f = gguf::GgufFile::open(w.path);
  CHECK(f.architecture() == "phi3");
  CHECK(f.require_uint("phi3.feed_forward_length") == 512);
  for (int l = 0; l < 2; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    CHECK(f.require_tensor(p + "attn_qkv.weight").dims == std::vector<uint64_t>{256, 256 + 2 * 128});
    CHECK(f.require_tensor(p + "ffn_up.weight").dims == std::vector<uint64_t>{256, 2 * 512});
    CHECK(f.find_tensor(p + "attn_q.weight") == nullptr);
    CHECK(f.find_tensor(p + "ffn_gate.weight") == nullptr);
  }
  CHECK(f.find_tensor("output.weight") != nullptr);
  check_spread(f.require_tensor("blk.0.ffn_up.weight"), 0.02);
}

TEST_CASE("gemma3 shapes carry post-sublayer norms, per-head norms, the sliding window and RoPE scaling") {
  const auto w = write("test-tiny-gemma3", GgmlType::Q8_0);
  const auto f = gguf::GgufFile::open(w.path);
  CHECK(f.architecture() == "gemma3");
  CHECK(f.require_uint("gemma3.attention.sliding_window") == 4);
  CHECK(f.require_uint("gemma3.attention.key_length") == 64);
  CHECK(f.get_string("gemma3.rope.scaling.type") == "linear");
  CHECK(f.require_float("gemma3.rope.scaling.factor") == 8.0);
  for (int l = 0; l < 6; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    for (const char* norm : {"post_attention_norm.weight", "post_ffw_norm.weight"})
      CHECK(f.require_tensor(p + norm).dims == std::vector<uint64_t>{128});
    CHECK(f.require_tensor(p + "attn_q_norm.weight").dims == std::vector<uint64_t>{64});
    CHECK(f.require_tensor(p + "ffn_gate.weight").dims == std::vector<uint64_t>{128, 256});
  }
  CHECK(f.find_tensor("output.weight") == nullptr);
}

TEST_CASE("gemma2 shapes carry post-sublayer norms, the sliding window and the soft caps") {
  const auto w = write("test-tiny-gemma2", GgmlType::Q8_0);
  const auto f = gguf::GgufFile::open(w.path);
  CHECK(f.architecture() == "gemma2");
  CHECK(f.require_uint("gemma2.attention.sliding_window") == 4);
  CHECK(f.require_float("gemma2.attn_logit_softcapping") == 1.0);
  CHECK(f.require_float("gemma2.final_logit_softcapping") == 0.5);
  CHECK(f.find_tensor("blk.0.attn_q_norm.weight") == nullptr);
  CHECK(f.require_tensor("blk.3.post_ffw_norm.weight").dims == std::vector<uint64_t>{128});
  const synth::Shape& big = *synth::find_shape("gemma-2-2b");
  CHECK(big.attn_softcap == 50.0f);
  CHECK(big.final_softcap == 30.0f);
  CHECK(big.sliding_window == 4096);
}

TEST_CASE("mixture-of-experts shapes carry a router and 3-D expert tensors") {
  const auto w = write("test-tiny-qwen3moe", GgmlType::Q8_0);
  const auto f = gguf::GgufFile::open(w.path);
  CHECK(f.architecture() == "qwen3moe");
  CHECK(f.require_uint("qwen3moe.expert_count") == 4);
  CHECK(f.require_uint("qwen3moe.expert_used_count") == 2);
  CHECK(f.require_uint("qwen3moe.expert_feed_forward_length") == 64);
  CHECK(f.require_tensor("blk.0.ffn_gate_inp.weight").type == GgmlType::F32);
  CHECK(f.require_tensor("blk.0.ffn_gate_inp.weight").dims == std::vector<uint64_t>{128, 4});
  CHECK(f.require_tensor("blk.1.ffn_up_exps.weight").dims == std::vector<uint64_t>{128, 64, 4});
  CHECK(f.require_tensor("blk.1.ffn_down_exps.weight").dims == std::vector<uint64_t>{64, 128, 4});
  CHECK(f.find_tensor("blk.0.ffn_gate.weight") == nullptr);
  check_spread(f.require_tensor("blk.0.ffn_gate_inp.weight"), 0.2);
  const auto mixtral = gguf::GgufFile::open(write("test-tiny-mixtral", GgmlType::Q8_0).path);
  CHECK_FALSE(mixtral.find("llama.expert_feed_forward_length"));  // experts of feed_forward_length
  CHECK(mixtral.require_tensor("blk.0.ffn_gate_exps.weight").dims == std::vector<uint64_t>{128, 256, 4});
}

TEST_CASE("glm4moe shapes carry a dense first layer, shared experts, a selection bias and an MTP layer") {
  const auto f = gguf::GgufFile::open(write("test-tiny-glm4moe", GgmlType::Q8_0).path);
  CHECK(f.architecture() == "glm4moe");
  CHECK(f.require_uint("glm4moe.block_count") == 3);  // two layers and the NextN one
  CHECK(f.require_uint("glm4moe.nextn_predict_layers") == 1);
  CHECK(f.require_uint("glm4moe.leading_dense_block_count") == 1);
  CHECK(f.require_uint("glm4moe.expert_shared_count") == 2);
  CHECK(f.require_uint("glm4moe.expert_gating_func") == 2);
  CHECK(f.get_bool("glm4moe.expert_weights_norm") == true);
  CHECK(f.require_float("glm4moe.expert_weights_scale") == 2.5);
  CHECK(f.require_uint("glm4moe.rope.dimension_count") == 32);
  CHECK(f.require_tensor("blk.0.ffn_down.weight").dims == std::vector<uint64_t>{256, 128});
  CHECK(f.find_tensor("blk.0.ffn_gate_inp.weight") == nullptr);
  CHECK(f.require_tensor("blk.1.ffn_gate_shexp.weight").dims == std::vector<uint64_t>{128, 128});
  CHECK(f.require_tensor("blk.1.ffn_down_shexp.weight").dims == std::vector<uint64_t>{128, 128});
  CHECK(f.require_tensor("blk.1.exp_probs_b.bias").dims == std::vector<uint64_t>{4});
  CHECK(f.require_tensor("blk.1.attn_q.bias").dims == std::vector<uint64_t>{256});
  CHECK(f.require_tensor("blk.1.post_attention_norm.weight").dims == std::vector<uint64_t>{128});
  CHECK(f.require_tensor("blk.2.nextn.eh_proj.weight").dims == std::vector<uint64_t>{256, 128});
  CHECK(f.find_tensor("blk.1.nextn.eh_proj.weight") == nullptr);
  CHECK(f.find_tensor("blk.0.attn_q_norm.weight") == nullptr);
  const auto qk = gguf::GgufFile::open(write("test-tiny-glm4moe-qk", GgmlType::Q8_0).path);
  CHECK(qk.require_tensor("blk.0.attn_q_norm.weight").dims == std::vector<uint64_t>{64});
  CHECK(qk.require_tensor("blk.0.ffn_gate_inp.weight").dims == std::vector<uint64_t>{128, 4});
  // the real one: about 109 B parameters, 2.3 B of them its MTP layer (Z.ai: 106 B, 12 B active)
  CHECK(synth::find_shape("glm-4.5-air")->n_params() / 1000000000 == 109);
}

TEST_CASE("minimax-m2, dots1, bailingmoe and bailingmoe2 shapes carry their keys as llama.cpp writes them") {
  const auto mm = gguf::GgufFile::open(write("test-tiny-minimax-m2", GgmlType::Q8_0).path);
  CHECK(mm.architecture() == "minimax-m2");
  CHECK(mm.require_uint("minimax-m2.expert_gating_func") == 2);
  CHECK(mm.require_uint("minimax-m2.rope.dimension_count") == 32);
  CHECK_FALSE(mm.find("minimax-m2.expert_weights_norm"));  // (MiniMax-M2's converter writes none)
  CHECK_FALSE(mm.find("minimax-m2.leading_dense_block_count"));
  CHECK(mm.require_tensor("blk.0.attn_q_norm.weight").dims == std::vector<uint64_t>{256});  // whole q
  CHECK(mm.require_tensor("blk.0.attn_k_norm.weight").dims == std::vector<uint64_t>{128});
  CHECK(mm.require_tensor("blk.0.exp_probs_b.bias").dims == std::vector<uint64_t>{4});
  CHECK(mm.find_tensor("blk.0.ffn_gate_shexp.weight") == nullptr);
  const auto dots = gguf::GgufFile::open(write("test-tiny-dots1", GgmlType::Q8_0).path);
  CHECK(dots.require_uint("dots1.leading_dense_block_count") == 1);
  CHECK(dots.require_uint("dots1.expert_shared_count") == 2);
  CHECK(dots.get_bool("dots1.expert_weights_norm") == true);
  CHECK(dots.require_float("dots1.expert_weights_scale") == 2.5);
  CHECK(dots.require_tensor("blk.1.attn_k_norm.weight").dims == std::vector<uint64_t>{64});  // per head
  CHECK(dots.require_tensor("blk.1.ffn_up_shexp.weight").dims == std::vector<uint64_t>{128, 128});
  CHECK(dots.require_tensor("blk.0.ffn_down.weight").dims == std::vector<uint64_t>{256, 128});
  const auto ling = gguf::GgufFile::open(write("test-tiny-bailingmoe2", GgmlType::Q8_0).path);
  CHECK(ling.require_uint("bailingmoe2.block_count") == 3);  // two layers and the MTP one
  CHECK(ling.require_uint("bailingmoe2.nextn_predict_layers") == 1);
  CHECK(ling.require_uint("bailingmoe2.expert_group_count") == 2);
  CHECK(ling.require_uint("bailingmoe2.expert_group_used_count") == 1);
  CHECK(ling.require_uint("bailingmoe2.expert_shared_feed_forward_length") == 64);
  CHECK(ling.require_tensor("blk.0.attn_qkv.weight").dims == std::vector<uint64_t>{128, 256});
  CHECK(ling.find_tensor("blk.0.attn_q.weight") == nullptr);
  CHECK(ling.require_tensor("blk.1.ffn_gate_shexp.weight").dims == std::vector<uint64_t>{128, 64});
  CHECK(ling.require_tensor("blk.2.nextn.eh_proj.weight").dims == std::vector<uint64_t>{256, 128});
  const auto ling1 = gguf::GgufFile::open(write("test-tiny-bailingmoe", GgmlType::Q8_0).path);
  CHECK_FALSE(ling1.find("bailingmoe.expert_gating_func"));  // (softmax: Ling 1.0's converter writes none)
  CHECK(ling1.require_uint("bailingmoe.expert_shared_count") == 2);
  CHECK(ling1.require_tensor("blk.0.attn_q.weight").dims == std::vector<uint64_t>{128, 128});
  CHECK(ling1.find_tensor("blk.0.exp_probs_b.bias") == nullptr);
  CHECK(ling1.require_tensor("blk.0.ffn_gate_shexp.weight").dims == std::vector<uint64_t>{128, 128});
  // Ling-lite: "16.8B total parameters, 2.75B activated" (its embeddings, attention, router and 6 of 64
  // experts plus the two shared)
  const synth::Shape* ling_lite = synth::find_shape("ling-lite");
  const double lite = double(ling_lite->n_params());
  CHECK(std::fabs(lite / 16.8e9 - 1) < 0.005);
  CHECK(std::fabs((lite - 28.0 * (64 - 6) * 3 * 2048 * 1408) / 2.75e9 - 1) < 0.01);
  // the real ones. dots.llm1 to the parameter: the Hub's safetensors count of dots.llm1.base
  CHECK(synth::find_shape("dots.llm1")->n_params() == 142774381696);
  // MiniMax-M2: "230B total parameters"
  CHECK(std::fabs(double(synth::find_shape("minimax-m2")->n_params()) / 230e9 - 1) < 0.01);
  // Ling-mini-2.0: 16.26 B, of which a token runs 789 M besides the embeddings (its card: "non-embedding
  // 789M" active): its attention, dense first layer, router and 8 of 256 experts plus the shared one
  const synth::Shape* ling_mini = synth::find_shape("ling-mini-2.0");
  const double total = double(ling_mini->n_params());
  CHECK(std::fabs(total / 16.26e9 - 1) < 0.005);
  const double embeddings = 2.0 * 157184 * 2048, idle_experts = 19.0 * (256 - 8) * 3 * 2048 * 512;
  CHECK(std::fabs((total - embeddings - idle_experts) / 789e6 - 1) < 0.01);
}

TEST_CASE("exaone-moe shapes carry K-EXAONE's keys and windows as llama.cpp's converter writes them") {
  const auto ex = gguf::GgufFile::open(write("test-tiny-exaone-moe", GgmlType::Q8_0).path);
  CHECK(ex.architecture() == "exaone-moe");
  CHECK(ex.require_uint("exaone-moe.block_count") == 6);  // five layers and the MTP one
  CHECK(ex.require_uint("exaone-moe.nextn_predict_layers") == 1);
  CHECK(ex.require_uint("exaone-moe.leading_dense_block_count") == 1);
  CHECK(ex.require_uint("exaone-moe.expert_shared_count") == 1);
  CHECK(ex.require_uint("exaone-moe.expert_shared_feed_forward_length") == 64);
  CHECK(ex.get_bool("exaone-moe.expert_weights_norm") == true);
  CHECK(ex.require_float("exaone-moe.expert_weights_scale") == 2.5);
  CHECK_FALSE(ex.find("exaone-moe.expert_gating_func"));  // (sigmoid: its converter writes none)
  CHECK(ex.require_uint("exaone-moe.attention.sliding_window") == 4);
  const gguf::Value* pattern = ex.find("exaone-moe.attention.sliding_window_pattern");
  REQUIRE(pattern);
  REQUIRE(pattern->type == gguf::ValueType::Array);
  CHECK(pattern->array->elem_type == gguf::ValueType::Bool);
  CHECK(pattern->array->ints == std::vector<int64_t>{1, 0, 1, 1, 0});  // (the model's own layers)
  CHECK(ex.require_tensor("blk.0.attn_norm.weight").dims == std::vector<uint64_t>{128});  // (pre-norms)
  CHECK(ex.find_tensor("blk.0.post_attention_norm.weight") == nullptr);
  CHECK(ex.require_tensor("blk.1.attn_q_norm.weight").dims == std::vector<uint64_t>{32});  // per head
  CHECK(ex.require_tensor("blk.0.ffn_down.weight").dims == std::vector<uint64_t>{256, 128});
  CHECK(ex.require_tensor("blk.1.exp_probs_b.bias").dims == std::vector<uint64_t>{4});
  CHECK(ex.require_tensor("blk.1.ffn_up_shexp.weight").dims == std::vector<uint64_t>{128, 64});
  CHECK(ex.require_tensor("blk.5.nextn.eh_proj.weight").dims == std::vector<uint64_t>{256, 128});
  // K-EXAONE-236B-A23B: "236 billion total parameters, with 23 billion active" (its card; the MTP layer
  // apart): the embeddings, attention, the dense first layer, routers and 8 of 128 experts plus the shared
  const synth::Shape* k = synth::find_shape("k-exaone-236b-a23b");
  REQUIRE(k);
  const double total = double(k->n_params());
  CHECK(std::fabs(total / 236e9 - 1) < 0.005);
  const double idle_experts = 47.0 * (128 - 8) * 3 * 6144 * 2048;
  CHECK(std::fabs((total - idle_experts) / 23e9 - 1) < 0.05);
}

TEST_CASE("cohere2moe shapes carry North's keys and windows as llama.cpp's converter writes them") {
  const auto co = gguf::GgufFile::open(write("test-tiny-cohere2moe", GgmlType::Q8_0).path);
  CHECK(co.architecture() == "cohere2moe");
  CHECK(co.require_float("cohere2moe.attention.layer_norm_epsilon") == Approx(1e-5));
  CHECK_FALSE(co.find("cohere2moe.attention.layer_norm_rms_epsilon"));
  CHECK(co.require_float("cohere2moe.logit_scale") == 0.25);
  CHECK(co.require_uint("cohere2moe.leading_dense_block_count") == 1);
  CHECK_FALSE(co.find("cohere2moe.expert_gating_func"));          // (sigmoid: its converter writes none)
  CHECK(co.require_uint("cohere2moe.expert_shared_count") == 0);  // (its converter writes the config's count)
  CHECK(co.find_tensor("blk.1.ffn_up_shexp.weight") == nullptr);
  const gguf::Value* pattern = co.find("cohere2moe.attention.sliding_window_pattern");
  REQUIRE(pattern);
  REQUIRE(pattern->type == gguf::ValueType::Array);
  CHECK(pattern->array->ints == std::vector<int64_t>{1, 1, 0, 1});
  CHECK(co.find_tensor("blk.0.attn_norm.bias") == nullptr);   // (LayerNorms without biases)
  CHECK(co.find_tensor("blk.0.ffn_norm.weight") == nullptr);  // (the parallel FFN reads the attention norm)
  CHECK(co.require_tensor("blk.0.ffn_down.weight").dims == std::vector<uint64_t>{256, 128});
  CHECK(co.find_tensor("blk.1.exp_probs_b.bias") == nullptr);
  CHECK(co.require_tensor("blk.1.ffn_gate_exps.weight").dims == std::vector<uint64_t>{128, 64, 4});

  // Command A+'s shared experts: their count, and one SwiGLU of count × n_ff_exp in each mixture layer (no
  // width key: llama.cpp's loader sizes them so)
  const auto shared = gguf::GgufFile::open(write("test-tiny-cohere2moe-shared", GgmlType::Q8_0).path);
  CHECK(shared.require_uint("cohere2moe.expert_shared_count") == 2);
  CHECK_FALSE(shared.find("cohere2moe.expert_shared_feed_forward_length"));
  CHECK(shared.find_tensor("blk.0.ffn_up_shexp.weight") == nullptr);  // (the dense first layer)
  for (const char* t : {"blk.1.ffn_gate_shexp.weight", "blk.3.ffn_up_shexp.weight"})
    CHECK(shared.require_tensor(t).dims == std::vector<uint64_t>{128, 128});
  CHECK(shared.require_tensor("blk.2.ffn_down_shexp.weight").dims == std::vector<uint64_t>{128, 128});
  CHECK(shared.find_tensor("blk.1.ffn_gate_inp_shexp.weight") == nullptr);  // (no gate on them)
  // the RMSNorm file: an RMS epsilon and no LayerNorm one
  const auto rms = gguf::GgufFile::open(write("test-tiny-cohere2moe-rms", GgmlType::Q8_0).path);
  CHECK(rms.require_float("cohere2moe.attention.layer_norm_rms_epsilon") == Approx(1e-5));
  CHECK_FALSE(rms.find("cohere2moe.attention.layer_norm_epsilon"));
}

TEST_CASE("deepseek2 shapes carry latent attention as llama.cpp's converter writes it") {
  const auto f = gguf::GgufFile::open(write("test-tiny-deepseek2", GgmlType::Q8_0).path);
  CHECK(f.architecture() == "deepseek2");
  CHECK(f.require_uint("deepseek2.attention.head_count_kv") == 1);
  CHECK(f.require_uint("deepseek2.attention.key_length") == 80);  // the latent and the RoPE key
  CHECK(f.require_uint("deepseek2.attention.value_length") == 64);
  CHECK(f.require_uint("deepseek2.attention.key_length_mla") == 48);
  CHECK(f.require_uint("deepseek2.attention.value_length_mla") == 48);
  CHECK(f.require_uint("deepseek2.attention.kv_lora_rank") == 64);
  CHECK_FALSE(f.find("deepseek2.attention.q_lora_rank"));
  CHECK(f.require_tensor("blk.0.attn_q.weight").dims == std::vector<uint64_t>{128, 4 * 48});
  CHECK(f.require_tensor("blk.0.attn_kv_a_mqa.weight").dims == std::vector<uint64_t>{128, 80});
  CHECK(f.require_tensor("blk.0.attn_k_b.weight").dims == std::vector<uint64_t>{32, 64, 4});
  CHECK(f.require_tensor("blk.0.attn_v_b.weight").dims == std::vector<uint64_t>{64, 48, 4});
  CHECK(f.require_tensor("blk.0.attn_output.weight").dims == std::vector<uint64_t>{4 * 48, 128});
  CHECK(f.require_tensor("blk.1.exp_probs_b.bias").dims == std::vector<uint64_t>{4});
  const auto q = gguf::GgufFile::open(write("test-tiny-deepseek2-q", GgmlType::Q8_0).path);
  CHECK(q.require_uint("deepseek2.attention.q_lora_rank") == 96);
  CHECK(q.require_tensor("blk.0.attn_q_b.weight").dims == std::vector<uint64_t>{96, 4 * 48});
  CHECK_FALSE(q.find("deepseek2.expert_gating_func"));  // DeepSeek-V2's files: softmax
  CHECK(q.find_tensor("blk.0.exp_probs_b.bias") == nullptr);
  // the real one: about 30 B parameters (Z.ai: 30 B, 3 B active), 0.6 B of them its MTP layer
  CHECK(synth::find_shape("glm-4.7-flash")->n_params() / 1000000000 == 30);
}

TEST_CASE(
    "kimi-linear shapes carry Kimi Delta Attention and latent attention as llama.cpp's converter writes "
    "them") {
  const auto f = gguf::GgufFile::open(write("test-tiny-kimi-linear", GgmlType::Q8_0).path);
  CHECK(f.architecture() == "kimi-linear");
  const gguf::Value* kv = f.find("kimi-linear.attention.head_count_kv");  // 0 marks a KDA layer
  REQUIRE(kv != nullptr);
  REQUIRE(kv->type == gguf::ValueType::Array);
  CHECK(kv->array->ints == std::vector<int64_t>{0, 1, 0, 1});
  CHECK(f.require_uint("kimi-linear.kda.head_dim") == 32);
  CHECK(f.require_uint("kimi-linear.ssm.conv_kernel") == 4);
  CHECK(f.require_uint("kimi-linear.attention.key_length") == 80);
  CHECK(f.require_uint("kimi-linear.attention.key_length_mla") == 48);
  CHECK(f.require_tensor("blk.0.ssm_conv1d_q.weight").dims == std::vector<uint64_t>{4, 1, 128});
  CHECK(f.require_tensor("blk.0.ssm_f_b.weight").dims == std::vector<uint64_t>{32, 128});
  CHECK(f.require_tensor("blk.0.ssm_a").dims == std::vector<uint64_t>{1, 4});
  CHECK(f.require_tensor("blk.0.ssm_dt.bias").dims == std::vector<uint64_t>{128});
  CHECK(f.require_tensor("blk.0.attn_output.weight").dims == std::vector<uint64_t>{128, 128});
  CHECK(f.require_tensor("blk.1.attn_kv_a_mqa.weight").dims == std::vector<uint64_t>{128, 80});
  CHECK(f.find_tensor("blk.1.ssm_f_a.weight") == nullptr);
  CHECK(f.find_tensor("blk.0.ffn_gate_inp.weight") == nullptr);  // (the dense first layer)
  CHECK(f.require_tensor("blk.1.exp_probs_b.bias").dims == std::vector<uint64_t>{4});
  // Kimi-Linear-48B-A3B: the Hub's count of its safetensors, 49.1 B (the name's 48 B), 3 B active (8 of the
  // 256 routed experts per layer; the embeddings and the classifier included it is 3.5 B)
  const synth::Shape* kimi = synth::find_shape("kimi-linear-48b");
  REQUIRE(kimi != nullptr);
  CHECK_FALSE(kimi->hidden);
  CHECK(std::fabs(double(kimi->n_params()) / 49.1e9 - 1) < 0.002);
  uint64_t routed = 0;
  for (uint32_t l = 0; l < kimi->n_layer; ++l)
    if (kimi->moe_layer(l)) routed += uint64_t{256 - 8} * 3 * kimi->n_embd * kimi->n_ff_exp;
  const double active = double(kimi->n_params() - routed);
  CHECK(active > 3.0e9);
  CHECK(active < 3.5e9);
}

TEST_CASE("gpt-oss shapes carry attention biases and sinks, per-expert biases, YaRN and MXFP4 experts") {
  const auto w = write("test-tiny-gpt-oss", GgmlType::MXFP4, 42, 0, "gpt-oss.gguf");
  const auto f = gguf::GgufFile::open(w.path);
  CHECK(f.architecture() == "gpt-oss");
  CHECK(f.require_uint("general.file_type") == 38);  // LLAMA_FTYPE_MOSTLY_MXFP4_MOE
  CHECK(f.require_tensor("blk.1.ffn_up_exps.weight").type == GgmlType::MXFP4);
  CHECK(f.require_tensor("blk.0.attn_sinks.weight").dims == std::vector<uint64_t>{4});
  CHECK(f.require_tensor("blk.0.attn_output.bias").dims == std::vector<uint64_t>{128});
  CHECK(f.require_tensor("blk.0.ffn_gate_inp.bias").dims == std::vector<uint64_t>{4});
  CHECK(f.require_tensor("blk.1.ffn_down_exps.bias").dims == std::vector<uint64_t>{128, 4});
  CHECK(f.require_tensor("blk.1.ffn_gate_exps.bias").dims == std::vector<uint64_t>{64, 4});
  CHECK(f.find_tensor("blk.0.ffn_norm.weight") == nullptr);  // its pre-FFN norm is post_attention_norm
  CHECK(f.require_tensor("blk.0.post_attention_norm.weight").dims == std::vector<uint64_t>{128});
  CHECK(f.require_string("gpt-oss.rope.scaling.type") == "yarn");
  CHECK(f.require_uint("gpt-oss.attention.sliding_window") == 4);
  // the real one: about 20.9 B parameters (OpenAI: 21 B)
  CHECK(synth::find_shape("gpt-oss-20b")->n_params() / 100000000 == 209);
}

TEST_CASE("iq4_xs and iq4_nl files: llama.cpp's file types, iq4_xs falling back to iq4_nl like llama.cpp") {
  const auto xs = gguf::GgufFile::open(write("test-tiny", GgmlType::IQ4_XS, 42, 0, "xs.gguf").path);
  CHECK(xs.require_uint("general.file_type") == 30);
  CHECK(xs.require_tensor("blk.0.attn_q.weight").type == GgmlType::IQ4_XS);
  CHECK(gguf::GgufFile::open(write("test-tiny", GgmlType::IQ4_NL, 42, 0, "nl.gguf").path)
            .require_uint("general.file_type") == 25);
  const auto odd = write("test-tiny-odd", GgmlType::IQ4_XS, 42, 0, "odd-xs.gguf");  // rows of 96 and 160
  const auto f = gguf::GgufFile::open(odd.path);
  CHECK(f.require_tensor("blk.0.attn_q.weight").type == GgmlType::IQ4_NL);
  CHECK_FALSE(odd.report.fallbacks.empty());
}

TEST_CASE("i-quant and ternary files: llama.cpp's file types and fallbacks") {
  const std::pair<GgmlType, uint32_t> types[] = {
      {GgmlType::IQ2_XXS, 19}, {GgmlType::IQ2_XS, 20}, {GgmlType::IQ3_XXS, 23},
      {GgmlType::IQ1_S, 24},   {GgmlType::IQ3_S, 26},  {GgmlType::IQ2_S, 28},
      {GgmlType::IQ1_M, 31},   {GgmlType::TQ1_0, 36},  {GgmlType::TQ2_0, 37}};
  for (const auto& [type, ftype] : types) {
    INFO(gguf::ggml_type_name(type));
    const auto w = write("test-tiny", type, 42, 0, "iq.gguf");
    const auto f = gguf::GgufFile::open(w.path);
    CHECK(f.require_uint("general.file_type") == ftype);
    CHECK(f.require_tensor("blk.0.attn_q.weight").type == type);
    // rows that are not a whole 256: IQ4_NL for the i-quants, Q4_0 for the ternary types (llama.cpp's)
    const bool ternary = type == GgmlType::TQ1_0 || type == GgmlType::TQ2_0;
    CHECK(synth::fallback_type(type, 96) == (ternary ? GgmlType::Q4_0 : GgmlType::IQ4_NL));
  }
}

TEST_CASE("the same seed writes the same bytes whatever the thread count") {
  const auto a = write("test-tiny", GgmlType::Q6_K, 7, 1, "a.gguf");
  const auto b = write("test-tiny", GgmlType::Q6_K, 7, 3, "b.gguf");
  const auto c = write("test-tiny", GgmlType::Q6_K, 8, 1, "c.gguf");
  REQUIRE(test::read_bytes(a.path).size() == a.report.file_bytes);
  REQUIRE(a.report.file_bytes > 100000);
  CHECK(test::read_bytes(a.path) == test::read_bytes(b.path));
  CHECK(test::read_bytes(a.path) != test::read_bytes(c.path));
  CHECK(a.report.file_bytes == std::filesystem::file_size(a.path));
}

TEST_CASE("the vocabulary is a usable SentencePiece vocabulary") {
  const auto v = synth::make_vocab(5000);
  REQUIRE(v.tokens.size() == 5000);
  REQUIRE(v.scores.size() == 5000);
  REQUIRE(v.types.size() == 5000);
  CHECK(v.tokens[0] == "<unk>");
  CHECK(v.types[0] == 2);
  CHECK(v.tokens[1] == "<s>");
  CHECK(v.tokens[2] == "</s>");
  CHECK(v.types[1] == 3);
  CHECK(v.tokens[3] == "<0x00>");
  CHECK(v.tokens[3 + 0x41] == "<0x41>");
  CHECK(v.tokens[258] == "<0xFF>");
  for (int i = 3; i < 259; ++i) CHECK(v.types[i] == 6);
  const std::set<std::string> all(v.tokens.begin(), v.tokens.end());
  CHECK(all.size() == v.tokens.size());   // unique
  CHECK(all.count("\xE2\x96\x81") == 1);  // the word-boundary piece
  CHECK(all.count("\xE2\x96\x81the") == 1);
  // Every normal piece longer than one character splits into two pieces of the vocabulary, so the SPM merge
  // search can build it; scores strictly decrease so merges are ordered.
  for (size_t i = 259; i < v.tokens.size(); ++i) {
    INFO(v.tokens[i]);
    CHECK(v.types[i] == 1);
    if (i > 259) CHECK(v.scores[i] < v.scores[i - 1]);
    const std::string& t = v.tokens[i];
    const bool single = t.size() == 1 || t == "\xE2\x96\x81";
    if (single) continue;
    bool splits = false;
    for (size_t k = 1; k < t.size() && !splits; ++k)
      splits = all.count(t.substr(0, k)) && all.count(t.substr(k));
    REQUIRE(splits);
  }
  CHECK_THROWS_AS(synth::make_vocab(259), std::invalid_argument);
}

TEST_CASE("presets carry the real models' sizes") {
  // Published parameter counts.
  const std::pair<const char*, double> published[] = {
      {"stories15m", 15.2e6},       {"smollm2-135m", 134.5e6},    {"qwen2.5-0.5b", 494.0e6},
      {"tinyllama-1.1b", 1100.0e6}, {"llama-3.2-1b", 1235.8e6},   {"llama-2-7b", 6738.4e6},
      {"qwen3-0.6b", 596.0e6},      {"phi-3-mini", 3821.1e6},     {"gemma-3-1b", 999.9e6},
      {"gemma-2-2b", 2614.3e6},     {"qwen3-30b-a3b", 30532.1e6}, {"granite-4.0-h-350m", 340e6},
      {"starcoder2-3b", 3.03e9},    {"stablelm-2-1.6b", 1.64e9},  {"internlm2.5-7b", 7.74e9},
      {"apertus-8b", 8.05e9},       {"falcon-7b", 7.22e9},        {"falcon-40b", 41.8e9},
      {"minitron-4b", 4.19e9},      {"tinystarcoder", 164e6},     {"starcoderbase-1b", 1.14e9},
      {"santacoder", 1.12e9},       {"starcoder-15b", 15.5e9},    {"olmo-1b", 1.18e9},
      {"olmo-7b", 6.89e9},          {"olmo-7b-0424", 6.89e9},     {"stablelm-2-12b", 12.1e9},
      {"command-r-plus", 104e9},    {"minicpm-2b", 2.7e9},        {"phi-3.5-moe", 41.9e9},
      {"minicpm3-4b", 4.07e9},      {"glm-4-9b", 9.4e9},          {"chatglm3-6b", 6.24e9},
      {"qwen-7b", 7.72e9},          {"qwen-14b", 14.2e9},         {"bloom-560m", 559e6},
      {"bloomz-7b1", 7.07e9},       {"mpt-7b", 6.65e9},           {"mpt-30b", 29.96e9},
      {"baichuan2-13b", 13.9e9}};
  for (const auto& [name, params] : published) {
    INFO(name);
    const synth::Shape* s = synth::find_shape(name);
    REQUIRE(s != nullptr);
    CHECK_FALSE(s->hidden);
    CHECK(std::fabs(double(s->n_params()) - params) / params < 0.01);
  }
  // The hybrid mixtures' cards round to whole billions (80 B; 35 B, its vision tower in another file) and the
  // synthetic files leave out the multi-token-prediction layer, as llama.cpp's converter does
  CHECK(std::fabs(double(synth::find_shape("qwen3-next-80b-a3b")->n_params()) / 80e9 - 1) < 0.01);
  CHECK(std::fabs(double(synth::find_shape("qwen3.5-35b-a3b")->n_params()) / 35e9 - 1) < 0.015);
  // Llama 4 (text): Meta's cards say 109 B in all for Scout (its vision encoder included: the text model is
  // 107.8 B) and 400 B for Maverick, 17 B active for both (attention, the shared expert and one routed
  // expert per MoE layer, the dense FFNs, the embeddings and the classifier)
  const synth::Shape* scout = synth::find_shape("llama-4-scout");
  const synth::Shape* maverick = synth::find_shape("llama-4-maverick");
  REQUIRE(scout != nullptr);
  REQUIRE(maverick != nullptr);
  CHECK_FALSE(scout->hidden);
  const auto routed = [](const synth::Shape& s, uint32_t experts) {  // the routed experts of every MoE layer
    uint64_t n = 0;
    for (uint32_t l = 0; l < s.n_layer; ++l)
      if (s.moe_layer(l)) n += uint64_t{experts} * 3 * s.n_embd * s.n_ff_exp;
    return double(n);
  };
  CHECK(std::fabs(double(scout->n_params()) / 109e9 - 1) < 0.015);
  CHECK(std::fabs(double(maverick->n_params()) / 400e9 - 1) < 0.01);
  CHECK(std::fabs((double(scout->n_params()) - routed(*scout, 15)) / 17e9 - 1) < 0.02);
  CHECK(std::fabs((double(maverick->n_params()) - routed(*maverick, 127)) / 17e9 - 1) < 0.02);
  CHECK(scout->moe_layer(0));
  CHECK_FALSE(maverick->moe_layer(0));
  CHECK(maverick->moe_layer(1));
  // MiniCPM-2B: "2.4B non-embedding parameters" (2.7 B in all: the table above); Phi-3.5-MoE: 6.6 B active
  // (attention, two of 16 experts per layer, the embeddings and the classifier)
  const synth::Shape* minicpm = synth::find_shape("minicpm-2b");
  REQUIRE(minicpm != nullptr);
  CHECK((minicpm->n_params() - uint64_t{minicpm->n_vocab} * minicpm->n_embd) / 100000000 == 24);
  const synth::Shape* phimoe = synth::find_shape("phi-3.5-moe");
  REQUIRE(phimoe != nullptr);
  const double unused = 32.0 * 14 * 3 * phimoe->n_embd * phimoe->n_ff;  // (its experts are n_ff wide)
  CHECK(std::fabs((double(phimoe->n_params()) - unused) / 6.6e9 - 1) < 0.01);
  // GPT-NeoX's, Phi-2's and Command R7B's counts to the parameter (their biases and norms included)
  CHECK(synth::find_shape("pythia-160m")->n_params() == 162322944);
  CHECK(synth::find_shape("pythia-1.4b")->n_params() == 1414647808);
  CHECK(synth::find_shape("phi-2")->n_params() == 2779683840);
  CHECK(synth::find_shape("command-r7b")->n_params() == 8028033024);
  // StarCoder2-3B (tied embeddings), StableLM 2 1.6B and InternLM2.5-7B to the parameter, biases and norms
  // included: their configs' counts by hand (the Hub rounds them to 3.03 B, 1.64 B, 7.74 B: the table above)
  CHECK(synth::find_shape("starcoder2-3b")->n_params() == 3030371328);
  CHECK(synth::find_shape("stablelm-2-1.6b")->n_params() == 1644515328);
  CHECK(synth::find_shape("internlm2.5-7b")->n_params() == 7737708544);
  // Baichuan2-7B, Orion-14B (LayerNorms with biases) and XVERSE-7B to the parameter: their configs' counts by
  // hand (embeddings and classifier apart, norms included; their cards round them to 7B and 14B)
  CHECK(synth::find_shape("baichuan2-7b")->n_params() == 7505973248);
  CHECK(synth::find_shape("baichuan2-13b")->n_params() == 13896668160);  // (40 layers: ALiBi, 13.9 B)
  CHECK(synth::find_shape("orion-14b")->n_params() == 14498703360);
  CHECK(synth::find_shape("xverse-7b")->n_params() == 7299846144);
  // Falcon-7B and -40B (their lm_head as output.weight, as the Hub counts them: 7.22 B, 41.8 B) and
  // Minitron-4B-Base (4.19 B) to the parameter, their configs' counts by hand
  CHECK(synth::find_shape("falcon-7b")->n_params() == 7217189760);
  CHECK(synth::find_shape("falcon-40b")->n_params() == 41835970560);
  CHECK(synth::find_shape("minitron-4b")->n_params() == 4190509056);
  // TinyStarCoder-Py (164M), StarCoderBase-1B (1.14 B), SantaCoder (gpt_bigcode-santacoder, 1.12 B) and
  // StarCoder-15B (15.5 B) to the parameter, their configs' counts by hand: learned positions (n_positions
  // rows), q|k|v of n_embd + 2 · 128 over one KV head, every projection and norm biased, tied embeddings
  CHECK(synth::find_shape("tinystarcoder")->n_params() == 164144128);
  CHECK(synth::find_shape("starcoderbase-1b")->n_params() == 1137207296);
  CHECK(synth::find_shape("santacoder")->n_params() == 1124886528);
  CHECK(synth::find_shape("starcoder-15b")->n_params() == 15517456384);
  // OLMo-1B-hf (1.18 B, tied) and OLMo-7B-hf (6.89 B, untied; OLMo-7B-0424 the same shape) to the parameter:
  // no norm has parameters, so these are the embeddings and the projections alone
  CHECK(synth::find_shape("olmo-1b")->n_params() == 1176764416);
  CHECK(synth::find_shape("olmo-7b")->n_params() == 6888095744);
  CHECK(synth::find_shape("olmo-7b-0424")->clamp_kqv == 8.0f);
  // bloom-560m and bloomz-7b1 (BLOOM-7b1's shape) to the parameter, their configs' counts by hand: the
  // embeddings (tied) and their LayerNorm, q|k|v of 3 · n_embd, every projection and norm biased, as the
  // Hub's 559,214,592 and 7,069,016,064
  CHECK(synth::find_shape("bloom-560m")->n_params() == 559214592);
  CHECK(synth::find_shape("bloomz-7b1")->n_params() == 7069016064);
  // MPT-7B and MPT-30B (no biases anywhere, tied) to the parameter, their configs' counts by hand (the Hub's
  // 6,649,286,656 and 29,957,200,896)
  CHECK(synth::find_shape("mpt-7b")->n_params() == 6649286656);
  CHECK(synth::find_shape("mpt-30b")->n_params() == 29957200896);
  // GLM-4-9B-Chat and ChatGLM3-6B (q|k|v biases, gate|up packed, their lm_head as output.weight) and Qwen-7B,
  // Qwen-14B (q|k|v biases, each FFN matrix half the config's intermediate_size) to the parameter, their
  // configs' counts by hand (the cards round them to 9.4 B, 6.24 B, 7.7 B, 14.2 B)
  CHECK(synth::find_shape("glm-4-9b")->n_params() == 9399951360);
  CHECK(synth::find_shape("chatglm3-6b")->n_params() == 6243584000);
  CHECK(synth::find_shape("qwen-7b")->n_params() == 7721324544);
  CHECK(synth::find_shape("qwen-14b")->n_params() == 14167290880);
  // StableLM 2 12B (no ffn_norm, q, k, v without biases) and Command R+ (tied embeddings) to the parameter,
  // their per-head q and k LayerNorm gains included: their configs' counts by hand (the cards round to
  // 12.1 B and 104 B: the table above)
  CHECK(synth::find_shape("stablelm-2-12b")->n_params() == 12143185920);
  CHECK(synth::find_shape("command-r-plus")->n_params() == 103810674688);
  // Nemotron-H-8B-Base-8K to the parameter, its safetensors' count: 24 Mamba-2 layers, 4 of attention and
  // 24 FFN layers, each one kind, the Mamba-2 layers with B and C in 8 groups
  const synth::Shape* nemotron_h = synth::find_shape("nemotron-h-8b");
  REQUIRE(nemotron_h != nullptr);
  CHECK_FALSE(nemotron_h->hidden);
  CHECK(nemotron_h->n_params() == 8100852736);
  const std::vector<uint32_t> attention_layers = {7, 18, 29, 40};
  CHECK(nemotron_h->attention_layers == attention_layers);
  CHECK(nemotron_h->ffn_layers.size() == 24);
  CHECK(nemotron_h->ffn_layer(1));
  CHECK(nemotron_h->ffn_layer(51));  // the pattern ends on an FFN
  CHECK_FALSE(nemotron_h->ffn_layer(0));
  CHECK_FALSE(nemotron_h->attends(0));  // a Mamba-2 layer
  CHECK(nemotron_h->attends(7));
  CHECK(nemotron_h->ssm_groups == 8);
  CHECK(nemotron_h->n_expert == 0);
  // Mamba-Codestral-7B-v0.1 (the Hub's 7.29 B) and Falcon-Mamba-7B (7.27 B; its lm_head as output.weight) to
  // the parameter, their configs' counts by hand: 64 state-space layers each, nothing else but the
  // embeddings, the output and the norms
  const synth::Shape* codestral = synth::find_shape("mamba-codestral-7b");
  REQUIRE(codestral != nullptr);
  CHECK_FALSE(codestral->hidden);
  CHECK(codestral->arch == "mamba2");
  CHECK(codestral->n_params() == 7285403648);
  CHECK_FALSE(codestral->attends(0));
  const synth::Shape* falcon_mamba = synth::find_shape("falcon-mamba-7b");
  REQUIRE(falcon_mamba != nullptr);
  CHECK(falcon_mamba->arch == "mamba");
  CHECK(falcon_mamba->dt_b_c_rms);
  CHECK(falcon_mamba->n_params() == 7272665088);
  // Jamba Mini 1.7 (AI21: "52B total parameters, 12B active"; Jamba-v0.1 and Jamba 1.5 Mini the same shape):
  // 28 Mamba-1 layers and 4 of attention, 16 experts on every other layer, 2 of them per token
  const synth::Shape* jamba = synth::find_shape("jamba-mini-1.7");
  REQUIRE(jamba != nullptr);
  CHECK_FALSE(jamba->hidden);
  CHECK(jamba->arch == "jamba");
  CHECK(jamba->attends(4));
  CHECK_FALSE(jamba->attends(5));
  CHECK(jamba->moe_layer(1));
  CHECK_FALSE(jamba->moe_layer(4));
  CHECK(std::fabs(double(jamba->n_params()) / 51.6e9 - 1) < 0.01);
  uint64_t idle = 0;  // (the 14 experts a token leaves out on each MoE layer)
  for (uint32_t l = 0; l < jamba->n_layer; ++l)
    if (jamba->moe_layer(l)) idle += 14ull * 3 * jamba->n_embd * jamba->n_ff;
  CHECK(std::fabs((double(jamba->n_params()) - double(idle)) / 12e9 - 1) < 0.02);
  // Llama-3.3-Nemotron-Super-49B-v1 (deci) to the parameter: its config's block_configs (49 layers attend
  // over 8 KV heads, 31 have no attention, FFNs of 2816 to 28672) give 49,867,145,216, the Hub's 49.9 B; the
  // file adds rope_freqs' 64 factors, which the checkpoint computes
  const synth::Shape* super49 = synth::find_shape("nemotron-super-49b");
  REQUIRE(super49 != nullptr);
  CHECK_FALSE(super49->hidden);
  CHECK(super49->n_params() - 64 == 49867145216);
  CHECK(super49->layer_heads.size() == 80);
  CHECK(std::count(super49->layer_kv_heads.begin(), super49->layer_kv_heads.end(), 0u) == 31);
  CHECK(super49->layer_ff[0] == 14336);   // ffn_mult 2.625
  CHECK(super49->layer_ff[11] == 17920);  // 3.28125
  CHECK(super49->layer_ff[54] == 5632);   // 1.0: 5461 rounded up to 256
  CHECK(super49->layer_ff[62] == 2816);   // 0.5
  CHECK(*std::max_element(super49->layer_ff.begin(), super49->layer_ff.end()) == super49->n_ff);
  CHECK(synth::find_shape("qwen3-next-80b-a3b")->n_expert == 512);
  CHECK(synth::find_shape("qwen2.5-0.5b")->arch == "qwen2");
  CHECK(synth::find_shape("qwen3-0.6b")->head_dim() == 128);  // not 1024 / 16
  CHECK(synth::find_shape("llama-3.2-1b")->n_head_kv == 8);
  CHECK(synth::find_shape("tinyllama-1.1b")->tied_embeddings == false);
  CHECK(synth::find_shape("nope") == nullptr);
}

TEST_CASE("the Gemma 3n presets carry the real models' sizes and layer shapes") {
  const auto* e2b = synth::find_shape("gemma-3n-e2b");
  const auto* e4b = synth::find_shape("gemma-3n-e4b");
  REQUIRE(e2b);
  REQUIRE(e4b);
  for (const auto* s : {e2b, e4b}) {
    INFO(s->name);
    CHECK_FALSE(s->hidden);
    CHECK(s->arch == "gemma3n");
    CHECK(s->n_embd == 2048);
    CHECK(s->n_vocab == 262144);
    CHECK(s->head_dim() == 256);
    CHECK(s->n_head == 8);
    CHECK(s->n_head_kv == 2);
    CHECK(s->altup_inputs == 4);
    CHECK(s->laurel_rank == 64);
    CHECK(s->per_layer_embd == 256);
    CHECK(s->sparse_layers == 10);
    CHECK(s->sliding_window == 512);
    CHECK(s->final_softcap == 30.0f);
    CHECK(s->tied_embeddings);
    CHECK(s->sliding(3));
    CHECK_FALSE(s->sliding(4));  // (four sliding layers, then a full one)
    CHECK(s->keeps_kv(19));
    CHECK_FALSE(s->keeps_kv(20));  // (llama.cpp's constant: the layers from the 20th on share)
  }
  CHECK(e2b->n_layer == 30);
  CHECK(e2b->n_ff == 8192);
  CHECK(e4b->n_layer == 35);
  CHECK(e4b->n_ff == 16384);
  // The text models: 4.456 B and 6.866 B (with the per-layer token tables), which Ollama lists its text-only
  // gemma3n files at (4.5B, 6.9B). Google's cards count 5.44 B and 7.85 B: the same vision and audio
  // encoders (~0.98 B) on top of both, which llama.cpp writes to the mmproj file, not here.
  auto billions = [](double n, double card, double within) {
    return std::fabs(n - card * 1e9) < within * 1e9;
  };
  CHECK(billions(double(e2b->n_params()), 4.5, 0.05));
  CHECK(billions(double(e4b->n_params()), 6.9, 0.05));
  const double encoders_e2b = 5.44e9 - double(e2b->n_params()),
               encoders_e4b = 7.85e9 - double(e4b->n_params());
  CHECK(std::fabs(encoders_e2b - encoders_e4b) < 0.01e9);
  CHECK(billions(encoders_e2b, 0.98, 0.01));
}

TEST_CASE("the Gemma 4 presets carry the real models' sizes and layer shapes") {
  const auto* e2b = synth::find_shape("gemma-4-e2b");
  const auto* e4b = synth::find_shape("gemma-4-e4b");
  const auto* a4b = synth::find_shape("gemma-4-26b-a4b");
  const auto* g31 = synth::find_shape("gemma-4-31b");
  REQUIRE(e2b);
  REQUIRE(e4b);
  REQUIRE(a4b);
  REQUIRE(g31);
  for (const auto* s : {e2b, e4b, a4b, g31}) {
    INFO(s->name);
    CHECK_FALSE(s->hidden);
    CHECK(s->n_vocab == 262144);
    CHECK(s->head_dim() == 512);  // the full layers'
    CHECK(s->key_length_swa == 256);
    CHECK(s->rope_dims_swa == 256);
    CHECK(s->rope_pairs_full == 64);  // a quarter of the full layers' 256 pairs
    CHECK(s->final_softcap == 30.0f);
    CHECK(s->tied_embeddings);
    CHECK(s->sliding(0));
    CHECK_FALSE(s->sliding(s->n_layer - 1));  // the last layer is full
  }
  // Google's cards round to tenths of a billion: 31B 30.7 B; 26B-A4B 25.2 B in all and 3.8 B active (8 of
  // the 128 experts of every layer, the embedding counted once)
  auto billions = [](double n, double card) { return std::fabs(n - card * 1e9) < 0.05e9; };
  CHECK(billions(double(g31->n_params()), 30.7));
  CHECK(billions(double(a4b->n_params()), 25.2));
  const double experts = 30.0 * (2.0 * 2816 * 704 * 128 + 704.0 * 2816 * 128);
  CHECK(billions(double(a4b->n_params()) - experts * 120 / 128, 3.8));
  // E2B "2.3B effective (5.1B with embeddings)", E4B "8B with embeddings": effective leaves out the per-layer
  // token embeddings (262144 x layers x 256), and the totals hold the vision (16 layers of 768, ~0.15 B) and
  // audio (12 conformer layers of 1024, ~0.3 B) encoders, which llama.cpp writes to the mmproj file, not here
  auto per_layer_table = [](const synth::Shape* s) { return 262144.0 * s->n_layer * s->per_layer_embd; };
  CHECK(billions(double(e2b->n_params()) - per_layer_table(e2b), 2.3));
  CHECK(billions(double(e2b->n_params()) + 0.45e9, 5.1));
  CHECK(std::fabs(double(e4b->n_params()) + 0.45e9 - 8e9) < 0.5e9);  // (whole billions)
  // Per-layer shapes as llama.cpp's converter writes them. E2B: the last 20 layers read layers 13's and 14's
  // keys and values and have FFNs twice as wide (use_double_wide_mlp); E4B's (18 shared) stay 10240 wide
  CHECK(e2b->n_ff == 6144);
  CHECK(e2b->layer_ff_width(14) == 6144);
  CHECK(e2b->layer_ff_width(15) == 12288);
  CHECK(e2b->layer_ff_width(34) == 12288);
  CHECK(e2b->keeps_kv(14));
  CHECK_FALSE(e2b->keeps_kv(15));
  CHECK_FALSE(e2b->sliding(4));
  CHECK(e2b->sliding(5));
  CHECK(e2b->per_layer_embd == 256);
  CHECK(e2b->layer_kv_heads.empty());  // one KV head everywhere, written as a scalar
  CHECK_FALSE(e2b->k_eq_v);
  CHECK(e4b->layer_ff.empty());
  CHECK(e4b->n_ff == 10240);
  CHECK(e4b->shared_kv_layers == 18);
  CHECK(e4b->keeps_kv(23));
  CHECK_FALSE(e4b->keeps_kv(24));
  CHECK_FALSE(e4b->sliding(5));
  CHECK(e4b->n_head_kv == 2);
  CHECK(e4b->per_layer_embd == 256);
  // 26B-A4B and 31B: fewer KV heads on the full layers, which have no attn_v (V = K), no shared layers
  CHECK(a4b->layer_kv(0) == 8);
  CHECK(a4b->layer_kv(5) == 2);
  CHECK(a4b->n_ff == 2112);  // the dense FFN beside the experts
  CHECK(a4b->n_expert == 128);
  CHECK(a4b->n_expert_used == 8);
  CHECK(a4b->n_ff_exp == 704);
  CHECK(a4b->sliding_window == 1024);
  CHECK(g31->layer_kv(0) == 16);
  CHECK(g31->layer_kv(59) == 4);
  CHECK(g31->n_ff == 21504);
  CHECK(g31->n_expert == 0);
  for (const auto* s : {a4b, g31}) {
    CHECK(s->k_eq_v);
    CHECK(s->shared_kv_layers == 0);
    CHECK(s->per_layer_embd == 0);
    CHECK(s->n_ctx == 262144);
  }
}

TEST_CASE("bad synth options are rejected") {
  synth::Options o;
  o.shape = *synth::find_shape("test-tiny");
  o.type = GgmlType::Q8_K;  // a type of ggml's dot products, never of files
  const auto dir = test::temp_dir("synth-bad");
  CHECK_THROWS_AS(synth::write_model(o, dir / "x.gguf"), std::invalid_argument);
  o.type = GgmlType::F16;
  o.shape.n_head = 3;  // 256 is not a multiple of 3
  CHECK_THROWS_AS(synth::write_model(o, dir / "x.gguf"), std::invalid_argument);
  o.shape = *synth::find_shape("test-tiny");
  o.shape.arch = "gpt2";
  CHECK_THROWS_WITH(
      synth::write_model(o, dir / "x.gguf"),
      Catch::Contains("architecture must be llama, qwen2, ") && Catch::Contains(", not 'gpt2'"));
  // a state-space model has no heads; Mamba-1 needs its dt rank
  o.shape = *synth::find_shape("test-tiny-mamba");
  o.shape.n_head = 4;
  CHECK_THROWS_WITH(synth::write_model(o, dir / "x.gguf"), Catch::Contains("and no heads or FFN"));
  o.shape = *synth::find_shape("test-tiny-mamba");
  o.shape.ssm_dt_rank = 0;
  CHECK_THROWS_WITH(synth::write_model(o, dir / "x.gguf"), Catch::Contains("mamba needs Mamba-1 sizes"));
  CHECK_FALSE(std::filesystem::exists(dir / "x.gguf"));
}

TEST_CASE("the engine's tokenizer and model loader accept synthetic files") {
  synth::Options o;
  o.shape = *synth::find_shape("test-tiny");
  o.shape.n_vocab = 3000;  // room for whole-word pieces
  o.type = GgmlType::Q8_0;
  const auto dir = test::temp_dir("synth-engine");
  synth::write_model(o, dir / "words.gguf");
  const auto file = gguf::GgufFile::open(dir / "words.gguf");
  const auto tok = tokenizer::Tokenizer::from_gguf(file);
  CHECK(tok.warnings().empty());
  CHECK(tok.kind() == "spm");
  CHECK(tok.n_vocab() == 3000);
  CHECK(tok.bos_id() == 1);
  CHECK(tok.eos_id() == 2);
  const std::string text = "Once upon a time, there was a little girl named Lily.";
  const auto ids = tok.encode(text);
  std::vector<std::string> pieces;
  for (int32_t id : ids) pieces.push_back(tok.token_text(id));
  const std::vector<std::string> want = {"\xE2\x96\x81Once",
                                         "\xE2\x96\x81upon",
                                         "\xE2\x96\x81"
                                         "a",
                                         "\xE2\x96\x81time",
                                         ",",
                                         "\xE2\x96\x81there",
                                         "\xE2\x96\x81was",
                                         "\xE2\x96\x81"
                                         "a",
                                         "\xE2\x96\x81little",
                                         "\xE2\x96\x81girl",
                                         "\xE2\x96\x81named",
                                         "\xE2\x96\x81Lily",
                                         "."};
  CHECK(pieces == want);
  CHECK(tok.decode(ids) == text);
  const std::string odd = "h\xC3\xA9llo \xF0\x9F\x99\x82 42";  // é and an emoji go through byte tokens
  CHECK(tok.decode(tok.encode(odd)) == odd);

  for (const char* shape : {"test-tiny", "test-tiny-odd", "test-tiny-qwen2"}) {
    INFO(shape);
    synth::Options m;
    m.shape = *synth::find_shape(shape);
    m.type = GgmlType::Q4_K;
    synth::write_model(m, dir / (std::string(shape) + ".gguf"));
    CHECK_NOTHROW(model::Model::load(dir / (std::string(shape) + ".gguf")));
  }
}

TEST_CASE("afmoe and smallthinker shapes carry their keys and tensors as llama.cpp's converter writes them") {
  const auto af = gguf::GgufFile::open(write("test-tiny-afmoe", GgmlType::Q8_0).path);
  CHECK(af.architecture() == "afmoe");
  CHECK(af.require_uint("afmoe.leading_dense_block_count") == 1);
  CHECK(af.require_uint("afmoe.expert_shared_count") == 1);
  CHECK(af.require_uint("afmoe.expert_gating_func") == 2);
  CHECK(af.require_uint("afmoe.attention.sliding_window") == 4);
  CHECK(af.require_float("afmoe.expert_weights_scale") == Approx(2.826));
  CHECK(af.require_tensor("blk.0.attn_gate.weight").dims == std::vector<uint64_t>{128, 128});
  CHECK(af.require_tensor("blk.0.attn_q_norm.weight").dims == std::vector<uint64_t>{32});
  CHECK(af.require_tensor("blk.0.post_attention_norm.weight").dims == std::vector<uint64_t>{128});
  CHECK(af.require_tensor("blk.1.post_ffw_norm.weight").dims == std::vector<uint64_t>{128});
  CHECK(af.require_tensor("blk.1.exp_probs_b.bias").dims == std::vector<uint64_t>{4});
  CHECK(af.require_tensor("blk.1.ffn_up_shexp.weight").dims == std::vector<uint64_t>{128, 64});
  const auto st = gguf::GgufFile::open(write("test-tiny-smallthinker", GgmlType::Q8_0).path);
  CHECK(st.require_uint("smallthinker.expert_gating_func") == 1);
  CHECK(st.require_uint("smallthinker.attention.sliding_window") == 4096);
  CHECK(st.require_tensor("blk.0.ffn_gate_exps.weight").dims == std::vector<uint64_t>{128, 64, 4});
  CHECK(st.find_tensor("blk.0.attn_q_norm.weight") == nullptr);
  CHECK(st.find_tensor("blk.0.ffn_up_shexp.weight") == nullptr);
  CHECK(st.find_tensor("blk.0.exp_probs_b.bias") == nullptr);

  // Trinity Nano, from its config.json, to the parameter: embeddings and classifier of 200192 × 1024; per
  // layer q, k, v, o and the gate (8 heads of 128, 2 KV heads), two head norms and four norms; two dense FFNs
  // of 3072; 54 mixtures of 128 experts of 256 with a router, its bias and a shared expert. "6B total
  // parameters with 1B activated per token" (Arcee's report): its embeddings, attention, dense layers,
  // routers, 8 of 128 experts and the shared one
  const synth::Shape* nano = synth::find_shape("trinity-nano");
  REQUIRE(nano);
  CHECK(nano->n_params() == 6120003328);
  CHECK(std::fabs(double(nano->n_params()) / 6e9 - 1) < 0.025);
  const double idle = 54.0 * (128 - 8) * 3 * 1024 * 256;
  CHECK(std::fabs((double(nano->n_params()) - idle) / 1e9 - 1) < 0.03);
  // Trinity Mini the same at 2048 wide (32 heads, 4 KV heads, dense FFNs of 6144, 30 mixtures of experts of
  // 1024): "26B MoE model with 3B active parameters" (Arcee's card)
  const synth::Shape* mini = synth::find_shape("trinity-mini");
  REQUIRE(mini);
  CHECK_FALSE(mini->hidden);
  CHECK(mini->n_params() == 26123974400);
  CHECK(std::fabs(double(mini->n_params()) / 26e9 - 1) < 0.01);
  const double mini_idle = 30.0 * (128 - 8) * 3 * 2048 * 1024;
  CHECK(std::floor((double(mini->n_params()) - mini_idle) / 1e9) == 3);  // (3.5 B active, the card's "3B")
  // SmallThinker-4B-A0.6B: tied embeddings of 151936 × 1536, 32 layers of attention (12 heads of 128, 2 KV
  // heads) and 32 ReGLU experts of 768 with a router: "4B" in all, "0.6B" active besides the embeddings (4
  // experts of 32)
  const synth::Shape* small = synth::find_shape("smallthinker-4b");
  REQUIRE(small);
  CHECK(small->n_params() == 4035085824);
  const double embeddings = 151936.0 * 1536, idle_experts = 32.0 * (32 - 4) * 3 * 1536 * 768;
  CHECK(std::fabs(double(small->n_params()) / 4e9 - 1) < 0.01);
  CHECK(std::fabs((double(small->n_params()) - embeddings - idle_experts) / 0.6e9 - 1) < 0.06);
  // Granite-4.0-H-Tiny, from its config.json, to the parameter: tied embeddings of 100352 × 1536; 4 attention
  // layers (12 heads of 128, 4 KV heads) and 36 Mamba-2 layers (in_proj to 2 × 3072 + 2 × 128 + 48, a
  // convolution of 4 taps over 3328 channels with a bias, A, D and dt's bias per head, the gated norm, the
  // output projection); in every layer 64 experts of 512 with a router and a shared expert of 1024, and two
  // norms. "7B" (IBM's card)
  const synth::Shape* tiny = synth::find_shape("granite-4.0-h-tiny");
  REQUIRE(tiny);
  CHECK_FALSE(tiny->hidden);
  CHECK(tiny->n_params() == 6939037248);
  CHECK(std::fabs(double(tiny->n_params()) / 7e9 - 1) < 0.01);
  // North Mini Code, from its config.json, to the parameter: tied embeddings of 262144 × 2048; 49 layers of
  // attention (32 heads of 128, 4 KV heads) and one norm; a dense first layer of 3072; 48 mixtures of 128
  // experts of 768 with a router. llama.cpp's loader names its 49 layers "30B.A3B": 30 B in all, 3 B active
  // (the embeddings, attention, the dense layer, the routers and 8 of 128 experts)
  const synth::Shape* north = synth::find_shape("north-mini-code");
  REQUIRE(north);
  CHECK_FALSE(north->hidden);
  CHECK(north->n_params() == 30484303872);
  const double north_idle = 48.0 * (128 - 8) * 3 * 2048 * 768;
  CHECK(std::floor(double(north->n_params()) / 1e9) == 30);  // (the label's whole billions: 30.5 B, 3.3 B)
  CHECK(std::floor((double(north->n_params()) - north_idle) / 1e9) == 3);
}
