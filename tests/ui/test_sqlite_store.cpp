#include <catch2/catch.hpp>

#include "inference/gguf/gguf_file.h"
#include "storage/sha256.h"
#include "storage/store.h"
#include "tests/test_support.h"
#include "tests/ui/memory_backends.h"
#include "tests/ui/qt_test_app.h"
#include "ui/app/chat_controller.h"
#include "ui/backend/model_description.h"
#include "ui/backend/sqlite_store.h"

using namespace glasswing::ui;

TEST_CASE("The SQLite adapter keeps trees, branches, streamed replies, settings and search",
          "[ui][storage]") {
  const auto dir = glasswing::test::temp_dir("ui-sqlite-store");
  auto store = open_sqlite_store(dir / "chat.sqlite");
  const int64_t c = store->create_conversation("Stories");
  const MessageRecord user = store->add_message(c, 0, "user", "Once upon a time");
  CHECK(user.parent_id == 0);
  CHECK(user.role == "user");

  MessageRecord first;
  auto writer = store->start_reply(c, user.id, first);
  CHECK(first.state == MessageState::Streaming);
  CHECK(first.parent_id == user.id);
  writer->append("there was ");
  writer->append("a dragon.");
  writer->finish(MessageState::Complete, "", ReplyMetrics{2, 12.5, 100, 50, "CPU", "CPU"});

  MessageRecord second;
  auto writer2 = store->start_reply(c, user.id, second);
  writer2->append("a cat");
  writer2->finish(MessageState::Stopped, "", {});

  // A second connection (the GUI's) sees everything the first wrote.
  auto reader = open_sqlite_store(dir / "chat.sqlite");
  std::vector<int64_t> path;
  auto messages = reader->messages(c, path);
  REQUIRE(messages.size() == 3);
  CHECK(messages[1].text == "there was a dragon.");
  CHECK(messages[1].state == MessageState::Complete);
  CHECK(messages[1].generated_tokens == 2);  // how it was made comes back with it
  CHECK(messages[1].generation_tokens_per_s == 50);
  CHECK(messages[1].device == "CPU");
  CHECK(messages[1].reason.empty());
  CHECK(messages[2].text == "a cat");
  CHECK(messages[2].state == MessageState::Stopped);
  CHECK(messages[2].reason.empty());  // stopped by the user: nothing to explain
  CHECK(path == std::vector<int64_t>{user.id, second.id});

  reader->set_active(first.id);
  reader->messages(c, path);
  CHECK(path == std::vector<int64_t>{user.id, first.id});

  reader->set_settings_json(c, R"({"temperature":0.5,"system_prompt":"Be kind."})");
  CHECK(reader->settings_json(c).find("\"temperature\":0.5") != std::string::npos);

  const auto hits = reader->search("dragon", 10);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].message_id == first.id);
  CHECK(hits[0].snippet.find("[dragon]") != std::string::npos);
  CHECK(hits[0].title == "Stories");

  reader->rename_conversation(c, "Dragons");
  CHECK(reader->conversations().at(0).title == "Dragons");

  // A writer dropped unfinished leaves the reply interrupted, with its text.
  {
    MessageRecord third;
    auto w = store->start_reply(c, user.id, third);
    w->append("half");
  }
  messages = reader->messages(c, path);
  CHECK(messages.back().text == "half");
  CHECK(messages.back().state == MessageState::Interrupted);

  // A failed reply keeps why, for the next time the conversation opens.
  {
    MessageRecord fourth;
    auto w = store->start_reply(c, user.id, fourth);
    w->append("par");
    w->finish(MessageState::Failed, "VK_ERROR_DEVICE_LOST: the GPU was lost", {});
  }
  messages = reader->messages(c, path);
  CHECK(messages.back().state == MessageState::Failed);
  CHECK(messages.back().reason == "VK_ERROR_DEVICE_LOST: the GPU was lost");

  reader->delete_message(user.id);
  CHECK(reader->messages(c, path).empty());
  reader->delete_conversation(c);
  CHECK(reader->conversations().empty());
  store.reset();
  reader.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("The SQLite adapter records models and each conversation's model", "[ui][storage]") {
  const auto dir = glasswing::test::temp_dir("ui-sqlite-models");
  const auto path = glasswing::test::require_shared("models/stories260K.gguf");
  auto store = open_sqlite_store(dir / "chat.sqlite");
  const int64_t a = store->create_conversation("A");
  const int64_t b = store->create_conversation("B");
  CHECK_FALSE(store->conversation_model(a).has_value());

  const ModelDescription d = describe_model_file(path);
  const int64_t id = store->record_model(d);
  CHECK(store->record_model(d) == id);  // the same file again is the same row
  store->set_model(a, id);
  const auto got = store->conversation_model(a);
  REQUIRE(got.has_value());
  CHECK(got->path == d.path);
  CHECK(got->header_sha256 == d.header_sha256);
  CHECK(got->quant == d.quant);
  CHECK(got->n_params == d.n_params);
  CHECK_FALSE(store->conversation_model(b).has_value());
  for (const auto& c : store->conversations()) CHECK(c.model_path == (c.id == a ? d.path : std::string()));
  CHECK_THROWS(store->set_model(a, id + 1000));  // no such model
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("After a reply in the app, storage knows the conversation's model", "[ui][storage][controller]") {
  const auto dir = glasswing::test::temp_dir("ui-sqlite-reply-model");
  const auto db = dir / "chat.sqlite";
  const auto model = glasswing::test::require_shared("models/stories260K.gguf");
  glasswing::test::ensure_qt_app();
  qint64 conversation = 0;
  {
    Backends b;
    b.store = [db] { return open_sqlite_store(db); };
    b.engine = [] {
      return std::make_unique<glasswing::test::ScriptedEngine>(
          std::vector<std::string>{"Once", " upon"}, std::make_shared<glasswing::test::ScriptedEngineLog>());
    };
    b.describe_model = [](const std::string& p) { return describe_model_file(p); };
    b.capabilities = [] { return EngineCapabilities{{"llama"}, 0}; };
    ChatController controller(b);
    controller.start(QString::fromStdString(model.string()));
    REQUIRE(glasswing::test::wait_until([&] { return controller.modelLoaded(); }));
    REQUIRE(controller.send("Tell me a story"));
    REQUIRE(glasswing::test::wait_until([&] { return !controller.generating(); }));
    conversation = controller.currentConversationId();
  }
  REQUIRE(conversation != 0);

  // Checked through storage's own API, against the file itself.
  glasswing::storage::Store store(db);
  const auto model_id = store.conversation(conversation).model_id;
  REQUIRE(model_id.has_value());
  const auto record = store.model(*model_id);
  REQUIRE(record.has_value());
  const auto file = glasswing::gguf::GgufFile::open(model);
  // The app may name the file through its resolved path (../shared can be a symbolic link): same file.
  CHECK(std::filesystem::equivalent(record->path, model));
  CHECK(std::filesystem::path(record->path).is_absolute());
  CHECK(record->file_size_bytes == static_cast<int64_t>(std::filesystem::file_size(model)));
  CHECK(record->header_sha256 == glasswing::storage::sha256_of_file_prefix(model, file.data_offset()));
  CHECK(record->architecture == "llama");
  int64_t n_params = 0;
  for (const auto& t : file.tensors()) n_params += static_cast<int64_t>(t.n_elements);
  CHECK(record->n_params == n_params);
  CHECK_FALSE(record->quant.empty());
  std::filesystem::remove_all(dir);
}
