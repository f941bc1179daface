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
