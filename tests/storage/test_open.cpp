// Opening files that are newer, foreign or corrupt.
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "storage/schema.h"
#include "storage/store.h"
#include "tests/storage/store_test_util.h"

using namespace glasswing::storage;
using glasswing::storage::test::fresh_db_path;
namespace fs = std::filesystem;

namespace {

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("A database from a newer version is refused and left untouched", "[storage][open]") {
  const auto path = fresh_db_path("newer");
  {
    Store store(path);
    store.create_conversation("from the future");
    store.database().exec("PRAGMA user_version = " + std::to_string(current_schema_version() + 1));
    store.database().exec("PRAGMA journal_mode = DELETE");  // a self-contained file, no -wal beside it
  }
  const std::string before = glasswing::test::read_file(path);
  const auto files_before = files_in(path.parent_path());
  try {
    Store store(path);
    FAIL("a newer database was opened");
  } catch (const NewerDatabaseError& e) {
    CHECK_THAT(e.what(), Catch::Contains("newer Glasswing"));
    CHECK_THAT(e.what(), Catch::Contains("schema version " + std::to_string(current_schema_version() + 1)));
  }
  CHECK(glasswing::test::read_file(path) == before);
  CHECK(files_in(path.parent_path()) == files_before);
}

TEST_CASE("Another program's database is refused and left untouched", "[storage][open]") {
  const auto path = fresh_db_path("foreign");
  {
    Database db(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("CREATE TABLE bookmarks (url TEXT)");
  }
  const std::string before = glasswing::test::read_file(path);
  CHECK_THROWS_WITH(Store(path), Catch::Contains("not a Glasswing database"));
  CHECK(glasswing::test::read_file(path) == before);
}

TEST_CASE("A corrupt file is moved aside, byte for byte, and a fresh database replaces it",
          "[storage][open]") {
  const auto path = fresh_db_path("corrupt");
  {
    Store store(path);
    const int64_t conv = store.create_conversation("precious");
    for (int i = 0; i < 200; ++i) store.add_user_message(conv, std::string(500, 'a' + i % 26));
    store.database().exec("PRAGMA journal_mode = DELETE");
  }
  // Scribble over the middle of the file (the b-tree pages), keeping the header valid.
  std::string bytes = glasswing::test::read_file(path);
  REQUIRE(bytes.size() > 8192);
  for (size_t i = 4096 + 100; i < bytes.size() - 1024; i += 7) bytes[i] = static_cast<char>(i * 31);
  write_bytes(path, bytes);

  Store store(path);
  REQUIRE(store.recovery().has_value());
  INFO(store.recovery()->problem);
  const fs::path preserved = store.recovery()->preserved_path;
  CHECK(preserved.parent_path() == path.parent_path());
  CHECK_THAT(preserved.filename().string(), Catch::StartsWith("glasswing.sqlite.corrupt-"));
  CHECK(glasswing::test::read_file(preserved) == bytes);
  CHECK(store.list_conversations().empty());
  CHECK(store.database().query_text("PRAGMA integrity_check") == "ok");
  store.create_conversation("fresh start");  // the new file works
}

TEST_CASE("A file that is not SQLite at all is treated as corrupt and kept", "[storage][open]") {
  const auto path = fresh_db_path("garbage");
  const std::string garbage = "this is a text file, not a database\n" + std::string(5000, 'x');
  write_bytes(path, garbage);
  Store store(path);
  REQUIRE(store.recovery().has_value());
  CHECK(glasswing::test::read_file(store.recovery()->preserved_path) == garbage);
}

TEST_CASE("Corruption recovery can be turned off, and a missing file need not be created",
          "[storage][open]") {
  const auto path = fresh_db_path("no-recover");
  write_bytes(path, std::string(4096, '\x01'));
  OpenOptions strict;
  strict.recover_from_corruption = false;
  CHECK_THROWS_AS(Store(path, strict), StorageError);
  CHECK(glasswing::test::read_file(path) == std::string(4096, '\x01'));

  OpenOptions existing_only;
  existing_only.create_if_missing = false;
  const auto missing = path.parent_path() / "missing.sqlite";
  CHECK_THROWS_WITH(Store(missing, existing_only), Catch::Contains("no database"));
  CHECK_FALSE(fs::exists(missing));
}

TEST_CASE("Two stores on one file both see each other's commits", "[storage][open]") {
  const auto path = fresh_db_path("two");
  Store first(path);
  Store second(path);
  const int64_t conv = first.create_conversation("shared");
  second.add_user_message(conv, "from the second connection");
  CHECK(first.active_branch(conv).size() == 1);
  CHECK(second.conversation(conv).title == "shared");
}

// The app's store thread and its inference worker each open the database as the app starts. On a new file
// one of them used to fail at once ("PRAGMA journal_mode = WAL": database is locked) or to read an empty
// header beside a just-created schema ("not a Glasswing database"): the worker then never started.
TEST_CASE("Two stores opening a new file at the same moment both open it", "[storage][open]") {
  for (int round = 0; round < 150; ++round) {
    const auto path = fresh_db_path("race");
    std::atomic<bool> go{false};
    std::string errors[2];
    auto open_it = [&](int k) {
      while (!go.load()) {
      }
      try {
        Store store(path);  // (Catch's assertions are not for other threads: errors are collected)
        if (!store.list_conversations().empty()) errors[k] = "a new database has conversations";
      } catch (const std::exception& e) {
        errors[k] = e.what();
      }
    };
    std::thread a(open_it, 0), b(open_it, 1);
    go = true;
    a.join();
    b.join();
    INFO("round " << round);
    CHECK(errors[0].empty());
    CHECK(errors[1].empty());
    REQUIRE(files_in(path.parent_path()).size() <= 3);  // the file, its -wal and -shm: nothing moved aside
    if (!errors[0].empty() || !errors[1].empty()) break;
  }
}
