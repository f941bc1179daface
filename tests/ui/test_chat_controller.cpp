#include <QClipboard>
#include <QGuiApplication>
#include <catch2/catch.hpp>

#include "tests/test_support.h"
#include "tests/ui/memory_backends.h"
#include "tests/ui/qt_test_app.h"
#include "tests/ui/twin_app.h"
#include "ui/app/chat_controller.h"
#if GLASSWING_HAVE_STORAGE
#include "ui/backend/model_description.h"
#endif

using namespace glasswing::ui;
using glasswing::test::wait_until;

namespace {

#if GLASSWING_HAVE_STORAGE
ModelDescriber describer() {
  return [](const std::string& path) { return describe_model_file(path); };
}
#else
ModelDescriber describer() {
  return {};
}
#endif

struct Fixture : glasswing::test::TwinApp {
  explicit Fixture(std::vector<std::string> pieces = {"Once", " upon", " a", " time", "."})
      : TwinApp(std::move(pieces), describer()) {}
  QString text(int row) {
    return controller->messages()
        ->data(controller->messages()->index(row), MessageListModel::TextRole)
        .toString();
  }
  QVariant role(int row, int r) {
    return controller->messages()->data(controller->messages()->index(row), r);
  }
  std::string stored(int64_t id) {
    std::lock_guard lock(data->mutex);
    return data->messages.at(id).second.text;
  }
  MessageState storedState(int64_t id) {
    std::lock_guard lock(data->mutex);
    return data->messages.at(id).second.state;
  }
  void loadModel() { load(); }
};

}  // namespace

TEST_CASE("Sending streams a reply into the list and the store, then regenerate and edit make branches",
          "[ui][controller]") {
  Fixture f;
  f.loadModel();
  CHECK(f.controller->modelName() == "scripted");
  CHECK_FALSE(f.controller->send("   "));

  REQUIRE(f.controller->send("Tell me a story"));
  CHECK(f.controller->generating());
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  REQUIRE(f.controller->messages()->rowCount() == 2);
  CHECK(f.text(0) == "Tell me a story");
  CHECK(f.text(1) == "Once upon a time.");
  CHECK(f.role(1, MessageListModel::StateRole).toString() == "complete");
  // How the reply was made, shown under it; the store has the same numbers for the next time it opens.
  CHECK(f.role(1, MessageListModel::DetailRole).toString().toStdString() == "5 tokens \u00b7 CPU");
  CHECK(f.role(0, MessageListModel::DetailRole).toString().isEmpty());
  const qint64 first_reply = f.controller->messages()->messageIdAt(1);
  {
    std::lock_guard lock(f.data->mutex);
    CHECK(f.data->messages.at(first_reply).second.generated_tokens == 5);
    CHECK(f.data->messages.at(first_reply).second.device == "CPU");
  }
  CHECK(f.stored(first_reply) == "Once upon a time.");
  CHECK(f.storedState(first_reply) == MessageState::Complete);
  CHECK(f.controller->currentConversationId() != 0);
  CHECK(f.controller->currentTitle() == "Tell me a story");
  CHECK(f.controller->contextUsed() > 0);
  REQUIRE(wait_until([&] { return f.controller->conversations()->rowCount() == 1; }));

  REQUIRE(f.controller->regenerate(1));
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  CHECK(f.role(1, MessageListModel::SiblingCountRole).toInt() == 2);
  CHECK(f.role(1, MessageListModel::SiblingIndexRole).toInt() == 1);
  {
    // The regenerated reply was prompted with the user's turn only.
    std::lock_guard lock(f.log->mutex);
    REQUIRE(f.log->prompts.size() == 2);
    REQUIRE(f.log->prompts[1].size() == 1);
    CHECK(f.log->prompts[1][0].text == "Tell me a story");
  }
  f.controller->switchBranch(1, -1);
  CHECK(f.controller->messages()->messageIdAt(1) == first_reply);
  // The choice reaches the store (on the GUI's storage thread).
  REQUIRE(wait_until([&] {
    glasswing::test::MemoryStore s(f.data);
    std::vector<int64_t> path;
    s.messages(f.controller->currentConversationId(), path);
    return path.size() == 2 && path[1] == first_reply;
  }));

  REQUIRE(f.controller->editMessage(0, "Tell me a poem"));
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  CHECK(f.text(0) == "Tell me a poem");
  CHECK(f.role(0, MessageListModel::SiblingCountRole).toInt() == 2);
  CHECK(f.controller->messages()->rowCount() == 2);

  // Reopening the conversation shows the branch chosen last.
  const qint64 id = f.controller->currentConversationId();
  f.controller->newConversation();
  CHECK(f.controller->messages()->rowCount() == 0);
  f.controller->selectConversation(id);
  REQUIRE(wait_until([&] { return f.controller->messages()->rowCount() == 2; }));
  CHECK(f.text(0) == "Tell me a poem");
}

TEST_CASE("Stop ends the reply within one piece and keeps its text as stopped", "[ui][controller]") {
  std::vector<std::string> many(2000, "la ");
  qputenv("GLASSWING_TEST_TOKEN_DELAY_MS", "2");  // read when the worker is made
  Fixture f(many);
  qunsetenv("GLASSWING_TEST_TOKEN_DELAY_MS");
  f.loadModel();
  REQUIRE(f.controller->send("Sing"));
  REQUIRE(wait_until([&] { return f.controller->messages()->rowCount() == 2 && f.text(1).size() > 30; }));
  f.controller->stop();
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  const qint64 reply = f.controller->messages()->messageIdAt(1);
  CHECK(f.role(1, MessageListModel::StateRole).toString() == "stopped");
  CHECK(f.text(1).size() < 2000 * 3);
  CHECK(f.stored(reply) == f.text(1).toStdString());
  CHECK(f.storedState(reply) == MessageState::Stopped);
}

TEST_CASE("A reply left streaming by a crash is shown as interrupted", "[ui][controller]") {
  Fixture f;
  {
    glasswing::test::MemoryStore s(f.data);
    const int64_t c = s.create_conversation("Crashed");
    const auto user = s.add_message(c, 0, "user", "Hi");
    MessageRecord reply;
    auto writer = s.start_reply(c, user.id, reply);
    writer->append("Half an ans");
    // no finish(): the process died here
  }
  f.controller->start({});
  REQUIRE(wait_until([&] { return f.controller->conversations()->rowCount() == 1; }));
  f.controller->selectConversation(1);
  REQUIRE(wait_until([&] { return f.controller->messages()->rowCount() == 2; }));
  CHECK(f.text(1) == "Half an ans");
  CHECK(f.role(1, MessageListModel::StateRole).toString() == "interrupted");
}

TEST_CASE("Settings are saved with the conversation and restored with it", "[ui][controller]") {
  Fixture f;
  f.loadModel();
  REQUIRE(f.controller->send("Hi"));
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  const qint64 id = f.controller->currentConversationId();
  f.controller->settings()->setTemperature(0.25);
  f.controller->settings()->setSystemPrompt("Be brief.");
  f.controller->settings()->setSeed(42);
  f.controller->settings()->setThinking(false);
  REQUIRE(wait_until([&] {
    std::lock_guard lock(f.data->mutex);
    return f.data->settings.count(id) && f.data->settings[id].find("Be brief.") != std::string::npos;
  }));
  f.controller->newConversation();
  f.controller->settings()->load(GenerationSettings{});
  f.controller->selectConversation(id);
  REQUIRE(wait_until([&] { return f.controller->settings()->seed() == 42; }));
  CHECK(f.controller->settings()->temperature() == Approx(0.25));
  CHECK(f.controller->settings()->systemPrompt() == "Be brief.");
  CHECK_FALSE(f.controller->settings()->thinking());

  // The system prompt goes first in the next prompt.
  REQUIRE(f.controller->send("Again"));
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  std::lock_guard lock(f.log->mutex);
  CHECK(f.log->prompts.back().front().role == "system");
  CHECK(f.log->settings.back().seed == 42);
  CHECK_FALSE(f.log->settings.back().thinking);
}

TEST_CASE("Search lists hits with bold snippets: rename and delete update the sidebar", "[ui][controller]") {
  Fixture f;
  f.loadModel();
  REQUIRE(f.controller->send("Hi"));
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  auto* list = f.controller->conversations();
  f.controller->setSearchQuery("upon");
  REQUIRE(wait_until([&] {
    return list->rowCount() == 1 &&
           !list->data(list->index(0), ConversationListModel::SnippetRole).toString().isEmpty();
  }));
  CHECK(list->data(list->index(0), ConversationListModel::SnippetRole).toString() ==
        "Once <b>upon</b> a time.");
  // A hit on another branch opens that branch.
  const qint64 id = f.controller->currentConversationId();
  const qint64 hit_message = list->data(list->index(0), ConversationListModel::MessageIdRole).toLongLong();
  REQUIRE(f.controller->regenerate(1));
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  CHECK(f.controller->messages()->messageIdAt(1) != hit_message);
  int focused_row = -1;
  QObject::connect(f.controller.get(), &ChatController::messageFocused, [&](int row) { focused_row = row; });
  f.controller->openSearchHit(id, hit_message);
  REQUIRE(wait_until([&] { return focused_row == 1; }));
  CHECK(f.controller->messages()->messageIdAt(1) == hit_message);
  f.controller->setSearchQuery("");
  f.controller->renameConversation(id, "  Greeting <1>  ");
  CHECK(f.controller->currentTitle() == "Greeting <1>");
  REQUIRE(wait_until([&] {
    std::lock_guard lock(f.data->mutex);
    return f.data->conversations.at(id).title == "Greeting <1>";
  }));
  f.controller->deleteConversation(id);
  CHECK(f.controller->currentConversationId() == 0);
  REQUIRE(wait_until([&] { return list->rowCount() == 0; }));
}

TEST_CASE("A model the engine rejects, or that cannot run here, says why and stays unloaded",
          "[ui][controller]") {
  Fixture f;
  f.controller->start({});
  f.controller->loadModel(QStringLiteral("/nonexistent/broken.gguf"));
  REQUIRE(wait_until([&] { return !f.controller->modelLoading(); }));
  CHECK_FALSE(f.controller->modelLoaded());
  CHECK(f.controller->modelError().contains("cannot run here"));
  CHECK_FALSE(f.controller->send("Hi"));
}

TEST_CASE("A worker that could not start fails the model load with its reason instead of loading forever",
          "[ui][controller]") {
  glasswing::test::ensure_qt_app();
  const std::string model = glasswing::test::require_shared("models/stories260K.gguf").string();
  Backends b;
  b.store = []() -> std::unique_ptr<ConversationStore> { throw std::runtime_error("the disk is on fire"); };
  b.engine = [] {
    return std::make_unique<glasswing::test::ScriptedEngine>(
        std::vector<std::string>{"x"}, std::make_shared<glasswing::test::ScriptedEngineLog>());
  };
  b.capabilities = [] { return EngineCapabilities{{"llama"}, 0}; };
  ChatController controller(b);
  controller.start(QString::fromStdString(model));
  REQUIRE(wait_until([&] { return !controller.modelLoading(); }));
  CHECK_FALSE(controller.modelLoaded());
  CHECK(controller.modelError().contains("the disk is on fire"));
  CHECK(controller.lastError().contains("the disk is on fire"));
}

#if GLASSWING_HAVE_STORAGE
TEST_CASE("A reply records the conversation's model: opening it under another model says so",
          "[ui][controller]") {
  Fixture f;
  const auto stories = glasswing::test::require_shared("models/stories260K.gguf");
  const auto other = glasswing::test::require_shared("models/synthetic/synth-llama-Q4_0.gguf");
  f.loadModel();
  CHECK(f.controller->conversationModelName().isEmpty());
  REQUIRE(f.controller->send("Tell me a story"));
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  const qint64 id = f.controller->currentConversationId();
  {
    std::lock_guard lock(f.data->mutex);
    REQUIRE(f.data->conversation_model.count(id));
    const ModelDescription& m = f.data->models.at(f.data->conversation_model.at(id));
    CHECK(m.path == std::filesystem::absolute(stories).lexically_normal().string());
    CHECK(m.file_size_bytes == static_cast<int64_t>(std::filesystem::file_size(stories)));
    CHECK(m.header_sha256.size() == 64);
    CHECK(m.architecture == "llama");
    CHECK(m.n_params > 0);
  }
  CHECK(f.controller->conversationModelName() == "stories260K.gguf");
  CHECK_FALSE(f.controller->conversationModelDiffers());
  auto* list = f.controller->conversations();
  REQUIRE(wait_until([&] {
    return list->rowCount() == 1 &&
           list->data(list->index(0), ConversationListModel::ModelNameRole).toString() == "stories260K.gguf";
  }));

  // Another model: the conversation still names the one it used, and says it differs; nothing is reloaded.
  f.controller->loadModel(QString::fromStdString(other.string()));
  REQUIRE(wait_until(
      [&] { return f.controller->modelLoaded() && f.controller->modelFileName().contains("Q4_0"); }));
  REQUIRE(wait_until([&] { return f.controller->conversationModelDiffers(); }));
  CHECK(f.controller->conversationModelName() == "stories260K.gguf");
  f.controller->newConversation();
  CHECK(f.controller->conversationModelName().isEmpty());
  CHECK_FALSE(f.controller->conversationModelDiffers());
  f.controller->selectConversation(id);
  REQUIRE(wait_until([&] { return f.controller->conversationModelName() == "stories260K.gguf"; }));
  CHECK(f.controller->conversationModelDiffers());
  CHECK(f.controller->modelFileName().contains("Q4_0"));

  // A reply under the new model records it; one row per model file.
  REQUIRE(f.controller->send("And another"));
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  CHECK(f.controller->conversationModelName() == "synth-llama-Q4_0.gguf");
  CHECK_FALSE(f.controller->conversationModelDiffers());
  std::lock_guard lock(f.data->mutex);
  CHECK(f.data->models.size() == 2);
  CHECK(f.data->models.at(f.data->conversation_model.at(id)).path ==
        std::filesystem::absolute(other).lexically_normal().string());
}
#endif

TEST_CASE("Copying a reply leaves its reasoning out, and a user message is copied as written",
          "[ui][controller]") {
  Fixture f;
  f.controller->copyMessage("<think>\nThe user says hi.\n</think>\n\nHello!", true);
  CHECK(QGuiApplication::clipboard()->text() == "Hello!");
  f.controller->copyMessage("<think>mine</think> is a tag", false);
  CHECK(QGuiApplication::clipboard()->text() == "<think>mine</think> is a tag");
}
