#pragma once
// The values the store reads and writes. Plain data; times are Unix milliseconds (UTC).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glasswing::storage {

enum class Role { system, user, assistant };
enum class MessageStatus { complete, streaming, interrupted, error };

std::string_view to_string(Role role);
std::string_view to_string(MessageStatus status);
std::optional<Role> role_from_string(std::string_view text);
std::optional<MessageStatus> status_from_string(std::string_view text);

// Unix milliseconds as UTC text in a strftime format (whole seconds; at most 31 characters).
std::string format_utc(int64_t unix_ms, const char* format);

// A model file as it was seen when a conversation used it.
struct ModelRecord {
  int64_t id = 0;  // 0 until stored
  std::string path;
  int64_t file_size_bytes = 0;
  std::string header_sha256;  // lowercase hex
  std::string architecture;
  std::string quant;
  int64_t n_params = 0;
};

struct Conversation {
  int64_t id = 0;
  std::string title;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  bool pinned = false;
  std::optional<int64_t> model_id;
  std::string system_prompt;
  nlohmann::json sampler_settings = nlohmann::json::object();
  std::optional<int64_t> seed;
  // Non-empty when a stored field could not be read (e.g. invalid settings JSON); the rest is still usable.
  std::string load_problem;
};

struct ConversationSummary {
  Conversation conversation;
  int64_t n_messages = 0;
};

struct Timings {
  std::optional<double> time_to_first_token_ms;
  std::optional<double> prompt_tokens_per_s;
  std::optional<double> generation_tokens_per_s;
  bool operator==(const Timings&) const = default;
};

struct Message {
  int64_t id = 0;
  int64_t conversation_id = 0;
  std::optional<int64_t> parent_id;  // nullopt: a root (first message, or an edit of it)
  Role role = Role::user;
  std::string content;
  int64_t token_count = 0;
  MessageStatus status = MessageStatus::complete;
  std::string status_reason;  // why it is an error or was interrupted
  int64_t created_ms = 0;
  Timings timings;
  std::string device;
  std::string backend;
};

// Every message of a conversation, in creation (id) order, and the path of the active branch.
struct ConversationTree {
  Conversation conversation;
  std::vector<Message> messages;
  std::vector<int64_t> active_path;  // root first, leaf last

  const Message* find(int64_t message_id) const;
  std::vector<const Message*> children_of(std::optional<int64_t> parent_id) const;  // in id order
};

struct SearchHit {
  int64_t conversation_id = 0;
  std::string conversation_title;
  int64_t message_id = 0;
  Role role = Role::user;
  std::string snippet;  // with the matched terms between the markers given to search()
  double rank = 0;      // FTS5 bm25: lower is a better match
};

enum class ComparisonKind { prompts, settings };

struct Comparison {
  int64_t id = 0;
  int64_t conversation_id = 0;
  ComparisonKind kind = ComparisonKind::prompts;
  std::string title;
  int64_t created_ms = 0;
  int64_t left_root_id = 0;  // root messages of the two result branches
  int64_t right_root_id = 0;
  nlohmann::json left_settings = nlohmann::json::object();
  nlohmann::json right_settings = nlohmann::json::object();
  std::string load_problem;
};

}  // namespace glasswing::storage
