#pragma once
// The object QML talks to (GUI thread). It owns the list models, the InferenceWorker on its own QThread and
// the GUI's storage thread; every invokable returns at once, and results come back as queued signals that
// update the models here. QML only binds to its properties and calls its invokables.
#include <QtQml/qqmlregistration.h>

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QThread>
#include <QTimer>

#include "ui/app/attention_inspector.h"
#include "ui/app/compare_controller.h"
#include "ui/app/conversation_settings.h"
#include "ui/app/inference_worker.h"
#include "ui/app/store_thread.h"
#include "ui/models/conversation_list_model.h"
#include "ui/models/message_list_model.h"
#include "ui/models/model_file_list_model.h"

namespace glasswing::ui {

// Where the controller gets storage and the engine from: the real libraries in the app, twins in tests.
struct Backends {
  StoreFactory store;
  EngineFactory engine;
  ModelDescriber describe_model;  // the loaded model's record for storage (backend/model_description.h)
  std::function<EngineCapabilities()> capabilities;
  std::vector<ModelFolder> model_folders;
};

class ChatController : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("Created by the application")

  Q_PROPERTY(glasswing::ui::ConversationListModel* conversations READ conversations CONSTANT)
  Q_PROPERTY(glasswing::ui::MessageListModel* messages READ messages CONSTANT)
  Q_PROPERTY(glasswing::ui::ModelFileListModel* modelFiles READ modelFiles CONSTANT)
  Q_PROPERTY(glasswing::ui::ConversationSettings* settings READ settings CONSTANT)
  Q_PROPERTY(glasswing::ui::AttentionInspector* attention READ attention CONSTANT)
  Q_PROPERTY(glasswing::ui::CompareController* compare READ compare CONSTANT)
  Q_PROPERTY(qint64 currentConversationId READ currentConversationId NOTIFY currentConversationChanged)
  Q_PROPERTY(QString currentTitle READ currentTitle NOTIFY currentConversationChanged)
  Q_PROPERTY(QString searchQuery READ searchQuery WRITE setSearchQuery NOTIFY searchQueryChanged)
  Q_PROPERTY(QStringList devices READ devices NOTIFY devicesChanged)
  Q_PROPERTY(bool modelLoaded READ modelLoaded NOTIFY modelChanged)
  Q_PROPERTY(bool modelLoading READ modelLoading NOTIFY modelChanged)
  Q_PROPERTY(double loadProgress READ loadProgress NOTIFY loadProgressChanged)
  Q_PROPERTY(QString modelName READ modelName NOTIFY modelChanged)
  Q_PROPERTY(QString modelPath READ modelPath NOTIFY modelChanged)
  Q_PROPERTY(QString modelFileName READ modelFileName NOTIFY modelChanged)
  Q_PROPERTY(QString modelError READ modelError NOTIFY modelChanged)
  Q_PROPERTY(QString deviceName READ deviceName NOTIFY modelChanged)
  Q_PROPERTY(QString backendName READ backendName NOTIFY modelChanged)
  Q_PROPERTY(QString fallbackReason READ fallbackReason NOTIFY modelChanged)
  // The loaded model's chat template can turn thinking off (Qwen3's enable_thinking; settings.thinking).
  Q_PROPERTY(bool modelHasThinkingSwitch READ modelHasThinkingSwitch NOTIFY modelChanged)
  // ... or takes a reasoning effort (gpt-oss's reasoning_effort; settings.reasoningEffort).
  Q_PROPERTY(bool modelHasReasoningEffort READ modelHasReasoningEffort NOTIFY modelChanged)
  Q_PROPERTY(bool generating READ generating NOTIFY generatingChanged)
  Q_PROPERTY(int contextUsed READ contextUsed NOTIFY statsChanged)
  Q_PROPERTY(int contextTotal READ contextTotal NOTIFY statsChanged)
  Q_PROPERTY(double timeToFirstTokenMs READ timeToFirstTokenMs NOTIFY statsChanged)
  Q_PROPERTY(double promptTokensPerSecond READ promptTokensPerSecond NOTIFY statsChanged)
  Q_PROPERTY(double generationTokensPerSecond READ generationTokensPerSecond NOTIFY statsChanged)
  // The earliest messages the last reply's prompt left out: the conversation outgrew the context.
  Q_PROPERTY(int turnsLeftOut READ turnsLeftOut NOTIFY statsChanged)
  Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)
  // The model file the current conversation last used ("" when none is recorded), and whether it is not the
  // loaded one (the header then says "last used: X"; the app never switches models by itself).
  Q_PROPERTY(QString conversationModelName READ conversationModelName NOTIFY conversationModelChanged)
  Q_PROPERTY(bool conversationModelDiffers READ conversationModelDiffers NOTIFY conversationModelChanged)

 public:
  explicit ChatController(Backends backends, QObject* parent = nullptr);
  ~ChatController() override;

  [[nodiscard]] ConversationListModel* conversations() { return &conversations_; }
  [[nodiscard]] MessageListModel* messages() { return &messages_; }
  [[nodiscard]] ModelFileListModel* modelFiles() { return &model_files_; }
  [[nodiscard]] ConversationSettings* settings() { return &settings_; }
  [[nodiscard]] AttentionInspector* attention() { return &attention_; }
  [[nodiscard]] CompareController* compare() { return &compare_; }
  [[nodiscard]] qint64 currentConversationId() const { return current_conversation_; }
  [[nodiscard]] QString currentTitle() const { return current_title_; }
  [[nodiscard]] QString searchQuery() const { return search_query_; }
  void setSearchQuery(const QString& query);
  [[nodiscard]] QStringList devices() const { return devices_; }
  [[nodiscard]] bool modelLoaded() const { return model_loaded_; }
  [[nodiscard]] bool modelLoading() const { return model_loading_; }
  [[nodiscard]] double loadProgress() const { return load_progress_; }
  [[nodiscard]] QString modelName() const { return QString::fromStdString(model_.name); }
  [[nodiscard]] QString modelPath() const { return model_path_; }
  [[nodiscard]] QString modelFileName() const { return model_path_.section(QLatin1Char('/'), -1); }
  [[nodiscard]] QString modelError() const { return model_error_; }
  [[nodiscard]] QString deviceName() const { return QString::fromStdString(model_.device); }
  [[nodiscard]] QString backendName() const { return QString::fromStdString(model_.backend); }
  [[nodiscard]] QString fallbackReason() const { return QString::fromStdString(model_.fallback_reason); }
  [[nodiscard]] bool modelHasThinkingSwitch() const { return model_.thinking_switch; }
  [[nodiscard]] bool modelHasReasoningEffort() const { return model_.reasoning_effort; }
  [[nodiscard]] bool generating() const { return streaming_message_ != 0 || request_pending_; }
  [[nodiscard]] int contextUsed() const { return stats_.context_used; }
  [[nodiscard]] int contextTotal() const {
    return stats_.context_total ? stats_.context_total : model_.context_length;
  }
  [[nodiscard]] double timeToFirstTokenMs() const { return stats_.time_to_first_token_ms; }
  [[nodiscard]] double promptTokensPerSecond() const { return stats_.prompt_tokens_per_s; }
  [[nodiscard]] double generationTokensPerSecond() const { return stats_.generation_tokens_per_s; }
  [[nodiscard]] int turnsLeftOut() const { return stats_.turns_left_out; }
  [[nodiscard]] QString lastError() const { return last_error_; }
  [[nodiscard]] qint64 streamingMessageId() const { return streaming_message_; }
  [[nodiscard]] QString conversationModelName() const;
  [[nodiscard]] bool conversationModelDiffers() const;

  // Conversations.
  Q_INVOKABLE void newConversation();
  Q_INVOKABLE void selectConversation(qint64 conversation_id);
  // Opens the conversation of a search hit on the branch that holds the message, and scrolls to it.
  Q_INVOKABLE void openSearchHit(qint64 conversation_id, qint64 message_id);
  Q_INVOKABLE void renameConversation(qint64 conversation_id, const QString& title);
  Q_INVOKABLE void deleteConversation(qint64 conversation_id);
  Q_INVOKABLE void refreshConversations();

  // Chat. Rows are MessageListModel rows.
  Q_INVOKABLE bool send(const QString& text);
  Q_INVOKABLE void stop();
  Q_INVOKABLE bool regenerate(int row);
  Q_INVOKABLE bool editMessage(int row, const QString& text);
  Q_INVOKABLE void switchBranch(int row, int step);
  Q_INVOKABLE void deleteMessage(int row);
  Q_INVOKABLE void copyText(const QString& text);
  // A message to the clipboard: a reply without its reasoning (MarkdownBlockSplitter::answer).
  Q_INVOKABLE void copyMessage(const QString& text, bool reply);
  // Opens the attention view on a message: the worker evaluates the conversation up to it (usually already
  // in the chat's caches) and the view shows every head's overview and one head's map. Not while a reply
  // is being generated.
  Q_INVOKABLE bool inspectAttention(int row);
  // The text of the last user message of the branch shown ("" when there is none): the compare view starts
  // from it.
  Q_INVOKABLE QString lastUserText() const;

  // Models: a path or a file:// URL (file dialog, drag and drop, command line).
  Q_INVOKABLE void loadModel(const QString& path_or_url);
  Q_INVOKABLE void rescanModels();

  // Starts the workers; call once the QML is loaded. The model (if any) loads on `device` (an entry of
  // devices(); "": the settings' device, which defaults to Auto).
  void start(const QString& model_path, const QString& device = {});

 signals:
  void currentConversationChanged();
  void searchQueryChanged();
  void devicesChanged();
  void modelChanged();
  void loadProgressChanged();
  void generatingChanged();
  void statsChanged();
  void lastErrorChanged();
  void conversationModelChanged();
  void conversationLoaded(qint64 conversation_id);
  void messageFocused(int row);  // the chat view scrolls there
  void replyFinished(qint64 message_id, const QString& state);

  // To the worker (queued).
  void requestLoad(const QString& path, const QString& device);
  void requestGeneration(const glasswing::ui::GenerationRequest& request);
  void requestAttention(const glasswing::ui::AttentionRequest& request);

 private:
  bool startGeneration(int64_t parent_id, const QString& user_text);
  void openConversation(qint64 conversation_id, qint64 focus_message_id);
  void loadModelOn(const QString& path_or_url, const QString& device);
  void setConversationModel(std::optional<ModelDescription> model);
  void setError(const QString& message);
  QString compareBlocker(GenerationSettings& base) const;
  std::vector<ChatTurn> turnsTo(qint64 message_id, const GenerationSettings& settings) const;
  void flushText();
  void onModelProbed(const ModelFileSummary& summary);
  void onGenerationFinished(int slot, qint64 message_id, MessageState state, const GenerationStats& stats,
                            const QString& error);

  Backends backends_;
  ConversationListModel conversations_;
  MessageListModel messages_;
  ModelFileListModel model_files_;
  ConversationSettings settings_;
  AttentionInspector attention_;
  CompareController compare_{[this](GenerationSettings& base) { return compareBlocker(base); }};
  StoreThread store_;
  QThread worker_thread_;
  InferenceWorker* worker_ = nullptr;    // lives on worker_thread_
  QTimer settings_save_;                 // debounces settings writes
  QTimer text_flush_;                    // hands streamed text to the list model once per frame
  QHash<qint64, QString> pending_text_;  // message id -> text received since the last flush

  qint64 current_conversation_ = 0;
  QString current_title_;
  QString search_query_;
  QStringList devices_{QStringLiteral("CPU")};
  bool model_loaded_ = false;
  bool model_loading_ = false;
  double load_progress_ = 0;
  QString model_path_;
  QString pending_load_path_;  // probed before loading
  QString pending_load_device_;
  QString model_error_;
  LoadedModel model_;
  std::optional<ModelDescription> model_description_;   // of the loaded model, once hashed
  std::optional<ModelDescription> conversation_model_;  // what the current conversation last used
  GenerationStats stats_;
  bool request_pending_ = false;       // sent to the worker, not started yet
  qint64 streaming_conversation_ = 0;  // the conversation the running reply belongs to
  qint64 streaming_message_ = 0;
  QString last_error_;
};

}  // namespace glasswing::ui
