#pragma once
// The command table of glasswing-cli. A command lives in its own cli/cmd_*.cpp and registers itself:
//
//   static int run_info(glasswing::cli::Args& args) { ... return 0; }
//   GLASSWING_CLI_COMMAND(info, "info MODEL.gguf", "print a model's architecture and tensors",
//                         {}, run_info);
//
// Errors: throw UsageError for bad flags (exit 2) and any std::exception for failures (exit 1); main()
// prints the one-line message. Nothing prints a stack trace.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace glasswing::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Option {
  std::string long_name;   // "--model"
  std::string short_name;  // "-m", or empty
  bool takes_value = true;
  std::string help;
};

// Parsed command line of one command: declared options and positional arguments.
class Args {
 public:
  Args(const std::vector<std::string>& argv, const std::vector<Option>& options);

  bool has(std::string_view long_name) const;
  std::optional<std::string> get(std::string_view long_name) const;
  std::string get_or(std::string_view long_name, const std::string& fallback) const;
  std::string require(std::string_view long_name) const;  // throws UsageError when absent
  double number(std::string_view long_name, double fallback) const;
  int64_t integer(std::string_view long_name, int64_t fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positional_;
};

using CommandFn = int (*)(Args&);

struct Command {
  std::string name;
  std::string usage;    // e.g. "tokenize -m MODEL.gguf [--bos] [--special]"
  std::string summary;  // one line for the command list
  std::vector<Option> options;
  CommandFn run = nullptr;
};

void register_command(Command command);
const std::map<std::string, Command>& commands();

struct Registrar {
  explicit Registrar(Command command) { register_command(std::move(command)); }
};

}  // namespace glasswing::cli

#define GLASSWING_CLI_COMMAND(ident, usage, summary, options, fn)                      \
  static const ::glasswing::cli::Registrar glasswing_cli_registrar_##ident{           \
      ::glasswing::cli::Command{#ident, usage, summary, std::vector<::glasswing::cli::Option> options, fn}}
