#include "storage/store.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <ctime>
#include <system_error>
#include <thread>

#include "storage/schema.h"

namespace glasswing::storage {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ---------------------------------------------------------------- opening

void set_busy_timeout(Database& db, int timeout_ms) {
  if (const int rc = sqlite3_busy_timeout(db.handle(), timeout_ms); rc != SQLITE_OK)
    throw StorageError("cannot set the busy timeout: " + describe_error(db.handle(), rc), rc);
}

// Reads the file through a read-only connection, so nothing is written to a file we are about to refuse or
// move aside (a read-write connection would at least checkpoint a WAL on close). Throws StorageError.
void verify_existing_file(const fs::path& path, int busy_timeout_ms) {
  Database db(path.string(), SQLITE_OPEN_READONLY);
  set_busy_timeout(db, busy_timeout_ms);
  // One read transaction, so that the header and the schema are read from the same state: another connection
  // may be creating the database right now, and an empty file's application_id with the schema committed just
  // after it read as "not a Glasswing database" (3 in 300 simultaneous opens of a new file). Closing the
  // connection ends it on any throw.
  db.exec("BEGIN");
  const int64_t application_id = db.query_int64("PRAGMA application_id");
  const int64_t version = db.query_int64("PRAGMA user_version");
  if (application_id != kApplicationId) {
    const int64_t n_objects = db.query_int64("SELECT count(*) FROM sqlite_schema");
    if (application_id != 0 || version != 0 || n_objects != 0)
      throw StorageError(path.string() + " is not a Glasswing database (application_id " +
                         std::to_string(application_id) + ", " + std::to_string(n_objects) +
                         " schema objects); it was left untouched");
  }
  if (version > current_schema_version())
    throw NewerDatabaseError(path.string() + " was written by a newer Glasswing (schema version " +
                             std::to_string(version) + ", this version understands up to " +
                             std::to_string(current_schema_version()) +
                             "); it was left untouched. Update Glasswing to open it.");
  std::string problems;
  {
    Statement check = db.prepare("PRAGMA quick_check");
    while (check.step()) {
      const std::string line = check.text(0);
      if (line == "ok") break;
      if (!problems.empty()) problems += "; ";
      problems += line;
    }
  }
  if (!problems.empty()) throw StorageError("quick_check failed: " + problems, SQLITE_CORRUPT);
  db.exec("COMMIT");
}

std::string utc_timestamp() {
  return format_utc(int64_t{std::time(nullptr)} * 1000, "%Y%m%dT%H%M%SZ");
}

// Renames FILE (and FILE-wal, FILE-shm) to FILE.corrupt-TIMESTAMP[-N]; returns the new name of FILE.
fs::path move_aside(const fs::path& path) {
  const std::string stem = path.string() + ".corrupt-" + utc_timestamp();
  fs::path target = stem;
  for (int n = 2; fs::exists(target) || fs::exists(target.string() + "-wal"); ++n)
    target = stem + "-" + std::to_string(n);
  std::error_code ec;
  fs::rename(path, target, ec);
  if (ec)
    throw StorageError(path.string() + " is corrupt and could not be moved aside to " + target.string() +
                       ": " + ec.message());
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const fs::path side = path.string() + suffix;
    if (fs::exists(side)) fs::rename(side, target.string() + suffix, ec);  // best effort: the main file moved
  }
  return target;
}

// PRAGMA journal_mode = WAL, retried while the file is locked: SQLite takes the lock that switch needs
// without calling the busy handler, so when two connections open a new file at the same moment (the app's
// store thread and its inference worker do at start-up) one of them got SQLITE_BUSY at once — in 43 of 300
// tries — and the worker never started. Retried until the busy timeout, as any other lock wait.
std::string switch_to_wal(Database& db, int busy_timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    try {
      return db.query_text("PRAGMA journal_mode = WAL");
    } catch (const StorageError& e) {
      if ((e.sqlite_code() & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Database open_read_write(const fs::path& path, const OpenOptions& options) {
  int flags = SQLITE_OPEN_READWRITE;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  Database db(path.string(), flags);
  set_busy_timeout(db, options.busy_timeout_ms);
  const std::string journal_mode = switch_to_wal(db, options.busy_timeout_ms);
  if (journal_mode != "wal")
    throw StorageError("cannot switch " + path.string() + " to WAL mode (journal_mode is " + journal_mode +
                       ")");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  if (db.query_int64("PRAGMA foreign_keys") != 1)
    throw StorageError("this SQLite cannot enforce foreign keys");
  migrate(db);
  return db;
}

Database open_database(const fs::path& path, const OpenOptions& options,
                       std::optional<CorruptionRecovery>& recovery) {
  if (!fs::exists(path)) {
    if (!options.create_if_missing) throw StorageError("no database at " + path.string(), SQLITE_CANTOPEN);
    return open_read_write(path, options);
  }
  try {
    verify_existing_file(path, options.busy_timeout_ms);
    return open_read_write(path, options);
  } catch (const NewerDatabaseError&) {
    throw;
  } catch (const StorageError& e) {
    if (!e.is_corruption() || !options.recover_from_corruption) throw;
    recovery = CorruptionRecovery{e.what(), move_aside(path)};
    OpenOptions fresh = options;
    fresh.create_if_missing = true;  // the user had a database here; they get a working one back
    return open_read_write(path, fresh);
  }
}

bool process_alive(int64_t pid) {
  if (pid <= 0) return false;
  if (pid == ::getpid()) return true;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

json parse_settings(const std::string& text, const char* what, std::string& problem) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) {
    if (!problem.empty()) problem += "; ";
    problem += std::string(what) + " are not a JSON object; defaults are used";
    return json::object();
  }
  return value;
}

constexpr const char* kConversationColumns =
    "c.id, c.title, c.created_ms, c.updated_ms, c.pinned, c.model_id, c.system_prompt, c.sampler_json, "
    "c.seed";

Conversation read_conversation(const Statement& row) {
  Conversation c;
  c.id = row.int64(0);
  c.title = row.text(1);
  c.created_ms = row.int64(2);
  c.updated_ms = row.int64(3);
  c.pinned = row.int64(4) != 0;
  c.model_id = row.optional_int64(5);
  c.system_prompt = row.text(6);
  c.sampler_settings = parse_settings(row.text(7), "sampler settings", c.load_problem);
  c.seed = row.optional_int64(8);
  return c;
}

constexpr const char* kMessageColumns =
    "m.id, m.conversation_id, m.parent_id, m.role, m.content, m.token_count, m.status, m.status_reason, "
    "m.created_ms, m.ttft_ms, m.prompt_tps, m.generation_tps, m.device, m.backend";

Message read_message(const Statement& row) {
  Message m;
  m.id = row.int64(0);
  m.conversation_id = row.int64(1);
  m.parent_id = row.optional_int64(2);
  // The CHECK constraints make other values impossible in a healthy file.
  m.role = role_from_string(row.text(3)).value_or(Role::user);
  m.content = row.text(4);
  m.token_count = row.int64(5);
  m.status = status_from_string(row.text(6)).value_or(MessageStatus::error);
  m.status_reason = row.text(7);
  m.created_ms = row.int64(8);
  m.timings.time_to_first_token_ms = row.optional_real(9);
  m.timings.prompt_tokens_per_s = row.optional_real(10);
  m.timings.generation_tokens_per_s = row.optional_real(11);
  m.device = row.text(12);
  m.backend = row.text(13);
  return m;
}

// The active branch is the path from a root to conversations.active_leaf_id. The leaf is kept up to date by
// every write, so appending and loading cost no walk over the tree. Where it must be recomputed (after a
// delete, a switch of branch, an import), it is found from the choices: the remembered root (or the newest
// root), then each message's remembered child (or its newest child). Remembered ids that dangle fall back.
constexpr const char* kActiveRootSql = R"sql(
SELECT coalesce(
         (SELECT r.id FROM messages r
           WHERE r.id = c.active_root_id AND r.conversation_id = c.id AND r.parent_id IS NULL),
         (SELECT max(r.id) FROM messages r WHERE r.parent_id IS NULL AND r.conversation_id = c.id))
  FROM conversations c WHERE c.id = ?1)sql";

constexpr const char* kDescendSql = R"sql(
WITH RECURSIVE path(id, depth) AS (
  SELECT ?1, 0
  UNION ALL
  SELECT coalesce(
           (SELECT k.id FROM messages k WHERE k.id = p.active_child_id AND k.parent_id = p.id),
           (SELECT max(k.id) FROM messages k WHERE k.parent_id = p.id)), path.depth + 1
    FROM path JOIN messages p ON p.id = path.id
)
SELECT id FROM path WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1)sql";

// The stored leaf, if it is still a childless message of the conversation.
constexpr const char* kStoredLeafSql = R"sql(
SELECT m.id FROM conversations c JOIN messages m ON m.id = c.active_leaf_id AND m.conversation_id = c.id
 WHERE c.id = ?1 AND NOT EXISTS (SELECT 1 FROM messages k WHERE k.parent_id = m.id))sql";

// Root first.
constexpr const char* kAncestorsSql = R"sql(
WITH RECURSIVE up(id, parent_id, depth) AS (
  SELECT id, parent_id, 0 FROM messages WHERE id = ?1
  UNION ALL
  SELECT m.id, m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.parent_id
)
SELECT id, parent_id FROM up ORDER BY depth DESC)sql";

}  // namespace

// ---------------------------------------------------------------- Store

Store::Store(const fs::path& path, const OpenOptions& options)
    : path_(path), db_(open_database(path, options, recovery_)) {
  mark_abandoned_streams();
}

void Store::mark_abandoned_streams() {
  std::vector<int64_t> abandoned;
  {
    Statement rows = db_.prepare("SELECT id, stream_pid FROM messages WHERE status = 'streaming'");
    while (rows.step())
      if (!process_alive(rows.optional_int64(1).value_or(0))) abandoned.push_back(rows.int64(0));
  }
  if (abandoned.empty()) return;
  Transaction tx(db_);
  auto mark = db_.cached(
      "UPDATE messages SET status = 'interrupted', "
      "status_reason = 'Glasswing stopped while this message was being written', stream_pid = NULL "
      "WHERE id = ?1 AND status = 'streaming'");
  for (int64_t id : abandoned) {
    mark->bind_all(id).run();
    interrupted_on_open_ += db_.changes();
    mark->reset();
  }
  tx.commit();
}

void Store::touch(int64_t conversation_id) {
  db_.cached("UPDATE conversations SET updated_ms = ?1 WHERE id = ?2")
      ->bind_all(now_unix_ms(), conversation_id)
      .run();
}

void Store::require_conversation(int64_t conversation_id) {
  auto stmt = db_.cached("SELECT 1 FROM conversations WHERE id = ?1");
  if (!stmt->bind_all(conversation_id).step())
    throw NotFoundError("no conversation with id " + std::to_string(conversation_id));
}

int64_t Store::record_model(const ModelRecord& model) {
  Transaction tx(db_);
  const int64_t now = now_unix_ms();
  auto stmt = db_.cached(
      "INSERT INTO models (path, file_size, header_sha256, architecture, quant, n_params, first_seen_ms, "
      "last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) "
      "ON CONFLICT (path, header_sha256) DO UPDATE SET last_seen_ms = excluded.last_seen_ms, "
      "file_size = excluded.file_size, architecture = excluded.architecture, quant = excluded.quant, "
      "n_params = excluded.n_params "
      "RETURNING id");
  stmt->bind_all(model.path, model.file_size_bytes, model.header_sha256, model.architecture, model.quant,
                 model.n_params, now);
  if (!stmt->step()) throw StorageError("recording model " + model.path + " returned no id");
  const int64_t id = stmt->int64(0);
  stmt->run();
  tx.commit();
  return id;
}

std::optional<ModelRecord> Store::model(int64_t model_id) {
  auto stmt = db_.cached(
      "SELECT id, path, file_size, header_sha256, architecture, quant, n_params FROM models WHERE id = ?1");
  if (!stmt->bind_all(model_id).step()) return std::nullopt;
  return ModelRecord{stmt->int64(0), stmt->text(1), stmt->int64(2), stmt->text(3),
                     stmt->text(4),  stmt->text(5), stmt->int64(6)};
}

int64_t Store::create_conversation(const NewConversation& conversation) {
  Conversation c;
  c.title = conversation.title;
  c.created_ms = c.updated_ms = now_unix_ms();
  c.model_id = conversation.model_id;
  c.system_prompt = conversation.system_prompt;
  c.sampler_settings = conversation.sampler_settings;
  c.seed = conversation.seed;
  Transaction tx(db_);
  const int64_t id = insert_conversation_verbatim(c);
  tx.commit();
  return id;
}

int64_t Store::insert_conversation_verbatim(const Conversation& c) {
  if (!c.sampler_settings.is_object()) throw StorageError("sampler settings must be a JSON object");
  auto stmt = db_.cached(
      "INSERT INTO conversations (title, created_ms, updated_ms, pinned, model_id, system_prompt, "
      "sampler_json, "
      "seed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  stmt->bind_all(c.title, c.created_ms, c.updated_ms, c.pinned, c.model_id, c.system_prompt,
                 c.sampler_settings.dump(-1, ' ', false, json::error_handler_t::replace), c.seed)
      .run();
  return db_.last_insert_rowid();
}

int64_t Store::create_conversation(std::string_view title) {
  NewConversation conversation;
  conversation.title = std::string(title);
  return create_conversation(conversation);
}

Conversation Store::conversation(int64_t conversation_id) {
  auto stmt =
      db_.cached(std::string("SELECT ") + kConversationColumns + " FROM conversations c WHERE c.id = ?1");
  if (!stmt->bind_all(conversation_id).step())
    throw NotFoundError("no conversation with id " + std::to_string(conversation_id));
  return read_conversation(*stmt);
}

std::vector<ConversationSummary> Store::list_conversations() {
  auto stmt = db_.cached(std::string("SELECT ") + kConversationColumns +
                         ", (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) "
                         "FROM conversations c ORDER BY c.pinned DESC, c.updated_ms DESC, c.id DESC");
  std::vector<ConversationSummary> out;
  while (stmt->step()) out.push_back({read_conversation(*stmt), stmt->int64(9)});
  return out;
}

void Store::rename_conversation(int64_t conversation_id, std::string_view title) {
  Transaction tx(db_);
  db_.cached("UPDATE conversations SET title = ?1 WHERE id = ?2")->bind_all(title, conversation_id).run();
  if (db_.changes() != 1) throw NotFoundError("no conversation with id " + std::to_string(conversation_id));
  tx.commit();
}

void Store::set_pinned(int64_t conversation_id, bool pinned) {
  Transaction tx(db_);
  db_.cached("UPDATE conversations SET pinned = ?1 WHERE id = ?2")->bind_all(pinned, conversation_id).run();
  if (db_.changes() != 1) throw NotFoundError("no conversation with id " + std::to_string(conversation_id));
  tx.commit();
}

void Store::set_sampler_settings(int64_t conversation_id, const json& settings) {
  if (!settings.is_object()) throw StorageError("sampler settings must be a JSON object");
  Transaction tx(db_);
  db_.cached("UPDATE conversations SET sampler_json = ?1 WHERE id = ?2")
      ->bind_all(settings.dump(-1, ' ', false, json::error_handler_t::replace), conversation_id)
      .run();
  if (db_.changes() != 1) throw NotFoundError("no conversation with id " + std::to_string(conversation_id));
  tx.commit();
}

void Store::set_system_prompt(int64_t conversation_id, std::string_view system_prompt) {
  Transaction tx(db_);
  db_.cached("UPDATE conversations SET system_prompt = ?1 WHERE id = ?2")
      ->bind_all(system_prompt, conversation_id)
      .run();
  if (db_.changes() != 1) throw NotFoundError("no conversation with id " + std::to_string(conversation_id));
  tx.commit();
}

void Store::set_model(int64_t conversation_id, std::optional<int64_t> model_id) {
  Transaction tx(db_);
  db_.cached("UPDATE conversations SET model_id = ?1 WHERE id = ?2")
      ->bind_all(model_id, conversation_id)
      .run();
  if (db_.changes() != 1) throw NotFoundError("no conversation with id " + std::to_string(conversation_id));
  tx.commit();
}

void Store::delete_conversation(int64_t conversation_id) {
  Transaction tx(db_);
  db_.cached("DELETE FROM conversations WHERE id = ?1")->bind_all(conversation_id).run();
  if (db_.changes() != 1) throw NotFoundError("no conversation with id " + std::to_string(conversation_id));
  tx.commit();
}

int64_t Store::insert_message_verbatim(const Message& m, std::optional<int64_t> active_child_id) {
  auto stmt = db_.cached(
      "INSERT INTO messages (conversation_id, parent_id, active_child_id, role, content, token_count, "
      "status, "
      "status_reason, created_ms, ttft_ms, prompt_tps, generation_tps, device, backend, stream_pid) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  stmt->bind_all(m.conversation_id, m.parent_id, active_child_id, to_string(m.role), m.content, m.token_count,
                 to_string(m.status), m.status_reason, m.created_ms, m.timings.time_to_first_token_ms,
                 m.timings.prompt_tokens_per_s, m.timings.generation_tokens_per_s, m.device, m.backend);
  // The writing process, so another process opening the file can tell a live stream from an abandoned one.
  if (m.status == MessageStatus::streaming)
    stmt->bind(15, static_cast<int64_t>(::getpid()));
  else
    stmt->bind(15, nullptr);
  stmt->run();
  return db_.last_insert_rowid();
}

void Store::set_active_root(int64_t conversation_id, std::optional<int64_t> root_id) {
  db_.cached("UPDATE conversations SET active_root_id = ?1 WHERE id = ?2")
      ->bind_all(root_id, conversation_id)
      .run();
}

void Store::set_active_child(int64_t message_id, std::optional<int64_t> child_id) {
  db_.cached("UPDATE messages SET active_child_id = ?1 WHERE id = ?2")->bind_all(child_id, message_id).run();
}

std::optional<int64_t> Store::stored_active_child(int64_t message_id) {
  auto stmt = db_.cached("SELECT active_child_id FROM messages WHERE id = ?1");
  if (!stmt->bind_all(message_id).step()) return std::nullopt;
  return stmt->optional_int64(0);
}

void Store::select_path_to(int64_t message_id) {
  std::vector<std::pair<int64_t, std::optional<int64_t>>> path;  // (id, parent), root first
  {
    auto up = db_.cached(kAncestorsSql);
    up->bind_all(message_id);
    while (up->step()) path.emplace_back(up->int64(0), up->optional_int64(1));
  }
  if (path.empty()) return;
  set_active_root(message(path.front().first).conversation_id, path.front().first);
  for (const auto& [id, parent] : path)
    if (parent) set_active_child(*parent, id);
}

std::optional<int64_t> Store::recompute_active_leaf(int64_t conversation_id) {
  const std::optional<int64_t> leaf = find_active_leaf(conversation_id);
  db_.cached("UPDATE conversations SET active_leaf_id = ?1 WHERE id = ?2")
      ->bind_all(leaf, conversation_id)
      .run();
  return leaf;
}

int64_t Store::insert_child(int64_t conversation_id, std::optional<int64_t> parent_id, Role role,
                            std::string_view content, MessageStatus status) {
  require_conversation(conversation_id);
  if (parent_id) {
    auto parent = db_.cached("SELECT conversation_id FROM messages WHERE id = ?1");
    if (!parent->bind_all(*parent_id).step())
      throw NotFoundError("no message with id " + std::to_string(*parent_id));
    if (parent->int64(0) != conversation_id)
      throw StorageError("message " + std::to_string(*parent_id) + " is not in conversation " +
                         std::to_string(conversation_id));
  }
  Message m;
  m.conversation_id = conversation_id;
  m.parent_id = parent_id;
  m.role = role;
  m.content = std::string(content);
  m.status = status;
  m.created_ms = now_unix_ms();
  // Read before the insert: afterwards the parent has a child and is no leaf.
  const bool appends_to_active_leaf = parent_id && parent_id == active_leaf(conversation_id);
  const int64_t id = insert_message_verbatim(m, std::nullopt);
  if (appends_to_active_leaf)
    set_active_child(*parent_id, id);  // the common case, appending to the active branch: O(1)
  else
    select_path_to(id);
  db_.cached("UPDATE conversations SET active_leaf_id = ?1, updated_ms = ?2 WHERE id = ?3")
      ->bind_all(id, now_unix_ms(), conversation_id)
      .run();
  return id;
}

int64_t Store::add_message(int64_t conversation_id, std::optional<int64_t> parent_id, Role role,
                           std::string_view content) {
  Transaction tx(db_);
  const int64_t id = insert_child(conversation_id, parent_id, role, content, MessageStatus::complete);
  tx.commit();
  return id;
}

int64_t Store::add_user_message(int64_t conversation_id, std::string_view content) {
  Transaction tx(db_);  // the leaf is read under the write lock, so no other writer can move it meanwhile
  const int64_t id = insert_child(conversation_id, active_leaf(conversation_id), Role::user, content,
                                  MessageStatus::complete);
  tx.commit();
  return id;
}

StreamWriter Store::start_assistant_message(int64_t conversation_id, std::optional<int64_t> parent_id,
                                            StreamPolicy policy) {
  Transaction tx(db_);
  if (!parent_id) parent_id = active_leaf(conversation_id);
  const int64_t id = insert_child(conversation_id, parent_id, Role::assistant, "", MessageStatus::streaming);
  tx.commit();
  return StreamWriter(db_, conversation_id, id, std::move(policy));
}

Message Store::message(int64_t message_id) {
  auto stmt = db_.cached(std::string("SELECT ") + kMessageColumns + " FROM messages m WHERE m.id = ?1");
  if (!stmt->bind_all(message_id).step())
    throw NotFoundError("no message with id " + std::to_string(message_id));
  return read_message(*stmt);
}

std::optional<int64_t> Store::active_leaf(int64_t conversation_id) {
  {
    auto stored = db_.cached(kStoredLeafSql);
    if (stored->bind_all(conversation_id).step()) return stored->int64(0);
  }
  return find_active_leaf(conversation_id);  // missing or stale (e.g. a file written by another tool)
}

std::optional<int64_t> Store::find_active_leaf(int64_t conversation_id) {
  std::optional<int64_t> leaf;
  {
    auto root = db_.cached(kActiveRootSql);
    if (root->bind_all(conversation_id).step() && !root->is_null(0)) leaf = root->int64(0);
  }
  if (leaf) {
    auto descend = db_.cached(kDescendSql);
    if (descend->bind_all(*leaf).step()) leaf = descend->int64(0);
  }
  return leaf;
}

std::vector<int64_t> Store::active_path(int64_t conversation_id) {
  std::vector<int64_t> path;
  const auto leaf = active_leaf(conversation_id);
  if (!leaf) return path;
  auto up = db_.cached(kAncestorsSql);
  up->bind_all(*leaf);
  while (up->step()) path.push_back(up->int64(0));
  return path;
}

ConversationTree Store::load_conversation(int64_t conversation_id) {
  ConversationTree tree;
  // One read transaction, so the tree and its path come from the same snapshot while a writer streams.
  db_.exec("BEGIN");
  try {
    tree.conversation = conversation(conversation_id);
    {
      auto stmt = db_.cached(std::string("SELECT ") + kMessageColumns +
                             " FROM messages m WHERE m.conversation_id = ?1 ORDER BY m.id");
      stmt->bind_all(conversation_id);
      while (stmt->step()) tree.messages.push_back(read_message(*stmt));
    }
    // Walk up from the leaf in memory: the messages are all here already.
    for (auto id = active_leaf(conversation_id); id;) {
      const Message* m = tree.find(*id);
      if (!m || tree.active_path.size() > tree.messages.size())
        break;  // (a cycle is impossible, but bounded)
      tree.active_path.push_back(m->id);
      id = m->parent_id;
    }
    std::reverse(tree.active_path.begin(), tree.active_path.end());
    db_.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return tree;
}

std::vector<Message> Store::active_branch(int64_t conversation_id) {
  require_conversation(conversation_id);
  std::vector<Message> out;
  for (int64_t id : active_path(conversation_id)) out.push_back(message(id));
  return out;
}

void Store::set_active(int64_t message_id) {
  Transaction tx(db_);
  const Message m = message(message_id);  // NotFoundError
  select_path_to(message_id);
  recompute_active_leaf(m.conversation_id);
  tx.commit();
}

int64_t Store::edit_message(int64_t message_id, std::string_view new_content) {
  Transaction tx(db_);
  const Message original = message(message_id);
  Message m;
  m.conversation_id = original.conversation_id;
  m.parent_id = original.parent_id;
  m.role = original.role;
  m.content = std::string(new_content);
  m.created_ms = now_unix_ms();
  const int64_t id = insert_message_verbatim(m, std::nullopt);
  select_path_to(id);
  db_.cached("UPDATE conversations SET active_leaf_id = ?1, updated_ms = ?2 WHERE id = ?3")
      ->bind_all(id, now_unix_ms(), original.conversation_id)
      .run();
  tx.commit();
  return id;
}

void Store::delete_message_subtree(int64_t message_id) {
  Transaction tx(db_);
  const Message root = message(message_id);
  db_.cached(R"sql(
DELETE FROM messages WHERE id IN (
  WITH RECURSIVE below(id) AS (
    SELECT ?1 UNION ALL SELECT m.id FROM messages m JOIN below ON m.parent_id = below.id)
  SELECT id FROM below))sql")
      ->bind_all(message_id)
      .run();
  recompute_active_leaf(root.conversation_id);
  touch(root.conversation_id);
  tx.commit();
}

std::string fts_query_from_text(std::string_view text) {
  std::string query;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) {
      if (!query.empty()) query += ' ';
      query += '"';
      for (char ch : text.substr(i, j - i)) {
        if (ch == '"') query += '"';  // FTS5 strings escape a quote by doubling it
        query += ch;
      }
      query += '"';
    }
    i = j;
  }
  return query;
}

std::vector<SearchHit> Store::search(std::string_view text, const SearchOptions& options) {
  const std::string query = fts_query_from_text(text);
  std::vector<SearchHit> out;
  if (query.empty()) return out;
  auto stmt = db_.cached(
      "SELECT m.conversation_id, c.title, m.id, m.role, "
      "snippet(message_search, 0, ?2, ?3, '…', ?4), rank "
      "FROM message_search JOIN messages m ON m.id = message_search.rowid "
      "JOIN conversations c ON c.id = m.conversation_id "
      "WHERE message_search MATCH ?1 AND (?6 IS NULL OR m.conversation_id = ?6) "
      "ORDER BY rank LIMIT ?5");
  stmt->bind_all(query, options.open_marker, options.close_marker, std::clamp(options.snippet_tokens, 1, 64),
                 options.limit, options.conversation_id);
  while (stmt->step()) {
    SearchHit hit;
    hit.conversation_id = stmt->int64(0);
    hit.conversation_title = stmt->text(1);
    hit.message_id = stmt->int64(2);
    hit.role = role_from_string(stmt->text(3)).value_or(Role::user);
    hit.snippet = stmt->text(4);
    hit.rank = stmt->real(5);
    out.push_back(std::move(hit));
  }
  return out;
}

int64_t Store::create_comparison(const Comparison& comparison) {
  if (!comparison.left_settings.is_object() || !comparison.right_settings.is_object())
    throw StorageError("comparison settings must be JSON objects");
  Transaction tx(db_);
  for (int64_t root : {comparison.left_root_id, comparison.right_root_id})
    if (message(root).conversation_id != comparison.conversation_id)
      throw StorageError("message " + std::to_string(root) + " is not in conversation " +
                         std::to_string(comparison.conversation_id));
  db_.cached(
         "INSERT INTO comparisons (conversation_id, kind, title, created_ms, left_root_id, right_root_id, "
         "left_settings_json, right_settings_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
      ->bind_all(comparison.conversation_id,
                 comparison.kind == ComparisonKind::prompts ? "prompts" : "settings", comparison.title,
                 comparison.created_ms ? comparison.created_ms : now_unix_ms(), comparison.left_root_id,
                 comparison.right_root_id,
                 comparison.left_settings.dump(-1, ' ', false, json::error_handler_t::replace),
                 comparison.right_settings.dump(-1, ' ', false, json::error_handler_t::replace))
      .run();
  const int64_t id = db_.last_insert_rowid();
  tx.commit();
  return id;
}

std::vector<Comparison> Store::comparisons(int64_t conversation_id) {
  auto stmt = db_.cached(
      "SELECT id, conversation_id, kind, title, created_ms, left_root_id, right_root_id, left_settings_json, "
      "right_settings_json FROM comparisons WHERE conversation_id = ?1 ORDER BY id");
  stmt->bind_all(conversation_id);
  std::vector<Comparison> out;
  while (stmt->step()) {
    Comparison c;
    c.id = stmt->int64(0);
    c.conversation_id = stmt->int64(1);
    c.kind = stmt->text(2) == "settings" ? ComparisonKind::settings : ComparisonKind::prompts;
    c.title = stmt->text(3);
    c.created_ms = stmt->int64(4);
    c.left_root_id = stmt->int64(5);
    c.right_root_id = stmt->int64(6);
    c.left_settings = parse_settings(stmt->text(7), "left settings", c.load_problem);
    c.right_settings = parse_settings(stmt->text(8), "right settings", c.load_problem);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace glasswing::storage
