#include "ui/core/model_probe.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <system_error>

#include "inference/gguf/file_type.h"
#include "inference/gguf/gguf_file.h"
#include "inference/model/model_description.h"
#include "inference/model/session.h"
#include "inference/quant/quant.h"

namespace glasswing::ui {

namespace {

// The caches of a session at the file's context (at most 8192 positions), as F32: as the engine lays them out
// where it can describe the file (head widths, Gemma 4's layers of two shapes and shared keys and values,
// latent attention, recurrent states). For the others, the K and V caches and the Q cache the attention view
// keeps from the attention keys; hybrids (LFM2, Granite 4.0-H, Nemotron-H) give the KV heads per layer, 0
// where a layer has no attention: those layers keep at most n_embd floats per position instead (LFM2's
// convolution inputs; a recurrent state is smaller).
uint64_t estimated_cache_bytes(const gguf::GgufFile& file, const std::string& arch, int64_t context_length) {
  const int64_t n_ctx = std::min<int64_t>(context_length > 0 ? context_length : 2048, 8192);
  try {
    const model::ModelDescription d = model::ModelDescription::from_gguf(file);
    return (static_cast<uint64_t>(n_ctx) *
                static_cast<uint64_t>(d.attention_cache_floats() + d.n_conv_layers() * d.n_embd) +
            static_cast<uint64_t>(d.n_recurrent_layers() *
                                  (d.recurrent_state_floats() + d.recurrent_window_floats()) *
                                  (1 + model::StateCheckpoints<float>::kMax))) *
           sizeof(float);
  } catch (const std::exception&) {
  }
  const int64_t n_layers = file.get_int(arch + ".block_count").value_or(0);
  const int64_t n_embd = file.get_int(arch + ".embedding_length").value_or(0);
  const int64_t n_heads = std::max<int64_t>(1, file.get_int(arch + ".attention.head_count").value_or(1));
  int64_t n_kv_heads = n_heads, attention_layers = n_layers;
  if (const auto* kv = file.find(arch + ".attention.head_count_kv"); kv && kv->array) {
    const std::vector<int64_t>& per_layer = kv->array->ints;
    n_kv_heads = per_layer.empty() ? 0 : *std::max_element(per_layer.begin(), per_layer.end());
    attention_layers = std::count_if(per_layer.begin(), per_layer.end(), [](int64_t n) { return n > 0; });
  } else if (kv) {
    n_kv_heads = kv->as_int().value_or(n_heads);
  }
  if (const auto interval = file.get_int(arch + ".full_attention_interval"); interval && *interval > 0)
    attention_layers = n_layers / *interval;  // (Qwen3.5: the other layers are delta nets)
  const uint64_t kv_dim = static_cast<uint64_t>(n_embd / n_heads * n_kv_heads);
  return (static_cast<uint64_t>(attention_layers) * (2 * kv_dim + static_cast<uint64_t>(n_embd)) +
          static_cast<uint64_t>(n_layers - attention_layers) * static_cast<uint64_t>(n_embd)) *
         static_cast<uint64_t>(n_ctx) * 4;
}

}  // namespace

namespace fs = std::filesystem;

std::vector<ModelFolder> default_model_folders(const fs::path& home) {
  return {
      {home / ".lmstudio" / "models", "LM Studio", false},
      {home / ".cache" / "lm-studio" / "models", "LM Studio", false},
      {home / ".local" / "share" / "nomic.ai" / "GPT4All", "GPT4All", false},
      {home / ".cache" / "huggingface" / "hub", "Hugging Face", false},
      {home / ".ollama" / "models" / "blobs", "Ollama", true},
      {home / "models", "~/models", false},
  };
}

bool has_gguf_magic(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
}

std::vector<FoundModelFile> find_model_files(const std::vector<ModelFolder>& folders, size_t max_files) {
  std::vector<FoundModelFile> found;
  std::vector<fs::path> seen;  // canonical paths, so the same file reached twice (HF snapshots) counts once
  for (const auto& folder : folders) {
    std::error_code ec;
    if (!fs::is_directory(folder.path, ec)) continue;
    // Hugging Face snapshots are symlinks to blobs; follow file links but not directory links.
    fs::recursive_directory_iterator it(folder.path, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end && found.size() < max_files; it.increment(ec)) {
      if (it.depth() > 6) {
        it.disable_recursion_pending();
        continue;
      }
      std::error_code fec;
      if (!it->is_regular_file(fec)) continue;
      const fs::path& p = it->path();
      std::string ext = p.extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
      const bool candidate =
          ext == ".gguf" || (folder.any_extension && ext.empty() && it->file_size(fec) > 1024);
      if (!candidate || !has_gguf_magic(p)) continue;
      const fs::path canonical = fs::weakly_canonical(p, fec);
      if (std::find(seen.begin(), seen.end(), canonical) != seen.end()) continue;
      seen.push_back(canonical);
      found.push_back({p, folder.source});
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return found;
}

std::string format_bytes(uint64_t bytes) {
  char text[32];
  if (bytes >= (1ull << 30))
    std::snprintf(text, sizeof text, "%.1f GiB", bytes / double(1ull << 30));
  else if (bytes >= (1ull << 20))
    std::snprintf(text, sizeof text, "%.0f MiB", bytes / double(1ull << 20));
  else
    std::snprintf(text, sizeof text, "%.0f KiB", bytes / 1024.0);
  return text;
}

uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

ModelFileSummary probe_model_file(const fs::path& path, const EngineCapabilities& capabilities) {
  ModelFileSummary s;
  s.path = path;
  s.name = path.filename().string();
  try {
    // a split model's first part with the others (their tensors count); a later part says to open the first
    const auto file = gguf::GgufFile::open_model(path);
    s.file_bytes = file.file_size();
    s.architecture = file.architecture();
    if (auto name = file.get_string("general.name"); name && !name->empty()) s.name = *name;
    const std::string arch = s.architecture;
    s.context_length = file.get_int(arch + ".context_length").value_or(0);

    // Parameters, the dominant matrix type (when general.file_type is absent) and unsupported types.
    std::map<gguf::GgmlType, uint64_t> bytes_by_type;
    std::string unsupported;
    uint64_t weight_bytes = 0;
    for (const auto& t : file.tensors()) {
      s.n_parameters += t.n_elements;
      weight_bytes += t.n_bytes;
      if (t.dims.size() >= 2) bytes_by_type[t.type] += t.n_bytes;
      if (!quant::can_dequantize(t.type) && unsupported.empty()) unsupported = gguf::ggml_type_name(t.type);
    }
    if (auto ft = file.get_uint("general.file_type")) s.quantization = gguf::file_type_name(*ft);
    if (s.quantization.empty() && !bytes_by_type.empty()) {
      auto top = std::max_element(bytes_by_type.begin(), bytes_by_type.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
      s.quantization = gguf::ggml_type_name(top->first);
      std::transform(s.quantization.begin(), s.quantization.end(), s.quantization.begin(),
                     [](unsigned char c) { return std::toupper(c); });
    }

    const uint64_t cache_bytes = estimated_cache_bytes(file, arch, s.context_length);
    s.estimated_bytes = weight_bytes + cache_bytes;

    const auto& archs = capabilities.architectures;
    if (arch.empty()) {
      s.problem = "the file names no architecture";
    } else if (std::find(archs.begin(), archs.end(), arch) == archs.end()) {
      s.problem = "architecture '" + arch + "' is not supported";
    } else if (!unsupported.empty()) {
      s.problem = "tensor type " + unsupported + " is not supported";
    } else if (capabilities.memory_budget_bytes && s.estimated_bytes > capabilities.memory_budget_bytes) {
      s.problem = "needs about " + format_bytes(s.estimated_bytes) + ", only " +
                  format_bytes(capabilities.memory_budget_bytes) + " of memory is free";
    }
    s.runnable = s.problem.empty();
  } catch (const std::exception& e) {
    std::error_code ec;
    s.file_bytes = fs::file_size(path, ec);
    s.problem = e.what();
    s.runnable = false;
  }
  return s;
}

}  // namespace glasswing::ui
