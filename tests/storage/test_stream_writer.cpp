// The streaming writer's commit policy (250 ms / 32 tokens) with an injected clock, and how a message ends.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "storage/store.h"
#include "tests/storage/store_test_util.h"

using namespace glasswing::storage;
using glasswing::storage::test::fresh_db_path;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  StreamPolicy policy() {
    StreamPolicy p;
    p.clock = [this] { return now; };
    return p;
  }
};

// What a second connection (another thread or process) sees of the message.
std::string committed_content(const std::filesystem::path& path, int64_t message_id) {
  Database other(path.string(), SQLITE_OPEN_READONLY);
  Statement s = other.prepare("SELECT content FROM messages WHERE id = ?1");
  s.bind_all(message_id);
  REQUIRE(s.step());
  return s.text(0);
}

}  // namespace

TEST_CASE("The writer commits every 32 tokens", "[storage][stream]") {
  const auto path = fresh_db_path("stream-tokens");
  Store store(path);
  const int64_t conv = store.create_conversation("");
  store.add_user_message(conv, "count");
  FakeClock clock;
  auto w = store.start_assistant_message(conv, std::nullopt, clock.policy());
  CHECK(store.message(w.message_id()).status == MessageStatus::streaming);
  for (int i = 0; i < 31; ++i) CHECK_FALSE(w.append("a"));
  CHECK(committed_content(path, w.message_id()).empty());
  CHECK(w.append("b"));  // the 32nd token
  CHECK(committed_content(path, w.message_id()) == std::string(31, 'a') + "b");
  CHECK(w.commits() == 1);
  CHECK(w.committed_tokens() == 32);
  // Several tokens in one delta count as several.
  CHECK(w.append("cc", 32));
  CHECK(w.committed_bytes() == 34);
}

TEST_CASE("The writer commits when 250 ms have passed", "[storage][stream]") {
  const auto path = fresh_db_path("stream-time");
  Store store(path);
  const int64_t conv = store.create_conversation("");
  FakeClock clock;
  auto w = store.start_assistant_message(conv, std::nullopt, clock.policy());
  CHECK_FALSE(w.append("x"));
  clock.now += 249ms;
  CHECK_FALSE(w.append("y"));
  CHECK(committed_content(path, w.message_id()).empty());
  clock.now += 1ms;
  CHECK(w.append("z"));
  CHECK(committed_content(path, w.message_id()) == "xyz");
  clock.now += 100ms;
  CHECK_FALSE(w.append("1"));
  clock.now += 150ms;  // 250 ms since the last commit, not since the first delta
  CHECK(w.append("2"));
  CHECK(committed_content(path, w.message_id()) == "xyz12");
}

TEST_CASE("finish stores timings, device and token count in the same transaction as the last text",
          "[storage][stream]") {
  Store store(fresh_db_path("stream-finish"));
  const int64_t conv = store.create_conversation("");
  FakeClock clock;
  auto w = store.start_assistant_message(conv, std::nullopt, clock.policy());
  w.append("Hello", 1);
  w.append(", world", 2);
  Completion done;
  done.timings = {12.5, 300.0, 42.0};
  done.device = "llvmpipe";
  done.backend = "vulkan";
  w.finish(done);
  const Message m = store.message(w.message_id());
  CHECK(m.content == "Hello, world");
  CHECK(m.status == MessageStatus::complete);
  CHECK(m.token_count == 3);
  CHECK(m.timings == done.timings);
  CHECK(m.device == "llvmpipe");
  CHECK(m.backend == "vulkan");
  CHECK_THROWS_AS(w.append("more"), StorageError);
}

TEST_CASE("fail and interrupt keep the text and record the reason", "[storage][stream]") {
  Store store(fresh_db_path("stream-fail"));
  const int64_t conv = store.create_conversation("");
  auto failed = store.start_assistant_message(conv);
  failed.append("partial");
  failed.fail("out of memory on the GPU");
  Message m = store.message(failed.message_id());
  CHECK(m.status == MessageStatus::error);
  CHECK(m.status_reason == "out of memory on the GPU");
  CHECK(m.content == "partial");

  auto stopped = store.start_assistant_message(conv);
  stopped.append("half");
  stopped.interrupt("stopped by the user");
  m = store.message(stopped.message_id());
  CHECK(m.status == MessageStatus::interrupted);
  CHECK(m.content == "half");
}

TEST_CASE("A writer destroyed before finishing marks its message interrupted", "[storage][stream]") {
  Store store(fresh_db_path("stream-abandon"));
  const int64_t conv = store.create_conversation("");
  int64_t id = 0;
  {
    auto w = store.start_assistant_message(conv);
    w.append("unfinished");
    id = w.message_id();
  }
  const Message m = store.message(id);
  CHECK(m.status == MessageStatus::interrupted);
  CHECK(m.content == "unfinished");
}

TEST_CASE("Opening marks a dead process's streaming message interrupted, but not a live one",
          "[storage][stream]") {
  const auto path = fresh_db_path("stream-reopen");
  int64_t dead = 0, live = 0;
  {
    Store store(path);
    const int64_t conv = store.create_conversation("");
    dead = store.add_message(conv, std::nullopt, Role::assistant, "committed text");
    live = store.add_message(conv, std::nullopt, Role::assistant, "still being written");
    // pid 0x7fffffff cannot exist (above pid_max); ours is alive.
    store.database().exec("UPDATE messages SET status = 'streaming', stream_pid = 2147483647 WHERE id = " +
                          std::to_string(dead));
    store.database().exec("UPDATE messages SET status = 'streaming', stream_pid = " +
                          std::to_string(::getpid()) + " WHERE id = " + std::to_string(live));
  }
  Store reopened(path);
  CHECK(reopened.interrupted_on_open() == 1);
  CHECK(reopened.message(dead).status == MessageStatus::interrupted);
  CHECK(reopened.message(dead).content == "committed text");
  CHECK(reopened.message(live).status == MessageStatus::streaming);
}
