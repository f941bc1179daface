#pragma once
// A loaded model: the mapped GGUF file, its description and the weight views into it. Loading is the
// expensive step and happens once; any number of Sessions (conversations) and Backends share one Model.
#include <filesystem>
#include <memory>

#include "inference/gguf/gguf_file.h"
#include "inference/model/model_description.h"
#include "inference/model/weights.h"

namespace glasswing::model {

class Model {
 public:
  // Maps and validates a model file (all parts of a split one: gguf::GgufFile::open_model). Throws
  // std::runtime_error (GgufError for format problems) with a precise message: unsupported architecture,
  // missing tensor, wrong shape, unsupported tensor type, a missing part.
  static std::unique_ptr<Model> load(const std::filesystem::path& path);
  // Same, from a file already parsed (its bytes must outlive the model); used by tests.
  static std::unique_ptr<Model> from_gguf(gguf::GgufFile file);

  const gguf::GgufFile& file() const { return file_; }
  const ModelDescription& desc() const { return desc_; }
  const Weights& weights() const { return weights_; }

 private:
  explicit Model(gguf::GgufFile file);
  gguf::GgufFile file_;
  ModelDescription desc_;
  Weights weights_;
};

}  // namespace glasswing::model
