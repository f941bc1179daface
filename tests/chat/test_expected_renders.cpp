// Every case of ../shared/chat-templates/expected.json: each real template × conversation ×
// add_generation_prompt must render byte for byte as Hugging Face's Jinja does, or fail with the same error.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "inference/chat/chat_template.h"
#include "tests/test_support.h"

namespace {

using glasswing::chat::ChatTemplate;
using glasswing::chat::ChatTemplateError;
using json = nlohmann::ordered_json;

std::string excerpt(const std::string& s, size_t at) {
  const size_t from = at > 40 ? at - 40 : 0;
  return json(s.substr(from, 80)).dump();  // JSON-quoted so newlines are visible
}

}  // namespace

TEST_CASE("every expected.json case renders exactly", "[chat][expected]") {
  const auto dir = glasswing::test::require_shared("chat-templates/expected.json").parent_path();
  const json cases = json::parse(glasswing::test::read_file(dir / "expected.json"));
  const json conversations = json::parse(glasswing::test::read_file(dir / "conversations.json"));
  REQUIRE(cases.is_array());
  REQUIRE(!cases.empty());

  std::map<std::string, ChatTemplate> templates;
  size_t passed = 0;
  std::vector<std::string> failures;
  for (const auto& c : cases) {
    const std::string name = c.at("template").get<std::string>();
    const size_t conv = c.at("conversation").get<size_t>();
    const bool agp = c.at("add_generation_prompt").get<bool>();
    const std::string label = name + " / conversation " + std::to_string(conv) +
                              " / add_generation_prompt=" + (agp ? "true" : "false");

    ChatTemplate::Options opt;
    opt.bos_token = "<s>";
    opt.eos_token = "</s>";
    opt.add_generation_prompt = agp;
    opt.now = std::chrono::sys_days{std::chrono::year{2026} / 1 / 15} + std::chrono::hours{12};

    std::string got, error;
    try {
      auto it = templates.find(name);
      if (it == templates.end())
        it = templates.emplace(name, ChatTemplate::parse(glasswing::test::read_file(dir / name))).first;
      got = it->second.render(conversations.at(conv).at("messages"), opt);
    } catch (const ChatTemplateError& e) {
      error = e.detail();
      if (!c.contains("error")) failures.push_back(label + ": unexpected error: " + e.what());
    }
    if (c.contains("error")) {
      const std::string want = c.at("error").get<std::string>();
      if (error.empty())
        failures.push_back(label + ": expected error \"" + want + "\" but it rendered");
      else if (error != want)
        failures.push_back(label + ": error \"" + error + "\", expected \"" + want + "\"");
      else
        ++passed;
      continue;
    }
    if (!error.empty()) continue;
    const std::string want = c.at("expected").get<std::string>();
    if (got == want) {
      ++passed;
      continue;
    }
    size_t at = 0;
    while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
    failures.push_back(label + ": first difference at byte " + std::to_string(at) + " (got " +
                       std::to_string(got.size()) + " bytes, expected " + std::to_string(want.size()) +
                       ")\n    got:      " + excerpt(got, at) + "\n    expected: " + excerpt(want, at));
  }
  for (const auto& f : failures) UNSCOPED_INFO(f);
  std::printf("chat templates: %zu of %zu expected.json cases pass\n", passed, cases.size());
  CHECK(failures.empty());
  CHECK(passed == cases.size());
}
