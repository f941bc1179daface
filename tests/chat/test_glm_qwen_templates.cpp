// The templates GLM-4-9B-Chat's and ChatGLM3-6B's GGUFs carry, rendered as Python Jinja2 renders them with
// Hugging Face's environment (trim_blocks, lstrip_blocks), and the ChatML that Qwen (1) files, which carry
// none, are given.
#include <catch2/catch.hpp>

#include "inference/chat/chat_template.h"
#include "inference/gguf/gguf_file.h"
#include "inference/gguf/gguf_writer.h"
#include "tests/test_support.h"

using glasswing::chat::ChatMessage;
using glasswing::chat::ChatTemplate;
using json = nlohmann::ordered_json;

namespace {

// GLM-4-9B-Chat's tokenizer.chat_template (its tokenizer_config.json's, as llama.cpp's converter copies it)
const std::string kGlm4Chat =
    "[gMASK]<sop>{% for item in messages %}{% if item['tools'] is defined %}<|system|>\n"
    "你是一个名为 ChatGLM 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 "
    "模型开发的，你的任务是针对用户的问题"
    "和要求提供适当的答复和支持。\n\n# 可用工具{% set tools = item['tools'] %}{% for tool in tools %}"
    "{% if tool['type'] == 'function' %}\n\n## {{ tool['function']['name'] }}\n\n"
    "{{ tool['function'] | tojson(indent=4) }}\n在调用上述函数时，请使用 Json 格式表示调用的参数。"
    "{% elif tool['type'] == 'python' %}\n\n## python\n\n当你向 `python` 发送包含 Python "
    "代码的消息时，该代码将会"
    "在一个有状态的 Jupyter notebook 环境中执行。\n`python` 返回代码执行的输出，或在执行 60 秒后返回超时。\n"
    "`/mnt/data` 将会持久化存储你的文件。在此会话中，`python` 无法访问互联网。不要使用 `python` "
    "进行任何网络请求"
    "或者在线 API 调用，这些在线内容的访问将不会成功。{% elif tool['type'] == 'simple_browser' %}\n\n"
    "## simple_browser\n\n你可以使用 `simple_browser` 工具。该工具支持以下函数：\n"
    "`search(query: str, recency_days: int)`：使用搜索引擎进行查询并显示结果，可以使用 `recency_days` "
    "参数控制"
    "搜索内容的时效性。\n`mclick(ids: list[int])`：获取一系列指定 id "
    "的页面内容。每次调用时，须选择3-10个页面。"
    "选择多个角度的页面，同时尽可能选择可信任的信息来源。考虑到部分页面是无法加载的，你也可以多打开一些可能有"
    "用的"
    "页面而不用担心内容过多。\n`open_url(url: str)`：打开指定的 URL。\n\n使用 `【{引用 id}†{引用文本}】` "
    "来引用"
    "内容。\n\n操作步骤：1. 使用 `search` 来获得信息列表; 2. 使用 `mclick` 来获取指定 ID 页面的内容; 3. "
    "根据获得"
    "的内容进行回复。在回复中应当引用信息来源。\n 如果用户提供了 URL，也可以用 `open_url` 直接打开页面。\n"
    "如果初次搜索结果没有找到合适的信息，也可以再次使用 `search` 进行搜索。{% elif tool['type'] == 'cogview' "
    "%}"
    "\n\n## cogview\n\n如果用户的请求中包含了对图像的描述，你可以使用 `cogview` "
    "来生成图像并展示给用户。你需要向 "
    "`cogview` 发送图像描述，规则：\n- 发送给 `cogview` "
    "的消息必须使用英语。用户的中文描述必须完全翻译为英语。\n"
    "- 应当尽可能详细地描述图像生成的需求，需求描述约 100 英文单词。\n- "
    "保持用户原始描述的意图。不要虚构内容或者"
    "没见过的人物。\n- 如无特殊说明，所在地为中国，持有中国立场并遵循中国社会主义价值观。{% endif %}{% "
    "endfor %}"
    "{% endif %}{% if item['content'] %}<|{{ item['role'] }}|>{{ item['metadata'] }}\n{{ item['content'] }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

// ChatGLM3-6B's
const std::string kChatGlm3 =
    "{% for message in messages %}{% if loop.first %}[gMASK]sop<|{{ message['role'] }}|>\n "
    "{{ message['content'] }}{% else %}<|{{ message['role'] }}|>\n {{ message['content'] }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

const std::vector<ChatMessage> kConversation = {{"system", "You are a helpful assistant"},
                                                {"user", "Hello"},
                                                {"assistant", "Hi there"},
                                                {"user", "Who are you"},
                                                {"assistant", "   I am an assistant   "},
                                                {"user", "Another question"}};

ChatTemplate::Options generation() {
  ChatTemplate::Options opt;
  opt.add_generation_prompt = true;
  return opt;
}

// A qwen-looking GGUF (metadata only) with these tokens and, where given, a template.
glasswing::gguf::GgufFile qwen_file(const std::string& name, const std::string& arch,
                                    const std::vector<std::string>& tokens,
                                    const std::optional<std::string>& tmpl = std::nullopt) {
  glasswing::gguf::GgufWriter w;
  w.set_string("general.architecture", arch);
  w.set_strings("tokenizer.ggml.tokens", tokens);
  if (tmpl) w.set_string("tokenizer.chat_template", *tmpl);
  const auto path = glasswing::test::temp_dir("qwen-chatml") / (name + ".gguf");
  w.write(path.string());
  return glasswing::gguf::GgufFile::open(path);
}

}  // namespace

TEST_CASE("GLM-4-9B-Chat's template: [gMASK]<sop>, role markers, an undefined metadata left empty",
          "[chat][glm]") {
  const auto t = ChatTemplate::parse(kGlm4Chat);
  CHECK(t.render(kConversation, generation()) ==
        "[gMASK]<sop><|system|>\nYou are a helpful assistant<|user|>\nHello<|assistant|>\nHi there<|user|>\n"
        "Who are you<|assistant|>\n   I am an assistant   <|user|>\nAnother question<|assistant|>");
  // a message that carries tools gets GLM-4's tool preamble, each function dumped with indent=4 (trim_blocks
  // eats the first newline after the block tag)
  const json messages = json::parse(R"([
    {"role": "system", "content": "Be brief.", "tools": [
      {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]},
    {"role": "user", "content": "天气?"}])");
  CHECK(
      t.render(messages, generation()) ==
      "[gMASK]<sop><|system|>\n你是一个名为 ChatGLM 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 "
      "模型开发"
      "的，你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n# 可用工具\n## get_weather\n\n{\n"
      "    \"name\": \"get_weather\",\n    \"parameters\": {\n        \"type\": \"object\"\n    }\n}\n"
      "在调用上述函数时，请使用 Json 格式表示调用的参数。<|system|>\nBe brief.<|user|>\n天气?<|assistant|>");
}

TEST_CASE("ChatGLM3-6B's template: [gMASK]sop before the first turn, a space after each role's newline",
          "[chat][glm]") {
  CHECK(ChatTemplate::parse(kChatGlm3).render(kConversation, generation()) ==
        "[gMASK]sop<|system|>\n You are a helpful assistant<|user|>\n Hello<|assistant|>\n Hi there<|user|>\n"
        " Who are you<|assistant|>\n    I am an assistant   <|user|>\n Another question<|assistant|>");
}

TEST_CASE("Qwen (1) files, which carry no template, chat in ChatML with Qwen's default system prompt",
          "[chat][gguf]") {
  const std::vector<std::string> tokens = {"a", "<|endoftext|>", "<|im_start|>", "<|im_end|>"};
  const auto file = qwen_file("qwen", "qwen", tokens);
  CHECK_FALSE(glasswing::chat::is_plain_completion_model(file));
  const auto t = ChatTemplate::from_gguf(file);
  REQUIRE(t.has_value());
  const std::vector<ChatMessage> user = {{"user", "Hi"}};
  CHECK(t->render(user, generation()) ==
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n");
  const std::vector<ChatMessage> with_system = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Yo"}};
  CHECK(t->render(with_system, ChatTemplate::Options{}) ==
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo"
        "<|im_end|>\n");
  // a template the file does carry is its own; a named one is never made up; a qwen vocabulary without
  // ChatML's markers, or another architecture's, stays a plain completion model
  const auto own = qwen_file("own", "qwen", tokens, std::string("{{ messages[0]['content'] }}"));
  CHECK(ChatTemplate::from_gguf(own)->render(user, generation()) == "Hi");
  CHECK_FALSE(ChatTemplate::from_gguf(file, "tool_use").has_value());
  const auto bare = qwen_file("bare", "qwen", {"a", "b"});
  CHECK(glasswing::chat::is_plain_completion_model(bare));
  CHECK_FALSE(ChatTemplate::from_gguf(bare).has_value());
  const auto llama = qwen_file("llama", "llama", tokens);
  CHECK(glasswing::chat::is_plain_completion_model(llama));
  CHECK_FALSE(ChatTemplate::from_gguf(llama).has_value());
}
