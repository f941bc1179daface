// The compare view's state (CompareController) through ChatController and the worker thread, with the
// scripted engine twin: both sides replay "Once upon a time." a piece of each in turn, and a side whose
// prompt says "shout" capitalises every piece from the third on (another token), so the replies part at
// token 2.
#include <catch2/catch.hpp>

#include "tests/test_support.h"
#include "tests/ui/memory_backends.h"
#include "tests/ui/qt_test_app.h"
#include "tests/ui/twin_app.h"
#include "ui/app/chat_controller.h"

using namespace glasswing::ui;
using glasswing::test::wait_until;

namespace {

struct Fixture : glasswing::test::TwinApp {
  explicit Fixture(std::vector<std::string> pieces = {"Once", " upon", " a", " time."})
      : TwinApp(std::move(pieces)) {}
  CompareController& compare() { return *controller->compare(); }
  bool run(const QString& a, const QString& b, const QString& system_b = {}) {
    return compare().run(a, b, {}, system_b, 0.7, 1.2, 42, 100);
  }
};

}  // namespace

TEST_CASE("Comparing the same prompt twice gives identical replies with the same seed", "[ui][compare]") {
  Fixture f;
  f.load();
  f.controller->settings()->setTopK(7);
  REQUIRE(f.run("Tell me a story", "Tell me a story", "Be brief"));
  CHECK(f.compare().running());
  REQUIRE(wait_until([&] { return !f.compare().running(); }));
  CHECK(f.compare().error().isEmpty());
  CHECK(f.compare().textA() == "Once upon a time.");
  CHECK(f.compare().textB() == "Once upon a time.");
  CHECK(f.compare().tokensA() == 4);
  CHECK(f.compare().divergence() == -1);
  CHECK(f.compare().summary() == "Identical: both replies are the same 4 tokens.");
  CHECK(f.compare().divergenceDetail().isEmpty());
  CHECK(f.compare().statusA().startsWith("4 tokens, ended"));
  // All shared text is shown muted.
  CHECK(f.compare().richText(0, QColor("#888888"), QColor("#ffff00")) ==
        "<span style=\"color: #888888\">Once upon a time.</span>");
  {
    // What the worker was asked: one seed for both, each side's temperature and system prompt, the rest
    // from the conversation's settings.
    std::lock_guard lock(f.log->mutex);
    REQUIRE(f.log->compared.size() == 1);
    const auto& sides = f.log->compared[0];
    CHECK(sides[0].settings.seed == 42);
    CHECK(sides[1].settings.seed == 42);
    CHECK(sides[0].settings.temperature == Approx(0.7));
    CHECK(sides[1].settings.temperature == Approx(1.2));
    CHECK(sides[0].settings.top_k == 7);
    CHECK(sides[1].settings.max_tokens == 100);
    REQUIRE(sides[0].turns.size() == 1);
    CHECK(sides[0].turns[0].text == "Tell me a story");
    REQUIRE(sides[1].turns.size() == 2);
    CHECK(sides[1].turns[0].role == "system");
    CHECK(sides[1].turns[0].text == "Be brief");
  }
}

TEST_CASE("The compare view starts from the conversation's last question", "[ui][compare]") {
  Fixture f;
  f.load();
  CHECK(f.controller->lastUserText().isEmpty());
  REQUIRE(f.controller->send("Tell me a story"));
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  REQUIRE(f.controller->send("And another"));
  REQUIRE(wait_until([&] { return !f.controller->generating(); }));
  CHECK(f.controller->lastUserText() == "And another");
  f.controller->switchBranch(0, 0);  // no other branch: unchanged
  CHECK(f.controller->lastUserText() == "And another");
}

TEST_CASE("Compared replies that part show where: the token index and both tokens", "[ui][compare]") {
  Fixture f;
  f.load();
  REQUIRE(f.run("Tell me a story", "shout a story"));
  REQUIRE(wait_until([&] { return !f.compare().running(); }));
  CHECK(f.compare().textB() == "Once upon A TIME.");
  CHECK(f.compare().divergence() == 2);
  CHECK(f.compare().summary().toStdString() ==
        "The same for 2 tokens, then A \u201c a\u201d and B \u201c A\u201d.");
  // What the model rated at that step on each side (the twin: the piece 60 %, "x" 40 %).
  CHECK(f.compare().divergenceDetail().toStdString() ==
        "A took \u201c a\u201d where the model rated \u201c a\u201d 60% \u00b7 \u201cx\u201d 40%\n"
        "B took \u201c A\u201d where the model rated \u201c A\u201d 60% \u00b7 \u201cx\u201d 40%");
  CHECK(f.compare().candidatesAt(0, 3).toStdString() == "\u201c time.\u201d 60% \u00b7 \u201cx\u201d 40%");
  CHECK(f.compare().candidatesAt(0, 4).isEmpty());
  CHECK(f.compare().richText(1, QColor("#888888"), QColor("#ffff00")) ==
        "<span style=\"color: #888888\">Once upon</span><span style=\"background-color: #ffff00\"> A</span>"
        " TIME.");
  // A new run starts over.
  REQUIRE(f.run("Tell me", "Tell me"));
  REQUIRE(wait_until([&] { return !f.compare().running(); }));
  CHECK(f.compare().divergence() == -1);
  CHECK(f.compare().textA() == "Once upon a time.");
}

TEST_CASE("A comparison says why it cannot start and stops within a token", "[ui][compare]") {
  qputenv("GLASSWING_TEST_TOKEN_DELAY_MS", "2");  // read when the worker is made
  Fixture f(std::vector<std::string>(2000, "la "));
  qunsetenv("GLASSWING_TEST_TOKEN_DELAY_MS");
  CHECK_FALSE(f.run("a", "b"));
  CHECK(f.compare().error() == "no model is loaded");
  f.load();
  CHECK_FALSE(f.run("a", "  "));
  CHECK(f.compare().error() == "both sides need a prompt");

  REQUIRE(f.run("a", "b"));
  CHECK(f.compare().error().isEmpty());
  CHECK_FALSE(f.run("a", "b"));
  CHECK(f.compare().error() == "a comparison is already running");
  REQUIRE(wait_until([&] { return f.compare().tokensB() >= 5; }));
  f.compare().stop();
  REQUIRE(wait_until([&] { return !f.compare().running(); }));
  CHECK(f.compare().tokensA() < 2000);
  CHECK(f.compare().statusA().contains("stopped"));
  CHECK(f.compare().statusB().contains("stopped"));
}
