#pragma once
// ConversationStore over glasswing_storage (the SQLite store). One call opens one connection.
#include <filesystem>
#include <memory>

#include "ui/backend/conversation_store.h"

namespace glasswing::ui {

std::unique_ptr<ConversationStore> open_sqlite_store(const std::filesystem::path& path);

}  // namespace glasswing::ui
