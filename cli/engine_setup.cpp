#include "cli/engine_setup.h"

#include <chrono>
#include <iostream>
#include <mutex>

#include "inference/model/backend_registry.h"
#if HAVE_GLASSWING_VULKAN
#include "inference/vulkan/vulkan_backend.h"
#endif

namespace glasswing::cli {

namespace {
// GPU backends live in their own libraries (the CLI gets HAVE_GLASSWING_VULKAN when glasswing_vulkan is
// built) and register themselves with model::register_backend() here, once, before any name is resolved.
void register_optional_backends() {
  static std::once_flag once;
  std::call_once(once, [] {
#if HAVE_GLASSWING_VULKAN
    vulkan::register_vulkan_backend();  // device: $GLASSWING_VULKAN_DEVICE, else the best GPU
#endif
  });
}
}  // namespace

Option model_option() {
  return {"--model", "-m", true, "model file (.gguf)"};
}

Option backend_option() {
  register_optional_backends();
  std::string names;
  for (const auto& n : model::backend_names()) names += (names.empty() ? "" : ", ") + n;
  return {"--backend", "", true,
          "compute backend: " + names + " (default auto: a real GPU when there is one, else cpu)"};
}

Option device_option() {
  return {"--device", "", true,
          "GPU for the vulkan backend: index or name substring from `devices` (default: "
          "$GLASSWING_VULKAN_DEVICE, else the best GPU)"};
}

Engine load_engine(const Args& args) {
  register_optional_backends();
#if HAVE_GLASSWING_VULKAN
  if (auto device = args.get("--device")) vulkan::register_vulkan_backend(*device);
#else
  if (args.get("--device")) throw UsageError("--device needs the Vulkan backend, which this build lacks");
#endif
  const std::string path = args.require("--model");
  const auto start = std::chrono::steady_clock::now();
  Engine e;
  e.model = model::Model::load(path);
  // Resolved once the model has loaded, so a bad model file is reported alone.
  const std::string backend = args.get_or("--backend", "auto");
  try {
    model::BackendChoice choice = model::choose_backend(backend, *e.model);
    // auto: a real GPU when there is one (vulkan/backend_choice.h), else the CPU engine, also when the GPU
    // backend fails to start; the choice and why go to stderr.
    if (backend == "auto") {
      std::string why = choice.explanation();
      if (why.empty()) why = "this build has no GPU backend";
      std::cerr << "backend: " << choice.name << " (" << why << ")\n";
    }
    e.backend = std::move(choice.backend);
  } catch (const std::invalid_argument& ex) {
    throw UsageError(ex.what());
  }
  e.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return e;
}

}  // namespace glasswing::cli
