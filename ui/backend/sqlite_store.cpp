#include "ui/backend/sqlite_store.h"

#include <map>

#include "storage/store.h"

namespace glasswing::ui {

namespace {

namespace st = glasswing::storage;

// The reason the app stores when the user presses stop, so that such a reply reads back as Stopped rather
// than as interrupted by a crash.
constexpr std::string_view kStoppedReason = "stopped by the user";

std::optional<int64_t> parent_or_root(int64_t parent_id) {
  return parent_id == 0 ? std::nullopt : std::optional<int64_t>(parent_id);
}

MessageRecord to_record(const st::Message& m) {
  MessageRecord r;
  r.id = m.id;
  r.parent_id = m.parent_id.value_or(0);
  r.role = std::string(st::to_string(m.role));
  r.text = m.content;
  r.created_ms = m.created_ms;
  r.generated_tokens = static_cast<int>(m.token_count);
  r.generation_tokens_per_s = m.timings.generation_tokens_per_s.value_or(0);
  r.device = m.device;
  if (m.status_reason != kStoppedReason) r.reason = m.status_reason;
  switch (m.status) {
    case st::MessageStatus::complete:
      r.state = MessageState::Complete;
      break;
    case st::MessageStatus::streaming:
      r.state = MessageState::Streaming;
      break;
    case st::MessageStatus::interrupted:
      r.state = m.status_reason == kStoppedReason ? MessageState::Stopped : MessageState::Interrupted;
      break;
    case st::MessageStatus::error:
      r.state = MessageState::Failed;
      break;
  }
  return r;
}

class SqliteReplyWriter : public ReplyWriter {
 public:
  explicit SqliteReplyWriter(st::StreamWriter writer) : writer_(std::move(writer)) {}
  void append(std::string_view text_delta) override { writer_.append(text_delta); }
  void finish(MessageState state, const std::string& reason, const ReplyMetrics& metrics) override {
    st::Completion completion;
    completion.token_count = metrics.generated_tokens;
    completion.device = metrics.device;
    completion.backend = metrics.backend;
    if (metrics.time_to_first_token_ms > 0)
      completion.timings.time_to_first_token_ms = metrics.time_to_first_token_ms;
    if (metrics.prompt_tokens_per_s > 0) completion.timings.prompt_tokens_per_s = metrics.prompt_tokens_per_s;
    if (metrics.generation_tokens_per_s > 0)
      completion.timings.generation_tokens_per_s = metrics.generation_tokens_per_s;
    if (state == MessageState::Complete)
      writer_.finish(completion);
    else if (state == MessageState::Stopped)
      writer_.interrupt(kStoppedReason, completion);
    else
      writer_.fail(reason.empty() ? std::string_view("generation failed") : std::string_view(reason),
                   completion);
  }

 private:
  st::StreamWriter writer_;  // a writer destroyed unfinished marks its message interrupted
};

ModelDescription to_description(const st::ModelRecord& m) {
  return {m.path, m.file_size_bytes, m.header_sha256, m.architecture, m.quant, m.n_params};
}

class SqliteStore : public ConversationStore {
 public:
  explicit SqliteStore(const std::filesystem::path& path) : store_(path) {}

  std::vector<ConversationRecord> conversations() override {
    std::vector<ConversationRecord> out;
    std::map<int64_t, std::string> model_paths;  // many conversations share a model
    for (const auto& s : store_.list_conversations()) {
      ConversationRecord r{s.conversation.id, s.conversation.title, s.conversation.updated_ms, {}};
      if (const auto id = s.conversation.model_id) {
        auto it = model_paths.find(*id);
        if (it == model_paths.end()) {
          const auto model = store_.model(*id);
          it = model_paths.emplace(*id, model ? model->path : std::string()).first;
        }
        r.model_path = it->second;
      }
      out.push_back(std::move(r));
    }
    return out;
  }
  int64_t create_conversation(const std::string& title) override { return store_.create_conversation(title); }
  void rename_conversation(int64_t conversation_id, const std::string& title) override {
    store_.rename_conversation(conversation_id, title);
  }
  void delete_conversation(int64_t conversation_id) override { store_.delete_conversation(conversation_id); }

  int64_t record_model(const ModelDescription& model) override {
    st::ModelRecord r;
    r.path = model.path;
    r.file_size_bytes = model.file_size_bytes;
    r.header_sha256 = model.header_sha256;
    r.architecture = model.architecture;
    r.quant = model.quant;
    r.n_params = model.n_params;
    return store_.record_model(r);
  }
  void set_model(int64_t conversation_id, int64_t model_id) override {
    store_.set_model(conversation_id, model_id);
  }
  std::optional<ModelDescription> conversation_model(int64_t conversation_id) override {
    const auto id = store_.conversation(conversation_id).model_id;
    if (!id) return std::nullopt;
    const auto model = store_.model(*id);
    if (!model) return std::nullopt;
    return to_description(*model);
  }

  std::string settings_json(int64_t conversation_id) override {
    return store_.conversation(conversation_id).sampler_settings.dump();
  }
  void set_settings_json(int64_t conversation_id, const std::string& json) override {
    const auto settings = nlohmann::json::parse(json);
    store_.set_sampler_settings(conversation_id, settings);
    // The store keeps the system prompt in a column of its own as well.
    if (settings.contains("system_prompt") && settings["system_prompt"].is_string())
      store_.set_system_prompt(conversation_id, settings["system_prompt"].get<std::string>());
  }

  std::vector<MessageRecord> messages(int64_t conversation_id, std::vector<int64_t>& active_path) override {
    const st::ConversationTree tree = store_.load_conversation(conversation_id);
    std::vector<MessageRecord> out;
    out.reserve(tree.messages.size());
    for (const auto& m : tree.messages) out.push_back(to_record(m));
    active_path = tree.active_path;
    return out;
  }

  MessageRecord add_message(int64_t conversation_id, int64_t parent_id, const std::string& role,
                            const std::string& text) override {
    const auto r = st::role_from_string(role);
    if (!r) throw std::invalid_argument("unknown message role '" + role + "'");
    const int64_t id = store_.add_message(conversation_id, parent_or_root(parent_id), *r, text);
    return to_record(store_.message(id));
  }

  std::unique_ptr<ReplyWriter> start_reply(int64_t conversation_id, int64_t parent_id,
                                           MessageRecord& record) override {
    st::StreamWriter writer = store_.start_assistant_message(conversation_id, parent_or_root(parent_id));
    record = to_record(store_.message(writer.message_id()));
    return std::make_unique<SqliteReplyWriter>(std::move(writer));
  }

  void set_active(int64_t message_id) override { store_.set_active(message_id); }
  void delete_message(int64_t message_id) override { store_.delete_message_subtree(message_id); }

  std::vector<SearchHit> search(const std::string& query, int limit) override {
    st::SearchOptions options;
    options.limit = limit;
    std::vector<SearchHit> out;
    for (const auto& h : store_.search(query, options))
      out.push_back({h.conversation_id, h.message_id, h.conversation_title, h.snippet});
    return out;
  }

 private:
  st::Store store_;
};

}  // namespace

std::unique_ptr<ConversationStore> open_sqlite_store(const std::filesystem::path& path) {
  return std::make_unique<SqliteStore>(path);
}

}  // namespace glasswing::ui
