#pragma once
// The messages of one conversation as a tree (every regenerate or edit starts a sibling branch) plus the
// branch the user is looking at. Plain C++ so the branch logic is tested without Qt.
#include <cstdint>
#include <map>
#include <vector>

#include "ui/backend/conversation_store.h"

namespace glasswing::ui {

class ConversationTree {
 public:
  void clear();
  // Replaces the whole tree; every node's chosen branch defaults to its newest child.
  void reset(std::vector<MessageRecord> records);
  // Chooses, at every fork, the branch of `path` (first message to leaf); unknown ids are ignored.
  void choose_path(const std::vector<int64_t>& path);
  // Adds a message as the newest child of its parent and makes it the chosen branch.
  void add(const MessageRecord& record);
  // Removes a message and its subtree; its parent's choice falls back to the newest remaining child.
  void remove(int64_t message_id);

  [[nodiscard]] bool contains(int64_t message_id) const { return nodes_.count(message_id) != 0; }
  [[nodiscard]] const MessageRecord& message(int64_t message_id) const {
    return nodes_.at(message_id).record;
  }
  MessageRecord& message(int64_t message_id) { return nodes_.at(message_id).record; }

  // The chosen branch from the first message down to a leaf.
  [[nodiscard]] std::vector<int64_t> visible_path() const;
  // The message and its siblings (same parent), oldest first.
  [[nodiscard]] const std::vector<int64_t>& siblings(int64_t message_id) const;
  [[nodiscard]] int sibling_index(int64_t message_id) const;
  // Chooses the sibling `step` places away (clamped); returns the newly chosen id.
  int64_t step_sibling(int64_t message_id, int step);
  // The turns from the first message down to and including message_id, for prompting.
  [[nodiscard]] std::vector<int64_t> ancestors_and_self(int64_t message_id) const;

 private:
  struct Node {
    MessageRecord record;
  };
  std::vector<int64_t>& children_of(int64_t parent_id) { return children_[parent_id]; }

  std::map<int64_t, Node> nodes_;
  std::map<int64_t, std::vector<int64_t>> children_;  // parent id (0: root) -> children, oldest first
  std::map<int64_t, int64_t> chosen_;                 // parent id (0: root) -> chosen child
};

}  // namespace glasswing::ui
