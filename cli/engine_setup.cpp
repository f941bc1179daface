#include "cli/engine_setup.h"

#include <chrono>
#include <mutex>

#include "inference/model/backend_registry.h"

namespace glasswing::cli {

namespace {
// GPU backends live in their own libraries (the CLI gets HAVE_GLASSWING_VULKAN when glasswing_vulkan is
// built) and register themselves with model::register_backend() here, once, before any name is resolved.
void register_optional_backends() {
  static std::once_flag once;
  std::call_once(once, [] {});
}
}  // namespace

Option model_option() {
  return {"--model", "-m", true, "model file (.gguf)"};
}

Option backend_option() {
  register_optional_backends();
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
