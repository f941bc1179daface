// glasswing-cli entry point: finds the command, parses its flags, turns every error into one line.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "cli/command.h"

namespace glasswing::cli {

namespace {
std::map<std::string, Command>& table() {
  static std::map<std::string, Command> t;
  return t;
}
}  // namespace

void register_command(Command command) { table()[command.name] = std::move(command); }
const std::map<std::string, Command>& commands() { return table(); }

Args::Args(const std::vector<std::string>& argv, const std::vector<Option>& options) {
  auto find = [&](std::string_view name) -> const Option* {
    for (const auto& o : options)
      if (o.long_name == name || (!o.short_name.empty() && o.short_name == name)) return &o;
    return nullptr;
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && (std::isdigit((unsigned char)a[1]) || a[1] == '.'))) {
      std::string name = a, inline_value;
      bool has_inline = false;
      if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
        name = a.substr(0, eq);
        inline_value = a.substr(eq + 1);
        has_inline = true;
      }
      const Option* o = find(name);
      if (!o) throw UsageError("unknown option " + name);
      if (o->takes_value) {
        if (has_inline) {
          values_[o->long_name] = inline_value;
        } else {
          if (i + 1 >= argv.size()) throw UsageError("option " + name + " needs a value");
          values_[o->long_name] = argv[++i];
        }
      } else {
        if (has_inline) throw UsageError("option " + name + " takes no value");
        values_[o->long_name] = "1";
      }
    } else {
      positional_.push_back(a);
    }
  }
}

bool Args::has(std::string_view long_name) const { return values_.find(long_name) != values_.end(); }

std::optional<std::string> Args::get(std::string_view long_name) const {
  auto it = values_.find(long_name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(std::string_view long_name, const std::string& fallback) const {
  return get(long_name).value_or(fallback);
}

std::string Args::require(std::string_view long_name) const {
  auto v = get(long_name);
  if (!v) throw UsageError("missing required option " + std::string(long_name));
  return *v;
}

double Args::number(std::string_view long_name, double fallback) const {
  auto v = get(long_name);
  if (!v) return fallback;
  char* end = nullptr;
  double d = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0') throw UsageError(std::string(long_name) + " expects a number, got '" + *v + "'");
  return d;
}

int64_t Args::integer(std::string_view long_name, int64_t fallback) const {
  auto v = get(long_name);
  if (!v) return fallback;
  char* end = nullptr;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0')
    throw UsageError(std::string(long_name) + " expects an integer, got '" + *v + "'");
  return n;
}

}  // namespace glasswing::cli

namespace {
void print_help() {
  std::fprintf(stderr, "usage: glasswing-cli COMMAND [options]\n\ncommands:\n");
  for (const auto& [name, c] : glasswing::cli::commands())
    std::fprintf(stderr, "  %-12s %s\n", name.c_str(), c.summary.c_str());
}
}  // namespace

int main(int argc, char** argv) {
  using namespace glasswing::cli;
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  const auto& table = commands();
  auto it = table.find(argv[1]);
  if (it == table.end()) {
    std::fprintf(stderr, "glasswing-cli: unknown command '%s' (try --help)\n", argv[1]);
    return 2;
  }
  const Command& cmd = it->second;
  std::vector<std::string> rest(argv + 2, argv + argc);
  for (const auto& a : rest) {
    if (a == "--help" || a == "-h") {
      std::fprintf(stderr, "usage: glasswing-cli %s\n%s\n", cmd.usage.c_str(), cmd.summary.c_str());
      for (const auto& o : cmd.options)
        std::fprintf(stderr, "  %-4s %-22s %s\n", o.short_name.c_str(), o.long_name.c_str(), o.help.c_str());
      return 0;
    }
  }
  try {
    Args args(rest, cmd.options);
    return cmd.run(args);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "glasswing-cli %s: %s\nusage: glasswing-cli %s\n", cmd.name.c_str(), e.what(),
                 cmd.usage.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "glasswing-cli %s: error: %s\n", cmd.name.c_str(), e.what());
    return 1;
  }
}
