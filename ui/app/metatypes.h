#pragma once
// The plain structs that travel between the GUI thread and the workers in queued signals.
#include <QMetaType>
#include <array>
#include <vector>

#include "ui/backend/chat_engine.h"
#include "ui/backend/conversation_store.h"
#include "ui/core/model_probe.h"

namespace glasswing::ui {

// One reply to produce: below `parent_id` (0: the conversation's first message), optionally after adding a
// new user message there (send and edit); `history` holds the turns above the reply, user text included.
struct GenerationRequest {
  int slot = 0;                 // which session: 0 the chat, 1 the second side of the compare view
  int64_t conversation_id = 0;  // 0: create a conversation first
  int64_t parent_id = 0;
  std::string user_text;          // empty: regenerate below parent_id
  std::vector<ChatTurn> history;  // the turns before the reply (user_text not included)
  GenerationSettings settings;
};

// An attention view's question: the conversation up to and including the message to look at (its last turn),
// evaluated with the conversation's settings (context length) on the chat's session.
struct AttentionRequest {
  int64_t id = 0;  // the view's request number: answers to an older one are dropped
  std::vector<ChatTurn> turns;
  GenerationSettings settings;
};

// One head's map asked for by the view that made request `request_id`.
struct AttentionMapRequest {
  int64_t request_id = 0;
  int layer = 0, head = 0;
  int query_begin = 0, query_end = 0, key_begin = 0, key_end = 0;
};

// Two replies to stream side by side (the compare view), on sessions of their own.
struct CompareRequest {
  int64_t id = 0;  // the view's run number: tokens of an older run are dropped
  std::array<CompareSide, 2> sides;
};

void register_metatypes();

}  // namespace glasswing::ui

Q_DECLARE_METATYPE(glasswing::ui::MessageRecord)
Q_DECLARE_METATYPE(glasswing::ui::ConversationRecord)
Q_DECLARE_METATYPE(glasswing::ui::ModelDescription)
Q_DECLARE_METATYPE(glasswing::ui::GenerationStats)
Q_DECLARE_METATYPE(glasswing::ui::LoadedModel)
Q_DECLARE_METATYPE(glasswing::ui::GenerationRequest)
Q_DECLARE_METATYPE(glasswing::ui::MessageState)
Q_DECLARE_METATYPE(glasswing::ui::ModelFileSummary)
Q_DECLARE_METATYPE(glasswing::ui::AttentionRequest)
Q_DECLARE_METATYPE(glasswing::ui::AttentionMapRequest)
Q_DECLARE_METATYPE(glasswing::ui::AttentionContext)
Q_DECLARE_METATYPE(glasswing::ui::AttentionMap)
Q_DECLARE_METATYPE(glasswing::ui::CompareRequest)
Q_DECLARE_METATYPE(glasswing::ui::CompareToken)
Q_DECLARE_METATYPE(glasswing::ui::StopReason)
