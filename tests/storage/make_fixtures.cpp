// Writes the fixture databases of tests/storage/fixtures/: one file per old schema version, built by running
// the migrations up to that version and filling it with the rows that version could hold, using that
// version's columns only. Run once when a migration is added (scripts: see tests/storage/fixtures/README.md);
// the files are checked in so every later build migrates the very same bytes.
//
//   make_fixtures OUTPUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "storage/export.h"
#include "storage/schema.h"
#include "storage/sqlite.h"
#include "storage/store.h"

namespace {

using namespace glasswing::storage;

// Version 1: a conversation with a branch (two answers to one question), a bad-settings conversation, a
// model.
void fill_v1(Database& db) {
  db.exec(R"sql(
INSERT INTO models (id, path, file_size, header_sha256, architecture, quant, n_params, first_seen_ms, last_seen_ms)
  VALUES (1, '/models/tiny.gguf', 1048576, 'ab12cd34', 'llama', 'Q4_K_M', 260000, 1700000000000, 1700000000000);
INSERT INTO conversations (id, title, created_ms, updated_ms, pinned, model_id, system_prompt, sampler_json, seed,
                           active_root_id)
  VALUES (1, 'Otters', 1700000000000, 1700000100000, 1, 1, 'Be brief.', '{"temperature":0.7,"top_k":40}', 42, 1),
         (2, 'Broken settings', 1700000200000, 1700000200000, 0, NULL, '', '{not json', NULL, NULL);
INSERT INTO messages (id, conversation_id, parent_id, active_child_id, role, content, token_count, status,
                      status_reason, created_ms, ttft_ms, prompt_tps, generation_tps, device, backend, stream_pid)
  VALUES (1, 1, NULL, 3, 'user', 'Where do sea otters sleep?', 7, 'complete', '', 1700000000000,
          NULL, NULL, NULL, '', '', NULL),
         (2, 1, 1, NULL, 'assistant', 'Floating on their backs, holding paws.', 9, 'complete', '', 1700000001000,
          120.5, 350.0, 41.25, 'llvmpipe', 'vulkan', NULL),
         (3, 1, 1, NULL, 'assistant', 'In kelp forests, wrapped in kelp so they do not drift.', 13, 'interrupted',
          'stopped by the user', 1700000002000, 98.0, 360.0, 40.0, 'CPU', 'cpu', NULL),
         (4, 2, NULL, NULL, 'user', 'This conversation has invalid sampler settings.', 8, 'complete', '',
          1700000200000, NULL, NULL, NULL, '', '', NULL);
)sql");
}

// Version 2 adds search only; the rows are those of version 1.
void fill_v2(Database& db) {
  fill_v1(db);
}

void write_fixture(const std::filesystem::path& path, int version, void (*fill)(Database&)) {
  std::filesystem::remove(path);
  {
    Database db(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    migrate(db, version);
    Transaction tx(db);
    fill(db);
    tx.commit();
    // A checked-in file must be self-contained: no -wal beside it.
    db.exec("VACUUM");
  }
  std::printf("wrote %s (schema version %d)\n", path.c_str(), version);
}

// conversation.json: an export (all branches) of a conversation with a regenerated answer, an edited question
// and timings, from a fresh database, so its message ids are 1..n. The CLI test imports it into a fresh
// database and expects the very same bytes back from export.
void write_conversation_json(const std::filesystem::path& path, const std::filesystem::path& scratch) {
  std::filesystem::remove(scratch);
  Store store(scratch);
  NewConversation nc;
  nc.title = "Sea otters";
  nc.system_prompt = "Answer in one sentence.";
  nc.sampler_settings = {{"temperature", 0.7}, {"top_k", 40}, {"top_p", 0.95}};
  nc.seed = 42;
  const int64_t conv = store.create_conversation(nc);
  const int64_t q = store.add_user_message(conv, "Where do sea otters sleep?");
  Completion done;
  done.timings = {120.5, 350.0, 41.25};
  done.device = "llvmpipe";
  done.backend = "vulkan";
  auto a1 = store.start_assistant_message(conv);
  a1.append("Floating on their backs, often holding paws.", 9);
  a1.finish(done);
  auto a2 = store.start_assistant_message(conv, q);
  a2.append("Wrapped in kelp, so the current does not carry them off.", 12);
  a2.finish(done);
  store.add_user_message(conv, "Why do they hold paws?");
  store.edit_message(q, "Where do otters sleep at night?");
  store.set_active(a1.message_id());
  // Fixed times, so the file does not change each time it is regenerated.
  store.database().exec("UPDATE messages SET created_ms = 1700000000000 + id * 1000");
  store.database().exec("UPDATE conversations SET created_ms = 1700000000000, updated_ms = 1700000009000");
  std::ofstream out(path);
  out << export_json(store, conv, ExportBranches::all).dump(2) << "\n";
  std::printf("wrote %s\n", path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fixtures OUTPUT_DIR\n");
    return 2;
  }
  try {
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    write_fixture(dir / "v1.sqlite", 1, fill_v1);
    write_fixture(dir / "v2.sqlite", 2, fill_v2);
    write_conversation_json(dir / "conversation.json",
                            std::filesystem::temp_directory_path() / "gw-fixture.sqlite");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_fixtures: %s\n", e.what());
    return 1;
  }
  return 0;
}
