// Full-text search: ranking, snippets, and the triggers that keep the index in step.
#include <catch2/catch.hpp>

#include "storage/store.h"
#include "tests/storage/store_test_util.h"

using namespace glasswing::storage;
using glasswing::storage::test::fresh_db_path;

TEST_CASE("Search ranks better matches first and highlights them", "[storage][search]") {
  Store store(fresh_db_path("search-rank"));
  const int64_t a = store.create_conversation("Rust");
  const int64_t b = store.create_conversation("Cooking");
  const int64_t weak = store.add_user_message(
      a,
      "A long message about many things: compilers, borrow checkers, lifetimes, traits, and once, a kettle.");
  const int64_t strong = store.add_user_message(b, "Kettle kettle kettle: which kettle boils fastest?");
  store.add_user_message(b, "Nothing relevant here.");

  SearchOptions options;
  options.open_marker = "<b>";
  options.close_marker = "</b>";
  const auto hits = store.search("kettle", options);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].message_id == strong);
  CHECK(hits[1].message_id == weak);
  CHECK(hits[0].rank <= hits[1].rank);
  CHECK(hits[0].conversation_title == "Cooking");
  CHECK(hits[0].role == Role::user);
  CHECK_THAT(hits[0].snippet, Catch::Contains("<b>Kettle</b>"));
  CHECK_THAT(hits[1].snippet, Catch::Contains("<b>kettle</b>"));

  options.conversation_id = a;
  REQUIRE(store.search("kettle", options).size() == 1);
  CHECK(store.search("kettle boils").size() == 1);  // every word must occur
  CHECK(store.search("KETTLE").size() == 2);        // case-insensitive
}

TEST_CASE("Search input cannot be an FTS syntax error", "[storage][search]") {
  Store store(fresh_db_path("search-syntax"));
  const int64_t conv = store.create_conversation("");
  store.add_user_message(conv, "he said \"hello\" AND left (quickly) - NEAR the door*");
  for (const char* text : {"\"", "AND", "(", "NEAR(", "door*", "-", "a:b", "\"hello\"", "   "}) {
    INFO(text);
    CHECK_NOTHROW(store.search(text));
  }
  CHECK(store.search("\"hello\"").size() == 1);
  CHECK(store.search("AND").size() == 1);  // a word, not an operator
  CHECK(store.search("   ").empty());
  CHECK(fts_query_from_text("say \"hi\"") == "\"say\" \"\"\"hi\"\"\"");
}

TEST_CASE("Streamed text, edits and deletions are searchable at once", "[storage][search]") {
  Store store(fresh_db_path("search-sync"));
  const int64_t conv = store.create_conversation("");
  const int64_t q = store.add_user_message(conv, "tell me about pelicans");
  auto w = store.start_assistant_message(conv);
  w.append("Pelicans have a throat pouch");
  w.flush();
  CHECK(store.search("pouch").size() == 1);  // visible while still streaming
  w.append(" and are excellent swimmers.");
  w.finish({});
  CHECK(store.search("swimmers").size() == 1);
  CHECK(store.search("pouch swimmers").size() == 1);

  store.database().exec("UPDATE messages SET content = 'about herons' WHERE id = " + std::to_string(q));
  CHECK(store.search("pelicans").size() == 1);  // only the answer now
  CHECK(store.search("herons").size() == 1);
  store.delete_message_subtree(q);
  CHECK(store.search("pelicans").empty());
  CHECK(store.search("herons").empty());
  CHECK(store.database().query_int64(
            "SELECT count(*) FROM message_search WHERE message_search MATCH 'pelicans OR herons'") == 0);
}

TEST_CASE("Search finds words with diacritics removed and across Unicode", "[storage][search]") {
  Store store(fresh_db_path("search-unicode"));
  const int64_t conv = store.create_conversation("");
  store.add_user_message(conv, "Le café est très bon à Zürich.");
  CHECK(store.search("cafe").size() == 1);
  CHECK(store.search("zurich").size() == 1);
  CHECK(store.search("Zürich").size() == 1);
}
