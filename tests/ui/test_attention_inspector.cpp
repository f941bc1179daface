// The attention view's state (AttentionInspector) driven through ChatController and the worker thread, with
// the scripted engine twin: its tokens are words, and head (l, h) gives query q half its attention at key
// (q + l + h) % (q + 1), so every map has a known strongest key.
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTextDocument>
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/test_support.h"
#include "tests/ui/memory_backends.h"
#include "tests/ui/qt_test_app.h"
#include "tests/ui/twin_app.h"
#include "ui/app/chat_controller.h"

using namespace glasswing::ui;
using glasswing::test::wait_until;

namespace {

struct Fixture : glasswing::test::TwinApp {
  Fixture() : TwinApp({"Once", " upon", " a", " time."}) { load(); }
  AttentionInspector& view() { return *controller->attention(); }
  void send(const QString& text) {
    REQUIRE(controller->send(text));
    REQUIRE(wait_until([&] { return !controller->generating(); }));
  }
  // Waits for the map of (layer, head) to arrive.
  void waitForMap(int layer, int head) {
    REQUIRE(wait_until([&] {
      return !view().mapBusy() && view().selectedLayer() == layer && view().selectedHead() == head &&
             view().map()->rows() > 0;
    }));
  }
};

}  // namespace

TEST_CASE("The attention view reads a reply: its tokens and every head's overview and one head's map",
          "[ui][attention]") {
  Fixture f;
  f.controller->settings()->setSystemPrompt("Be kind");
  f.send("Tell me a story");
  REQUIRE(f.controller->inspectAttention(1));
  CHECK(f.view().active());
  CHECK(f.view().busy());
  REQUIRE(wait_until([&] { return !f.view().busy(); }));
  CHECK(f.view().error().isEmpty());
  {
    // The worker was asked about the conversation up to and including the reply, system prompt first.
    std::lock_guard lock(f.log->mutex);
    REQUIRE(f.log->inspected.size() == 1);
    const auto& turns = f.log->inspected[0];
    REQUIRE(turns.size() == 3);
    CHECK(turns[0].role == "system");
    CHECK(turns[1].text == "Tell me a story");
    CHECK(turns[2].role == "assistant");
    CHECK(turns[2].text == "Once upon a time.");
  }
  CHECK(f.view().messageRole() == "assistant");
  CHECK(f.view().tokens().size() == 10);  // "Be kind" + 4 words + 4 words
  CHECK(f.view().messageBegin() == 6);
  CHECK(f.view().messageEnd() == 10);
  CHECK(f.view().tokenText(6) == " Once");
  CHECK(f.view().layers() == 2);
  CHECK(f.view().heads() == 3);

  // Overview: rows are layers, columns heads, coloured by entropy by default (the twin: 1 + layer).
  HeatmapMatrix& overview = *f.view().overview();
  REQUIRE(overview.rows() == 2);
  REQUIRE(overview.columns() == 3);
  CHECK(overview.value(1, 2) == Approx(2.0));
  f.view().setMetric(AttentionInspector::MaxProbability);
  CHECK(overview.value(1, 2) == Approx(0.7));  // twin: 0.5 + 0.1 · head
  CHECK(overview.low() == 0.0);
  CHECK(f.view().headDescription(1, 2).contains("layer 1, head 2"));

  // The most focused head opens first (every layer-0 head ties at entropy 1: the first of them).
  f.waitForMap(0, 0);
  HeatmapMatrix& map = *f.view().map();
  CHECK(f.view().mapQueryBegin() == 6);
  CHECK(f.view().mapQueryEnd() == 10);
  CHECK(f.view().mapKeyBegin() == 0);
  CHECK(f.view().mapKeyEnd() == 10);
  REQUIRE(map.rows() == 4);
  REQUIRE(map.columns() == 10);
  CHECK(map.value(0, 6) == Approx(0.5));  // query 6, head (0, 0): peak at (6 + 0) % 7 = 6
  CHECK(std::isnan(map.value(0, 7)));     // a later key: masked
  CHECK(map.high() == Approx(0.5));
  QVariantList top = f.view().topKeys(0, 3);
  REQUIRE(top.size() == 3);
  CHECK(top[0].toMap()["position"].toInt() == 6);
  CHECK(top[0].toMap()["token"].toString() == " Once");
  CHECK(top[0].toMap()["probability"].toDouble() == Approx(0.5));
  CHECK(top[1].toMap()["probability"].toDouble() == Approx(0.5 / 6));
  CHECK(top[1].toMap()["position"].toInt() == 0);  // ties: earlier positions first

  // Another head: its own map, with its own strongest key.
  f.view().selectHead(1, 2);
  CHECK(f.view().mapBusy());
  f.waitForMap(1, 2);
  REQUIRE(f.view().topKeys(3, 1).size() == 1);
  CHECK(f.view().topKeys(3, 1)[0].toMap()["position"].toInt() == (9 + 1 + 2) % 10);
  // The text view: the strongest key in full colour, the others at sqrt(1/9) of the way, the query framed.
  const QString html = f.view().attendedText(3, QColor("#ff0000"), QColor("#ffffff"));
  CHECK(html.contains("<span style=\"background-color: #ff0000\"> Tell</span>"));
  CHECK(html.count("background-color: #ffaaaa") == 8);  // 255 - 255/3 = 170
  CHECK(html.contains("border: 1px solid #ff0000; font-weight: 600\"> time.</span>"));
  CHECK(f.view().attendedText(4, QColor("#ff0000"), QColor("#ffffff")).isEmpty());  // no such row
  // The offset of the row's own token in the text's plain characters, as a rich-text view lays it out.
  QTextDocument doc;
  doc.setHtml(html);
  CHECK(f.view().attendedTextOffset(3) == 36);
  CHECK(doc.toPlainText().mid(36, 6) == " time.");
  CHECK(f.view().attendedTextOffset(4) == -1);
  // Head (1, 0) puts half of every row on the first token (the twin's peak (q + 1) % (q + 1) = 0), like an
  // attention sink; leaving it out of the colour scale lets the rest show.
  f.view().selectHead(1, 0);
  f.waitForMap(1, 0);
  CHECK(map.high() == Approx(0.5));
  f.view().setScaleWithoutFirstToken(true);
  CHECK(map.high() == Approx(0.5 / 6));   // the largest elsewhere: query 6's 0.5 / 6
  CHECK(map.value(0, 0) == Approx(0.5));  // the values themselves are unchanged
  f.view().setScaleWithoutFirstToken(false);
  CHECK(map.high() == Approx(0.5));
  f.view().selectHead(7, 0);  // out of range: ignored
  CHECK(f.view().selectedLayer() == 1);
  CHECK(f.view().selectedHead() == 0);

  // Save as CSV: the CLI's format, 0 where a key is masked.
  const QString csv = QDir::temp().filePath(QStringLiteral("glasswing-attention-test.csv"));
  QFile::remove(csv);
  QSignalSpy saved(&f.view(), &AttentionInspector::mapSaved);
  QSignalSpy failed(&f.view(), &AttentionInspector::mapSaveFailed);
  f.view().saveMap(QUrl::fromLocalFile(csv));
  REQUIRE(wait_until([&] { return saved.count() + failed.count() > 0; }));
  REQUIRE(saved.count() == 1);
  CHECK(saved[0][0].toString() == csv);
  QFile file(csv);
  REQUIRE(file.open(QIODevice::ReadOnly));
  const QStringList lines = QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
  REQUIRE(lines.size() == 1 + 4);
  CHECK(lines[0].toStdString() ==
        R"(query\key," Be"," kind"," Tell"," me"," a"," story"," Once"," upon"," a"," time.")");
  // Row 0 is query 6 (" Once") of head (1, 0): its peak is key 0, later keys are 0.
  const QStringList row = lines[1].split(',');
  REQUIRE(row.size() == 11);
  CHECK(row[0] == "\" Once\"");
  CHECK(row[1 + 0] == "0.5");
  CHECK(row[1 + 7] == "0");
  file.remove();
  f.view().saveMap(QUrl::fromLocalFile(QStringLiteral("/nonexistent-dir/map.csv")));
  REQUIRE(wait_until([&] { return failed.count() == 1; }));
  CHECK(failed[0][0].toString().contains("/nonexistent-dir/map.csv.part"));

  f.view().close();
  CHECK_FALSE(f.view().active());
}

TEST_CASE(
    "The attention view shows why it cannot read a message and drops stale answers and closes for a reply",
    "[ui][attention]") {
  Fixture f;
  f.send("an unreadable question");
  CHECK_FALSE(f.controller->inspectAttention(5));  // no such row
  REQUIRE(f.controller->inspectAttention(0));
  REQUIRE(wait_until([&] { return !f.view().busy(); }));
  CHECK(f.view().error().contains("no attention maps"));
  CHECK(f.view().layers() == 0);

  // Two inspections in a row: only the second one's answer is shown.
  f.send("Tell me a story");
  REQUIRE(f.controller->inspectAttention(0));
  REQUIRE(f.controller->inspectAttention(3));
  CHECK(f.view().error().isEmpty());
  REQUIRE(wait_until([&] {
    std::lock_guard lock(f.log->mutex);
    return f.log->inspected.size() == 3;
  }));
  REQUIRE(wait_until([&] { return !f.view().busy() && f.view().map()->rows() > 0; }));
  CHECK(f.view().error().isEmpty());
  CHECK(f.view().messageRole() == "assistant");
  CHECK(f.view().messageEnd() == 3 + 4 + 4 + 4);

  // A new reply changes what the session holds: the view closes.
  REQUIRE(f.controller->send("More"));
  CHECK_FALSE(f.view().active());
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
}

TEST_CASE("A message longer than a map's rows is shown a page of 512 tokens at a time", "[ui][attention]") {
  glasswing::test::TwinApp app(std::vector<std::string>(600, " la"));
  app.load();
  AttentionInspector& view = *app.controller->attention();
  REQUIRE(app.controller->send("Sing"));
  REQUIRE(wait_until([&] { return !app.controller->generating(); }));
  REQUIRE(app.controller->inspectAttention(1));
  REQUIRE(wait_until([&] { return !view.busy() && !view.mapBusy() && view.map()->rows() > 0; }));
  REQUIRE(view.messageEnd() - view.messageBegin() == 600);
  CHECK(view.map()->rows() == 512);
  CHECK(view.mapQueryBegin() == view.messageBegin());

  view.showRows(512);
  CHECK(view.mapBusy());
  REQUIRE(wait_until([&] { return !view.mapBusy(); }));
  CHECK(view.mapQueryBegin() == view.messageBegin() + 512);
  CHECK(view.mapQueryEnd() == view.messageEnd());
  CHECK(view.map()->rows() == 88);
  CHECK(view.map()->columns() == view.messageEnd());  // every key up to the last query
  view.showRows(5000);                                // past the end: the last page, already shown
  CHECK_FALSE(view.mapBusy());

  // Another head keeps the page.
  view.selectHead(1, 1);
  REQUIRE(wait_until([&] { return !view.mapBusy() && view.selectedHead() == 1; }));
  CHECK(view.mapQueryBegin() == view.messageBegin() + 512);
  view.showRows(3);  // within the first page
  REQUIRE(wait_until([&] { return !view.mapBusy(); }));
  CHECK(view.mapQueryBegin() == view.messageBegin());
  CHECK(view.map()->rows() == 512);
}

TEST_CASE("A hybrid's short-convolution layer shows empty in the overview and opens no map",
          "[ui][attention]") {
  // The twin makes layer 0 a short-convolution layer (LFM2's) when the message speaks of a convolution: its
  // summaries are NaN.
  Fixture f;
  f.send("Tell me about the convolution");
  REQUIRE(f.controller->inspectAttention(1));
  REQUIRE(wait_until([&] { return !f.view().busy(); }));
  HeatmapMatrix& overview = *f.view().overview();
  REQUIRE(overview.rows() == 2);
  CHECK(std::isnan(overview.value(0, 1)));
  CHECK(overview.value(1, 1) == Approx(2.0));
  CHECK(overview.low() == Approx(2.0));  // the scale is the attention layer's alone
  CHECK(overview.high() == Approx(2.0));
  CHECK(f.view().headDescription(0, 1).contains("no attention"));
  // the first head opened is an attention layer's
  f.waitForMap(1, 0);
  CHECK(f.view().error().isEmpty());
  // and a convolution layer's head asks for no map: the selection stays, a message says why
  f.view().selectHead(0, 2);
  CHECK(f.view().selectedLayer() == 1);
  CHECK(f.view().error().contains("no attention map"));
  CHECK_FALSE(f.view().mapBusy());
}
