// Every migration, run on a checked-in database of the version before it (tests/storage/fixtures/).
#include <catch2/catch.hpp>

#include "storage/schema.h"
#include "storage/store.h"
#include "tests/storage/store_test_util.h"

using namespace glasswing::storage;
using glasswing::storage::test::fresh_db_path;
namespace fs = std::filesystem;

namespace {

// A writable copy of a fixture (the checked-in file itself is never opened for writing).
fs::path copy_fixture(const std::string& name, const std::string& test_name) {
  const fs::path source = fs::path(GLASSWING_STORAGE_FIXTURES) / name;
  REQUIRE(fs::exists(source));
  const fs::path target = fresh_db_path(test_name);
  fs::copy_file(source, target);
  return target;
}

// The rows every fixture holds (see make_fixtures.cpp), as the current API reads them.
void check_fixture_rows(Store& store) {
  const auto list = store.list_conversations();
  REQUIRE(list.size() == 2);
  const Conversation& otters = list[0].conversation;  // pinned
  CHECK(otters.title == "Otters");
  CHECK(otters.pinned);
  CHECK(otters.seed == 42);
  CHECK(otters.system_prompt == "Be brief.");
  CHECK(otters.sampler_settings["top_k"].get<int>() == 40);
  REQUIRE(otters.model_id.has_value());
  CHECK(store.model(*otters.model_id)->architecture == "llama");
  CHECK(list[0].n_messages == 3);

  const Conversation& broken = list[1].conversation;
  CHECK(broken.title == "Broken settings");
  CHECK_FALSE(broken.load_problem.empty());

  const auto branch = store.active_branch(otters.id);
  REQUIRE(branch.size() == 2);
  CHECK(branch[1].content == "In kelp forests, wrapped in kelp so they do not drift.");
  CHECK(branch[1].status == MessageStatus::interrupted);
  CHECK(branch[1].status_reason == "stopped by the user");
  const Message first_answer = store.message(2);
  CHECK(first_answer.timings.generation_tokens_per_s == 41.25);
  CHECK(first_answer.backend == "vulkan");
}

}  // namespace

TEST_CASE("Migration 2 (search) indexes the messages of a version 1 database", "[storage][migration]") {
  const fs::path path = copy_fixture("v1.sqlite", "migrate-v1");
  {
    Database db(path.string(), SQLITE_OPEN_READWRITE);
    REQUIRE(db.query_int64("PRAGMA user_version") == 1);
    migrate(db, 2);
    CHECK(db.query_int64("PRAGMA user_version") == 2);
    CHECK(db.query_int64("SELECT count(*) FROM message_search WHERE message_search MATCH 'kelp'") == 1);
    CHECK(db.query_text("PRAGMA integrity_check") == "ok");
  }
  Store store(path);  // and on to the current version
  CHECK(store.database().query_int64("PRAGMA user_version") == current_schema_version());
  check_fixture_rows(store);
  const auto hits = store.search("otters sleep");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].message_id == 1);
}

TEST_CASE("Migration 3 (comparisons) upgrades a version 2 database", "[storage][migration]") {
  const fs::path path = copy_fixture("v2.sqlite", "migrate-v2");
  {
    Database db(path.string(), SQLITE_OPEN_READWRITE);
    REQUIRE(db.query_int64("PRAGMA user_version") == 2);
    migrate(db, 3);
    CHECK(db.query_int64("PRAGMA user_version") == 3);
  }
  Store store(path);
  check_fixture_rows(store);
  CHECK(store.search("paws").size() == 1);
  Comparison cmp;
  cmp.conversation_id = 1;
  cmp.left_root_id = 2;
  cmp.right_root_id = 3;
  store.create_comparison(cmp);
  CHECK(store.comparisons(1).size() == 1);
}

TEST_CASE("A fresh database and a migrated one have the same schema", "[storage][migration]") {
  auto schema_of = [](Database& db) {
    Statement s = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name");
    std::vector<std::string> rows;
    while (s.step()) rows.push_back(s.text(0) + "|" + s.text(1) + "|" + s.text(2) + "|" + s.text(3));
    return rows;
  };
  Store fresh(fresh_db_path("schema-fresh"));
  Store migrated(copy_fixture("v1.sqlite", "schema-migrated"));
  CHECK(schema_of(fresh.database()) == schema_of(migrated.database()));
}

TEST_CASE("Migrations are numbered without gaps and the fixtures cover every old version",
          "[storage][migration]") {
  int expected = 1;
  for (const Migration& m : migrations()) CHECK(m.version == expected++);
  for (int version = 1; version < current_schema_version(); ++version)
    CHECK(fs::exists(fs::path(GLASSWING_STORAGE_FIXTURES) / ("v" + std::to_string(version) + ".sqlite")));
}
