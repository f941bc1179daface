#pragma once
// Shared by the storage tests: a fresh database file per test.
#include <filesystem>
#include <string>

#include "tests/test_support.h"

namespace glasswing::storage::test {

// A path for a database that does not exist yet, in a directory unique to this test name and process.
inline std::filesystem::path fresh_db_path(const std::string& name) {
  return glasswing::test::temp_dir("storage-" + name) / "glasswing.sqlite";
}

}  // namespace glasswing::storage::test
