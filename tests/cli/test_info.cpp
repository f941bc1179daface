// `glasswing-cli info`: a model file's metadata and whether the engine runs it, or why it refuses it.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "inference/gguf/gguf_file.h"
#include "inference/gguf/gguf_writer.h"
#include "inference/synth/synth_model.h"
#include "tests/engine/engine_test_util.h"
#include "tests/gguf_copy.h"
#include "tests/test_support.h"

using namespace glasswing;

namespace {

std::string info(const std::string& model) {
  const auto out = test::temp_dir("cli_info") / "out.txt";
  const std::string cmd = test::shell_quote(GLASSWING_CLI_PATH) + " info " + test::shell_quote(model) +
                          " > " + test::shell_quote(out.string()) + " 2>&1";
  const int raw = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(raw));
  REQUIRE(WEXITSTATUS(raw) == 0);
  return test::read_file(out);
}

}  // namespace

TEST_CASE("info says whether the engine runs a model, and why it refuses one", "[cli][info]") {
  const auto stories = test::require_shared("models/stories260K.gguf");
  CHECK_THAT(info(stories.string()), Catch::Contains("engine:        runs it\n"));
  // the same tensors under an architecture the engine does not have
  const auto other = test::temp_dir("cli_info_models") / "rwkv6.gguf";
  test::rewrite_model(stories, other,
                      [](gguf::GgufWriter& w) { w.set_string("general.architecture", "rwkv6"); });
  CHECK_THAT(info(other.string()),
             Catch::Contains("engine:        refuses it: unsupported architecture 'rwkv6'"));
}

TEST_CASE("info prints the file type and the bits per weight", "[cli][info]") {
  const auto iq = test::synth_model_file("test-tiny", gguf::GgmlType::IQ2_XXS);
  const std::string out = info(iq.string());
  CHECK_THAT(out, Catch::Contains("file type:     IQ2_XXS\n"));
  // IQ2_XXS is 2.06 bits per weight; test-tiny's norms are f32 and its output matrix IQ2_XXS too
  const auto at = out.find(" bits per weight");
  REQUIRE(at != std::string::npos);
  const double bpw = std::stod(out.substr(out.rfind(", ", at) + 2, at - out.rfind(", ", at) - 2));
  CHECK(bpw > 2.0);
  CHECK(bpw < 2.5);
}

TEST_CASE("info counts a hybrid's layers by how they mix tokens", "[cli][info]") {
  CHECK_THAT(info(test::synth_model_file("test-tiny-qwen35", gguf::GgmlType::F32).string()),
             Catch::Contains("layers:        2 attention, 4 gated delta net\n"));
  CHECK_THAT(info(test::synth_model_file("test-tiny-nemotron-h", gguf::GgmlType::F32).string()),
             Catch::Contains("layers:        1 attention, 3 Mamba-2, 2 FFN only\n"));
  CHECK_THAT(info(test::synth_model_file("test-tiny-kimi-linear", gguf::GgmlType::F32).string()),
             Catch::Contains("layers:        2 attention, 2 Kimi Delta Attention\n"));
  CHECK_THAT(info(test::require_shared("models/stories260K.gguf").string()), !Catch::Contains("layers:"));
}

TEST_CASE("info prints a Llama-Nemotron's (deci) layer shapes as the engine reads them", "[cli][info]") {
  const std::string out = info(test::synth_model_file("test-tiny-deci", gguf::GgmlType::F32).string());
  CHECK_THAT(out, Catch::Contains("engine:        runs it\n"));
  CHECK_THAT(out, Catch::Contains("layers:        4 attention, 2 without attention, 1 attention replaced by "
                                  "one matrix\n"));
  CHECK_THAT(out, Catch::Contains("  layer  0: attention over 2 KV heads, FFN 256\n"
                                  "  layer  1: no attention, FFN 192\n"
                                  "  layer  2: attention replaced by one matrix, FFN 320\n"
                                  "  layer  3: attention over 1 KV head, no FFN\n"
                                  "  layer  4: attention over 4 KV heads, FFN 128\n"
                                  "  layer  5: no attention, no FFN\n"
                                  "  layer  6: attention over 2 KV heads, FFN 256\n"));
  // runs of one shape in one line (the 49B preset's first layers: 1-5 alike)
  synth::Options options;
  options.shape = *synth::find_shape("nemotron-super-49b");
  options.shape.n_layer = 8;
  options.shape.n_embd = 256;
  options.shape.n_head = 4;
  options.shape.n_head_kv = 2;
  options.shape.n_vocab = 300;
  for (auto& h : options.shape.layer_heads) h = h ? 4 : 0;
  for (auto& k : options.shape.layer_kv_heads) k = k ? 2 : 0;
  for (auto& f : options.shape.layer_ff) f /= 64;
  for (auto* v : {&options.shape.layer_heads, &options.shape.layer_kv_heads, &options.shape.layer_ff})
    v->resize(8);
  options.shape.n_ff = 448;
  options.type = gguf::GgmlType::F32;
  const auto path = test::temp_dir("info-deci") / "cut.gguf";
  synth::write_model(options, path);
  const std::string cut = info(path.string());
  CHECK_THAT(cut, Catch::Contains("  layer  0: attention over 2 KV heads, FFN 224\n"
                                  "  layers 1-5: attention over 2 KV heads, FFN 448\n"
                                  "  layers 6-7: no attention, FFN 224\n"));
}

TEST_CASE("info prints Gemma 4's layer shapes as the engine reads them", "[cli][info]") {
  // test-tiny-gemma4: sliding layers 0, 1 and 3 (heads of 32, RoPE on all of them, two KV heads), full layers
  // 2 and 4 (heads of 64, RoPE on 8 of their 32 pairs, one KV head and no attn_v); layers 3 and 4 read layers
  // 1's and 2's keys and values with FFNs twice as wide; per-layer inputs of 16
  const std::string out = info(test::synth_model_file("test-tiny-gemma4", gguf::GgmlType::F32).string());
  CHECK_THAT(out, Catch::Contains("engine:        runs it\n"));
  CHECK_THAT(out, Catch::Contains("layers:        3 sliding (window 4), 2 full\n"));
  CHECK_THAT(out, Catch::Contains("heads:         sliding 4 x 32 (RoPE on 32, base 10000), full 4 x 64 (RoPE "
                                  "on 16, base 1000000)\n"));
  CHECK_THAT(out, Catch::Contains("kv heads:      sliding 2, full 1 (V = K)\n"));
  CHECK_THAT(out,
             Catch::Contains(
                 "shared kv:     layers 3-4 read layer 1's (sliding), layer 2's (full) keys and values\n"));
  CHECK_THAT(out, Catch::Contains("ffn:           256 on layers 0-2, 512 on layers 3-4\n"));
  CHECK_THAT(out, Catch::Contains("per-layer in:  16 per layer (80 per token in all)\n"));
  CHECK_THAT(out, !Catch::Contains("experts:       "));
  // the mixture: a sliding and a full layer, 4 experts of 64 (2 per token) beside a dense FFN of 128
  const std::string moe = info(test::synth_model_file("test-tiny-gemma4-moe", gguf::GgmlType::F32).string());
  CHECK_THAT(moe, Catch::Contains("layers:        1 sliding (window 4), 1 full\n"));
  CHECK_THAT(moe, Catch::Contains("ffn:           128 on layers 0-1\n"));
  CHECK_THAT(moe, Catch::Contains("experts:       4 of 64, 2 per token, beside the dense FFN\n"));
  CHECK_THAT(moe, !Catch::Contains("shared kv:"));
  CHECK_THAT(moe, !Catch::Contains("per-layer in:"));
  // other architectures print none of it
  CHECK_THAT(info(test::require_shared("models/stories260K.gguf").string()), !Catch::Contains("heads:"));
  CHECK_THAT(out, !Catch::Contains("altup:"));
}

TEST_CASE("info prints Gemma 3n's AltUp streams, LAuReL and sparse FFN gates", "[cli][info]") {
  // test-tiny-gemma3n: sliding layers 0, 2, 4 and full 1, 3, 5 (heads of 32); layers 4 and 5 read layers 2's
  // and 3's keys and values; the first two layers' gates sparse at the 95th percentile
  const std::string out = info(test::synth_model_file("test-tiny-gemma3n", gguf::GgmlType::F32).string());
  CHECK_THAT(out, Catch::Contains("engine:        runs it\n"));
  CHECK_THAT(out, Catch::Contains("layers:        3 sliding (window 4), 3 full\n"));
  CHECK_THAT(out,
             Catch::Contains(
                 "shared kv:     layers 4-5 read layer 2's (sliding), layer 3's (full) keys and values\n"));
  CHECK_THAT(out, Catch::Contains("altup:         4 streams, the layers run the first\n"));
  CHECK_THAT(out, Catch::Contains("laurel:        rank 32 beside attention\n"));
  CHECK_THAT(out, Catch::Contains("sparse ffn:    layers 0-1 (gate cut at mean + 1.645 std)\n"));
  CHECK_THAT(out, Catch::Contains("per-layer in:  16 per layer (96 per token in all)\n"));
}

TEST_CASE("attention on a model without attention layers says so, and info counts its layers",
          "[cli][info]") {
  // (test-tiny-mamba: three Mamba-1 layers; test-tiny-mamba2: three Mamba-2 layers; no heads at all)
  for (const char* shape : {"test-tiny-mamba", "test-tiny-mamba2"}) {
    INFO(shape);
    const auto model = test::synth_model_file(shape, gguf::GgmlType::F32);
    CHECK_THAT(info(model.string()),
               Catch::Contains(std::string("layers:        3 ") +
                               (shape == std::string("test-tiny-mamba") ? "Mamba-1" : "Mamba-2")));
    const auto dir = test::temp_dir("cli_attention_ssm");
    const auto out = dir / "out.txt";
    for (const char* extra : {" --layer 0 --head 0", " --summary"}) {
      const std::string cmd =
          test::shell_quote(GLASSWING_CLI_PATH) + " attention -m " + test::shell_quote(model.string()) +
          " --backend cpu --prompt 'hello there' --out " + test::shell_quote((dir / "map.csv").string()) +
          extra + " > " + test::shell_quote(out.string()) + " 2>&1";
      const int raw = std::system(cmd.c_str());
      REQUIRE(WIFEXITED(raw));
      CHECK(WEXITSTATUS(raw) != 0);
      CHECK_THAT(test::read_file(out), Catch::Contains("has no attention layers"));
    }
  }
}
