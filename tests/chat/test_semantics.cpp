// Statements and expression semantics: scoping, loops, macros, namespaces, undefined, operators, slicing.
// Expected strings were checked against Python Jinja2 3.1 (trim_blocks, lstrip_blocks, loopcontrols).
#include <catch2/catch.hpp>

#include "tests/chat/chat_test_util.h"

using glasswing::chat::test::error_of;
using glasswing::chat::test::render;
using json = nlohmann::ordered_json;

namespace {
const json kMessages = json::parse(R"([
  {"role": "system", "content": "Be brief."},
  {"role": "user", "content": "Écris 🌊"},
  {"role": "assistant", "content": "ok", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}
])");
std::string render_msgs(const std::string& source) {
  return render(source, {{"messages", kMessages}});
}
}  // namespace

TEST_CASE("for loops: loop variables, filtering, else, unpacking", "[chat][semantics]") {
  CHECK(render("{% for x in [3,1,2] if x > 1 %}{{loop.index}}/{{loop.length}}/{{loop.revindex}}{{x}}"
               "{{ loop.first }}{{ loop.last }} {% else %}E{% endfor %}") ==
        "1/2/23TrueFalse 2/2/12FalseTrue ");
  CHECK(render("{% for x in [] %}x{% else %}empty{% endfor %}") == "empty");
  CHECK(render("{% for x in [0] if x %}x{% else %}filtered away{% endfor %}") == "filtered away");
  CHECK(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{k}}={{v}};{% endfor %}") == "a=1;b=2;");
  CHECK(render("{% for k, v in {'a': 1, 'b': 2}|items %}{{k}}={{v}};{% endfor %}") == "a=1;b=2;");
  CHECK(render("{% for x in 'ab' %}{{ x }}{% endfor %} {% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}") ==
        "ab ab");
  CHECK(render("{% for i in range(10) %}{% if i == 3 %}{% continue %}{% endif %}{% if i == 6 %}{% break %}"
               "{% endif %}{{ i }}{% endfor %}") == "01245");
  CHECK(render("{% for a in [1,2] %}{% for b in [3,4] %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}"
               "{{ loop.index }}|{% endfor %}") == "113 214 1|123 224 2|");
  CHECK(render_msgs(
            "{% for m in messages %}{{ loop.index0 }}{{ m.role }}{% if loop.previtem is defined %}<"
            "{{ loop.previtem.role }}{% endif %}{% if loop.nextitem is defined %}>{{ loop.nextitem.role }}"
            "{% endif %};{% endfor %}") == "0system>user;1user<system>assistant;2assistant<user;");
  CHECK(render("{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %}") == "aba");
  CHECK(render("{% for x in undefined_thing %}x{% else %}none{% endfor %}") == "none");
}

TEST_CASE("scoping: for and macros have their own scope, if does not", "[chat][semantics]") {
  CHECK(render("{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}") ==
        "12121");
  CHECK(render("{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}") == "2");
  CHECK(render("{% macro m() %}{% set v = 5 %}{{ v }}{% endmacro %}{% set v = 1 %}{{ m() }}{{ v }}") == "51");
  // A macro sees the variables of its defining scope as they are when it is called.
  CHECK(render("{% macro m() %}{{ v }}{% endmacro %}{% set v = 1 %}{{ m() }}{% set v = 2 %}{{ m() }}") ==
        "12");
  CHECK(render("{% with a = 1 %}{{ a }}{% endwith %}{{ a }}") == "1");
  CHECK(render("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = (1,) %}{{ t }}{% set u = 1, 2 %}{{ u }}") ==
        "12(1,)(1, 2)");
}

TEST_CASE("namespace objects carry state out of loops", "[chat][semantics]") {
  CHECK(render("{% set ns = namespace(n=0, l=[]) %}{% for i in range(5) %}{% set ns.n = ns.n + i %}"
               "{% set ns.l = ns.l + [i] %}{% endfor %}{{ ns.n }} {{ ns.l }}") == "10 [0, 1, 2, 3, 4]");
  CHECK(render("{% set ns = namespace() %}{% set ns.a = 1 %}{{ ns.a }}") == "1");
  CHECK(render_msgs("{% set ns = namespace(found=false) %}{% for m in messages %}{% if m.role == 'user' %}"
                    "{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}") == "True");
  // list.append through a namespace (or a plain variable) mutates the shared list.
  CHECK(render("{% set ns = namespace(items=[]) %}{% for i in [1, 2] %}{% do ns.items.append(i * 10) %}"
               "{% endfor %}{{ ns.items }}") == "[10, 20]");
  CHECK(render("{% set l = [] %}{% do l.append(1) %}{{ l }}{{ l.pop() }}{{ l }}") == "[1]1[]");
}

TEST_CASE("macros: defaults, varargs, kwargs, caller, recursion", "[chat][semantics]") {
  CHECK(render("{% macro m(a, b=2, c='x') %}{{a}}-{{b}}-{{c}}-{{ varargs }}-{{ kwargs }}{% endmacro %}"
               "{{ m(1) }}|{{ m(1, 3) }}|{{ m(1, c='y') }}|{{ m(1,2,3,4,5) }}|{{ m(1, d=4) }}") ==
        "1-2-x-()-{}|1-3-x-()-{}|1-2-y-()-{}|1-2-3-(4, 5)-{}|1-2-x-()-{'d': 4}");
  CHECK(render("{% macro outer() %}[{{ caller() }}]{% endmacro %}{% call outer() %}inside{% endcall %}") ==
        "[inside]");
  CHECK(render("{% macro list_(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}"
               "{% call(x) list_([1,2]) %}<{{x}}>{% endcall %}") == "<1><2>");
  CHECK(render(
            "{%- macro r(x, depth=0) -%}{{ '  ' * depth }}{{ x.name }}{% if x.children %}"
            "{% for c in x.children %}{{ '\\n' }}{{ r(c, depth + 1) }}{% endfor %}{% endif %}{%- endmacro -%}"
            "{{ r({'name': 'a', 'children': [{'name': 'b', 'children': [{'name': 'c'}]}]}) }}") ==
        "a\n  b\n    c");
  CHECK(render("{% macro m(a) %}[{{ a }}]{% endmacro %}{{ m() }}") == "[]");  // missing argument is undefined
}

TEST_CASE("set blocks and filter blocks capture output", "[chat][semantics]") {
  CHECK(render("{% set x %}\n  block  {{ 1 + 1 }}\n{% endset %}[{{ x }}]") == "[  block  2\n]");
  CHECK(render("{% set x | upper %}hello{% endset %}{{ x }}") == "HELLO");
  CHECK(render("{% filter upper %}abc {{ 'def' }}{% endfilter %}") == "ABC DEF");
  CHECK(render("{%- set s -%}{%- filter trim -%}\n  padded  \n{%- endfilter -%}{%- endset -%}[{{ s }}]") ==
        "[padded]");
}

TEST_CASE("undefined behaves like Jinja's default Undefined", "[chat][semantics][undefined]") {
  CHECK(
      render("[{{ x }}][{{ x|default('d') }}][{{ x|length }}][{{ x|string }}][{{ x|list }}][{{ x|join }}]") ==
      "[][d][0][][[]][]");
  CHECK(render("{{ x is defined }} {{ x is undefined }} {{ x is iterable }} {{ x ~ 'y' }} {{ x == x }} "
               "{{ x == none }} {{ 'a' in x }}") == "False True True y True False False");
  CHECK(render_msgs("{{ messages[5] }}|{{ messages[5] is defined }}|{{ messages[0].nope is defined }}|"
                    "{{ messages[0].tool_calls|length }}") == "|False|False|0");
  CHECK(render("{{ {'a': 1}.b }}|{{ {'a': 1}['b'] }}|") == "||");
  CHECK(render("{% if not tools %}no tools{% endif %}") == "no tools");
  CHECK(error_of("{{ x.y }}").detail() == "'x' is undefined");
  CHECK(error_of("{{ {}.a.b }}").detail() == "'dict object' has no attribute 'a'");
  CHECK(error_of("{{ [][5].x }}").detail() == "list object has no element 5");
  CHECK(error_of("{{ none.x.y }}").detail() == "'None' has no attribute 'x'");
  CHECK(error_of("{{ 'a' + x }}").detail() == "'x' is undefined");
  CHECK(error_of("{{ x + 1 }}").detail() == "'x' is undefined");
  CHECK(error_of("{{ x < 1 }}").detail() == "'x' is undefined");
  CHECK(error_of("{{ undefined_fn() }}").detail() == "'undefined_fn' is undefined");
  CHECK(error_of("{{ x[0] }}").detail() == "'x' is undefined");
  CHECK(error_of("{{ x|tojson }}").detail() == "Object of type Undefined is not JSON serializable");
}

TEST_CASE("operators follow Python", "[chat][semantics]") {
  CHECK(
      render("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 5 % -3 }} {{ 5.5 % 2 }} {{ 2 ** -1 }} {{ 10 / 4 }} "
             "{{ 10 / 5 }} {{ 7.5 // 2 }}") == "3 -4 2 -1 1.5 0.5 2.5 2.0 3.0");
  CHECK(
      render(
          "{{ 1 == 1.0 }} {{ true == 1 }} {{ [1] == (1,) }} {{ (1,2) == (1,2) }} {{ {'a': 1} == {'a': 1} }} "
          "{{ [1, 2] < [1, 3] }} {{ 'a' < 'b' }}") == "True True False True True True True");
  CHECK(
      render("{{ 'a' in 'cat' }} {{ 'z' not in 'cat' }} {{ 2 in [1,2] }} {{ 'k' in {'k':1} }} {{ not 1 }}") ==
      "True True True True False");
  CHECK(render("{{ x or 'default' }} {{ 0 and 1 }} {{ [] or {} }} {{ 'a' and 'b' }} {{ 0 or '' or 'z' }}") ==
        "default 0 {} b z");
  CHECK(render("{{ 3 * 'ab' }} {{ [0] * 3 }} {{ 'a' ~ 1 ~ none ~ true }} {{ [1] + [2] }}") ==
        "ababab [0, 0, 0] a1NoneTrue [1, 2]");
  CHECK(render("{{ '%s and %d' % ('a', 3) }}") == "a and 3");
}

TEST_CASE("subscripts and slices, negative steps included", "[chat][semantics]") {
  CHECK(render("{{ 'abc'[::-1] }} {{ [1,2,3,4,5][1:4] }} {{ [1,2,3,4,5][::-2] }} {{ 'héllo'[1:3] }} "
               "{{ [1,2,3][-1] }} {{ 'abc'[-5:] }} {{ [1,2,3][5:] }}") ==
        "cba [2, 3, 4] [5, 3, 1] él 3 abc []");
  CHECK(
      render("{{ (1,2,3)[1:] }} {{ 'abcdef'[1:5:2] }} {{ [1,2,3][:-1] }} {{ \"Hello\"[0] }} {{ [1,2].1 }}") ==
      "(2, 3) bd [1, 2] H 2");
  CHECK(render_msgs("{{ messages[1:]|length }} {{ messages[-1].role }} {{ messages[0]['content'] }} "
                    "{{ messages[1].content[-1] }} {{ messages[1].content|length }}") ==
        "2 assistant Be brief. 🌊 7");
  CHECK(error_of("{{ [1][::0] }}").detail() == "slice step cannot be zero");
}

TEST_CASE("values print as Python prints them", "[chat][semantics]") {
  CHECK(render("{{ [1, 2.5, 'a', none, true, {'k': [1, (2, 3)]}] }}") ==
        "[1, 2.5, 'a', None, True, {'k': [1, (2, 3)]}]");
  CHECK(render("{{ 1e20 }} {{ 1.5e-7 }} {{ 1/3 }} {{ 3.0 }} {{ 2**10 }} {{ 0.1+0.2 }} {{ 1e16 }} "
               "{{ 123456789012345.6 }} {{ 0.0001 }}") ==
        "1e+20 1.5e-07 0.3333333333333333 3.0 1024 0.30000000000000004 1e+16 123456789012345.6 0.0001");
  CHECK(render("{{ \"it's\" }} {{ ['it\\'s', 'a\"b', 'a\\'b\"c', '\\n', 'é\\t'] }}") ==
        "it's [\"it's\", 'a\"b', 'a\\'b\"c', '\\n', 'é\\t']");
  CHECK(render("{{ dict(a=1, b=2) }} {{ namespace(a=1).a }} {{ range(1, 10, 3)|list }}") ==
        "{'a': 1, 'b': 2} 1 [1, 4, 7]");
}

TEST_CASE("tests (is ...)", "[chat][semantics]") {
  CHECK(
      render(
          "{{ none is none }} {{ 1 is number }} {{ true is number }} {{ 1 is integer }} {{ 1.0 is float }} "
          "{{ 'a' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 'a' is iterable }} {{ 3 is odd }} "
          "{{ 4 is even }} {{ 1 is in [1,2] }} {{ 'a' is eq 'a' }} {{ 2 is gt 1 }} {{ true is true }} "
          "{{ false is false }} {{ true is boolean }} {{ 'abc' is lower }} {{ range is callable }} "
          "{{ [] is sequence }} {{ 1 is sameas 1 }} {{ 1 is equalto 2 }}") ==
      "True True True True True True True True True True True True True True True True True True True True "
      "True False");
}

TEST_CASE("LFM2's ChatML with a system prompt taken out of the messages and tool responses",
          "[chat][semantics]") {
  // The constructs of Liquid AI's LFM2 template: a namespace carrying the system prompt, `messages`
  // reassigned to its slice [1:] at the top level, content that is not a string dumped with tojson, tool
  // results wrapped in their markers.
  const std::string source =
      "{{- bos_token -}}{%- set ns = namespace(system_prompt='') -%}"
      "{%- if messages[0]['role'] == 'system' -%}{%- set ns.system_prompt = messages[0]['content'] -%}"
      "{%- set messages = messages[1:] -%}{%- endif -%}"
      "{%- if ns.system_prompt -%}{{- '<|im_start|>system\\n' + ns.system_prompt + '<|im_end|>\\n' -}}"
      "{%- endif -%}{%- for message in messages -%}{{- '<|im_start|>' + message['role'] + '\\n' -}}"
      "{%- set content = message['content'] -%}"
      "{%- if content is not string -%}{%- set content = content | tojson -%}{%- endif -%}"
      "{%- if message['role'] == 'tool' -%}"
      "{%- set content = '<|tool_response_start|>' + content + '<|tool_response_end|>' -%}{%- endif -%}"
      "{{- content + '<|im_end|>\\n' -}}{%- endfor -%}"
      "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";
  const json messages = json::parse(R"([{"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
    {"role": "tool", "content": {"temp": 21}}])");
  CHECK(render(source,
               {{"messages", messages}, {"bos_token", "<|startoftext|>"}, {"add_generation_prompt", true}}) ==
        "<|startoftext|><|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>tool\n<|tool_response_start|>{\"temp\": 21}"
        "<|tool_response_end|><|im_end|>\n<|im_start|>assistant\n");
}

TEST_CASE("the constructs of Gemma 4's template: splitting out channels, filters inside + and not, macros",
          "[chat][semantics]") {
  // its strip_thinking: split on the close marker, keep what comes before each open marker
  CHECK(render("{% for p in 'a<c|>b<o>x<c|>d<o>'.split('<c|>') %}[{{ p }}|{{ '<o>' in p }}|{{ "
               "p.split('<o>')[0] }}]"
               "{% endfor %}") == "[a|False|a][b<o>x|True|b][d<o>|True|d]");
  // a filter binds tighter than `not` and `+`
  CHECK(render("{{ not x | default(false) }} {{ not t | default(false) }} {{ not f | default(true) }}",
               {{"t", true}, {"f", false}}) == "True False True");
  CHECK(render("{{ 'n:' + name | default('unknown') + '{' }} {{ 'n:' + other | default('unknown') + '{' }}",
               {{"other", "w"}}) == "n:unknown{ n:w{");
  // upper on a list upper-cases its printed form; map('upper') each item
  CHECK(render("{{ ['string', 'null'] | map('upper') | list }} {{ ['integer', 'null'] | upper }} "
               "{{ 'object' | upper == 'OBJECT' }}") == "['STRING', 'NULL'] ['INTEGER', 'NULL'] True");
  CHECK(render("{% for v in ['str', ['num', 'null']] %}{{ v if v is string else v[0] }},{% endfor %}") ==
        "str,num,");
  // its format_argument: a recursive macro passing its keyword argument on, over mappings and sequences
  CHECK(
      render(
          "{% macro f(v, esc=True) %}{% if v is string %}{{ '<q>' + v + '<q>' }}{% elif v is mapping %}"
          "{% for k, w in v | dictsort %}{{ ('<q>' + k + '<q>') if esc else k }}:{{ f(w, esc=esc) }};"
          "{% endfor %}{% elif v is sequence %}[{% for i in v %}{{ f(i, esc=esc) }}{{ ',' if not loop.last }}"
          "{% endfor %}]{% else %}{{ v }}{% endif %}{% endmacro %}"
          "{{ f({'b': {'c': none, 'd': ['x', 2]}, 'a': true}, esc=False) }}|{{ f({'k': 1}) }}") ==
      "a:True;b:c:None;d:[<q>x<q>,2];;|<q>k<q>:1;");
  CHECK(render("{{ 'response' in {'response': 1} }} {{ 'r' in {'response': 1} }}") == "True False");
  // a macro's output through a filter (trim), with a namespace accumulating inside the macro
  CHECK(render("{% macro m(t) %}{% set ns = namespace(out='') %}{% for c in t.split(',') %}"
               "{% set ns.out = ns.out + c %}{% endfor %}  {{ ns.out }}  {% endmacro %}[{{ m('a, b,c ') | "
               "trim }}]") == "[a bc]");
}
