#include "cli/engine_setup.h"

#include <chrono>
#include <iostream>
#include <mutex>

#include "inference/model/backend_registry.h"
#if HAVE_GLASSWING_VULKAN
#include "inference/vulkan/backend_choice.h"
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
  std::string backend = args.get_or("--backend", "auto");
#if HAVE_GLASSWING_VULKAN
  // auto: Vulkan only on real GPU hardware (vulkan/backend_choice.h); the choice and why go to stderr.
  if (backend == "auto") {
    const auto choice = vulkan::choose_auto_backend(args.get("--device").value_or(""));
    std::cerr << "backend: " << choice.backend << " (" << choice.reason << ")\n";
    backend = choice.backend;
  }
#else
  if (backend == "auto") {
    std::cerr << "backend: cpu (this build has no GPU backend)\n";
    backend = "cpu";
  }
#endif
  try {
    e.backend = model::create_backend(backend, *e.model);
  } catch (const std::invalid_argument& ex) {
    throw UsageError(ex.what());
  }
  e.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return e;
}

}  // namespace glasswing::cli
