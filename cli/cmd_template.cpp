// glasswing-cli template — render a chat template for a conversation, exactly as the engine will prompt the
// model. Prints the rendered text (no newline added); a template error goes to stderr with exit status 1.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cli/command.h"
#include "inference/chat/chat_template.h"
#include "inference/gguf/gguf_file.h"

namespace {

using namespace glasswing;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + path);
  return ss.str();
}

// --date YYYY-MM-DD: the day strftime_now() sees (noon UTC; the time is formatted in UTC), for reproducible
// renders.
std::chrono::system_clock::time_point parse_date(const std::string& s) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
    throw cli::UsageError("--date expects YYYY-MM-DD, got '" + s + "'");
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) throw cli::UsageError("--date: no such day '" + s + "'");
  return std::chrono::sys_days{ymd} + std::chrono::hours{12};
}

int run_template(cli::Args& args) {
  if (!args.positional().empty()) throw cli::UsageError("unexpected argument '" + args.positional()[0] + "'");
  const bool has_template = args.has("--template");
  const bool has_model = args.has("--model");
  if (has_template == has_model)
    throw cli::UsageError("give exactly one of --template FILE.jinja or -m MODEL.gguf");

  std::optional<chat::ChatTemplate> tmpl;
  if (has_template) {
    tmpl = chat::ChatTemplate::parse(read_file(*args.get("--template")));
  } else {
    const auto file = gguf::GgufFile::open(*args.get("--model"));
    tmpl = chat::ChatTemplate::from_gguf(file);
    if (!tmpl)
      throw std::runtime_error(
          *args.get("--model") +
          " has no chat template (tokenizer.chat_template): it is a plain text completion model");
  }

  const std::string messages_path = args.require("--messages");
  nlohmann::ordered_json messages;
  try {
    messages = nlohmann::ordered_json::parse(read_file(messages_path));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(messages_path + ": invalid JSON: " + e.what());
  }
  if (!messages.is_array())
    throw std::runtime_error(messages_path + ": expected a JSON array of {role, content} objects");
  for (const auto& m : messages)
    if (!m.is_object() || !m.contains("role"))
      throw std::runtime_error(messages_path + ": every message must be an object with a \"role\"");

  chat::ChatTemplate::Options options;
  options.bos_token = args.get_or("--bos", "");
  options.eos_token = args.get_or("--eos", "");
  options.add_generation_prompt = args.has("--add-generation-prompt");
  if (auto date = args.get("--date")) options.now = parse_date(*date);
  if (auto context = args.get("--context")) {
    try {
      options.extra_context = nlohmann::ordered_json::parse(read_file(*context));
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(*context + ": invalid JSON: " + e.what());
    }
    if (!options.extra_context.is_object())
      throw std::runtime_error(*context +
                               ": expected a JSON object of template variables (tools, documents, ...)");
  }

  const std::string out = tmpl->render(messages, options);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(
    template,
    "template (--template FILE.jinja | -m MODEL.gguf) --messages FILE.json "
    "[--add-generation-prompt] [--bos TEXT] [--eos TEXT] [--date YYYY-MM-DD] [--context FILE.json]",
    "render a chat template for a conversation (prints the prompt text exactly)",
    ({{"--template", "", true, "Jinja chat template file"},
      {"--model", "-m", true, "take the template from this GGUF model instead"},
      {"--messages", "", true, "JSON array of {role, content} messages (extra fields pass through)"},
      {"--add-generation-prompt", "", false, "end with the assistant turn opener"},
      {"--bos", "", true, "value of bos_token (default empty)"},
      {"--eos", "", true, "value of eos_token (default empty)"},
      {"--date", "", true, "date strftime_now() sees (default: today)"},
      {"--context", "", true, "JSON object of extra template variables (tools, documents, ...)"}}),
    run_template);
