#include "ui/core/markdown_blocks.h"

#include <optional>

namespace glasswing::ui {

namespace {

// A fence line opens or closes a code block: ``` or ~~~ (three or more), optionally indented.
QString fence_marker(QStringView line) {
  const QStringView t = line.trimmed();
  for (const QChar c : {QChar('`'), QChar('~')}) {
    if (t.size() >= 3 && t[0] == c && t[1] == c && t[2] == c) {
      qsizetype n = 3;
      while (n < t.size() && t[n] == c) ++n;
      return QString(n, c);
    }
  }
  return {};
}

// Parses text[from..] with no open block before it, appending blocks.
void parse(const QString& text, qsizetype from, QList<MarkdownBlock>& out) {
  MarkdownBlock current;
  bool open = false;  // `current` holds a block being filled
  bool in_code = false;
  bool pending_break = false;  // a blank line ended the prose block; the next text starts a new one
  QString fence;
  auto close = [&] {
    if (open) {
      if (current.kind == MarkdownBlock::Kind::Prose) {
        while (current.text.endsWith(u'\n')) current.text.chop(1);
      }
      out.push_back(current);
    }
    current = MarkdownBlock{};
    open = false;
  };
  qsizetype pos = from;
  while (pos < text.size()) {
    qsizetype end = text.indexOf(u'\n', pos);
    const bool complete_line = end >= 0;
    if (!complete_line) end = text.size();
    const QStringView line = QStringView(text).mid(pos, end - pos);
    const qsizetype next = complete_line ? end + 1 : end;
    if (in_code) {
      const QString m = fence_marker(line);
      if (!m.isEmpty() && complete_line && m.size() >= fence.size() && m[0] == fence[0] &&
          line.trimmed().size() == m.size()) {
        in_code = false;
        if (current.text.endsWith(u'\n')) current.text.chop(1);
        close();
      } else {
        current.text += line;
        if (complete_line) current.text += u'\n';
      }
    } else if (const QString m = fence_marker(line); !m.isEmpty() && complete_line) {
      close();
      pending_break = false;
      in_code = true;
      fence = m;
      current.kind = MarkdownBlock::Kind::Code;
      current.language = line.trimmed().mid(m.size()).trimmed().toString();
      current.start = pos;
      open = true;
    } else if (line.trimmed().isEmpty()) {
      if (open) pending_break = true;
    } else {
      if (pending_break) {
        close();
        pending_break = false;
      }
      if (!open) {
        current.kind = MarkdownBlock::Kind::Prose;
        current.start = pos;
        open = true;
      }
      current.text += line;
      if (complete_line) current.text += u'\n';
    }
    pos = next;
  }
  close();
}

const QString kThinkOpen = QStringLiteral("<think>");
const QString kThinkClose = QStringLiteral("</think>");

// Where a reply's thinking is (see the header): its text [body, close), close -1 while no </think> has come.
struct ReasoningSpan {
  qsizetype body = 0, close = -1;
};
std::optional<ReasoningSpan> find_reasoning(const QString& text) {
  qsizetype lead = 0;
  while (lead < text.size() && text[lead].isSpace()) ++lead;
  if (QStringView(text).mid(lead).startsWith(kThinkOpen)) {
    const qsizetype body = lead + kThinkOpen.size();
    return ReasoningSpan{body, text.indexOf(kThinkClose, body)};
  }
  const qsizetype close = text.indexOf(kThinkClose);
  if (close < 0 || QStringView(text).left(close).contains(kThinkOpen)) return std::nullopt;
  return ReasoningSpan{0, close};
}

// The whole text: a reasoning block first where there is one, then the answer's blocks.
void parse_all(const QString& text, bool reasoning, QList<MarkdownBlock>& out) {
  const auto span = reasoning ? find_reasoning(text) : std::nullopt;
  if (!span) {
    parse(text, 0, out);
    return;
  }
  MarkdownBlock thinking;
  thinking.kind = MarkdownBlock::Kind::Reasoning;
  thinking.open = span->close < 0;
  const qsizetype end = thinking.open ? text.size() : span->close;
  thinking.text = QStringView(text).mid(span->body, end - span->body).trimmed().toString();
  out.push_back(thinking);
  if (!thinking.open) parse(text, span->close + kThinkClose.size(), out);
}

}  // namespace

QString MarkdownBlockSplitter::answer(const QString& reply) {
  const auto span = find_reasoning(reply);
  if (!span) return reply;
  return span->close < 0 ? QString()
                         : QStringView(reply).mid(span->close + kThinkClose.size()).trimmed().toString();
}

void MarkdownBlockSplitter::reset(const QString& text) {
  text_ = text;
  blocks_.clear();
  parse_all(text_, reasoning_, blocks_);
}

qsizetype MarkdownBlockSplitter::append(const QString& delta) {
  const qsizetype old_size = text_.size();
  text_ += delta;
  qsizetype first = blocks_.isEmpty() ? 0 : blocks_.size() - 1;
  // A </think> without an opening tag makes everything before it reasoning: parse again from the start.
  const bool reasoning = !blocks_.isEmpty() && blocks_[0].kind == MarkdownBlock::Kind::Reasoning;
  if (reasoning_ && !reasoning &&
      text_.indexOf(kThinkClose, std::max<qsizetype>(0, old_size - (kThinkClose.size() - 1))) >= 0)
    first = 0;
  reparse_from(first);
  return first;
}

void MarkdownBlockSplitter::reparse_from(qsizetype block_index) {
  if (block_index == 0) {
    blocks_.clear();
    parse_all(text_, reasoning_, blocks_);
    return;
  }
  const qsizetype from = block_index < blocks_.size() ? blocks_[block_index].start : 0;
  blocks_.resize(block_index);
  parse(text_, from, blocks_);
}

}  // namespace glasswing::ui
