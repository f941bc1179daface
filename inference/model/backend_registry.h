#pragma once
// The one place that turns a backend name ("cpu", "vulkan", "auto") into a Backend. The CPU backend is
// always here; a GPU backend library registers itself at start-up (the CLI and the app call its
// register function), so this library never depends on it.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inference/model/backend.h"

namespace glasswing::model {

using BackendFactory = std::function<std::unique_ptr<Backend>(const Model&)>;

// Asked before "auto" tries a backend: an empty answer lets it try, anything else is why "auto" skips it
// (e.g. Vulkan when the only device is a CPU implementation, slower than the CPU engine).
using AutoCheck = std::function<std::string()>;

// Adds (or replaces) a backend. `priority`: "auto" tries the highest first and falls back to the next
// when a factory throws (no device, out of memory) or auto_check declines.
void register_backend(const std::string& name, int priority, BackendFactory factory,
                      AutoCheck auto_check = {});

// "cpu", then the registered ones, then "auto".
std::vector<std::string> backend_names();

// Creates the named backend for `model`; throws std::invalid_argument listing the names for an unknown one.
std::unique_ptr<Backend> create_backend(std::string_view name, const Model& model);

}  // namespace glasswing::model
