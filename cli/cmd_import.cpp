// glasswing-cli import --db FILE.sqlite FILE.json — adds a conversation exported with `export --format json`
// as a new conversation, and prints its id.
#include <cstdio>
#include <fstream>
#include <iterator>

#include "cli/command.h"
#include "cli/storage_open.h"
#include "storage/export.h"

namespace {

using namespace glasswing;

int run_import(cli::Args& args) {
  if (args.positional().size() != 1) throw cli::UsageError("expected exactly one FILE.json");
  const std::string path = args.positional()[0];
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(path + " is not valid JSON: " + e.what());
  }
  storage::Store store = cli::open_store(args.require("--db"), /*create=*/true);
  int64_t id = 0;
  try {
    id = storage::import_json(store, document);
  } catch (const storage::ImportError& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  std::printf("%lld\n", static_cast<long long>(id));
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(import, "import --db FILE.sqlite FILE.json",
                      "add a conversation exported as JSON to the database; prints its new id",
                      ({{"--db", "", true, "the conversation database (created if missing)"}}), run_import);
