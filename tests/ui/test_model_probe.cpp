#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "inference/gguf/gguf_file.h"
#include "tests/engine/engine_test_util.h"
#include "tests/gguf_copy.h"
#include "tests/test_support.h"
#include "ui/core/model_probe.h"

using namespace glasswing::ui;
namespace fs = std::filesystem;

TEST_CASE("A GGUF header gives architecture, size, quantization and context length", "[ui][models][shared]") {
  const fs::path model = glasswing::test::require_shared("models/stories260K.gguf");
  const ModelFileSummary s = probe_model_file(model, {{"llama"}, 0});
  CHECK(s.architecture == "llama");
  CHECK(s.file_bytes == fs::file_size(model));
  CHECK(s.quantization == "F32");
  CHECK(s.context_length > 0);
  CHECK(s.n_parameters > 200'000);
  CHECK(s.n_parameters < 300'000);
  CHECK(s.runnable);
  CHECK(s.problem.empty());

  const ModelFileSummary other = probe_model_file(model, {{"qwen2"}, 0});
  CHECK_FALSE(other.runnable);
  CHECK(other.problem == "architecture 'llama' is not supported");

  const ModelFileSummary tight = probe_model_file(model, {{"llama"}, 1024});
  CHECK_FALSE(tight.runnable);
  CHECK(tight.problem.rfind("needs about ", 0) == 0);
}

TEST_CASE("Quantized files report their file type", "[ui][models][shared]") {
  const fs::path model = glasswing::test::require_shared("models/synthetic/synth-llama-Q4_K_M.gguf");
  const ModelFileSummary s = probe_model_file(model, {{"llama"}, 0});
  CHECK(s.quantization == "Q4_K_M");
  CHECK(s.runnable);
}

TEST_CASE("Model folders are searched: Ollama blobs are recognised by their magic", "[ui][models][shared]") {
  const fs::path model = glasswing::test::require_shared("models/stories260K.gguf");
  const fs::path home = glasswing::test::temp_dir("ui-model-scan");
  fs::create_directories(home / ".lmstudio/models/org/repo");
  fs::copy_file(model, home / ".lmstudio/models/org/repo/stories.gguf");
  fs::create_directories(home / ".ollama/models/blobs");
  fs::copy_file(model, home / ".ollama/models/blobs/sha256-0123abcd");
  std::ofstream(home / ".ollama/models/blobs/sha256-notamodel") << std::string(4096, 'x');
  fs::create_directories(home / "models");
  std::ofstream(home / "models/fake.gguf") << "not a gguf file";

  const auto found = find_model_files(default_model_folders(home));
  REQUIRE(found.size() == 2);
  CHECK(found[0].path.filename() == "stories.gguf");
  CHECK(found[0].source == "LM Studio");
  CHECK(found[1].path.filename() == "sha256-0123abcd");
  CHECK(found[1].source == "Ollama");

  const ModelFileSummary broken = probe_model_file(home / "models/fake.gguf", {{"llama"}, 0});
  CHECK_FALSE(broken.runnable);
  CHECK_FALSE(broken.problem.empty());
  fs::remove_all(home);
}

TEST_CASE("A split model counts every part from its first, and a later part says to open the first",
          "[ui][models][shared]") {
  const auto in = glasswing::gguf::GgufFile::open(glasswing::test::require_shared("models/stories260K.gguf"));
  const fs::path dir = glasswing::test::temp_dir("probe-split");
  glasswing::test::write_split(in, dir, "story", 2);  // as gguf-split writes them
  const ModelFileSummary first = probe_model_file(dir / "story-00001-of-00002.gguf", {{"llama"}, 0});
  CHECK(first.runnable);
  CHECK(first.n_parameters == probe_model_file(in.path(), {{"llama"}, 0}).n_parameters);
  const ModelFileSummary second = probe_model_file(dir / "story-00002-of-00002.gguf", {{"llama"}, 0});
  CHECK_FALSE(second.runnable);
  CHECK(second.problem.find("part 2 of 2 of a split model: open the first part") != std::string::npos);
}

TEST_CASE("Hybrid models, whose KV heads are given per layer, are runnable and their caches estimated",
          "[ui][models]") {
  // test-tiny-lfm2: 128 wide, 5 layers of which 2 attend (2 KV heads of 32), a context of 128
  const fs::path model = glasswing::test::synth_model_file("test-tiny-lfm2", glasswing::gguf::GgmlType::F32);
  const ModelFileSummary s = probe_model_file(model, {{"lfm2"}, 0});
  CHECK(s.problem.empty());
  CHECK(s.runnable);
  uint64_t weights = 0;
  const auto file = glasswing::gguf::GgufFile::open(model);
  for (const auto& t : file.tensors()) weights += t.n_bytes;
  // 2 attention layers × (K, V: 64 each, Q: 128) + 3 others × 128, per position, f32
  CHECK(s.estimated_bytes == weights + (2 * (2 * 64 + 128) + 3 * 128) * 128 * 4);
}

TEST_CASE("A model's caches are estimated as the engine lays them out (Gemma 4's layer shapes and sharing)",
          "[ui][models]") {
  const fs::path model =
      glasswing::test::synth_model_file("test-tiny-gemma4", glasswing::gguf::GgmlType::F32);
  const ModelFileSummary s = probe_model_file(model, {{"gemma4"}, 0});
  CHECK(s.runnable);
  uint64_t weights = 0;
  const auto file = glasswing::gguf::GgufFile::open(model);
  for (const auto& t : file.tensors()) weights += t.n_bytes;
  // its context of 128: sliding layers 0, 1, 3 (K, V: 2 heads of 32; Q: 4 of 32), full layers 2, 4 (K, V: one
  // head of 64; Q: 4 of 64); layers 3 and 4 keep only their queries
  const uint64_t per_position = (2 * 64 + 128) * 2 + 128 + (2 * 64 + 256) + 256;
  CHECK(s.estimated_bytes == weights + per_position * 128 * 4);
}
