// Export to Markdown and JSON; JSON import rebuilds an identical tree.
#include <catch2/catch.hpp>
#include <map>

#include "storage/export.h"
#include "tests/storage/store_test_util.h"

using namespace glasswing::storage;
using glasswing::storage::test::fresh_db_path;
using nlohmann::json;

namespace {

// A conversation with every kind of field set: branches at the root and below, a remembered choice that is
// not the newest, timings, an error, a streaming message, a comparison, a model.
int64_t build_rich_conversation(Store& store) {
  const int64_t model =
      store.record_model({0, "/models/tiny.gguf", 4096, "deadbeef", "llama", "Q4_0", 260000});
  NewConversation rich;
  rich.title = "Rich — ünïcode";
  rich.model_id = model;
  rich.system_prompt = "You are terse.";
  rich.sampler_settings = {{"temperature", 0.7}, {"top_k", 40}};
  rich.seed = 1234;
  const int64_t conv = store.create_conversation(rich);
  const int64_t q = store.add_user_message(conv, "First question?");
  auto a1 = store.start_assistant_message(conv);
  a1.append("First answer", 2);
  Completion done;
  done.timings = {15.0, 250.5, 33.25};
  done.device = "llvmpipe (LLVM 15.0.6, 256 bits)";
  done.backend = "vulkan";
  a1.finish(done);
  auto a2 = store.start_assistant_message(conv, q);
  a2.append("Second answer, failed");
  a2.fail("device lost");
  const int64_t follow = store.add_message(conv, a1.message_id(), Role::user, "Follow-up on the first");
  auto a3 = store.start_assistant_message(conv, follow);
  a3.append("Still going");
  a3.flush();
  const int64_t edited_root = store.edit_message(q, "Edited first question?");
  store.add_message(conv, edited_root, Role::assistant, "Answer to the edit");
  // The active branch goes back to the first root, then picks the first answer (not the newest).
  store.set_active(a3.message_id());
  Comparison cmp;
  cmp.conversation_id = conv;
  cmp.kind = ComparisonKind::prompts;
  cmp.title = "original vs edit";
  cmp.created_ms = 1700000000000;
  cmp.left_root_id = q;
  cmp.right_root_id = edited_root;
  cmp.left_settings = {{"temperature", 0.7}};
  store.create_comparison(cmp);
  a3.interrupt("stopped by the user");
  return conv;
}

// Compares two trees field by field, matching messages by their position in id order.
void check_identical(Store& store_a, int64_t a, Store& store_b, int64_t b) {
  const ConversationTree ta = store_a.load_conversation(a);
  const ConversationTree tb = store_b.load_conversation(b);
  const Conversation& ca = ta.conversation;
  const Conversation& cb = tb.conversation;
  CHECK(ca.title == cb.title);
  CHECK(ca.created_ms == cb.created_ms);
  CHECK(ca.updated_ms == cb.updated_ms);
  CHECK(ca.pinned == cb.pinned);
  CHECK(ca.system_prompt == cb.system_prompt);
  CHECK(ca.sampler_settings == cb.sampler_settings);
  CHECK(ca.seed == cb.seed);
  REQUIRE(ca.model_id.has_value() == cb.model_id.has_value());
  if (ca.model_id) {
    const auto ma = *store_a.model(*ca.model_id);
    const auto mb = *store_b.model(*cb.model_id);
    CHECK(ma.path == mb.path);
    CHECK(ma.file_size_bytes == mb.file_size_bytes);
    CHECK(ma.header_sha256 == mb.header_sha256);
    CHECK(ma.architecture == mb.architecture);
    CHECK(ma.quant == mb.quant);
    CHECK(ma.n_params == mb.n_params);
  }
  REQUIRE(ta.messages.size() == tb.messages.size());
  std::map<int64_t, int64_t> id_map;  // a's id -> b's id
  for (size_t i = 0; i < ta.messages.size(); ++i) id_map[ta.messages[i].id] = tb.messages[i].id;
  for (size_t i = 0; i < ta.messages.size(); ++i) {
    const Message& ma = ta.messages[i];
    const Message& mb = tb.messages[i];
    INFO("message " << i);
    CHECK((ma.parent_id ? std::optional<int64_t>(id_map.at(*ma.parent_id)) : std::nullopt) == mb.parent_id);
    CHECK(ma.role == mb.role);
    CHECK(ma.content == mb.content);
    CHECK(ma.token_count == mb.token_count);
    CHECK(ma.status == mb.status);
    CHECK(ma.status_reason == mb.status_reason);
    CHECK(ma.created_ms == mb.created_ms);
    CHECK(ma.timings == mb.timings);
    CHECK(ma.device == mb.device);
    CHECK(ma.backend == mb.backend);
  }
  std::vector<int64_t> mapped_path;
  for (int64_t id : ta.active_path) mapped_path.push_back(id_map.at(id));
  CHECK(mapped_path == tb.active_path);
  const auto cmp_a = store_a.comparisons(a);
  const auto cmp_b = store_b.comparisons(b);
  REQUIRE(cmp_a.size() == cmp_b.size());
  for (size_t i = 0; i < cmp_a.size(); ++i) {
    CHECK(cmp_a[i].kind == cmp_b[i].kind);
    CHECK(cmp_a[i].title == cmp_b[i].title);
    CHECK(cmp_a[i].created_ms == cmp_b[i].created_ms);
    CHECK(id_map.at(cmp_a[i].left_root_id) == cmp_b[i].left_root_id);
    CHECK(id_map.at(cmp_a[i].right_root_id) == cmp_b[i].right_root_id);
    CHECK(cmp_a[i].left_settings == cmp_b[i].left_settings);
    CHECK(cmp_a[i].right_settings == cmp_b[i].right_settings);
  }
  // Every remembered branch choice, not only the active path: switching at each fork gives the same result.
  for (size_t i = 0; i < ta.messages.size(); ++i) {
    const auto choice_a = store_a.stored_active_child(ta.messages[i].id);
    const auto choice_b = store_b.stored_active_child(tb.messages[i].id);
    CHECK((choice_a ? std::optional<int64_t>(id_map.at(*choice_a)) : std::nullopt) == choice_b);
  }
}

}  // namespace

TEST_CASE("Export then import of the whole tree yields an identical tree", "[storage][export]") {
  Store source(fresh_db_path("export-source"));
  const int64_t conv = build_rich_conversation(source);
  const json exported = export_json(source, conv, ExportBranches::all);
  // Through text, as a file would carry it.
  const json reread = json::parse(exported.dump(2));

  Store target(fresh_db_path("export-target"));
  target.create_conversation("already here");  // ids in the target differ from the source's
  const int64_t imported = import_json(target, reread);
  check_identical(source, conv, target, imported);
}

TEST_CASE("Exporting the active branch only keeps that path", "[storage][export]") {
  Store store(fresh_db_path("export-active"));
  const int64_t conv = build_rich_conversation(store);
  const json exported = export_json(store, conv, ExportBranches::active);
  CHECK(exported["branches"] == "active");
  REQUIRE(exported["messages"].size() == 4);
  CHECK(exported["messages"][0]["content"] == "First question?");
  CHECK(exported["messages"][3]["status"] == "interrupted");
  CHECK(exported["comparisons"].empty());  // its right branch is not exported
  const int64_t imported = import_json(store, exported);
  const auto branch = store.active_branch(imported);
  REQUIRE(branch.size() == 4);
  CHECK(branch[1].content == "First answer");
  CHECK(branch[3].content == "Still going");
}

TEST_CASE("Markdown export shows the active branch or every branch", "[storage][export]") {
  Store store(fresh_db_path("export-md"));
  const int64_t conv = build_rich_conversation(store);
  const std::string active = export_markdown(store, conv, ExportBranches::active);
  CHECK_THAT(active, Catch::StartsWith("# Rich — ünïcode\n"));
  CHECK_THAT(active, Catch::Contains("## System prompt\n\nYou are terse."));
  CHECK_THAT(active,
             Catch::Contains("### Assistant <small>(2 tokens · first token 15 ms · prompt 250.5 t/s · "
                             "generation 33.2 t/s · vulkan on llvmpipe"));
  CHECK_THAT(active, Catch::Contains("> *interrupted: stopped by the user*"));
  CHECK_THAT(active, !Catch::Contains("Second answer"));
  CHECK_THAT(active, !Catch::Contains("Edited first question"));
  const std::string all = export_markdown(store, conv, ExportBranches::all);
  CHECK_THAT(all, Catch::Contains("### User [branch 2] (inactive)\n\nEdited first question?"));
  CHECK_THAT(all, Catch::Contains("### Assistant [branch 1.2] (inactive) <small>(1 token)</small>\n\n"
                                  "Second answer, failed"));
  CHECK_THAT(all, Catch::Contains("> *error: device lost*"));
  // Depth first: the first answer's follow-up comes before the second answer.
  CHECK(all.find("Follow-up on the first") < all.find("Second answer, failed"));
}

TEST_CASE("Import rejects malformed documents with a precise message and writes nothing",
          "[storage][export]") {
  Store store(fresh_db_path("import-bad"));
  const int64_t conv = build_rich_conversation(store);
  const json good = export_json(store, conv, ExportBranches::all);
  const int64_t n_before = store.database().query_int64("SELECT count(*) FROM messages");

  json bad = good;
  bad["messages"][2].erase("role");
  CHECK_THROWS_WITH(import_json(store, bad), Catch::Contains("messages[2]: missing field 'role'"));
  bad = good;
  bad["messages"][1]["parent"] = 999999;
  CHECK_THROWS_WITH(import_json(store, bad), Catch::Contains("parent 999999 does not come before it"));
  bad = good;
  bad["format_version"] = 2;
  CHECK_THROWS_WITH(import_json(store, bad), Catch::Contains("unsupported format_version 2"));
  bad = good;
  bad["conversation"]["pinned"] = "yes";
  CHECK_THROWS_WITH(import_json(store, bad), Catch::Contains("'pinned' must be true or false"));
  bad = good;
  bad["messages"][0]["active_child"] = good["messages"][0]["id"];
  CHECK_THROWS_WITH(import_json(store, bad), Catch::Contains("is not a child message"));
  CHECK_THROWS_WITH(import_json(store, json::array()), Catch::Contains("not a JSON object"));

  CHECK(store.database().query_int64("SELECT count(*) FROM messages") == n_before);
  CHECK(store.list_conversations().size() == 1);
}
