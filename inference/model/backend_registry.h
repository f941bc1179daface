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

// Asked before "auto" tries a backend: whether to try it, and why (e.g. Vulkan is skipped when the only
// device is a CPU implementation, slower than the CPU engine; tried because "X is a discrete GPU").
struct AutoVerdict {
  bool try_it = true;
  std::string reason;  // one clause; may be empty when trying
};
using AutoCheck = std::function<AutoVerdict()>;

// Adds (or replaces) a backend. `priority`: "auto" tries the highest first and falls back to the next
// when a factory throws (no device, out of memory) or auto_check declines.
void register_backend(const std::string& name, int priority, BackendFactory factory,
                      AutoCheck auto_check = {});

// "cpu", then the registered ones, then "auto".
std::vector<std::string> backend_names();

// A backend "auto" passed over: its check declined it, or its factory threw.
struct SkippedBackend {
  std::string name;
  std::string reason;   // the check's words, or the factory's error message
  bool failed = false;  // the factory threw (no device, out of memory, device lost)
};

// What create_backend chose and why, so callers can say so without asking the backends again.
struct BackendChoice {
  std::unique_ptr<Backend> backend;
  std::string name;                     // the registry name that made it
  std::string reason;                   // "auto": the chosen backend's check reason (may be empty)
  std::vector<SkippedBackend> skipped;  // "auto": those tried before it, highest priority first

  // One clause for "backend: NAME (clause)": why the others were skipped ("NAME could not start: ERROR"
  // for a failure, the check's words for a decline, joined by "; "), else why this one; "" when neither.
  std::string explanation() const;
};

// Creates the named backend for `model`; "auto" tries the registered ones by priority and records why it
// skipped any. Throws std::invalid_argument listing the names for an unknown one, std::runtime_error with
// every reason when "auto" finds none that starts.
BackendChoice choose_backend(std::string_view name, const Model& model);

// choose_backend(name, model).backend.
std::unique_ptr<Backend> create_backend(std::string_view name, const Model& model);

}  // namespace glasswing::model
