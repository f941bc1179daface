#include <catch2/catch.hpp>

#include "tests/test_support.h"
#include "ui/backend/sqlite_store.h"

using namespace glasswing::ui;

TEST_CASE("The SQLite adapter keeps trees, branches, streamed replies, settings and search", "[ui][storage]") {
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
  CHECK(messages[2].text == "a cat");
  CHECK(messages[2].state == MessageState::Stopped);
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

  reader->delete_message(user.id);
  CHECK(reader->messages(c, path).empty());
  reader->delete_conversation(c);
  CHECK(reader->conversations().empty());
  store.reset();
  reader.reset();
  std::filesystem::remove_all(dir);
}
