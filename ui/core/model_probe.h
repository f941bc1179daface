#pragma once
// Finds GGUF files in the folders other apps already download to, and reads what the model panel shows
// (architecture, size, quantization, context length) from each header with our GGUF reader. Also decides,
// before loading, whether a model can run here and says why not. Plain C++; runs on a background thread.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace glasswing::ui {

struct ModelFolder {
  std::filesystem::path path;
  std::string source;          // "LM Studio", "GPT4All", "Hugging Face", "Ollama", "~/models"
  bool any_extension = false;  // Ollama keeps GGUF blobs without an extension: detect them by magic
};

// The well-known folders below `home` (missing ones included; find_model_files skips them).
std::vector<ModelFolder> default_model_folders(const std::filesystem::path& home);

struct FoundModelFile {
  std::filesystem::path path;
  std::string source;
};
// Every GGUF file below the folders (at most `max_files`), sorted by path, never following a folder
// symlink loop. Unreadable folders are skipped.
std::vector<FoundModelFile> find_model_files(const std::vector<ModelFolder>& folders, size_t max_files = 500);

// True when the file starts with the GGUF magic.
bool has_gguf_magic(const std::filesystem::path& path);

// What the engine can run, for the runnable check.
struct EngineCapabilities {
  std::vector<std::string> architectures;  // e.g. "llama", "qwen2"
  uint64_t memory_budget_bytes = 0;        // what may be used (available RAM); 0: do not check
};

struct ModelFileSummary {
  std::filesystem::path path;
  std::string source;
  std::string name;  // general.name, else the file name
  std::string architecture;
  uint64_t file_bytes = 0;
  std::string quantization;  // e.g. "Q4_K_M", from general.file_type or the dominant tensor type
  int64_t context_length = 0;
  uint64_t n_parameters = 0;
  uint64_t estimated_bytes = 0;  // weights + KV and Q caches at the trained context (capped at 8192)
  bool runnable = false;
  std::string problem;  // why it cannot run (or cannot be read); "" when runnable
};

// Reads the header; never throws (a broken file gives runnable = false and the reader's message).
ModelFileSummary probe_model_file(const std::filesystem::path& path, const EngineCapabilities& capabilities);

// MemAvailable from /proc/meminfo, 0 when unknown.
uint64_t available_memory_bytes();

// "1.2 GiB", "350 MiB"
std::string format_bytes(uint64_t bytes);

}  // namespace glasswing::ui
