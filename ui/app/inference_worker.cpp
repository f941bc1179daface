#include "ui/app/inference_worker.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QThread>

namespace glasswing::ui {

namespace {

// How many of the model's most likely tokens the compare view gets with each compared token.
constexpr int kCompareCandidates = 5;

// A title from the first words of the first prompt.
std::string title_from(const std::string& text) {
  QString t = QString::fromStdString(text).simplified();
  if (t.size() > 48) t = t.left(47) + QChar(0x2026);
  return t.isEmpty() ? std::string("New chat") : t.toStdString();
}

// Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence. A token may carry half
// a character (byte-fallback tokens); the rest arrives with the next token.
size_t complete_utf8_prefix(std::string_view bytes) {
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead byte
    const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

}  // namespace

InferenceWorker::InferenceWorker(StoreFactory store_factory, EngineFactory engine_factory,
                                 ModelDescriber describe_model)
    : store_factory_(std::move(store_factory)),
      engine_factory_(std::move(engine_factory)),
      describe_model_(std::move(describe_model)) {
  token_delay_ms_ = qEnvironmentVariableIntValue("GLASSWING_TEST_TOKEN_DELAY_MS");
}

InferenceWorker::~InferenceWorker() = default;

void InferenceWorker::start() {
  try {
    store_ = store_factory_();
    engine_ = engine_factory_();
    QStringList devices;
    for (const auto& d : engine_->devices()) devices << QString::fromStdString(d);
    emit started(devices);
  } catch (const std::exception& e) {
    start_error_ = QString::fromStdString(e.what());
    emit failed(start_error_);
  }
}

void InferenceWorker::loadModel(const QString& path, const QString& device) {
  if (!engine_) {
    emit modelLoadFailed(
        path, start_error_.isEmpty() ? QStringLiteral("the inference worker did not start") : start_error_);
    return;
  }
  sessions_.clear();  // sessions belong to the model being replaced
  description_.reset();
  try {
    loaded_ = engine_->load(path.toStdString(), device.toStdString(),
                            [this](double fraction) { emit loadProgress(fraction); });
    emit modelLoaded(loaded_);
  } catch (const std::exception& e) {
    emit modelLoadFailed(path, QString::fromStdString(e.what()));
    return;
  }
  // Hashed here, after the model is usable and off the GUI thread; requests queued meanwhile wait for it, so
  // every reply of this load records the model.
  if (!describe_model_) return;
  try {
    description_ = describe_model_(path.toStdString());
    emit modelDescribed(*description_);
  } catch (const std::exception& e) {
    emit failed(
        QStringLiteral("Cannot record which model this is: %1").arg(QString::fromStdString(e.what())));
  }
}

void InferenceWorker::generate(const GenerationRequest& request) {
  const size_t slot = static_cast<size_t>(request.slot);
  if (!store_ || !engine_ || slot >= stop_.size()) return;
  stop_[slot].store(false);
  std::vector<ChatTurn> turns = request.history;
  std::unique_ptr<ReplyWriter> writer;
  MessageRecord assistant;
  try {
    int64_t conversation_id = request.conversation_id;
    if (conversation_id == 0) {
      const std::string title = title_from(request.user_text);
      conversation_id = store_->create_conversation(title);
      emit conversationCreated(
          ConversationRecord{conversation_id, title, QDateTime::currentMSecsSinceEpoch(), {}});
    }
    if (description_) {
      // Refreshes the model's row (last seen) and makes it the conversation's model.
      store_->set_model(conversation_id, store_->record_model(*description_));
      emit conversationModelRecorded(conversation_id, *description_);
    }
    int64_t parent_id = request.parent_id;
    if (!request.user_text.empty()) {
      const MessageRecord user = store_->add_message(conversation_id, parent_id, "user", request.user_text);
      emit messageAdded(user);
      parent_id = user.id;
      turns.push_back({"user", request.user_text});
    }
    writer = store_->start_reply(conversation_id, parent_id, assistant);
    emit messageAdded(assistant);
    emit generationStarted(request.slot, assistant.id);
  } catch (const std::exception& e) {
    emit generationFinished(request.slot, assistant.id, MessageState::Failed, {},
                            QString::fromStdString(e.what()));
    return;
  }

  GenerationStats stats;
  std::string partial;  // the start of a character whose remaining bytes are still to come
  QElapsedTimer since_stats;
  since_stats.start();
  MessageState final_state = MessageState::Complete;
  QString error;
  try {
    const StopReason reason =
        session(request.slot)
            .generate(
                turns, request.settings,
                [&](std::string_view piece, const GenerationStats& live) {
                  if (token_delay_ms_ > 0) QThread::msleep(static_cast<unsigned long>(token_delay_ms_));
                  partial.append(piece);
                  const size_t complete = complete_utf8_prefix(partial);
                  if (complete > 0) {
                    const std::string_view text(partial.data(), complete);
                    writer->append(text);  // storage batches the commits
                    emit textDelta(assistant.id,
                                   QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size())));
                    partial.erase(0, complete);
                  }
                  if (since_stats.elapsed() >= 100) {
                    emit statsChanged(request.slot, live);
                    since_stats.restart();
                  }
                },
                stop_[slot], stats);
    if (reason == StopReason::Stopped) final_state = MessageState::Stopped;
  } catch (const std::exception& e) {
    final_state = MessageState::Failed;
    error = QString::fromStdString(e.what());
  }
  try {
    writer->finish(
        final_state, error.toStdString(),
        ReplyMetrics{stats.generated_tokens, stats.time_to_first_token_ms, stats.prompt_tokens_per_s,
                     stats.generation_tokens_per_s, loaded_.device, loaded_.backend});
  } catch (const std::exception& e) {
    final_state = MessageState::Failed;
    error = QString::fromStdString(e.what());
  }
  emit statsChanged(request.slot, stats);
  emit generationFinished(request.slot, assistant.id, final_state, stats, error);
}

ChatSession& InferenceWorker::session(int slot) {
  auto& s = sessions_[slot];
  if (!s) s = engine_->new_session();  // on first use after a load: the engine must have a model
  return *s;
}

void InferenceWorker::inspectAttention(const AttentionRequest& request) {
  if (!engine_) return emit attentionFailed(request.id, tr("the inference worker did not start"));
  try {
    emit attentionInspected(request.id, session(0).inspect_attention(request.turns, request.settings));
  } catch (const std::exception& e) {
    emit attentionFailed(request.id, QString::fromStdString(e.what()));
  }
}

void InferenceWorker::attentionMap(const AttentionMapRequest& request) {
  const auto session = sessions_.find(0);
  if (session == sessions_.end() || !session->second)
    return emit attentionFailed(request.request_id, tr("the model was reloaded: inspect the message again"));
  try {
    emit attentionMapReady(request.request_id, session->second->attention_map(
                                                   request.layer, request.head, request.query_begin,
                                                   request.query_end, request.key_begin, request.key_end));
  } catch (const std::exception& e) {
    emit attentionFailed(request.request_id, QString::fromStdString(e.what()));
  }
}

void InferenceWorker::compare(const CompareRequest& request) {
  std::array<GenerationStats, 2> stats{};
  if (!engine_) {
    emit compareFinished(request.id, StopReason::Stopped, StopReason::Stopped, stats[0], stats[1],
                         tr("the inference worker did not start"));
    return;
  }
  stop_[1].store(false);
  std::array<std::string, 2> partial;  // per side: the start of a character still to come
  std::array<StopReason, 2> reasons{StopReason::Stopped, StopReason::Stopped};
  QString error;
  try {
    reasons = engine_->compare(
        request.sides, kCompareCandidates,
        [&](const CompareToken& token) {
          if (token_delay_ms_ > 0) QThread::msleep(static_cast<unsigned long>(token_delay_ms_));
          std::string& held = partial[static_cast<size_t>(token.side)];
          held.append(token.text);
          const size_t complete = complete_utf8_prefix(held);
          CompareToken whole = token;
          whole.text = held.substr(0, complete);
          held.erase(0, complete);
          emit compareToken(request.id, whole);
        },
        stop_[1], stats);
  } catch (const std::exception& e) {
    error = QString::fromStdString(e.what());
  }
  emit compareFinished(request.id, reasons[0], reasons[1], stats[0], stats[1], error);
}

}  // namespace glasswing::ui
