// The whole main window (qml/Main.qml) on the twins: its keyboard shortcuts, and a reasoning reply.
#include <QtQml/qqmlextensionplugin.h>

#include <QClipboard>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTest>
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>

#include "tests/test_support.h"
#include "tests/ui/qt_test_app.h"
#include "tests/ui/twin_app.h"

Q_IMPORT_QML_PLUGIN(GlasswingPlugin)

using namespace glasswing::ui;
using glasswing::test::wait_until;

namespace {

// qml/Main.qml on the app's controller.
QQuickWindow* load_main_window(QQmlApplicationEngine& engine, glasswing::test::TwinApp& app) {
  engine.addImportPath(QStringLiteral("qrc:/"));
  engine.setInitialProperties({{QStringLiteral("controller"), QVariant::fromValue(app.controller.get())}});
  engine.load(QUrl(QStringLiteral("qrc:/Glasswing/Main.qml")));
  REQUIRE(engine.rootObjects().size() == 1);
  auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
  REQUIRE(window);
  return window;
}

}  // namespace

TEST_CASE("The main window's keys: new chat, find, focus the composer, and Esc stops a reply", "[ui][qml]") {
  qputenv("GLASSWING_TEST_TOKEN_DELAY_MS", "2");  // read when the worker is made
  glasswing::test::TwinApp app(std::vector<std::string>(3000, "la "));
  qunsetenv("GLASSWING_TEST_TOKEN_DELAY_MS");
  QQmlApplicationEngine engine;
  QQuickWindow* window = load_main_window(engine, app);
  window->requestActivate();
  REQUIRE(QTest::qWaitForWindowExposed(window));
  app.load();
  auto item = [&](const char* name) { return window->findChild<QQuickItem*>(QString::fromLatin1(name)); };
  REQUIRE(item("searchField"));
  REQUIRE(item("composerInput"));

  QTest::keyClick(window, Qt::Key_F, Qt::ControlModifier);
  CHECK(wait_until([&] { return item("searchField")->hasActiveFocus(); }, 2000));
  QTest::keyClick(window, Qt::Key_L, Qt::ControlModifier);
  CHECK(wait_until([&] { return item("composerInput")->hasActiveFocus(); }, 2000));

  // A reply streams (3000 pieces, 2 ms each); Esc stops it within a piece.
  REQUIRE(app.controller->send(QStringLiteral("Sing")));
  REQUIRE(wait_until([&] { return app.controller->streamingMessageId() != 0; }));
  QTest::keyClick(window, Qt::Key_Escape);
  REQUIRE(wait_until([&] { return !app.controller->generating(); }, 3000));
  auto* messages = app.controller->messages();
  CHECK(messages->data(messages->index(1), MessageListModel::StateRole).toString() == "stopped");

  // Ctrl+N: a new, empty chat, ready to type in.
  REQUIRE(app.controller->currentConversationId() != 0);
  QTest::keyClick(window, Qt::Key_N, Qt::ControlModifier);
  CHECK(wait_until([&] { return app.controller->currentConversationId() == 0; }, 2000));
  CHECK(messages->rowCount() == 0);
  CHECK(item("composerInput")->hasActiveFocus());
}

TEST_CASE("A reasoning model's reply shows its thinking folded in the real window", "[ui][qml]") {
  glasswing::test::TwinApp app({"<think>", "\nThe user", " greets me.", "\n</think>", "\n\nHello", "!"});
  QQmlApplicationEngine engine;
  QQuickWindow* window = load_main_window(engine, app);
  REQUIRE(QTest::qWaitForWindowExposed(window));
  // the twin reads "thinking" in the name as a template with the thinking switch
  const auto path = glasswing::test::temp_dir("thinking-window") / "qwen3-thinking.gguf";
  std::filesystem::copy_file(glasswing::test::require_shared("models/stories260K.gguf"), path);
  app.load(path.string());
  CHECK(app.controller->modelHasThinkingSwitch());
  auto* thinking_switch = window->findChild<QObject*>(QStringLiteral("thinkingSwitch"));
  REQUIRE(thinking_switch);
  CHECK(thinking_switch->property("checked").toBool());

  REQUIRE(app.controller->send(QStringLiteral("Hi")));
  REQUIRE(wait_until([&] { return !app.controller->generating(); }, 5000));
  // delegates are found through the item tree (a view's delegates are not its QObject children)
  const std::function<QQuickItem*(QQuickItem*, const QString&)> find = [&](QQuickItem* at,
                                                                           const QString& name) {
    if (at->objectName() == name) return at;
    for (QQuickItem* child : at->childItems())
      if (QQuickItem* found = find(child, name)) return found;
    return static_cast<QQuickItem*>(nullptr);
  };
  QQuickItem* header = nullptr;
  REQUIRE(
      wait_until([&] { return (header = find(window->contentItem(), "reasoningHeader")) != nullptr; }, 3000));
  CHECK(header->property("text").toString() == QStringLiteral("\u25b8 Reasoning (4 words)"));
  CHECK(header->isVisible());
  QQuickItem* body = find(window->contentItem(), "reasoningText");
  REQUIRE(body);
  CHECK_FALSE(body->isVisible());  // folded once the answer came
  CHECK(body->property("text").toString() == QStringLiteral("The user greets me."));

  // The delegates read a message's whole text from their row (model.text) only where an action needs it:
  // Copy gives the question and the answer without its reasoning, Edit starts from the question.
  const std::function<void(QQuickItem*, const QString&, QList<QQuickItem*>&)> find_all =
      [&](QQuickItem* at, const QString& name, QList<QQuickItem*>& out) {
        if (at->objectName() == name) out.push_back(at);
        for (QQuickItem* child : at->childItems()) find_all(child, name, out);
      };
  QList<QQuickItem*> copies, edits, areas;
  find_all(window->contentItem(), "copyMessageButton", copies);
  REQUIRE(copies.size() == 2);
  QStringList copied;
  for (QQuickItem* button : copies) {
    REQUIRE(QMetaObject::invokeMethod(button, "clicked"));
    copied << QGuiApplication::clipboard()->text();
  }
  copied.sort();
  CHECK(copied == QStringList{QStringLiteral("Hello!"), QStringLiteral("Hi")});
  find_all(window->contentItem(), "editButton", edits);
  const auto question_edit =
      std::find_if(edits.begin(), edits.end(), [](QQuickItem* b) { return b->isVisible(); });
  REQUIRE(question_edit != edits.end());
  REQUIRE(QMetaObject::invokeMethod(*question_edit, "clicked"));
  find_all(window->contentItem(), "editArea", areas);
  CHECK(std::count_if(areas.begin(), areas.end(), [](QQuickItem* a) {
          return a->isVisible() && a->property("text").toString() == QStringLiteral("Hi");
        }) == 1);
}

TEST_CASE(
    "A template with a reasoning effort (gpt-oss) offers it in the settings, saved with the conversation",
    "[ui][qml]") {
  glasswing::test::TwinApp app({"Hello", "!"});
  QQmlApplicationEngine engine;
  QQuickWindow* window = load_main_window(engine, app);
  REQUIRE(QTest::qWaitForWindowExposed(window));
  auto* effort = window->findChild<QObject*>(QStringLiteral("reasoningEffort"));
  REQUIRE(effort);
  auto* tabs = window->findChild<QObject*>(QStringLiteral("panelTabs"));
  REQUIRE(tabs);
  tabs->setProperty("currentIndex", 1);  // the Settings tab
  // a model whose template has none: not offered
  app.load();
  CHECK_FALSE(app.controller->modelHasReasoningEffort());
  CHECK_FALSE(effort->property("visible").toBool());
  // the twin reads "effort" in the name as a template with reasoning_effort
  const auto path = glasswing::test::temp_dir("effort-window") / "gpt-oss-effort.gguf";
  std::filesystem::copy_file(glasswing::test::require_shared("models/stories260K.gguf"), path,
                             std::filesystem::copy_options::overwrite_existing);
  app.controller->loadModel(QString::fromStdString(path.string()));
  REQUIRE(wait_until([&] { return app.controller->modelHasReasoningEffort(); }, 5000));
  CHECK(wait_until([&] { return effort->property("visible").toBool(); }, 2000));
  CHECK(effort->property("currentText").toString() == QStringLiteral("medium"));
  QMetaObject::invokeMethod(effort, "activated", Q_ARG(int, 2));  // "high", as a click on it
  CHECK(app.controller->settings()->reasoningEffort() == QStringLiteral("high"));
  const auto json = glasswing::ui::ConversationSettings::toJson(
      glasswing::ui::ConversationSettings::fromJson(R"({"reasoning_effort": "high"})"));
  CHECK(json.find(R"("reasoning_effort":"high")") != std::string::npos);
  // a bad value in a stored conversation is ignored: the default stays
  CHECK(glasswing::ui::ConversationSettings::fromJson(R"({"reasoning_effort": "max"})").reasoning_effort ==
        "medium");
}
