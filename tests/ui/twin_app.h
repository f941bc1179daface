#pragma once
// A ChatController on the in-memory twins (memory_backends.h), for the controller tests: `data` holds what
// the store keeps and `log` what the engine was asked.
#include <memory>
#include <string>
#include <vector>

#include "tests/ui/memory_backends.h"
#include "ui/app/chat_controller.h"

namespace glasswing::test {

struct TwinApp {
  std::shared_ptr<MemoryStoreData> data = std::make_shared<MemoryStoreData>();
  std::shared_ptr<ScriptedEngineLog> log = std::make_shared<ScriptedEngineLog>();
  std::unique_ptr<ui::ChatController> controller;

  // The engine twin replays `pieces` for every reply.
  explicit TwinApp(std::vector<std::string> pieces, ui::ModelDescriber describe_model = {});
  // Starts the workers on stories260K's path, or `path` (the twin only looks at the name), and waits for the
  // load.
  void load(const std::string& path = {});
};

}  // namespace glasswing::test
