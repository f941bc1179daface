#pragma once
// How the storage commands of glasswing-cli open the database: one place for the messages the user sees.
#include <string>

#include "storage/store.h"

namespace glasswing::cli {

// Opens --db. create: make a new file if there is none (otherwise a missing file is an error). A corrupt file
// that was moved aside is reported on stderr, with where its bytes are now.
storage::Store open_store(const std::string& db_path, bool create);

// Parses a conversation id argument; throws UsageError when it is not a positive integer.
int64_t parse_conversation_id(const std::string& text);

}  // namespace glasswing::cli
