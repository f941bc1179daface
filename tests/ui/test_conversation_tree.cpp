#include <catch2/catch.hpp>

#include "ui/core/conversation_tree.h"

using namespace glasswing::ui;

namespace {
MessageRecord msg(int64_t id, int64_t parent, const char* role) {
  return {id, parent, role, "m" + std::to_string(id), MessageState::Complete, 0};
}
using Ids = std::vector<int64_t>;
}  // namespace

TEST_CASE("The newest branch is shown, and siblings can be stepped through", "[ui][tree]") {
  ConversationTree t;
  // 1 user -> 2 reply, 3 regenerated reply; 4 edited user (sibling of 1) -> 5 reply
  t.reset({msg(3, 1, "assistant"), msg(1, 0, "user"), msg(2, 1, "assistant"), msg(4, 0, "user"),
           msg(5, 4, "assistant")});
  CHECK(t.visible_path() == Ids{4, 5});
  CHECK(t.siblings(1) == Ids{1, 4});
  CHECK(t.sibling_index(4) == 1);
  CHECK(t.step_sibling(4, -1) == 1);
  CHECK(t.visible_path() == Ids{1, 3});  // below 1 its newest reply
  CHECK(t.step_sibling(3, -5) == 2);     // clamped
  CHECK(t.visible_path() == Ids{1, 2});
  CHECK(t.ancestors_and_self(2) == Ids{1, 2});
}

TEST_CASE("A stored active path is restored and deleting a branch falls back to a sibling", "[ui][tree]") {
  ConversationTree t;
  t.reset({msg(1, 0, "user"), msg(2, 1, "assistant"), msg(3, 1, "assistant"), msg(4, 3, "user")});
  t.choose_path({1, 2});
  CHECK(t.visible_path() == Ids{1, 2});
  t.step_sibling(2, 1);
  CHECK(t.visible_path() == Ids{1, 3, 4});
  t.remove(3);  // with its child 4
  CHECK_FALSE(t.contains(4));
  CHECK(t.visible_path() == Ids{1, 2});
  CHECK(t.siblings(2) == Ids{2});
  t.add(msg(9, 1, "assistant"));
  CHECK(t.visible_path() == Ids{1, 9});
}

TEST_CASE("Orphans of a deleted branch are dropped when loading", "[ui][tree]") {
  ConversationTree t;
  t.reset({msg(1, 0, "user"), msg(5, 4, "assistant")});
  CHECK(t.visible_path() == Ids{1});
  CHECK_FALSE(t.contains(5));
}
