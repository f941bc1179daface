#include "tests/ui/twin_app.h"

#include <catch2/catch.hpp>

#include "tests/test_support.h"
#include "tests/ui/qt_test_app.h"

namespace glasswing::test {

TwinApp::TwinApp(std::vector<std::string> pieces, ui::ModelDescriber describe_model) {
  ensure_qt_app();
  ui::Backends b;
  b.store = [d = data] { return std::make_unique<MemoryStore>(d); };
  b.engine = [pieces = std::move(pieces), l = log] { return std::make_unique<ScriptedEngine>(pieces, l); };
  b.capabilities = [] { return ui::EngineCapabilities{{"llama"}, 0}; };
  b.describe_model = std::move(describe_model);
  controller = std::make_unique<ui::ChatController>(b);
}

void TwinApp::load(const std::string& path) {
  controller->start(
      QString::fromStdString(path.empty() ? require_shared("models/stories260K.gguf").string() : path));
  REQUIRE(wait_until([&] { return controller->modelLoaded(); }));
}

}  // namespace glasswing::test
