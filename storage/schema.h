#pragma once
// The schema is the numbered SQL files in storage/migrations/ (NNNN_name.sql), compiled into the library in
// order. A fresh database is built by running all of them, so a new file and a migrated file always have the
// same schema. The version of a database is its PRAGMA user_version: the number of the last migration
// applied.
#include <cstdint>
#include <span>
#include <string_view>

#include "storage/sqlite.h"

namespace glasswing::storage {

struct Migration {
  int version;            // the user_version after it ran
  std::string_view name;  // file name without ".sql"
  std::string_view sql;
};

// Every migration, ascending by version, numbered 1, 2, 3... without gaps.
std::span<const Migration> migrations();
int current_schema_version();

// "GWst": stamped into PRAGMA application_id so another program's database is not mistaken for ours.
inline constexpr int32_t kApplicationId = 0x47577374;

// Brings db from its user_version up to `target` (default: current), one IMMEDIATE transaction per migration
// that also sets user_version, re-reading the version inside the transaction so two processes opening the
// same new file cannot both migrate it. Throws StorageError if the database is newer than `target`.
void migrate(Database& db, int target = -1);

}  // namespace glasswing::storage
