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

// Adds (or replaces) a backend. `priority`: "auto" tries the highest first and falls back to the next
// when a factory throws (no device, out of memory).
void register_backend(const std::string& name, int priority, BackendFactory factory);

// "cpu", then the registered ones, then "auto".
std::vector<std::string> backend_names();

// Creates the named backend for `model`; throws std::invalid_argument listing the names for an unknown one.
std::unique_ptr<Backend> create_backend(std::string_view name, const Model& model);

}  // namespace glasswing::model
