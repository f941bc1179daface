// Filters, tojson, and the str/dict/list methods templates call. Expected strings were checked against
// Python Jinja2 3.1 with Hugging Face's tojson (json.dumps, ensure_ascii=False).
#include <catch2/catch.hpp>
#include <ctime>

#include "tests/chat/chat_test_util.h"

using glasswing::chat::test::error_of;
using glasswing::chat::test::render;
using json = nlohmann::ordered_json;

TEST_CASE("string filters", "[chat][filters]") {
  CHECK(render(
            "{{ '  hi  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ 'hello world'|title }}|{{ 'hELLO'|capitalize }}|"
            "{{ 'abc'|upper }}|{{ 'ÉCOLE'|lower }}|{{ 'ß'|upper }}") ==
        "hi|hi|Hello World|Hello|ABC|école|SS");
  CHECK(render("{{ \"they're bill's\"|title }} {{ 'a-b (c'|title }}") == "They're Bill's A-B (C");
  CHECK(render("{{ 'Hi'|replace('i', 'o') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'abc'|reverse }}") ==
        "Ho bba cba");
  CHECK(render("{{ none|trim }}|{{ 5|trim }}|{{ x|trim }}|{{ 42|string }}|{{ 'a b  c'|wordcount }}") ==
        "None|5||42|3");
  CHECK(render("{{ '%s-%s'|format(1, 2) }} {{ '%05.2f'|format(3.14159) }} {{ '%r'|format('x') }}") ==
        "1-2 03.14 'x'");
  CHECK(render("{{ '<a href=\"x\">'|e }}") == "&lt;a href=&#34;x&#34;&gt;");
  // Markup semantics as in Hugging Face's rendering: safe + plain string escapes the plain string, ~ does
  // not.
  CHECK(render("{{ '<b>'|safe + '<i>' }} {{ 'a\"' + 'x'|safe }} {{ '<'|e|e }} {{ '<'|e ~ '<' }} {{ 5|safe }} "
               "{{ '<'|forceescape }}") == "<b>&lt;i&gt; a&#34;x &lt; &lt;< 5 &lt;");
}

TEST_CASE("indent follows Jinja 3", "[chat][filters]") {
  CHECK(render("{{ 'text\\nline2\\n\\nline4'|indent(2) }}|{{ 'a\\nb'|indent(4, true) }}|"
               "{{ 'a\\n\\nb'|indent(2, blank=true) }}|{{ 'a\\n'|indent(2) }}|{{ 'a\\nb'|indent('> ') }}") ==
        "text\n  line2\n\n  line4|    a\n    b|a\n  \n  b|a\n|a\n> b");
}

TEST_CASE("sequence filters", "[chat][filters]") {
  CHECK(render("{{ [3,1,2]|sort }} {{ ['b','A','c']|sort }} {{ [3,1,2]|sort(reverse=true) }} "
               "{{ [{'a':2},{'a':1}]|sort(attribute='a') }}") ==
        "[1, 2, 3] ['A', 'b', 'c'] [3, 2, 1] "
        "[{'a': 1}, {'a': 2}]");
  CHECK(render("{{ [1,2,2,3,1]|unique|list }} {{ ['a','A','b']|unique|list }}") == "[1, 2, 3] ['a', 'b']");
  CHECK(render("{{ [1,2,3]|join(', ') }} {{ [1,2,3]|first }} {{ [1,2,3]|last }} {{ 'abc'|first }} "
               "{{ [1,2,3]|length }} {{ 'héllo'|length }} {{ {'a':1}|length }} {{ [1,2]|count }}") ==
        "1, 2, 3 1 3 a 3 5 1 2");
  CHECK(render("{{ [1,2,3]|sum }} {{ [1,2,3]|max }} {{ [1,2,3]|min }} {{ ['b','a']|reverse|list }} "
               "{{ [[1,2]]|map('first')|list }} {{ {'b':1,'a':2}|dictsort }}") ==
        "6 3 1 ['a', 'b'] [1] [('a', 2), ('b', 1)]");
  CHECK(
      render("{{ ['a','B']|map('upper')|list }} {{ [1,0,2]|select|list }} {{ [1,2,3,4]|select('odd')|list }} "
             "{{ [1,2,3,4]|reject('even')|list }} {{ [1,2,3]|map('string')|join('-') }}") ==
      "['A', 'B'] [1, 2] [1, 3] [1, 3] 1-2-3");
  CHECK(render("{{ {'a':1}|items|list }} {{ x|items|list }} {{ 'ab'|list }}") == "[('a', 1)] [] ['a', 'b']");
  CHECK(render("{{ [{'a': {'b': 1}}, {'a': {'b': 2}}]|map(attribute='a.b')|list }} "
               "{{ [{'x': 1}, {}]|map(attribute='x', default=0)|list }}") == "[1, 2] [1, 0]");
}

TEST_CASE("selectattr / rejectattr / map(attribute=) over messages", "[chat][filters]") {
  const json ctx = {
      {"m", json::parse(R"([{"role": "system", "content": "a"}, {"role": "user", "content": "bb"},
      {"role": "assistant", "content": "c", "tool_calls": [1]}])")}};
  CHECK(
      render(
          "{{ m|map(attribute='role')|join(',') }} {{ m|selectattr('role', 'equalto', 'user')|list|length }} "
          "{{ m|rejectattr('tool_calls', 'defined')|map(attribute='role')|list }} "
          "{{ m|selectattr('tool_calls')|list|length }} "
          "{{ m|selectattr('role', 'in', ['user', 'system'])|map(attribute='role')|list }} "
          "{{ (m|selectattr('role', 'eq', 'assistant')|first).content }} "
          "{{ m|map(attribute='content')|map('length')|list }}",
          ctx) == "system,user,assistant 1 ['system', 'user'] 1 ['system', 'user'] c [1, 2, 1]");
  // A falsy input (none, undefined) selects nothing instead of failing, as in Jinja.
  CHECK(render("{{ none|selectattr('type', 'equalto', 'x')|list }} {{ tools|map(attribute='a')|list }}") ==
        "[] []");
}

TEST_CASE("numeric filters", "[chat][filters]") {
  CHECK(
      render("{{ 3.7|int }} {{ '42'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ '3.5'|float }} {{ 2.5|round }} "
             "{{ 3.5|round }} {{ 2.675|round(2) }} {{ 5|round }} {{ 3.14159|round(2, 'floor') }} "
             "{{ 3.1|round(0, 'ceil') }} {{ -3|abs }}") == "3 42 0 7 3.5 2.0 4.0 2.67 5 3.14 4.0 3");
}

TEST_CASE("default filter", "[chat][filters]") {
  CHECK(
      render("{{ x|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} {{ none|default('d') }} "
             "{{ x|d('short') }} {{ 0|default(5, boolean=true) }}") == "d  d None short 5");
}

TEST_CASE("tojson matches Python json.dumps (ensure_ascii off, key order kept)", "[chat][filters][tojson]") {
  CHECK(render("{{ {'z': 1, 'a': [1, 2], 'c': {'d': 'é'}}|tojson }}") ==
        R"({"z": 1, "a": [1, 2], "c": {"d": "é"}})");
  CHECK(render("{{ {'a': 1, 'b': [1, 2], 'c': {}}|tojson(indent=2) }}") ==
        "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": {}\n}");
  CHECK(render("{{ [] |tojson(indent=2) }} {{ \"x\\\"\\n\\u0001\"|tojson }} {{ ['🌊']|tojson }}") ==
        R"([] "x\"\n\u0001" ["🌊"])");
  CHECK(
      render("{{ {1: 'a'}|tojson }} {{ {'a': none, 'b': true}|tojson }} {{ 1.0|tojson }} {{ (1, 2)|tojson }} "
             "{{ {'a': 1.0, 'b': 1e100, 'c': -0.5}|tojson }}") ==
      R"({"1": "a"} {"a": null, "b": true} 1.0 [1, 2] {"a": 1.0, "b": 1e+100, "c": -0.5})");
  CHECK(render("{{ {'b': 1, 'a': {'d': 1, 'c': 2}}|tojson(sort_keys=true) }} {{ "
               "'é🌊'|tojson(ensure_ascii=true) }}") ==
        R"({"a": {"c": 2, "d": 1}, "b": 1} "\u00e9\ud83c\udf0a")");
  // Input JSON keeps its key order through the engine.
  const json ctx =
      json::parse(R"({"tool": {"name": "get", "parameters": {"zeta": 1, "alpha": {"y": 2, "x": 3}}}})");
  CHECK(render("{{ tool|tojson }}", ctx) ==
        R"({"name": "get", "parameters": {"zeta": 1, "alpha": {"y": 2, "x": 3}}})");
  CHECK(render("{{ tool.parameters|tojson(indent=4) }}", ctx) ==
        "{\n    \"zeta\": 1,\n    \"alpha\": {\n        \"y\": 2,\n        \"x\": 3\n    }\n}");
  CHECK(error_of("{{ namespace(a=1)|tojson }}").detail() ==
        "Object of type Namespace is not JSON serializable");
}

TEST_CASE("string methods", "[chat][methods]") {
  CHECK(render("{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a b c'.split(' ', 1) }} "
               "{{ 'a-b-c'.rsplit('-', 1) }} {{ 'x</think>y'.split('</think>')[-1] }}") ==
        "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] ['a-b', 'c'] y");
  CHECK(
      render(
          "{{ 'x'.startswith('x') }} {{ 'abc'.endswith(('c','d')) }} {{ 'abc'.endswith('b') }} "
          "{{ ' x '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'x  '.rstrip() }}|{{ 'aXb'.replace('X', '-') }} "
          "{{ 'abc'.find('c') }} {{ 'abc'.find('z') }} {{ 'x'.join(['a','b']) }} {{ 'aaa'.count('a') }}") ==
      "True True False x|axx|x|a-b 2 -1 axb 3");
  CHECK(
      render(
          "{{ 'Hello World'.lower() }} {{ 'hello'.upper() }} {{ 'hello world'.title() }} "
          "{{ \"they're\".title() }} {{ 'hello'.capitalize() }} {{ '12'.isdigit() }} {{ 'ab'.isalpha() }}") ==
      "hello world HELLO Hello World They'Re Hello True True");
  CHECK(render("{{ '{} {}'.format('a', 'b') }} {{ '{0}{0}'.format('x') }} {{ '{n}!'.format(n=1) }}") ==
        "a b xx 1!");
}

TEST_CASE("dict and list methods", "[chat][methods]") {
  CHECK(
      render(
          "{{ {'a':1}.get('a') }} {{ {'a':1}.get('b') }} {{ {'a':1}.get('b', 5) }} {{ {'a':1}.keys()|list }} "
          "{{ {'a':1}.values()|list }} {{ {'a':1}['a'] }} {{ {'a':1}.a }} {{ {'a':1}.items()|list }}") ==
      "1 None 5 ['a'] [1] 1 1 [('a', 1)]");
  // As in Jinja, obj.items is the dict method while obj['items'] is the key.
  CHECK(render("{{ {'items': 5}['items'] }} {{ {'items': 5}.items is callable }}") == "5 True");
  CHECK(render("{{ [1, 2, 1].count(1) }} {{ [1, 2].index(2) }}") == "2 1");
}

TEST_CASE("strftime_now uses the injected time and defaults to now", "[chat][globals]") {
  CHECK(
      render("{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d') }} {{ strftime_now('%B %-d') }}") ==
      "15 Jan 2026 2026-01-15 January 15");
  // No `now`: the real clock, in local time (as datetime.now()).
  glasswing::chat::ChatTemplate::Options opt;
  const std::string year =
      glasswing::chat::ChatTemplate::parse("{{ strftime_now('%Y') }}").render(json::array(), opt);
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  CHECK(year == std::to_string(local.tm_year + 1900));
}
