#include "storage/records.h"

#include <algorithm>
#include <ctime>

namespace glasswing::storage {

std::string format_utc(int64_t unix_ms, const char* format) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  if (std::strftime(text, sizeof text, format, &tm) == 0) return {};
  return text;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::system:
      return "system";
    case Role::user:
      return "user";
    case Role::assistant:
      return "assistant";
  }
  return "user";
}

std::string_view to_string(MessageStatus status) {
  switch (status) {
    case MessageStatus::complete:
      return "complete";
    case MessageStatus::streaming:
      return "streaming";
    case MessageStatus::interrupted:
      return "interrupted";
    case MessageStatus::error:
      return "error";
  }
  return "complete";
}

std::optional<Role> role_from_string(std::string_view text) {
  for (Role r : {Role::system, Role::user, Role::assistant})
    if (to_string(r) == text) return r;
  return std::nullopt;
}

std::optional<MessageStatus> status_from_string(std::string_view text) {
  for (MessageStatus s :
       {MessageStatus::complete, MessageStatus::streaming, MessageStatus::interrupted, MessageStatus::error})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

const Message* ConversationTree::find(int64_t message_id) const {
  // messages are sorted by id
  auto it = std::lower_bound(messages.begin(), messages.end(), message_id,
                             [](const Message& m, int64_t id) { return m.id < id; });
  return it != messages.end() && it->id == message_id ? &*it : nullptr;
}

std::vector<const Message*> ConversationTree::children_of(std::optional<int64_t> parent_id) const {
  std::vector<const Message*> out;
  for (const Message& m : messages)
    if (m.parent_id == parent_id) out.push_back(&m);
  return out;
}

}  // namespace glasswing::storage
