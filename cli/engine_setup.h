#pragma once
// What the engine commands (generate, logits, perplexity, bench) share: the --backend flag and loading a
// model onto the chosen backend.
#include <memory>
#include <string>

#include "cli/command.h"
#include "inference/model/backend.h"
#include "inference/model/model.h"

namespace glasswing::cli {

// The flags every engine command accepts: -m/--model and --backend.
Option model_option();
Option backend_option();
Option device_option();  // --device for the vulkan backend

struct Engine {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<model::Backend> backend;
  double load_seconds = 0;  // mapping, validation and backend start-up
};

// Loads -m MODEL onto --backend (default cpu). The single place where backend names are resolved.
Engine load_engine(const Args& args);

}  // namespace glasswing::cli
