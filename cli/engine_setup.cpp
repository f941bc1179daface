#include "cli/engine_setup.h"

#include <chrono>

#include "inference/model/backend_registry.h"

namespace glasswing::cli {

namespace {
// GPU backends live in their own libraries; they register here when the CLI is built with them.
void register_optional_backends() {}
}  // namespace

Option model_option() {
  return {"--model", "-m", true, "model file (.gguf)"};
}

Option backend_option() {
  std::string names;
  for (const auto& n : model::backend_names()) names += (names.empty() ? "" : ", ") + n;
  return {"--backend", "", true, "compute backend: " + names + " (default cpu)"};
}

Engine load_engine(const Args& args) {
  register_optional_backends();
  const std::string path = args.require("--model");
  const std::string backend = args.get_or("--backend", "cpu");
  const auto start = std::chrono::steady_clock::now();
  Engine e;
  e.model = model::Model::load(path);
  try {
    e.backend = model::create_backend(backend, *e.model);
  } catch (const std::invalid_argument& ex) {
    throw UsageError(ex.what());
  }
  e.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return e;
}

}  // namespace glasswing::cli
