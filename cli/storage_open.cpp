#include "cli/storage_open.h"

#include <cstdio>
#include <cstdlib>

#include "cli/command.h"

namespace glasswing::cli {

storage::Store open_store(const std::string& db_path, bool create) {
  storage::OpenOptions options;
  options.create_if_missing = create;
  storage::Store store(db_path, options);
  if (const auto& recovery = store.recovery())
    std::fprintf(
        stderr,
        "glasswing-cli: warning: %s was corrupt (%s); its bytes are kept in %s and a new database was "
        "started\n",
        db_path.c_str(), recovery->problem.c_str(), recovery->preserved_path.c_str());
  if (store.interrupted_on_open() > 0)
    std::fprintf(stderr, "glasswing-cli: note: %lld message(s) cut off by a crash were marked interrupted\n",
                 static_cast<long long>(store.interrupted_on_open()));
  return store;
}

int64_t parse_conversation_id(const std::string& text) {
  char* end = nullptr;
  const long long id = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || id <= 0)
    throw UsageError("--conversation expects a positive integer id, got '" + text + "'");
  return id;
}

}  // namespace glasswing::cli
