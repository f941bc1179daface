#pragma once
// Owns the engine, its sessions and a storage connection on its own thread (Qt's worker-object pattern).
// The GUI thread talks to it only through queued signals and the atomic stop flags; it never waits on it.
// Streamed text goes to storage from here through a ReplyWriter, which commits in batches (every 250 ms or
// 32 pieces): a crash loses at most one batch and leaves the message Streaming, shown later as interrupted.
#include <QObject>
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <optional>

#include "ui/app/metatypes.h"

namespace glasswing::ui {

class InferenceWorker : public QObject {
  Q_OBJECT

 public:
  static constexpr int kSlots = 2;  // the chat and the second side of the compare view

  // describe_model reads and hashes a model file's header (empty: models are not recorded).
  InferenceWorker(StoreFactory store_factory, EngineFactory engine_factory, ModelDescriber describe_model);
  ~InferenceWorker() override;

  // Thread-safe: asks the generation in `slot` to stop before its next token.
  void requestStop(int slot) { stop_[static_cast<size_t>(slot)].store(true); }

 public slots:
  // Opens storage and the engine; must run on the worker thread (queued after the thread starts).
  void start();
  void loadModel(const QString& path, const QString& device);
  void generate(const glasswing::ui::GenerationRequest& request);
  // Attention views: they use the chat's session (slot 0), whose caches usually already hold the
  // conversation, so inspecting the reply just written costs one token's evaluation and no second cache.
  void inspectAttention(const glasswing::ui::AttentionRequest& request);
  void attentionMap(const glasswing::ui::AttentionMapRequest& request);
  // The compare view: two replies a token of each in turn, on sessions of their own (slot 1's stop flag).
  void compare(const glasswing::ui::CompareRequest& request);

 signals:
  void started(const QStringList& devices);
  void failed(const QString& message);  // storage or engine could not start
  void loadProgress(double fraction);
  void modelLoaded(const glasswing::ui::LoadedModel& model);
  void modelLoadFailed(const QString& path, const QString& reason);
  // After modelLoaded: the loaded file as storage records it (hashed here, once per load).
  void modelDescribed(const glasswing::ui::ModelDescription& model);
  // A reply in the conversation is being made with this model, and the store now says so.
  void conversationModelRecorded(qint64 conversation_id, const glasswing::ui::ModelDescription& model);
  void conversationCreated(const glasswing::ui::ConversationRecord& conversation);
  void messageAdded(const glasswing::ui::MessageRecord& message);
  void generationStarted(int slot, qint64 message_id);
  void textDelta(qint64 message_id, const QString& text_delta);
  void statsChanged(int slot, const glasswing::ui::GenerationStats& stats);
  void generationFinished(int slot, qint64 message_id, glasswing::ui::MessageState state,
                          const glasswing::ui::GenerationStats& stats, const QString& error);
  void attentionInspected(qint64 request_id, const glasswing::ui::AttentionContext& context);
  void attentionMapReady(qint64 request_id, const glasswing::ui::AttentionMap& map);
  void attentionFailed(qint64 request_id, const QString& message);
  // A compared token; its text is whole characters (bytes of one that is not complete yet come later).
  void compareToken(qint64 request_id, const glasswing::ui::CompareToken& token);
  void compareFinished(qint64 request_id, glasswing::ui::StopReason reason_a,
                       glasswing::ui::StopReason reason_b, const glasswing::ui::GenerationStats& stats_a,
                       const glasswing::ui::GenerationStats& stats_b, const QString& error);

 private:
  // The engine session of `slot`, made on first use after a model load.
  ChatSession& session(int slot);

  StoreFactory store_factory_;
  EngineFactory engine_factory_;
  ModelDescriber describe_model_;
  std::unique_ptr<ConversationStore> store_;
  std::unique_ptr<ChatEngine> engine_;
  QString start_error_;  // why start() failed: every later load says so instead of waiting forever
  std::map<int, std::unique_ptr<ChatSession>> sessions_;
  LoadedModel loaded_;  // what the last load reported (device and backend are stored with each reply)
  std::optional<ModelDescription> description_;  // of the loaded file; recorded with every reply
  std::array<std::atomic<bool>, kSlots> stop_{};
  int token_delay_ms_ = 0;  // GLASSWING_TEST_TOKEN_DELAY_MS: paces tiny models so tests can act mid-reply
};

}  // namespace glasswing::ui
