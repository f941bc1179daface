#include <QtQml/qqmlextensionplugin.h>

#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <catch2/catch.hpp>

#include "tests/ui/memory_backends.h"
#include "tests/ui/qt_test_app.h"
#include "ui/app/chat_controller.h"

Q_IMPORT_QML_PLUGIN(GlasswingPlugin)

using namespace glasswing::ui;
using glasswing::test::wait_until;

TEST_CASE("The chat view creates delegates only for the visible part of 1,000 messages", "[ui][qml]") {
  glasswing::test::ensure_qt_app();
  auto data = std::make_shared<glasswing::test::MemoryStoreData>();
  int64_t conversation = 0;
  {
    glasswing::test::MemoryStore s(data);
    conversation = s.create_conversation("Long");
    int64_t parent = 0;
    for (int i = 0; i < 1000; ++i) {
      std::string text = "Message " + std::to_string(i) +
                         (i % 7 == 0 ? "\n\n```cpp\nint x = " + std::to_string(i) + ";\n```" : "");
      parent = s.add_message(conversation, parent, i % 2 ? "assistant" : "user", text).id;
    }
  }
  Backends b;
  b.store = [data] { return std::make_unique<glasswing::test::MemoryStore>(data); };
  b.engine = [] {
    return std::make_unique<glasswing::test::ScriptedEngine>(
        std::vector<std::string>{}, std::make_shared<glasswing::test::ScriptedEngineLog>());
  };
  b.capabilities = [] { return EngineCapabilities{}; };
  ChatController controller(b);

  QQmlApplicationEngine engine;
  engine.addImportPath(QStringLiteral("qrc:/"));
  engine.setInitialProperties({{QStringLiteral("controller"), QVariant::fromValue(&controller)}});
  engine.loadData(R"(
    import QtQuick
    import Glasswing
    Window {
      id: root
      required property ChatController controller
      width: 900; height: 700; visible: true
      ChatView { objectName: "chat"; anchors.fill: parent; controller: root.controller }
    })");
  REQUIRE(engine.rootObjects().size() == 1);
  auto* view = engine.rootObjects().first()->findChild<QQuickItem*>(QStringLiteral("chat"));
  REQUIRE(view);
  controller.start({});
  controller.selectConversation(conversation);
  REQUIRE(wait_until([&] { return view->property("count").toInt() == 1000; }));

  auto delegates = [&] { return view->property("contentItem").value<QQuickItem*>()->childItems().size(); };
  // The view follows the end of the conversation when it opens.
  wait_until([&] { return view->property("atYEnd").toBool(); });
  INFO("contentY " << view->property("contentY").toDouble() << " originY "
                   << view->property("originY").toDouble() << " contentHeight "
                   << view->property("contentHeight").toDouble() << " height " << view->height()
                   << " followEnd " << view->property("followEnd").toBool());
  REQUIRE(wait_until([&] { return view->property("atYEnd").toBool(); }));
  CHECK(delegates() < 80);
  // Scrolling through the whole list keeps the number of live delegates bounded.
  for (double y = 0; y <= 1.0; y += 0.1) {
    view->setProperty("contentY", view->property("originY").toDouble() +
                                      y * (view->property("contentHeight").toDouble() - view->height()));
    QCoreApplication::processEvents();
    CHECK(delegates() < 80);
  }
}
