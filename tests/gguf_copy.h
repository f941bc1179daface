#pragma once
// GGUF files rewritten for tests: a model with metadata added or changed, or split as llama.cpp's gguf-split
// writes it. Header-only: any test target that links the inference library can use it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "inference/gguf/gguf_file.h"
#include "inference/gguf/gguf_writer.h"

namespace glasswing::test {

// in's metadata into w, but general.alignment (which the writer sets itself).
inline void copy_metadata(const gguf::GgufFile& in, gguf::GgufWriter& w) {
  for (const auto& [key, value] : in.metadata())
    if (key != "general.alignment") w.set(key, value);
}

// in's tensors [first, end) into w.
inline void copy_tensors(const gguf::GgufFile& in, gguf::GgufWriter& w, size_t first = 0,
                         size_t end = std::numeric_limits<size_t>::max()) {
  for (size_t i = first; i < std::min(end, in.tensors().size()); ++i) {
    const auto& t = in.tensors()[i];
    w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
  }
}

// The model at `path` written to `out` with `edit` applied to its metadata and F32 vectors added as tensors.
inline void rewrite_model(const std::filesystem::path& path, const std::filesystem::path& out,
                          const std::function<void(gguf::GgufWriter&)>& edit,
                          const std::vector<std::pair<std::string, std::vector<float>>>& vectors = {}) {
  const auto in = gguf::GgufFile::open(path);
  gguf::GgufWriter w;
  copy_metadata(in, w);
  edit(w);
  copy_tensors(in, w);
  for (const auto& [tensor, v] : vectors)
    w.add_tensor(tensor, gguf::GgmlType::F32, {v.size()},
                 {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(float)});
  w.write(out.string());
}

// in written as gguf-split writes a model: dir / (stem + "-0000i-of-0000n.gguf"), every part with split.no
// and split.count, the first also with split.tensors.count and all other metadata, the tensors spread over
// the parts in order. Returns the parts' paths, first part first.
inline std::vector<std::filesystem::path> write_split(const gguf::GgufFile& in,
                                                      const std::filesystem::path& dir,
                                                      const std::string& stem, int parts) {
  std::vector<std::filesystem::path> out;
  const size_t n = in.tensors().size();
  for (int p = 0; p < parts; ++p) {
    gguf::GgufWriter w;
    if (p == 0) copy_metadata(in, w);
    w.set_u16("split.no", static_cast<uint16_t>(p));
    w.set_u16("split.count", static_cast<uint16_t>(parts));
    if (p == 0) w.set_i32("split.tensors.count", static_cast<int32_t>(n));
    copy_tensors(in, w, n * p / parts, n * (p + 1) / parts);
    char tail[32];
    std::snprintf(tail, sizeof tail, "-%05d-of-%05d.gguf", p + 1, parts);
    out.push_back(dir / (stem + tail));
    w.write(out.back().string());
  }
  return out;
}

}  // namespace glasswing::test
