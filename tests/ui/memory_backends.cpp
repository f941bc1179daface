#include "tests/ui/memory_backends.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace glasswing::test {

std::vector<ConversationRecord> MemoryStore::conversations() {
  std::lock_guard lock(data_->mutex);
  std::vector<ConversationRecord> out;
  for (const auto& [id, c] : data_->conversations) {
    out.push_back(c);
    if (auto m = data_->conversation_model.find(id); m != data_->conversation_model.end())
      out.back().model_path = data_->models.at(m->second).path;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
  return out;
}

int64_t MemoryStore::create_conversation(const std::string& title) {
  std::lock_guard lock(data_->mutex);
  const int64_t id = data_->next_id++;
  data_->conversations[id] = {id, title, id, {}};
  return id;
}

void MemoryStore::rename_conversation(int64_t conversation_id, const std::string& title) {
  std::lock_guard lock(data_->mutex);
  data_->conversations.at(conversation_id).title = title;
}

void MemoryStore::delete_conversation(int64_t conversation_id) {
  std::lock_guard lock(data_->mutex);
  data_->conversations.erase(conversation_id);
  data_->conversation_model.erase(conversation_id);
  std::erase_if(data_->messages, [&](const auto& m) { return m.second.first == conversation_id; });
}

int64_t MemoryStore::record_model(const ModelDescription& model) {
  std::lock_guard lock(data_->mutex);
  // Like the real store: the same path and header hash is the same row.
  for (auto& [id, m] : data_->models)
    if (m.path == model.path && m.header_sha256 == model.header_sha256) {
      m = model;
      return id;
    }
  const int64_t id = data_->next_id++;
  data_->models[id] = model;
  return id;
}

void MemoryStore::set_model(int64_t conversation_id, int64_t model_id) {
  std::lock_guard lock(data_->mutex);
  if (!data_->conversations.count(conversation_id)) throw std::runtime_error("no such conversation");
  if (!data_->models.count(model_id)) throw std::runtime_error("no such model");
  data_->conversation_model[conversation_id] = model_id;
}

std::optional<ModelDescription> MemoryStore::conversation_model(int64_t conversation_id) {
  std::lock_guard lock(data_->mutex);
  auto it = data_->conversation_model.find(conversation_id);
  if (it == data_->conversation_model.end()) return std::nullopt;
  return data_->models.at(it->second);
}

std::string MemoryStore::settings_json(int64_t conversation_id) {
  std::lock_guard lock(data_->mutex);
  auto it = data_->settings.find(conversation_id);
  return it == data_->settings.end() ? "{}" : it->second;
}

void MemoryStore::set_settings_json(int64_t conversation_id, const std::string& json) {
  std::lock_guard lock(data_->mutex);
  data_->settings[conversation_id] = json;
}

std::vector<MessageRecord> MemoryStore::messages(int64_t conversation_id, std::vector<int64_t>& active_path) {
  std::lock_guard lock(data_->mutex);
  std::vector<MessageRecord> out;
  for (const auto& [id, m] : data_->messages)
    if (m.first == conversation_id) out.push_back(m.second);
  active_path.clear();
  if (auto leaf = data_->active_leaf.find(conversation_id); leaf != data_->active_leaf.end()) {
    for (int64_t id = leaf->second; id != 0 && data_->messages.count(id);
         id = data_->messages.at(id).second.parent_id)
      active_path.insert(active_path.begin(), id);
  }
  return out;
}

MessageRecord MemoryStore::insert(int64_t conversation_id, int64_t parent_id, const std::string& role,
                                  const std::string& text, MessageState state) {
  std::lock_guard lock(data_->mutex);
  if (!data_->conversations.count(conversation_id)) throw std::runtime_error("no such conversation");
  MessageRecord r{data_->next_id++, parent_id, role, text, state, 0};
  data_->messages[r.id] = {conversation_id, r};
  data_->active_leaf[conversation_id] = r.id;
  return r;
}

MessageRecord MemoryStore::add_message(int64_t conversation_id, int64_t parent_id, const std::string& role,
                                       const std::string& text) {
  return insert(conversation_id, parent_id, role, text, MessageState::Complete);
}

namespace {
class MemoryReplyWriter : public ReplyWriter {
 public:
  MemoryReplyWriter(std::shared_ptr<MemoryStoreData> data, int64_t id) : data_(std::move(data)), id_(id) {}
  void append(std::string_view text_delta) override {
    std::lock_guard lock(data_->mutex);
    data_->messages.at(id_).second.text += text_delta;
    ++data_->writes;
  }
  void finish(MessageState state, const std::string& reason, const ReplyMetrics& metrics) override {
    std::lock_guard lock(data_->mutex);
    MessageRecord& m = data_->messages.at(id_).second;
    m.state = state;
    m.generated_tokens = metrics.generated_tokens;
    m.generation_tokens_per_s = metrics.generation_tokens_per_s;
    m.device = metrics.device;
    m.reason = state == MessageState::Failed ? reason : std::string();
  }

 private:
  std::shared_ptr<MemoryStoreData> data_;
  int64_t id_;
};
}  // namespace

std::unique_ptr<ReplyWriter> MemoryStore::start_reply(int64_t conversation_id, int64_t parent_id,
                                                      MessageRecord& record) {
  record = insert(conversation_id, parent_id, "assistant", "", MessageState::Streaming);
  return std::make_unique<MemoryReplyWriter>(data_, record.id);
}

void MemoryStore::set_active(int64_t message_id) {
  std::lock_guard lock(data_->mutex);
  const auto& m = data_->messages.at(message_id);
  // The newest leaf below the chosen message, as the real store keeps earlier choices below it.
  int64_t leaf = message_id;
  for (bool found = true; found;) {
    found = false;
    for (const auto& [id, other] : data_->messages)
      if (other.second.parent_id == leaf) {
        leaf = id;
        found = true;
      }
  }
  data_->active_leaf[m.first] = leaf;
}

void MemoryStore::delete_message(int64_t message_id) {
  std::lock_guard lock(data_->mutex);
  std::vector<int64_t> doomed{message_id};
  for (size_t i = 0; i < doomed.size(); ++i)
    for (const auto& [id, m] : data_->messages)
      if (m.second.parent_id == doomed[i]) doomed.push_back(id);
  for (int64_t id : doomed) data_->messages.erase(id);
}

std::vector<SearchHit> MemoryStore::search(const std::string& query, int limit) {
  std::lock_guard lock(data_->mutex);
  std::vector<SearchHit> hits;
  for (const auto& [id, m] : data_->messages) {
    const auto pos = m.second.text.find(query);
    if (pos == std::string::npos || static_cast<int>(hits.size()) >= limit) continue;
    std::string snippet = m.second.text;
    snippet.replace(pos, query.size(), "[" + query + "]");
    hits.push_back({m.first, id, data_->conversations.at(m.first).title, snippet});
  }
  return hits;
}

LoadedModel ScriptedEngine::load(const std::string& path, const std::string& device,
                                 const std::function<void(double)>& progress) {
  if (path.find("broken") != std::string::npos) throw std::runtime_error("missing tensor token_embd.weight");
  progress(0.5);
  progress(1.0);
  LoadedModel m;
  m.name = "scripted";
  m.architecture = "llama";
  m.device = device.empty() ? "CPU" : device;
  m.backend = "CPU";
  m.context_length = 512;
  m.has_chat_template = true;
  m.thinking_switch = path.find("thinking") != std::string::npos;
  m.reasoning_effort = path.find("effort") != std::string::npos;
  return m;
}

namespace {
class ScriptedSession : public ChatSession {
 public:
  ScriptedSession(const std::vector<std::string>& pieces, std::shared_ptr<ScriptedEngineLog> log)
      : pieces_(pieces), log_(std::move(log)) {}
  StopReason generate(const std::vector<ChatTurn>& turns, const GenerationSettings& settings,
                      const std::function<void(std::string_view, const GenerationStats&)>& on_piece,
                      const std::atomic<bool>& stop, GenerationStats& stats) override {
    {
      std::lock_guard lock(log_->mutex);
      log_->prompts.push_back(turns);
      log_->settings.push_back(settings);
    }
    stats.prompt_tokens = static_cast<int>(turns.size());
    stats.context_total = 512;
    for (const auto& piece : pieces_) {
      if (stop.load()) return StopReason::Stopped;
      ++stats.generated_tokens;
      stats.context_used = stats.prompt_tokens + stats.generated_tokens;
      on_piece(piece, stats);
    }
    return StopReason::EndOfText;
  }

  // Tokens are the words of the turns; 2 layers × 3 heads over 1 KV head. Head (l, h) gives query q half its
  // attention at key (q + l + h) % (q + 1) and spreads the rest evenly over the others, so every row sums to
  // 1 and the strongest key is known. A message containing "unreadable" fails, like a backend without maps.
  AttentionContext inspect_attention(const std::vector<ChatTurn>& turns,
                                     const GenerationSettings& settings) override {
    {
      std::lock_guard lock(log_->mutex);
      log_->inspected.push_back(turns);
      log_->settings.push_back(settings);
    }
    if (turns.empty()) throw std::invalid_argument("no message to look at");
    if (turns.back().text.find("unreadable") != std::string::npos)
      throw std::runtime_error("this backend keeps no attention maps");
    AttentionContext ctx;
    for (const auto& t : turns) {
      if (&t == &turns.back()) ctx.message_begin = static_cast<int>(ctx.tokens.size());
      std::istringstream words(t.text);
      for (std::string w; words >> w;) ctx.tokens.push_back(" " + w);
    }
    ctx.message_end = ctx.overview_end = static_cast<int>(ctx.tokens.size());
    ctx.layers = 2;
    ctx.heads = 3;
    ctx.kv_heads = 1;
    // a conversation that speaks of a "convolution" makes layer 0 a hybrid's short-convolution layer
    // (LFM2's): no attention, its summaries NaN
    hybrid_ = std::any_of(turns.begin(), turns.end(),
                          [](const auto& t) { return t.text.find("convolution") != std::string::npos; });
    for (int l = 0; l < ctx.layers; ++l)
      for (int h = 0; h < ctx.heads; ++h)
        ctx.overview.push_back(hybrid_ && l == 0 ? HeadOverview{NAN, NAN, NAN}
                                                 : HeadOverview{0.5f + 0.1f * static_cast<float>(h),
                                                                1.0f + static_cast<float>(l),
                                                                0.1f * static_cast<float>(l)});
    positions_ = ctx.message_end;
    return ctx;
  }

  AttentionMap attention_map(int layer, int head, int query_begin, int query_end, int key_begin,
                             int key_end) override {
    if (query_begin < 0 || query_end > positions_ || query_begin >= query_end || key_begin < 0 ||
        key_end > positions_ || key_begin >= key_end)
      throw std::out_of_range("range out of bounds");
    if (hybrid_ && layer == 0) throw std::invalid_argument("layer 0 has no attention map");
    AttentionMap map{layer, head, query_begin, query_end, key_begin, key_end, {}};
    for (int q = query_begin; q < query_end; ++q)
      for (int k = key_begin; k < key_end; ++k) {
        const int peak = (q + layer + head) % (q + 1);
        map.probs.push_back(k > q ? NAN : q == 0 ? 1.0f : k == peak ? 0.5f : 0.5f / static_cast<float>(q));
      }
    return map;
  }

 private:
  int positions_ = 0;
  bool hybrid_ = false;  // the last inspected message made layer 0 a short-convolution layer
  std::vector<std::string> pieces_;
  std::shared_ptr<ScriptedEngineLog> log_;
};
}  // namespace

std::unique_ptr<ChatSession> ScriptedEngine::new_session() {
  return std::make_unique<ScriptedSession>(pieces_, log_);
}

std::array<StopReason, 2> ScriptedEngine::compare(const std::array<CompareSide, 2>& sides, int top,
                                                  const std::function<void(const CompareToken&)>& on_token,
                                                  const std::atomic<bool>& stop,
                                                  std::array<GenerationStats, 2>& stats) {
  {
    std::lock_guard lock(log_->mutex);
    log_->compared.push_back(sides);
  }
  std::array<bool, 2> shout{};
  for (size_t i = 0; i < 2; ++i) {
    stats[i] = {};
    shout[i] = !sides[i].turns.empty() && sides[i].turns.back().text.find("shout") != std::string::npos;
  }
  for (size_t k = 0; k < pieces_.size(); ++k)
    for (int side = 0; side < 2; ++side) {
      if (stop.load()) return {StopReason::Stopped, StopReason::Stopped};
      const bool loud = shout[static_cast<size_t>(side)] && k >= 2;
      std::string piece = pieces_[k];
      if (loud)
        std::transform(piece.begin(), piece.end(), piece.begin(),
                       [](unsigned char c) { return std::toupper(c); });
      ++stats[static_cast<size_t>(side)].generated_tokens;
      CompareToken t{side, static_cast<int32_t>(2 * k + (loud ? 1 : 0)), piece, {{piece, 0.6f}, {"x", 0.4f}}};
      t.candidates.resize(std::min<size_t>(t.candidates.size(), static_cast<size_t>(std::max(top, 0))));
      on_token(t);
    }
  return {StopReason::EndOfText, StopReason::EndOfText};
}

}  // namespace glasswing::test
