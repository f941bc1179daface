#include "inference/model/model.h"

namespace glasswing::model {

Model::Model(gguf::GgufFile file)
    : file_(std::move(file)),
      desc_(ModelDescription::from_gguf(file_)),
      weights_(Weights::from_gguf(file_, desc_)) {}

std::unique_ptr<Model> Model::load(const std::filesystem::path& path) {
  return from_gguf(gguf::GgufFile::open_model(path));
}

std::unique_ptr<Model> Model::from_gguf(gguf::GgufFile file) {
  return std::unique_ptr<Model>(new Model(std::move(file)));
}

}  // namespace glasswing::model
