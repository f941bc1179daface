// Errors and limits: every failure is a ChatTemplateError with a clear message (and a position where there
// is one); runaway loops, deep recursion and huge outputs are bounded. Also the facade: GGUF lookup and the
// ChatMessage convenience overload.
#include <catch2/catch.hpp>

#include "inference/gguf/gguf_file.h"
#include "tests/chat/chat_test_util.h"
#include "tests/test_support.h"

using glasswing::chat::ChatMessage;
using glasswing::chat::ChatTemplate;
using glasswing::chat::ChatTemplateError;
using glasswing::chat::test::error_of;
using glasswing::chat::test::render;
using Kind = ChatTemplateError::Kind;
using json = nlohmann::ordered_json;

TEST_CASE("raise_exception raises with the template's message", "[chat][errors]") {
  const auto e = error_of("line 1\n  {{ raise_exception('System role not supported') }}");
  CHECK(e.kind() == Kind::Raised);
  CHECK(e.detail() == "System role not supported");
  CHECK(e.line() == 2);
  CHECK(std::string(e.what()).find("System role not supported") != std::string::npos);
  // Raised from inside a macro inside a loop, the message is unchanged.
  const auto e2 = error_of(
      "{% macro fail(m) %}{{ raise_exception('bad role ' + m) }}{% endmacro %}"
      "{% for r in ['user', 'robot'] %}{% if r == 'robot' %}{{ fail(r) }}{% endif %}{% endfor %}");
  CHECK(e2.kind() == Kind::Raised);
  CHECK(e2.detail() == "bad role robot");
}

TEST_CASE("runtime errors name the problem and the position", "[chat][errors]") {
  auto e = error_of("ok\n{{ 'a' + 1 }}");
  CHECK(e.kind() == Kind::Runtime);
  CHECK(e.detail() == "can only concatenate str (not \"int\") to str");
  CHECK(e.line() == 2);
  CHECK(e.column() > 0);
  CHECK(error_of("{{ 1 + 'a' }}").detail() == "unsupported operand type(s) for +: 'int' and 'str'");
  CHECK(error_of("{{ 1 / 0 }}").detail() == "division by zero");
  CHECK(error_of("{{ 'a' < 1 }}").detail() == "'<' not supported between instances of 'str' and 'int'");
  CHECK(error_of("{{ 1 in 'abc' }}").detail() == "'in <string>' requires string as left operand, not int");
  CHECK(error_of("{% for a in 5 %}{% endfor %}").detail() == "'int' object is not iterable");
  CHECK(error_of("{{ 'abc'.nope() }}").detail() == "'str object' has no attribute 'nope'");
  CHECK(error_of("{{ [1] + none }}").detail() == "can only concatenate list (not \"NoneType\") to list");
  CHECK(error_of("{% set d = {} %}{% set d.a = 1 %}").detail().find("non-namespace") != std::string::npos);
  CHECK(error_of("{{ x|nosuchfilter }}").detail() == "no filter named 'nosuchfilter'");
  CHECK(error_of("{{ x is nosuchtest }}").detail() == "no test named 'nosuchtest'");
  CHECK(error_of("{{ 9223372036854775807 + 1 }}").detail().find("overflow") != std::string::npos);
}

TEST_CASE("runaway loops, recursion and output size are bounded", "[chat][errors][limits]") {
  auto e = error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  CHECK(e.kind() == Kind::Runtime);
  CHECK(e.detail().find("recursion depth") != std::string::npos);

  // Recursion through a deeply nested expression is bounded as a whole (C++ stack), not only by macro depth.
  const std::string nested = std::string(150, '(') + "f(n + 1)" + std::string(150, ')');
  e = error_of("{% macro f(n) %}{{ " + nested + " }}{% endmacro %}{{ f(0) }}");
  CHECK(e.detail().find("nested too deeply") != std::string::npos);

  e = error_of("{% for i in range(1000000000) %}x{% endfor %}");
  CHECK(e.detail().find("exceeds the limit") != std::string::npos);

  e = error_of("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}");
  CHECK(e.detail().find("steps") != std::string::npos);

  e = error_of("{{ 'x' * 100000000000 }}");
  CHECK(e.detail().find("too large") != std::string::npos);

  // Doubling a string in a loop hits the output bound long before memory runs out.
  e = error_of(
      "{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}");
  CHECK(e.kind() == Kind::Runtime);

  // Values cannot nest without bound (every walk over them, destruction included, is recursive).
  e = error_of(
      "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}");
  CHECK(e.detail().find("nested too deeply") != std::string::npos);
  CHECK(error_of("{% set l = [] %}{% do l.append(l) %}").detail() == "a list cannot contain itself");
  CHECK(error_of("{% set ns = namespace() %}{% set ns.me = ns %}").detail().find("cannot contain itself") !=
        std::string::npos);
  std::string deep_json;
  for (int i = 0; i < 20000; ++i) deep_json += "[";
  for (int i = 0; i < 20000; ++i) deep_json += "]";
  const std::string nested_msg = R"([{"role": "user", "content": "x", "extra": )" + deep_json + "}]";
  CHECK_THROWS_AS(ChatTemplate::parse("{{ messages[0].content }}").render(json::parse(nested_msg), {}),
                  ChatTemplateError);

  // A list that appends to itself while iterating a copy stays finite.
  CHECK(render("{% set l = [1] %}{% for x in l %}{% do l.append(x) %}{% endfor %}{{ l|length }}") == "2");
}

TEST_CASE("render checks its inputs", "[chat][errors]") {
  const auto t = ChatTemplate::parse("{{ messages|length }}");
  ChatTemplate::Options opt;
  CHECK_THROWS_AS(t.render(json::object(), opt), ChatTemplateError);
  opt.extra_context = json::array();
  CHECK_THROWS_AS(t.render(json::array(), opt), ChatTemplateError);
}

TEST_CASE("ChatMessage overload and extra context", "[chat][facade]") {
  const auto t = ChatTemplate::parse(
      "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
      "{% if add_generation_prompt %}<assistant>{% endif %}{{ eos_token }}{% if tools %}{{ tools|length }}{% "
      "endif %}");
  const std::vector<ChatMessage> msgs = {{"user", "Hi"}, {"assistant", "Hello"}};
  ChatTemplate::Options opt;
  opt.bos_token = "<s>";
  opt.eos_token = "</s>";
  opt.add_generation_prompt = true;
  CHECK(t.render(msgs, opt) == "<s><user>Hi<assistant>Hello<assistant></s>");
  opt.extra_context = {{"tools", json::array({json::object(), json::object()})}};
  CHECK(t.render(msgs, opt) == "<s><user>Hi<assistant>Hello<assistant></s>2");
}

TEST_CASE("a model without a chat template is a plain completion model", "[chat][gguf]") {
  const auto path = glasswing::test::require_shared("models/stories260K.gguf");
  const auto file = glasswing::gguf::GgufFile::open(path);
  CHECK(glasswing::chat::is_plain_completion_model(file));
  CHECK_FALSE(ChatTemplate::from_gguf(file).has_value());
}

TEST_CASE("a model's template comes from its GGUF metadata", "[chat][gguf]") {
  const auto path = glasswing::test::require_shared("tokenizers/ggml-vocab-phi-3.gguf");
  const auto file = glasswing::gguf::GgufFile::open(path);
  CHECK_FALSE(glasswing::chat::is_plain_completion_model(file));
  CHECK(glasswing::chat::named_templates(file).empty());
  CHECK_FALSE(ChatTemplate::from_gguf(file, "tool_use").has_value());
  const auto tmpl = ChatTemplate::from_gguf(file);
  REQUIRE(tmpl.has_value());
  const std::vector<ChatMessage> msgs = {
      {"system", "Be nice."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}};
  ChatTemplate::Options opt;
  opt.bos_token = "<s>";
  opt.eos_token = "<|endoftext|>";
  opt.add_generation_prompt = true;
  // Reference: Python Jinja2 on the template string stored in the file.
  CHECK(tmpl->render(msgs, opt) ==
        "<s><|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n");
}
