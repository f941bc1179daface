#pragma once
// Helpers every test executable shares: where the test data lives, and how to skip when it is absent.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace glasswing::test {

// ../shared beside the checkout (or $GLASSWING_SHARED_DIR). Does not check that it exists.
std::filesystem::path shared_dir();

// Returns shared_dir()/relative when it exists. Otherwise prints a clear SKIP line naming the missing
// path and exits with code 77, which ctest reports as "skipped" — never as passed.
std::filesystem::path require_shared(const std::string& relative);

// A fresh, empty temporary directory unique to this process and name; removed, with everything in it,
// when the process exits (set GLASSWING_KEEP_TEST_FILES=1 to keep it).
std::filesystem::path temp_dir(const std::string& name);

// s as one single-quoted POSIX shell word (for commands run with std::system).
std::string shell_quote(const std::string& s);

// A whole file, as bytes or in a string (binary-safe); throw std::runtime_error naming the path when it
// cannot be opened.
std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
std::string read_file(const std::filesystem::path& path);

}  // namespace glasswing::test
