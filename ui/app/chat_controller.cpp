#include "ui/app/chat_controller.h"

#include <QClipboard>
#include <QFileInfo>
#include <QGuiApplication>
#include <QUrl>

#include "ui/core/markdown_blocks.h"

namespace glasswing::ui {

ChatController::ChatController(Backends backends, QObject* parent)
    : QObject(parent), backends_(std::move(backends)), store_(backends_.store) {
  register_metatypes();
  connect(&store_, &StoreThread::error, this, &ChatController::setError);
  connect(&model_files_, &ModelFileListModel::probed, this, &ChatController::onModelProbed);

  settings_save_.setSingleShot(true);
  settings_save_.setInterval(400);
  connect(&settings_, &ConversationSettings::edited, &settings_save_, qOverload<>(&QTimer::start));
  connect(&settings_save_, &QTimer::timeout, this, [this] {
    if (current_conversation_ == 0) return;
    const std::string json = ConversationSettings::toJson(settings_.values());
    store_.run([id = current_conversation_, json](ConversationStore& s) { s.set_settings_json(id, json); },
               this, [] {});
  });

  worker_thread_.setObjectName(QStringLiteral("glasswing-inference"));
  worker_ = new InferenceWorker(backends_.store, backends_.engine, backends_.describe_model);
  worker_->moveToThread(&worker_thread_);
  connect(&worker_thread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(this, &ChatController::requestLoad, worker_, &InferenceWorker::loadModel);
  connect(this, &ChatController::requestGeneration, worker_, &InferenceWorker::generate);
  connect(this, &ChatController::requestAttention, worker_, &InferenceWorker::inspectAttention);
  connect(&attention_, &AttentionInspector::mapRequested, worker_, &InferenceWorker::attentionMap);
  connect(worker_, &InferenceWorker::attentionInspected, &attention_, &AttentionInspector::onInspected);
  connect(worker_, &InferenceWorker::attentionMapReady, &attention_, &AttentionInspector::onMap);
  connect(worker_, &InferenceWorker::attentionFailed, &attention_, &AttentionInspector::onFailed);
  connect(&compare_, &CompareController::runRequested, worker_, &InferenceWorker::compare);
  connect(&compare_, &CompareController::stopRequested, this, [this] { worker_->requestStop(1); });
  connect(worker_, &InferenceWorker::compareToken, &compare_, &CompareController::onToken);
  connect(worker_, &InferenceWorker::compareFinished, &compare_, &CompareController::onFinished);

  connect(worker_, &InferenceWorker::started, this, [this](const QStringList& devices) {
    devices_ = devices;
    emit devicesChanged();
  });
  connect(worker_, &InferenceWorker::failed, this, &ChatController::setError);
  connect(worker_, &InferenceWorker::loadProgress, this, [this](double fraction) {
    load_progress_ = fraction;
    emit loadProgressChanged();
  });
  connect(worker_, &InferenceWorker::modelLoaded, this, [this](const LoadedModel& model) {
    model_ = model;
    model_description_.reset();  // hashed next, on the worker
    attention_.close();          // the worker's sessions went with the old model
    model_loaded_ = true;
    model_loading_ = false;
    model_error_.clear();
    stats_ = {};
    emit modelChanged();
    emit statsChanged();
    emit conversationModelChanged();
  });
  connect(worker_, &InferenceWorker::modelDescribed, this, [this](const ModelDescription& model) {
    model_description_ = model;
    emit conversationModelChanged();
  });
  connect(worker_, &InferenceWorker::conversationModelRecorded, this,
          [this](qint64 conversation_id, const ModelDescription& model) {
            if (conversation_id == current_conversation_) setConversationModel(model);
          });
  connect(worker_, &InferenceWorker::modelLoadFailed, this,
          [this](const QString& path, const QString& reason) {
            model_loading_ = false;
            model_error_ = tr("Cannot load %1: %2").arg(QUrl::fromLocalFile(path).fileName(), reason);
            emit modelChanged();
          });
  connect(worker_, &InferenceWorker::conversationCreated, this, [this](const ConversationRecord& c) {
    streaming_conversation_ = c.id;
    if (current_conversation_ == 0) {
      current_conversation_ = c.id;
      current_title_ = QString::fromStdString(c.title);
      emit currentConversationChanged();
      settings_save_.start();  // the settings chosen before the first message belong to it
    }
    refreshConversations();
  });
  connect(worker_, &InferenceWorker::messageAdded, this, [this](const MessageRecord& m) {
    if (streaming_conversation_ == current_conversation_) messages_.addMessage(m);
  });
  connect(worker_, &InferenceWorker::generationStarted, this, [this](int, qint64 message_id) {
    request_pending_ = false;
    streaming_message_ = message_id;
    messages_.setActive(message_id, true);
    emit generatingChanged();
  });
  // Pieces arrive one per token; the list model takes them at most once per frame (16 ms), so a fast model
  // costs one Markdown re-layout per frame, not one per token.
  text_flush_.setSingleShot(true);
  text_flush_.setInterval(16);
  connect(&text_flush_, &QTimer::timeout, this, &ChatController::flushText);
  connect(worker_, &InferenceWorker::textDelta, this, [this](qint64 message_id, const QString& text_delta) {
    pending_text_[message_id] += text_delta;
    if (!text_flush_.isActive()) text_flush_.start();
  });
  connect(worker_, &InferenceWorker::statsChanged, this, [this](int slot, const GenerationStats& stats) {
    if (slot != 0) return;
    stats_ = stats;
    emit statsChanged();
  });
  connect(worker_, &InferenceWorker::generationFinished, this, &ChatController::onGenerationFinished);
}

ChatController::~ChatController() {
  worker_->requestStop(0);
  worker_->requestStop(1);
  worker_thread_.quit();
  worker_thread_.wait();
}

void ChatController::start(const QString& model_path, const QString& device) {
  worker_thread_.start();
  QMetaObject::invokeMethod(worker_, &InferenceWorker::start, Qt::QueuedConnection);
  refreshConversations();
  std::vector<std::filesystem::path> extra;
  if (!model_path.isEmpty()) extra.push_back(model_path.toStdString());
  model_files_.scan(backends_.model_folders, extra, backends_.capabilities());
  if (!model_path.isEmpty()) loadModelOn(model_path, device.isEmpty() ? settings_.device() : device);
}

void ChatController::flushText() {
  text_flush_.stop();
  const auto pending = std::exchange(pending_text_, {});
  for (auto it = pending.begin(); it != pending.end(); ++it) messages_.appendText(it.key(), it.value());
}

void ChatController::setError(const QString& message) {
  last_error_ = message;
  emit lastErrorChanged();
}

// ---- conversations ----------------------------------------------------------------------------------

void ChatController::refreshConversations() {
  if (!search_query_.isEmpty()) {
    setSearchQuery(search_query_);
    return;
  }
  store_.run([](ConversationStore& s) { return s.conversations(); }, this,
             [this](std::vector<ConversationRecord> list) {
               if (search_query_.isEmpty()) conversations_.setConversations(list);
             });
}

void ChatController::setSearchQuery(const QString& query) {
  const bool changed = query != search_query_;
  search_query_ = query;
  if (changed) emit searchQueryChanged();
  if (query.trimmed().isEmpty()) {
    store_.run([](ConversationStore& s) { return s.conversations(); }, this,
               [this](std::vector<ConversationRecord> list) {
                 if (search_query_.trimmed().isEmpty()) conversations_.setConversations(list);
               });
    return;
  }
  store_.run([q = query.toStdString()](ConversationStore& s) { return s.search(q, 50); }, this,
             [this, query](std::vector<SearchHit> hits) {
               if (search_query_ == query) conversations_.setSearchHits(hits);
             });
}

void ChatController::newConversation() {
  current_conversation_ = 0;
  current_title_.clear();
  messages_.clear();
  setConversationModel(std::nullopt);
  settings_.load(settings_.values());  // a new chat starts with the settings last used
  emit currentConversationChanged();
}

void ChatController::selectConversation(qint64 conversation_id) {
  if (conversation_id == current_conversation_) return;
  openConversation(conversation_id, 0);
}

void ChatController::openSearchHit(qint64 conversation_id, qint64 message_id) {
  // While a reply streams into this conversation its branch stays put; just show the hit if it is visible.
  if (conversation_id == current_conversation_ && generating()) {
    if (const int row = messages_.rowOf(message_id); row >= 0) emit messageFocused(row);
    return;
  }
  openConversation(conversation_id, message_id);
}

void ChatController::openConversation(qint64 conversation_id, qint64 focus_message_id) {
  current_conversation_ = conversation_id;
  const int row = conversations_.rowOf(conversation_id);
  current_title_ =
      row >= 0 ? conversations_.data(conversations_.index(row), ConversationListModel::TitleRole).toString()
               : QString();
  messages_.clear();
  setConversationModel(std::nullopt);
  emit currentConversationChanged();
  struct Loaded {
    std::vector<MessageRecord> messages;
    std::vector<int64_t> active_path;
    std::string settings_json;
    std::optional<ModelDescription> model;
  };
  store_.run(
      [conversation_id, focus_message_id](ConversationStore& s) {
        // A search hit may sit on another branch: make its branch the one shown (and remembered).
        if (focus_message_id != 0) s.set_active(focus_message_id);
        Loaded loaded;
        loaded.messages = s.messages(conversation_id, loaded.active_path);
        loaded.settings_json = s.settings_json(conversation_id);
        loaded.model = s.conversation_model(conversation_id);
        return loaded;
      },
      this,
      [this, conversation_id, focus_message_id](Loaded loaded) {
        if (conversation_id != current_conversation_) return;  // the user moved on meanwhile
        messages_.setMessages(std::move(loaded.messages), loaded.active_path);
        if (streaming_conversation_ == conversation_id && streaming_message_)
          messages_.setActive(streaming_message_, true);
        settings_.load(ConversationSettings::fromJson(loaded.settings_json));
        setConversationModel(std::move(loaded.model));
        emit conversationLoaded(conversation_id);
        if (focus_message_id != 0)
          if (const int row = messages_.rowOf(focus_message_id); row >= 0) emit messageFocused(row);
      });
}

void ChatController::renameConversation(qint64 conversation_id, const QString& title) {
  const QString t = title.simplified();
  if (t.isEmpty()) return;
  conversations_.rename(conversation_id, t);
  if (conversation_id == current_conversation_) {
    current_title_ = t;
    emit currentConversationChanged();
  }
  store_.run([conversation_id,
              t = t.toStdString()](ConversationStore& s) { s.rename_conversation(conversation_id, t); },
             this, [] {});
}

void ChatController::deleteConversation(qint64 conversation_id) {
  if (generating() && conversation_id == streaming_conversation_) {
    setError(tr("Stop the reply before deleting its conversation."));
    return;
  }
  if (conversation_id == current_conversation_) newConversation();
  store_.run([conversation_id](ConversationStore& s) { s.delete_conversation(conversation_id); }, this,
             [this] { refreshConversations(); });
}

// ---- chat --------------------------------------------------------------------------------------------

// The conversation as the model is given it: the settings' system prompt, then the messages from the first
// down to `message_id` (none for 0).
std::vector<ChatTurn> ChatController::turnsTo(qint64 message_id, const GenerationSettings& settings) const {
  std::vector<ChatTurn> turns;
  if (!settings.system_prompt.empty()) turns.push_back({"system", settings.system_prompt});
  if (message_id != 0)
    for (const MessageRecord& m : messages_.chainTo(message_id)) turns.push_back({m.role, m.text});
  return turns;
}

bool ChatController::startGeneration(int64_t parent_id, const QString& user_text) {
  if (!model_loaded_ || generating()) return false;
  attention_.close();  // the reply changes what the chat's caches hold
  GenerationRequest request;
  request.conversation_id = current_conversation_;
  request.parent_id = parent_id;
  request.user_text = user_text.toStdString();
  request.settings = settings_.values();
  request.history = turnsTo(parent_id, request.settings);
  request_pending_ = true;
  streaming_conversation_ = current_conversation_;
  stats_ = {};
  emit statsChanged();
  emit generatingChanged();
  emit requestGeneration(request);
  return true;
}

bool ChatController::inspectAttention(int row) {
  const qint64 id = messages_.messageIdAt(row);
  if (id == 0 || !model_loaded_) return false;
  if (generating()) {
    setError(tr("Wait for the reply to finish before looking at attention."));
    return false;
  }
  AttentionRequest request;
  request.settings = settings_.values();
  request.turns = turnsTo(id, request.settings);
  request.id = attention_.begin(QString::fromStdString(request.turns.back().role));
  emit requestAttention(request);
  return true;
}

QString ChatController::compareBlocker(GenerationSettings& base) const {
  base = settings_.values();
  if (!model_loaded_) return tr("no model is loaded");
  if (generating()) return tr("wait for the chat's reply to finish");
  return {};
}

QString ChatController::lastUserText() const {
  for (int row = messages_.rowCount() - 1; row >= 0; --row) {
    const QModelIndex index = messages_.index(row);
    if (messages_.data(index, MessageListModel::AuthorRole).toString() == QLatin1String("user"))
      return messages_.data(index, MessageListModel::TextRole).toString();
  }
  return {};
}

bool ChatController::send(const QString& text) {
  if (text.trimmed().isEmpty()) return false;
  const qint64 last = messages_.messageIdAt(messages_.rowCount() - 1);
  return startGeneration(last, text.trimmed());
}

void ChatController::stop() {
  worker_->requestStop(0);
}

bool ChatController::regenerate(int row) {
  const qint64 id = messages_.messageIdAt(row);
  if (id == 0 || messages_.tree().message(id).role != "assistant") return false;
  return startGeneration(messages_.tree().message(id).parent_id, {});
}

bool ChatController::editMessage(int row, const QString& text) {
  const qint64 id = messages_.messageIdAt(row);
  if (id == 0 || messages_.tree().message(id).role != "user" || text.trimmed().isEmpty()) return false;
  return startGeneration(messages_.tree().message(id).parent_id, text.trimmed());
}

void ChatController::switchBranch(int row, int step) {
  const qint64 chosen = messages_.switchBranch(row, step);
  if (chosen == 0) return;
  store_.run([chosen](ConversationStore& s) { s.set_active(chosen); }, this, [] {});
}

void ChatController::deleteMessage(int row) {
  const qint64 id = messages_.messageIdAt(row);
  if (id == 0) return;
  if (generating()) {
    setError(tr("Stop the reply before deleting messages."));
    return;
  }
  messages_.removeMessage(id);
  store_.run([id](ConversationStore& s) { s.delete_message(id); }, this, [] {});
}

void ChatController::copyText(const QString& text) {
  QGuiApplication::clipboard()->setText(text);
}

void ChatController::copyMessage(const QString& text, bool reply) {
  copyText(reply ? MarkdownBlockSplitter::answer(text) : text);
}

void ChatController::onGenerationFinished(int slot, qint64 message_id, MessageState state,
                                          const GenerationStats& stats, const QString& error) {
  if (slot != 0) return;
  flushText();
  messages_.setFinished(message_id, state, stats.generated_tokens, stats.generation_tokens_per_s,
                        model_.device, error.toStdString());
  messages_.setActive(message_id, false);
  stats_ = stats;
  request_pending_ = false;
  streaming_message_ = 0;
  if (!error.isEmpty()) setError(error);
  emit statsChanged();
  emit generatingChanged();
  const char* names[] = {"complete", "streaming", "stopped", "interrupted", "failed"};
  emit replyFinished(message_id, QString::fromLatin1(names[static_cast<int>(state)]));
  refreshConversations();
}

// ---- models ------------------------------------------------------------------------------------------

void ChatController::loadModel(const QString& path_or_url) {
  loadModelOn(path_or_url, settings_.device());
}

void ChatController::loadModelOn(const QString& path_or_url, const QString& device) {
  const QUrl url(path_or_url);
  const QString path = url.isLocalFile() ? url.toLocalFile() : path_or_url;
  if (path.isEmpty() || model_loading_) return;
  // Read the header on a pool thread first: a model that cannot run says why without being loaded.
  pending_load_path_ = path;
  pending_load_device_ = device;
  model_loading_ = true;
  load_progress_ = 0;
  model_error_.clear();
  emit modelChanged();
  emit loadProgressChanged();
  model_files_.probe(path, backends_.capabilities());
}

void ChatController::onModelProbed(const ModelFileSummary& summary) {
  if (pending_load_path_.isEmpty()) return;
  const QString path = QString::fromStdString(summary.path.string());
  pending_load_path_.clear();
  if (!summary.runnable) {
    model_loading_ = false;
    model_error_ = tr("%1 cannot run here: %2")
                       .arg(QString::fromStdString(summary.name), QString::fromStdString(summary.problem));
    emit modelChanged();
    return;
  }
  model_path_ = path;
  model_loaded_ = false;
  emit modelChanged();
  emit conversationModelChanged();
  emit requestLoad(path, pending_load_device_);
}

void ChatController::setConversationModel(std::optional<ModelDescription> model) {
  conversation_model_ = std::move(model);
  emit conversationModelChanged();
}

QString ChatController::conversationModelName() const {
  if (!conversation_model_) return {};
  return QFileInfo(QString::fromStdString(conversation_model_->path)).fileName();
}

bool ChatController::conversationModelDiffers() const {
  if (!conversation_model_) return false;
  if (!model_loaded_) return true;
  // The header hash says whether it is the same model (a moved copy is; a re-quantized file is not); until
  // the loaded one is hashed, the path has to do.
  if (model_description_) return model_description_->header_sha256 != conversation_model_->header_sha256;
  return QFileInfo(model_path_).absoluteFilePath().toStdString() != conversation_model_->path;
}

void ChatController::rescanModels() {
  model_files_.scan(backends_.model_folders, {}, backends_.capabilities());
}

}  // namespace glasswing::ui
