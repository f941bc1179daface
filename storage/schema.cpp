#include "storage/schema.h"

#include <string>

namespace glasswing::storage {

int current_schema_version() {
  return migrations().empty() ? 0 : migrations().back().version;
}

void migrate(Database& db, int target) {
  if (target < 0) target = current_schema_version();
  for (const Migration& m : migrations()) {
    if (m.version > target) break;
    Transaction tx(db);
    const int64_t version = db.query_int64("PRAGMA user_version");
    if (version > target)
      throw StorageError("database schema version " + std::to_string(version) + " is newer than " +
                         std::to_string(target));
    if (version >= m.version) continue;  // already applied (perhaps by another process just now)
    if (version != m.version - 1)
      throw StorageError("database schema version " + std::to_string(version) + " cannot take migration " +
                         std::string(m.name));
    try {
      db.exec(m.sql);
    } catch (const StorageError& e) {
      throw StorageError("migration " + std::string(m.name) + " failed: " + e.what(), e.sqlite_code());
    }
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    db.exec("PRAGMA user_version = " + std::to_string(m.version));
    tx.commit();
  }
}

}  // namespace glasswing::storage
