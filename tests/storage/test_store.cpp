// Conversations, the message tree and its active branch.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "storage/schema.h"
#include "storage/store.h"
#include "tests/storage/store_test_util.h"

using namespace glasswing::storage;
using glasswing::storage::test::fresh_db_path;

namespace {
std::vector<std::string> contents(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.content);
  return out;
}
}  // namespace

TEST_CASE("A new database is in WAL mode with foreign keys and NORMAL sync", "[storage]") {
  Store store(fresh_db_path("pragmas"));
  auto& db = store.database();
  CHECK(db.query_text("PRAGMA journal_mode") == "wal");
  CHECK(db.query_int64("PRAGMA foreign_keys") == 1);
  CHECK(db.query_int64("PRAGMA synchronous") == 1);  // NORMAL
  CHECK(db.query_int64("PRAGMA user_version") == current_schema_version());
  CHECK(db.query_int64("PRAGMA application_id") == kApplicationId);
  CHECK(store.recovery() == std::nullopt);
}

TEST_CASE("Conversations are listed pinned first, then by last update", "[storage]") {
  Store store(fresh_db_path("list"));
  const int64_t a = store.create_conversation("a");
  const int64_t b = store.create_conversation("b");
  const int64_t c = store.create_conversation("c");
  // Make the order of updates explicit rather than relying on the clock's resolution.
  store.database().exec("UPDATE conversations SET updated_ms = id * 1000");
  store.set_pinned(a, true);
  auto list = store.list_conversations();
  REQUIRE(list.size() == 3);
  CHECK(list[0].conversation.id == a);
  CHECK(list[1].conversation.id == c);
  CHECK(list[2].conversation.id == b);
  CHECK(list[0].conversation.pinned);

  store.rename_conversation(b, "renamed");
  CHECK(store.conversation(b).title == "renamed");
  CHECK_THROWS_AS(store.rename_conversation(999, "x"), NotFoundError);
  CHECK_THROWS_AS(store.conversation(999), NotFoundError);
}

TEST_CASE("Conversation settings round-trip and a bad settings row does not stop the list", "[storage]") {
  Store store(fresh_db_path("settings"));
  const int64_t model = store.record_model({0, "/m/tiny.gguf", 1234, "00ff", "llama", "Q8_0", 260000});
  CHECK(store.record_model({0, "/m/tiny.gguf", 1234, "00ff", "llama", "Q8_0", 260000}) == model);
  NewConversation settings;
  settings.title = "good";
  settings.model_id = model;
  settings.system_prompt = "Be kind.";
  settings.sampler_settings = {{"temperature", 0.8}, {"top_p", 0.95}};
  settings.seed = 7;
  const int64_t good = store.create_conversation(settings);
  const int64_t bad = store.create_conversation("bad");
  store.database().exec("UPDATE conversations SET sampler_json = '{\"temperature\": 0.' WHERE id = " +
                        std::to_string(bad));
  const auto list = store.list_conversations();
  REQUIRE(list.size() == 2);
  const Conversation g = store.conversation(good);
  CHECK(g.sampler_settings["temperature"].get<double>() == 0.8);
  CHECK(g.seed == 7);
  CHECK(g.system_prompt == "Be kind.");
  CHECK(g.load_problem.empty());
  REQUIRE(store.model(model).has_value());
  CHECK(store.model(model)->quant == "Q8_0");
  const Conversation b = store.conversation(bad);
  CHECK(b.sampler_settings == nlohmann::json::object());
  CHECK_THAT(b.load_problem, Catch::Contains("sampler settings"));
}

TEST_CASE("Messages form a tree: edits and regenerations are sibling branches", "[storage]") {
  Store store(fresh_db_path("tree"));
  const int64_t conv = store.create_conversation("tree");
  const int64_t q1 = store.add_user_message(conv, "question");
  auto w1 = store.start_assistant_message(conv);
  w1.append("answer one");
  w1.finish({});
  CHECK(contents(store.active_branch(conv)) == std::vector<std::string>{"question", "answer one"});

  // Regenerate: a second answer to the same question becomes active.
  auto w2 = store.start_assistant_message(conv, q1);
  w2.append("answer two");
  w2.finish({});
  CHECK(store.message(w2.message_id()).parent_id == q1);
  CHECK(contents(store.active_branch(conv)) == std::vector<std::string>{"question", "answer two"});
  const int64_t q2 = store.add_user_message(conv, "follow-up");
  CHECK(contents(store.active_branch(conv)) ==
        std::vector<std::string>{"question", "answer two", "follow-up"});

  // Switching back to the first answer, then to the second again, remembers the follow-up below it.
  store.set_active(w1.message_id());
  CHECK(contents(store.active_branch(conv)) == std::vector<std::string>{"question", "answer one"});
  store.set_active(w2.message_id());
  CHECK(contents(store.active_branch(conv)) ==
        std::vector<std::string>{"question", "answer two", "follow-up"});

  // Editing the first question starts a new root branch.
  const int64_t edited = store.edit_message(q1, "better question");
  CHECK(!store.message(edited).parent_id.has_value());
  CHECK(contents(store.active_branch(conv)) == std::vector<std::string>{"better question"});
  store.set_active(q2);
  CHECK(contents(store.active_branch(conv)) ==
        std::vector<std::string>{"question", "answer two", "follow-up"});

  const ConversationTree tree = store.load_conversation(conv);
  CHECK(tree.messages.size() == 5);
  CHECK(tree.active_path == std::vector<int64_t>{q1, w2.message_id(), q2});
  CHECK(tree.children_of(q1).size() == 2);
  CHECK(tree.children_of(std::nullopt).size() == 2);
}

TEST_CASE("Deleting a subtree removes it and the active branch falls back", "[storage]") {
  Store store(fresh_db_path("delete"));
  const int64_t conv = store.create_conversation("d");
  const int64_t q = store.add_user_message(conv, "q");
  const int64_t a1 = store.add_message(conv, q, Role::assistant, "a1");
  const int64_t a2 = store.add_message(conv, q, Role::assistant, "a2");
  int64_t leaf = a2;
  for (int i = 0; i < 50; ++i)
    leaf = store.add_message(conv, leaf, i % 2 ? Role::assistant : Role::user, "x");
  store.delete_message_subtree(a2);
  CHECK(store.load_conversation(conv).messages.size() == 2);
  CHECK(store.active_leaf(conv) == a1);
  CHECK_THROWS_AS(store.message(leaf), NotFoundError);
  CHECK(store.search("a2").empty());
}

TEST_CASE("Deleting a conversation cascades to its messages and comparisons", "[storage]") {
  Store store(fresh_db_path("cascade"));
  const int64_t keep = store.create_conversation("keep");
  store.add_user_message(keep, "kept message");
  const int64_t conv = store.create_conversation("gone");
  int64_t leaf = store.add_user_message(conv, "hello");
  const int64_t left = store.add_message(conv, leaf, Role::assistant, "left");
  const int64_t right = store.add_message(conv, leaf, Role::assistant, "right");
  // A deep chain: deletion must not hit SQLite's trigger/FK recursion limit.
  for (int i = 0; i < 2000; ++i) leaf = store.add_message(conv, leaf, Role::user, "deep");
  Comparison cmp;
  cmp.conversation_id = conv;
  cmp.kind = ComparisonKind::settings;
  cmp.left_root_id = left;
  cmp.right_root_id = right;
  cmp.left_settings = {{"temperature", 0.2}};
  cmp.right_settings = {{"temperature", 1.2}};
  store.create_comparison(cmp);
  REQUIRE(store.comparisons(conv).size() == 1);
  CHECK(store.comparisons(conv)[0].right_settings["temperature"].get<double>() == 1.2);

  store.delete_conversation(conv);
  auto& db = store.database();
  CHECK(db.query_int64("SELECT count(*) FROM messages WHERE conversation_id = " + std::to_string(conv)) == 0);
  CHECK(db.query_int64("SELECT count(*) FROM comparisons") == 0);
  CHECK(db.query_int64("SELECT count(*) FROM messages") == 1);
  CHECK(store.search("hello").empty());
  CHECK(store.search("kept").size() == 1);
}

TEST_CASE("A comparison's roots must belong to its conversation", "[storage]") {
  Store store(fresh_db_path("comparison"));
  const int64_t a = store.create_conversation("a");
  const int64_t b = store.create_conversation("b");
  const int64_t ma = store.add_user_message(a, "in a");
  const int64_t mb = store.add_user_message(b, "in b");
  Comparison cmp;
  cmp.conversation_id = a;
  cmp.left_root_id = ma;
  cmp.right_root_id = mb;
  CHECK_THROWS_AS(store.create_comparison(cmp), StorageError);
}

TEST_CASE("A reader thread and a writer thread use one connection each", "[storage][threads]") {
  const auto path = fresh_db_path("threads");
  Store writer_store(path);
  const int64_t conv = writer_store.create_conversation("threads");
  std::atomic<bool> done{false};
  std::atomic<int64_t> reads{0};
  std::string reader_error;
  size_t final_messages_seen = 0;
  std::thread reader([&] {
    try {
      Store reader_store(path);
      // Keeps reading while the writer streams; every snapshot is a consistent tree whose active path exists.
      for (bool last = false; !last;) {
        last = done;  // one more full read after the writer has finished
        reader_store.list_conversations();
        const ConversationTree tree = reader_store.load_conversation(conv);
        for (int64_t id : tree.active_path)
          if (!tree.find(id))
            throw std::runtime_error("active path names a message missing from the snapshot");
        final_messages_seen = tree.messages.size();
        ++reads;
      }
    } catch (const std::exception& e) {
      reader_error = e.what();
      reads = -1;
    }
  });
  // Start writing once the reader is reading, so the two really overlap.
  while (reads == 0) std::this_thread::yield();
  for (int turn = 0; turn < 20; ++turn) {
    writer_store.add_user_message(conv, "turn " + std::to_string(turn));
    auto w = writer_store.start_assistant_message(conv, std::nullopt,
                                                  StreamPolicy{std::chrono::milliseconds(250), 4, {}});
    for (int t = 0; t < 40; ++t) w.append("tok ");
    w.finish({});
  }
  done = true;
  reader.join();
  CHECK(reader_error.empty());
  CHECK(reads > 1);
  CHECK(final_messages_seen == 40);
  CHECK(writer_store.load_conversation(conv).messages.size() == 40);
}
