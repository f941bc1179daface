#include "ui/core/conversation_tree.h"

#include <algorithm>

namespace glasswing::ui {

void ConversationTree::clear() {
  nodes_.clear();
  children_.clear();
  chosen_.clear();
}

void ConversationTree::reset(std::vector<MessageRecord> records) {
  clear();
  // Ids grow with insertion time, so sorting by id puts parents first and siblings oldest first.
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& r : records) {
    if (r.parent_id != 0 && !nodes_.count(r.parent_id)) continue;  // orphan: its branch was deleted
    add(r);
  }
}

void ConversationTree::choose_path(const std::vector<int64_t>& path) {
  for (int64_t id : path) {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return;
    chosen_[it->second.record.parent_id] = id;
  }
}

void ConversationTree::add(const MessageRecord& record) {
  nodes_[record.id] = Node{record};
  auto& kids = children_of(record.parent_id);
  kids.push_back(record.id);
  chosen_[record.parent_id] = record.id;
}

void ConversationTree::remove(int64_t message_id) {
  auto it = nodes_.find(message_id);
  if (it == nodes_.end()) return;
  const int64_t parent = it->second.record.parent_id;
  // Depth-first removal of the subtree.
  std::vector<int64_t> stack{message_id};
  while (!stack.empty()) {
    const int64_t id = stack.back();
    stack.pop_back();
    if (auto c = children_.find(id); c != children_.end()) {
      stack.insert(stack.end(), c->second.begin(), c->second.end());
      children_.erase(c);
    }
    chosen_.erase(id);
    nodes_.erase(id);
  }
  auto& kids = children_of(parent);
  kids.erase(std::remove(kids.begin(), kids.end(), message_id), kids.end());
  if (kids.empty())
    chosen_.erase(parent);
  else if (chosen_[parent] == message_id)
    chosen_[parent] = kids.back();
}

std::vector<int64_t> ConversationTree::visible_path() const {
  std::vector<int64_t> path;
  int64_t parent = 0;
  for (auto it = chosen_.find(parent); it != chosen_.end(); it = chosen_.find(parent)) {
    path.push_back(it->second);
    parent = it->second;
  }
  return path;
}

const std::vector<int64_t>& ConversationTree::siblings(int64_t message_id) const {
  static const std::vector<int64_t> none;
  auto n = nodes_.find(message_id);
  if (n == nodes_.end()) return none;
  auto c = children_.find(n->second.record.parent_id);
  return c == children_.end() ? none : c->second;
}

int ConversationTree::sibling_index(int64_t message_id) const {
  const auto& s = siblings(message_id);
  auto it = std::find(s.begin(), s.end(), message_id);
  return it == s.end() ? -1 : static_cast<int>(it - s.begin());
}

int64_t ConversationTree::step_sibling(int64_t message_id, int step) {
  const auto& s = siblings(message_id);
  const int index = sibling_index(message_id);
  if (index < 0) return message_id;
  const int target = std::clamp(index + step, 0, static_cast<int>(s.size()) - 1);
  const int64_t chosen = s[static_cast<size_t>(target)];
  chosen_[nodes_.at(message_id).record.parent_id] = chosen;
  return chosen;
}

std::vector<int64_t> ConversationTree::ancestors_and_self(int64_t message_id) const {
  std::vector<int64_t> chain;
  for (auto it = nodes_.find(message_id); it != nodes_.end(); it = nodes_.find(it->second.record.parent_id)) {
    chain.push_back(it->first);
    if (it->second.record.parent_id == 0) break;
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

}  // namespace glasswing::ui
