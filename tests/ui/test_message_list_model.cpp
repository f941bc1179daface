#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <catch2/catch.hpp>

#include "tests/ui/qt_test_app.h"
#include "ui/models/message_list_model.h"

using namespace glasswing::ui;

namespace {

std::vector<MessageRecord> linearChat(int n) {
  std::vector<MessageRecord> records;
  for (int i = 1; i <= n; ++i)
    records.push_back(
        {i, i - 1, i % 2 ? "user" : "assistant", "message " + std::to_string(i), MessageState::Complete, 0});
  return records;
}

QVariant role(const MessageListModel& m, int row, int r) {
  return m.data(m.index(row), r);
}

}  // namespace

TEST_CASE("MessageListModel shows the visible branch of 1,000 messages", "[ui][models]") {
  glasswing::test::ensure_qt_app();
  MessageListModel m;
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  m.setMessages(linearChat(1000));
  CHECK(m.rowCount() == 1000);
  CHECK(role(m, 0, MessageListModel::AuthorRole).toString() == "user");
  CHECK(role(m, 999, MessageListModel::TextRole).toString() == "message 1000");
  CHECK(role(m, 999, MessageListModel::SiblingCountRole).toInt() == 1);
  CHECK(m.roleNames().value(MessageListModel::StateRole) == "status");
}

TEST_CASE("Streaming changes only the last row, and only the last Markdown block", "[ui][models]") {
  glasswing::test::ensure_qt_app();
  MessageListModel m;
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  m.setMessages(linearChat(10));
  m.addMessage({11, 10, "assistant", "", MessageState::Streaming, 0});
  m.setActive(11, true);
  CHECK(role(m, 10, MessageListModel::StateRole).toString() == "streaming");

  auto* blocks = qobject_cast<BlockListModel*>(role(m, 10, MessageListModel::BlocksRole).value<QObject*>());
  REQUIRE(blocks);
  QAbstractItemModelTester block_tester(blocks, QAbstractItemModelTester::FailureReportingMode::Fatal);
  QSignalSpy rows_changed(&m, &QAbstractItemModel::dataChanged);
  QSignalSpy rows_inserted(&m, &QAbstractItemModel::rowsInserted);
  QSignalSpy blocks_changed(blocks, &QAbstractItemModel::dataChanged);
  QSignalSpy blocks_inserted(blocks, &QAbstractItemModel::rowsInserted);

  const QStringList pieces = {"Hello", " there", ".\n\n", "```", "py\n", "x = 1", "\n```", "\n\nDone", "!"};
  for (const QString& p : pieces) m.appendText(11, p);

  CHECK(rows_inserted.isEmpty());
  REQUIRE(rows_changed.size() == pieces.size());
  for (const auto& args : rows_changed) {
    CHECK(args[0].toModelIndex().row() == 10);
    CHECK(args[1].toModelIndex().row() == 10);
    CHECK(args[2].value<QList<int>>() == QList<int>{MessageListModel::TextRole});
  }
  CHECK(role(m, 10, MessageListModel::TextRole).toString() == pieces.join(QString()));
  REQUIRE(blocks->rowCount() == 3);  // "Hello there.", the code block, "Done!"
  CHECK(blocks->data(blocks->index(1), BlockListModel::KindRole).toString() == "code");
  CHECK(blocks->data(blocks->index(1), BlockListModel::TextRole).toString() == "x = 1");
  // Each block was reported changed only while it was the last one; rows were only ever appended. A growing
  // prose block reports its text and word count alone (a delegate renews what it is told changed).
  int last_seen = 0;
  for (const auto& args : blocks_changed) {
    const int row = args[0].toModelIndex().row();
    CHECK(row >= last_seen);
    last_seen = row;
    if (row == 0)
      CHECK(args[2].value<QList<int>>() == QList<int>{BlockListModel::TextRole, BlockListModel::WordsRole});
  }
  CHECK(blocks->data(blocks->index(0), BlockListModel::WordsRole).toInt() == 2);
  CHECK(blocks_inserted.size() == 3);

  m.setActive(11, false);  // the generation ended without a final state: a crash would look like this
  CHECK(role(m, 10, MessageListModel::StateRole).toString() == "interrupted");
  m.setFinished(11, MessageState::Complete, 3, 12.5, "CPU", "");
  CHECK(role(m, 10, MessageListModel::StateRole).toString() == "complete");
  CHECK(role(m, 10, MessageListModel::DetailRole).toString().toStdString() ==
        "3 tokens \u00b7 12.5 tok/s \u00b7 CPU");
}

TEST_CASE("Regenerating adds a branch: switching branches replaces only the tail", "[ui][models]") {
  glasswing::test::ensure_qt_app();
  MessageListModel m;
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  m.setMessages(linearChat(4));  // 1 user, 2 reply, 3 user, 4 reply
  m.addMessage({5, 3, "assistant", "another reply", MessageState::Complete, 0});
  REQUIRE(m.rowCount() == 4);
  CHECK(m.messageIdAt(3) == 5);
  CHECK(role(m, 3, MessageListModel::SiblingIndexRole).toInt() == 1);
  CHECK(role(m, 3, MessageListModel::SiblingCountRole).toInt() == 2);

  QSignalSpy removed(&m, &QAbstractItemModel::rowsRemoved);
  QSignalSpy inserted(&m, &QAbstractItemModel::rowsInserted);
  CHECK(m.switchBranch(3, -1) == 4);
  CHECK(m.messageIdAt(3) == 4);
  CHECK(role(m, 3, MessageListModel::TextRole).toString() == "message 4");
  REQUIRE(removed.size() == 1);
  CHECK(removed[0][1].toInt() == 3);
  REQUIRE(inserted.size() == 1);
  CHECK(inserted[0][1].toInt() == 3);

  // Editing the first user message: a sibling of row 0 with its own reply; the old branch stays reachable.
  m.addMessage({6, 0, "user", "edited", MessageState::Complete, 0});
  m.addMessage({7, 6, "assistant", "reply to edit", MessageState::Complete, 0});
  CHECK(m.rowCount() == 2);
  CHECK(role(m, 0, MessageListModel::SiblingIndexRole).toInt() == 1);
  m.switchBranch(0, -1);
  CHECK(m.rowCount() == 4);
  CHECK(m.messageIdAt(3) == 4);  // the choice made below it earlier is kept

  m.removeMessage(4);
  CHECK(m.messageIdAt(3) == 5);
}

TEST_CASE("A streamed </think> without an opening tag folds the reply's blocks into one reasoning row",
          "[ui][models]") {
  glasswing::test::ensure_qt_app();
  MessageListModel m;
  m.setMessages(linearChat(1));
  m.addMessage({2, 1, "assistant", "", MessageState::Streaming, 0});
  m.setActive(2, true);
  auto* blocks = qobject_cast<BlockListModel*>(role(m, 1, MessageListModel::BlocksRole).value<QObject*>());
  REQUIRE(blocks);
  QAbstractItemModelTester block_tester(blocks, QAbstractItemModelTester::FailureReportingMode::Fatal);
  QSignalSpy removed(blocks, &QAbstractItemModel::rowsRemoved);
  for (const char* p : {"Hmm.", "\n\nThe user", " asks.\n\n", "Say hi.\n</th", "ink>\n\n", "Hi!"})
    m.appendText(2, QString::fromUtf8(p));
  CHECK(removed.size() == 1);
  REQUIRE(blocks->rowCount() == 2);
  CHECK(blocks->data(blocks->index(0), BlockListModel::KindRole).toString() == "reasoning");
  CHECK(blocks->data(blocks->index(0), BlockListModel::TextRole).toString() ==
        "Hmm.\n\nThe user asks.\n\nSay hi.");
  CHECK_FALSE(blocks->data(blocks->index(0), BlockListModel::OpenRole).toBool());
  CHECK(blocks->data(blocks->index(0), BlockListModel::WordsRole).toInt() == 6);
  CHECK(blocks->data(blocks->index(1), BlockListModel::TextRole).toString() == "Hi!");
  CHECK(blocks->data(blocks->index(1), BlockListModel::WordsRole).toInt() == 1);
  CHECK(blocks->roleNames().value(BlockListModel::OpenRole) == "open");
  CHECK(blocks->roleNames().value(BlockListModel::WordsRole) == "words");

  // a user's message is shown as written
  m.addMessage({3, 2, "user", "<think>x</think> means what?", MessageState::Complete, 0});
  auto* user = qobject_cast<BlockListModel*>(role(m, 2, MessageListModel::BlocksRole).value<QObject*>());
  REQUIRE(user);
  REQUIRE(user->rowCount() == 1);
  CHECK(user->data(user->index(0), BlockListModel::KindRole).toString() == "prose");
}
