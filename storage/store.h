#pragma once
// The conversation store: one SQLite file holding models, conversations, message trees and comparisons.
//
// Opening a Store (see README.md for the durability this gives):
//  - verifies the file on a read-only connection first: a file from a newer Glasswing, or another program's
//    database, is refused with a clear message and left untouched; PRAGMA quick_check runs;
//  - a corrupt file is renamed aside as FILE.corrupt-YYYYMMDDTHHMMSSZ (with its -wal/-shm), never deleted,
//    and a fresh database is created in its place; recovery() says so;
//  - sets journal_mode=WAL (read back), synchronous=NORMAL, foreign_keys=ON, a busy timeout, and migrates;
//  - marks messages left 'streaming' by a process that no longer exists as 'interrupted', keeping their text.
//
// Threads: a Store is one connection, used by one thread at a time. The GUI and the worker each open their
// own Store on the same file; readers never wait for the writer (WAL), writers take turns at BEGIN IMMEDIATE.
// Two processes may open the same file the same way.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite.h"
#include "storage/stream_writer.h"

namespace glasswing::storage {

// The file is from a newer Glasswing (its schema version is above ours). The file was not modified.
class NewerDatabaseError : public StorageError {
 public:
  using StorageError::StorageError;
};

// No conversation/message with the requested id.
class NotFoundError : public StorageError {
 public:
  using StorageError::StorageError;
};

struct OpenOptions {
  bool create_if_missing = true;
  int busy_timeout_ms = 5000;
  // A corrupt file is renamed aside and replaced by a fresh database; false: throw instead.
  bool recover_from_corruption = true;
};

struct CorruptionRecovery {
  std::string problem;                   // what quick_check or SQLite reported
  std::filesystem::path preserved_path;  // where the original bytes are now
};

struct NewConversation {
  std::string title;
  std::optional<int64_t> model_id;
  std::string system_prompt;
  nlohmann::json sampler_settings = nlohmann::json::object();
  std::optional<int64_t> seed;
};

struct SearchOptions {
  std::string open_marker = "[";  // around each matched term in the snippet
  std::string close_marker = "]";
  int snippet_tokens = 16;  // tokens of context in a snippet (FTS5 allows 1..64)
  int limit = 50;
  std::optional<int64_t> conversation_id;  // only this conversation
};

class Store {
 public:
  explicit Store(const std::filesystem::path& path, const OpenOptions& options = {});

  const std::filesystem::path& path() const { return path_; }
  // Set when the file was corrupt and has been replaced by a fresh database.
  const std::optional<CorruptionRecovery>& recovery() const { return recovery_; }
  // How many 'streaming' messages opening marked 'interrupted'.
  int64_t interrupted_on_open() const { return interrupted_on_open_; }
  Database& database() { return db_; }

  // ---- models
  // Inserts the model, or refreshes last_seen of the row with the same path and header hash. Returns its id.
  int64_t record_model(const ModelRecord& model);
  std::optional<ModelRecord> model(int64_t model_id);

  // ---- conversations
  int64_t create_conversation(const NewConversation& conversation);
  int64_t create_conversation(std::string_view title);
  Conversation conversation(int64_t conversation_id);  // NotFoundError
  // Pinned first, then most recently updated first. A row with a bad field is still listed (load_problem).
  std::vector<ConversationSummary> list_conversations();
  void rename_conversation(int64_t conversation_id, std::string_view title);
  void set_pinned(int64_t conversation_id, bool pinned);
  void set_sampler_settings(int64_t conversation_id, const nlohmann::json& settings);
  void set_system_prompt(int64_t conversation_id, std::string_view system_prompt);
  void set_model(int64_t conversation_id, std::optional<int64_t> model_id);
  // Deletes the conversation with all its messages and comparisons.
  void delete_conversation(int64_t conversation_id);

  // ---- messages
  // Adds a complete message under parent (nullopt: a new root) and makes it the active branch's leaf.
  int64_t add_message(int64_t conversation_id, std::optional<int64_t> parent_id, Role role,
                      std::string_view content);
  // Adds a user message as a child of the active leaf.
  int64_t add_user_message(int64_t conversation_id, std::string_view content);
  // Starts an assistant message (status 'streaming') under parent, by default the active leaf; a parent that
  // already has an answer gets a sibling (regenerate). The new message is on the active branch.
  StreamWriter start_assistant_message(int64_t conversation_id,
                                       std::optional<int64_t> parent_id = std::nullopt,
                                       StreamPolicy policy = {});
  Message message(int64_t message_id);  // NotFoundError
  ConversationTree load_conversation(int64_t conversation_id);
  // The active branch, root first.
  std::vector<Message> active_branch(int64_t conversation_id);
  std::optional<int64_t> active_leaf(int64_t conversation_id);
  std::vector<int64_t> active_path(int64_t conversation_id);  // ids, root first
  // Makes the branch through message_id active: at every fork above it, the way to it is chosen; below it,
  // the choices made earlier are kept.
  void set_active(int64_t message_id);
  // Adds a sibling of message_id with the same role and new content, and makes it active. Returns its id.
  int64_t edit_message(int64_t message_id, std::string_view new_content);
  // Deletes the message and everything below it.
  void delete_message_subtree(int64_t message_id);

  // ---- search: every word of `text` must occur (word prefixes don't match); best matches first.
  std::vector<SearchHit> search(std::string_view text, const SearchOptions& options = {});

  // ---- comparisons: both roots must be messages of the conversation.
  int64_t create_comparison(const Comparison& comparison);
  std::vector<Comparison> comparisons(int64_t conversation_id);

  // ---- import (see export.h): writes a message with every stored field as given; the caller runs it in a
  // transaction. Returns the new id.
  int64_t insert_message_verbatim(const Message& message, std::optional<int64_t> active_child_id);
  void set_active_root(int64_t conversation_id, std::optional<int64_t> root_id);
  void set_active_child(int64_t message_id, std::optional<int64_t> child_id);
  int64_t insert_conversation_verbatim(const Conversation& conversation);
  // After import: derives the active leaf from the remembered choices and stores it.
  std::optional<int64_t> recompute_active_leaf(int64_t conversation_id);
  // The stored active_child_id of each message (may dangle), for export.
  std::optional<int64_t> stored_active_child(int64_t message_id);

 private:
  void touch(int64_t conversation_id);
  // Inside a transaction: at every fork from the root down to message_id, remembers the way to it.
  void select_path_to(int64_t message_id);
  // Follows the remembered choices from the active root down; writes nothing.
  std::optional<int64_t> find_active_leaf(int64_t conversation_id);
  // Inside a transaction: adds a message under parent and makes it the active leaf.
  int64_t insert_child(int64_t conversation_id, std::optional<int64_t> parent_id, Role role,
                       std::string_view content, MessageStatus status);
  void require_conversation(int64_t conversation_id);
  void mark_abandoned_streams();

  std::filesystem::path path_;
  std::optional<CorruptionRecovery> recovery_;
  Database db_;
  int64_t interrupted_on_open_ = 0;
};

// Turns what a user typed into an FTS5 query that cannot be a syntax error: each word quoted, all required.
std::string fts_query_from_text(std::string_view text);

}  // namespace glasswing::storage
