// Real templates with tools and tool calls (not covered by expected.json): tojson inside templates, tool
// messages, indent=4 dumps. Expected strings come from Python Jinja2 3.1 with Hugging Face's environment
// (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, json.dumps tojson).
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "inference/chat/chat_template.h"
#include "tests/test_support.h"

using glasswing::chat::ChatTemplate;
using json = nlohmann::ordered_json;

namespace {
std::string render_shared(const std::string& name, const json& messages, const json& tools) {
  std::ifstream in(glasswing::test::require_shared("chat-templates/" + name), std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  ChatTemplate::Options opt;
  opt.bos_token = "<s>";
  opt.eos_token = "</s>";
  opt.add_generation_prompt = true;
  opt.extra_context = {{"tools", tools}};
  return ChatTemplate::parse(ss.str()).render(messages, opt);
}

const json kTools =
    json::parse(R"([{"type": "function", "function": {"name": "get_weather", "description": "Météo",
  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])");
const json kMessages = json::parse(R"([{"role": "user", "content": "Paris?"},
  {"role": "assistant", "content": "", "tool_calls": [{"type": "function",
    "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
  {"role": "tool", "content": "21°C"}])");
}  // namespace

TEST_CASE("Qwen2.5 with tools and a tool call", "[chat][tools]") {
  const std::string want =
      json::parse(
          R"json("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"M\u00e9t\u00e9o\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nParis?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n21\u00b0C\n</tool_response><|im_end|>\n<|im_start|>assistant\n")json")
          .get<std::string>();
  CHECK(render_shared("Qwen-Qwen2.5-7B-Instruct.jinja", kMessages, kTools) == want);
}

TEST_CASE("Llama 3.1 puts tools in the first user message with tojson(indent=4)", "[chat][tools]") {
  const std::string want =
      json::parse(
          R"json("<s><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"M\u00e9t\u00e9o\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n                    \"type\": \"string\"\n                }\n            },\n            \"required\": [\n                \"city\"\n            ]\n        }\n    }\n}\n\nParis?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")json")
          .get<std::string>();
  CHECK(render_shared("meta-llama-Llama-3.1-8B-Instruct.jinja", json::array({kMessages[0]}), kTools) == want);
}

// Meta's Llama 4 chat template (Hugging Face's processing_llama4.py, as in Llama-4-Scout-17B-16E-Instruct's
// tokenizer_config.json): <|header_start|>role<|header_end|> turns ending in <|eot|>, tools in the first user
// message, tool calls after <|python_start|><|python_end|>, tool results as ipython turns.
const std::string kLlama4Template = R"JINJA({{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}    
    {%- if messages[0]['content'] is string %}
        {%- set system_message = messages[0]['content']|trim %}
    {%- else %}
        {#- FIXME: The processor requires an array, always. #}
        {%- set system_message = messages[0]['content'][0]['text']|trim %}
    {%- endif %}
    {%- set messages = messages[1:] %}
    {%- set user_supplied_system_message = true %}
{%- else %}
    {%- set system_message = "" %}
    {%- set user_supplied_system_message = false %}
{%- endif %}

{#- System message if the user supplied one #}
{%- if user_supplied_system_message %}
    {{- "<|header_start|>system<|header_end|>

" }}
    {%- if tools is not none %}
        {{- "Environment: ipython
" }}
    {%- endif %}
    {%- if tools is not none and not tools_in_user_message %}
        {{- "You have access to the following functions. To call a function, please respond with JSON for a function call." }}
        {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
        {{- "Do not use variables.

" }}
        {%- for t in tools %}
            {{- t | tojson(indent=4) }}
            {{- "

" }}
        {%- endfor %}
    {%- endif %}
    {{- system_message }}
    {{- "<|eot|>" }}
{%- endif %}

{#- Custom tools are passed in a user message with some extra guidance #}
{%- if tools_in_user_message and not tools is none %}
    {#- Extract the first user message so we can plug it in here #}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
{%- endif %}
    {{- '<|header_start|>user<|header_end|>

' -}}
    {{- "Given the following functions, please respond with a JSON for a function call " }}
    {{- "with its proper arguments that best answers the given prompt.

" }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.

" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "

" }}
    {%- endfor %}
    {{- first_user_message + "<|eot|>"}}
{%- endif %}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
    {{- '<|header_start|>' + message['role'] + '<|header_end|>

' }}
        {%- if message['content'] is string %}
            {{- message['content'] }}
        {%- else %}
            {%- for content in message['content'] %}
                {%- if content['type'] == 'image' %}
                    {{- '<|image|>' }}
                {%- elif content['type'] == 'text' %}
                    {{- content['text'] }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- "<|eot|>" }}
    {%- elif 'tool_calls' in message and message.tool_calls|length > 0 %}
       {{- '<|header_start|>assistant<|header_end|>

' -}}
       {{- '<|python_start|>' }}
        {%- if message['content'] is string %}
            {{- message['content'] }}
        {%- else %}
            {%- for content in message['content'] %}
                {%- if content['type'] == 'image' %}
                    {{- '<|image|>' }}
                {%- elif content['type'] == 'text' %}
                    {{- content['text'] }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
       {{- '<|python_end|>' }}
        {%- for tool_call in message.tool_calls %}
           {{- '{"name": "' + tool_call.function.name + '", ' }}
           {{- '"parameters": ' }}
           {{- tool_call.function.arguments | tojson }}
           {{- "}" }}
        {%- endfor %}
       {{- "<|eot|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|header_start|>ipython<|header_end|>

" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|header_start|>assistant<|header_end|>

' }}
{%- endif %}
)JINJA";

TEST_CASE("Llama 4's chat template renders a conversation and tool calls as Jinja2 does", "[chat][tools]") {
  const ChatTemplate tmpl = ChatTemplate::parse(kLlama4Template);
  ChatTemplate::Options opt;
  opt.bos_token = "<|begin_of_text|>";
  opt.eos_token = "<|eot|>";
  opt.add_generation_prompt = true;
  const json chat = json::parse(R"([{"role": "system", "content": "You are terse. "},
    {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "Bye"}])");
  CHECK(
      tmpl.render(chat, opt) ==
      json::parse(
          R"json("<|begin_of_text|><|header_start|>system<|header_end|>\n\nYou are terse.<|eot|><|header_start|>user<|header_end|>\n\nHi<|eot|><|header_start|>assistant<|header_end|>\n\nHello!<|eot|><|header_start|>user<|header_end|>\n\nBye<|eot|><|header_start|>assistant<|header_end|>\n\n")json")
          .get<std::string>());
  opt.bos_token = "<s>";
  opt.eos_token = "</s>";
  opt.extra_context = {{"tools", kTools}};
  CHECK(
      tmpl.render(kMessages, opt) ==
      json::parse(
          R"json("<s><|header_start|>user<|header_end|>\n\nGiven the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"M\u00e9t\u00e9o\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n                    \"type\": \"string\"\n                }\n            },\n            \"required\": [\n                \"city\"\n            ]\n        }\n    }\n}\n\nParis?<|eot|><|header_start|>assistant<|header_end|>\n\n<|python_start|><|python_end|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot|><|header_start|>ipython<|header_end|>\n\n\"21\u00b0C\"<|eot|><|header_start|>assistant<|header_end|>\n\n")json")
          .get<std::string>());
}

// Llama-3.3-Nemotron-Super-49B-v1's template (deci): the system message ("detailed thinking on" or "off"
// switches its reasoning) in Llama 3's headers, then each turn trimmed, an assistant's reasoning before
// "</think>" dropped. The loop as published copies of the template carry it; the system part as the model's
// tokenizer_config.json writes it. (v1.5's own template, with /no_think, was not available to test.)
constexpr const char* kNemotronSuperTemplate =
    "{{- bos_token }}{%- if messages[0]['role'] == 'system' %}{%- set system_message = "
    "messages[0]['content']|trim %}{%- set messages = messages[1:] %}{%- else %}{%- set system_message = "
    "\"\" "
    "%}{%- endif %}{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- system_message }}{{- "
    "\"<|eot_id|>\" }}{%- for message in messages %}{%- if message['role'] == 'assistant' and '</think>' in "
    "message['content'] %}{%- set content = message['content'].split('</think>')[-1].lstrip() %}{%- else "
    "%}{%- set content = message['content'] %}{%- endif %}{{- '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\\n\\n' + content | trim + '<|eot_id|>' }}{%- endfor %}{%- if add_generation_prompt "
    "%}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

TEST_CASE(
    "Nemotron Super's chat template renders its thinking switch and drops past reasoning as Jinja2 does",
    "[chat][tools]") {
  const ChatTemplate tmpl = ChatTemplate::parse(kNemotronSuperTemplate);
  ChatTemplate::Options opt;
  opt.bos_token = "<|begin_of_text|>";
  opt.eos_token = "<|eot_id|>";
  opt.add_generation_prompt = true;
  const json chat = json::parse(R"([{"role": "system", "content": "detailed thinking on "},
    {"role": "user", "content": " Hi"}, {"role": "assistant", "content": "<think>\nA greeting.\n</think>\n\nHello!"},
    {"role": "user", "content": "Bye"}])");
  CHECK(
      tmpl.render(chat, opt) ==
      json::parse(
          R"json("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\ndetailed thinking on<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")json")
          .get<std::string>());
  // without a system message: an empty one
  opt.add_generation_prompt = false;
  CHECK(tmpl.render(json::parse(R"([{"role": "user", "content": "Hi"}])"), opt) ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n<|eot_id|><|start_header_id|>user<|"
        "end_header_id|>\n\nHi<|eot_id|>");
}
