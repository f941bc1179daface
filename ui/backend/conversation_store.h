#pragma once
// What the app needs from conversation storage, as a small Qt-free interface. The real implementation
// (backend/sqlite_store.cpp) wraps glasswing_storage; tests plug in an in-memory twin. Every thread that
// touches storage opens its own instance (its own connection), so no instance is ever shared across threads.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ui/backend/model_description.h"

namespace glasswing::ui {

// Lifecycle of one message. Streaming is what a crash leaves behind; the app shows such a message as
// interrupted once no generation in this process owns it.
enum class MessageState { Complete = 0, Streaming = 1, Stopped = 2, Interrupted = 3, Failed = 4 };

struct ConversationRecord {
  int64_t id = 0;
  std::string title;
  int64_t updated_ms = 0;  // Unix epoch, milliseconds
  std::string model_path;  // the model the conversation last used; "" when none is recorded
};

struct MessageRecord {
  int64_t id = 0;
  int64_t parent_id = 0;  // 0 for the first message of a conversation
  std::string role;       // "system", "user" or "assistant"
  std::string text;
  MessageState state = MessageState::Complete;
  int64_t created_ms = 0;
  // How a reply was made (0 / "" when not recorded), and why one failed or was cut off ("" otherwise).
  int generated_tokens = 0;
  double generation_tokens_per_s = 0;
  std::string device{};
  std::string reason{};
};

// How a finished reply was made, kept with it.
struct ReplyMetrics {
  int generated_tokens = 0;
  double time_to_first_token_ms = 0;
  double prompt_tokens_per_s = 0;
  double generation_tokens_per_s = 0;
  std::string device;   // e.g. "CPU, 16 threads"
  std::string backend;  // "CPU", "Vulkan"
};

// Writes one reply while it streams. Storage commits in batches (every 250 ms or 32 tokens), so a crash
// loses at most one batch and leaves the message Streaming, which the next start shows as interrupted.
class ReplyWriter {
 public:
  virtual ~ReplyWriter() = default;
  virtual void append(std::string_view text_delta) = 0;
  // Ends the reply: Complete, Stopped (by the user) or Failed (with the reason).
  virtual void finish(MessageState state, const std::string& reason, const ReplyMetrics& metrics) = 0;
};

struct SearchHit {
  int64_t conversation_id = 0;
  int64_t message_id = 0;
  std::string title;
  std::string snippet;  // matched words wrapped in [ and ]
};

class ConversationStore {
 public:
  virtual ~ConversationStore() = default;

  virtual std::vector<ConversationRecord> conversations() = 0;  // newest first
  virtual int64_t create_conversation(const std::string& title) = 0;
  virtual void rename_conversation(int64_t conversation_id, const std::string& title) = 0;
  virtual void delete_conversation(int64_t conversation_id) = 0;

  // Models: record_model inserts the model (or refreshes the row with the same path and header hash) and
  // returns its id; set_model makes it the conversation's model. conversation_model: the one it last used.
  virtual int64_t record_model(const ModelDescription& model) = 0;
  virtual void set_model(int64_t conversation_id, int64_t model_id) = 0;
  virtual std::optional<ModelDescription> conversation_model(int64_t conversation_id) = 0;

  // Per-conversation generation settings, as a JSON object ("{}" when never saved).
  virtual std::string settings_json(int64_t conversation_id) = 0;
  virtual void set_settings_json(int64_t conversation_id, const std::string& json) = 0;

  // Every message of the conversation (all branches), parents before children, and the branch shown last
  // time (first message to leaf; may be empty).
  virtual std::vector<MessageRecord> messages(int64_t conversation_id, std::vector<int64_t>& active_path) = 0;
  // A complete message, the newest child of parent_id (0: a new first message); it becomes the active branch.
  virtual MessageRecord add_message(int64_t conversation_id, int64_t parent_id, const std::string& role,
                                    const std::string& text) = 0;
  // Starts an assistant reply (state Streaming) below parent_id, on the active branch.
  virtual std::unique_ptr<ReplyWriter> start_reply(int64_t conversation_id, int64_t parent_id,
                                                   MessageRecord& record) = 0;
  // Remembers the branch through message_id as the one to show.
  virtual void set_active(int64_t message_id) = 0;
  // Deletes the message and every reply below it.
  virtual void delete_message(int64_t message_id) = 0;

  virtual std::vector<SearchHit> search(const std::string& query, int limit) = 0;
};

// Reads a model file's header into a ModelDescription (backend/model_description.h in the app).
using ModelDescriber = std::function<ModelDescription(const std::string& path)>;

// Opens one connection; called on the thread that will use it.
using StoreFactory = std::function<std::unique_ptr<ConversationStore>()>;

}  // namespace glasswing::ui
