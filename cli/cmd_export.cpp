// glasswing-cli export --db FILE.sqlite --conversation ID --format md|json [--all-branches] — writes one
// conversation to stdout: its active branch, or its whole tree.
#include <cstdio>

#include "cli/command.h"
#include "cli/storage_open.h"
#include "storage/export.h"

namespace {

using namespace glasswing;

int run_export(cli::Args& args) {
  if (!args.positional().empty()) throw cli::UsageError("unexpected argument '" + args.positional()[0] + "'");
  const int64_t id = cli::parse_conversation_id(args.require("--conversation"));
  const std::string format = args.require("--format");
  if (format != "md" && format != "json")
    throw cli::UsageError("--format must be md or json, got '" + format + "'");
  const auto branches =
      args.has("--all-branches") ? storage::ExportBranches::all : storage::ExportBranches::active;
  storage::Store store = cli::open_store(args.require("--db"), /*create=*/false);
  const std::string text = format == "md"
                               ? storage::export_markdown(store, id, branches)
                               : storage::export_json(store, id, branches)
                                         .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                                     "\n";
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    throw std::runtime_error("cannot write to standard output");
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(export, "export --db FILE.sqlite --conversation ID --format md|json [--all-branches]",
                      "write a conversation as Markdown or JSON to stdout (JSON can be imported again)",
                      ({{"--db", "", true, "the conversation database"},
                        {"--conversation", "", true, "the conversation id (see history)"},
                        {"--format", "", true, "md (for reading) or json (for import)"},
                        {"--all-branches", "", false, "every branch of the tree, not only the active one"}}),
                      run_export);
