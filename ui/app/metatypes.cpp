#include "ui/app/metatypes.h"

namespace glasswing::ui {

void register_metatypes() {
  qRegisterMetaType<MessageRecord>();
  qRegisterMetaType<ConversationRecord>();
  qRegisterMetaType<ModelDescription>();
  qRegisterMetaType<GenerationStats>();
  qRegisterMetaType<LoadedModel>();
  qRegisterMetaType<GenerationRequest>();
  qRegisterMetaType<MessageState>();
  qRegisterMetaType<ModelFileSummary>();
  qRegisterMetaType<AttentionRequest>();
  qRegisterMetaType<AttentionMapRequest>();
  qRegisterMetaType<AttentionContext>();
  qRegisterMetaType<AttentionMap>();
  qRegisterMetaType<CompareRequest>();
  qRegisterMetaType<CompareToken>();
  qRegisterMetaType<StopReason>();
}

}  // namespace glasswing::ui
