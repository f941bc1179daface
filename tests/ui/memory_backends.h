#pragma once
// In-memory twins of storage and the engine, for tests only (the app always uses the real ones). The
// store keeps the same rules as the SQLite one (ids grow, new messages join the active branch, deleting a
// message deletes its subtree); the engine replays a fixed list of pieces, honouring the stop flag.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ui/backend/chat_engine.h"
#include "ui/backend/conversation_store.h"

namespace glasswing::test {

using namespace glasswing::ui;

struct MemoryStoreData {
  std::mutex mutex;
  int64_t next_id = 1;
  std::map<int64_t, ConversationRecord> conversations;
  std::map<int64_t, std::string> settings;
  std::map<int64_t, std::pair<int64_t, MessageRecord>> messages;  // id -> (conversation, record)
  std::map<int64_t, int64_t> active_leaf;                         // conversation -> message
  std::map<int64_t, ModelDescription> models;                     // id -> model
  std::map<int64_t, int64_t> conversation_model;                  // conversation -> model id
  int writes = 0;                                                 // append() calls that reached the store
};

class MemoryStore : public ConversationStore {
 public:
  explicit MemoryStore(std::shared_ptr<MemoryStoreData> data) : data_(std::move(data)) {}
  std::vector<ConversationRecord> conversations() override;
  int64_t create_conversation(const std::string& title) override;
  void rename_conversation(int64_t conversation_id, const std::string& title) override;
  void delete_conversation(int64_t conversation_id) override;
  int64_t record_model(const ModelDescription& model) override;
  void set_model(int64_t conversation_id, int64_t model_id) override;
  std::optional<ModelDescription> conversation_model(int64_t conversation_id) override;
  std::string settings_json(int64_t conversation_id) override;
  void set_settings_json(int64_t conversation_id, const std::string& json) override;
  std::vector<MessageRecord> messages(int64_t conversation_id, std::vector<int64_t>& active_path) override;
  MessageRecord add_message(int64_t conversation_id, int64_t parent_id, const std::string& role,
                            const std::string& text) override;
  std::unique_ptr<ReplyWriter> start_reply(int64_t conversation_id, int64_t parent_id,
                                           MessageRecord& record) override;
  void set_active(int64_t message_id) override;
  void delete_message(int64_t message_id) override;
  std::vector<SearchHit> search(const std::string& query, int limit) override;

 private:
  MessageRecord insert(int64_t conversation_id, int64_t parent_id, const std::string& role,
                       const std::string& text, MessageState state);
  std::shared_ptr<MemoryStoreData> data_;
};

struct ScriptedEngineLog {
  std::mutex mutex;
  std::vector<std::vector<ChatTurn>> prompts;        // the turns of every generate()
  std::vector<std::vector<ChatTurn>> inspected;      // the turns of every inspect_attention()
  std::vector<std::array<CompareSide, 2>> compared;  // the sides of every compare()
  std::vector<GenerationSettings> settings;
};

class ScriptedEngine : public ChatEngine {
 public:
  ScriptedEngine(std::vector<std::string> pieces, std::shared_ptr<ScriptedEngineLog> log)
      : pieces_(std::move(pieces)), log_(std::move(log)) {}
  std::vector<std::string> devices() override { return {"CPU"}; }
  // A path containing "broken" fails to load, like a file the engine rejects; one containing "thinking" has a
  // chat template with the thinking switch (LoadedModel::thinking_switch), one containing "effort" one with
  // a reasoning effort (LoadedModel::reasoning_effort, gpt-oss's).
  LoadedModel load(const std::string& path, const std::string& device,
                   const std::function<void(double)>& progress) override;
  std::unique_ptr<ChatSession> new_session() override;
  // Both sides replay the pieces, a piece of each in turn; a side whose last turn contains "shout" says
  // every piece from the third on in capitals (a different token), so the replies diverge at token 2.
  // Candidates: the piece itself at 60 % and "x" at 40 % (at most `top`).
  std::array<StopReason, 2> compare(const std::array<CompareSide, 2>& sides, int top,
                                    const std::function<void(const CompareToken&)>& on_token,
                                    const std::atomic<bool>& stop,
                                    std::array<GenerationStats, 2>& stats) override;

 private:
  std::vector<std::string> pieces_;
  std::shared_ptr<ScriptedEngineLog> log_;
};

}  // namespace glasswing::test
