#include "tests/test_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace glasswing::test {

std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("GLASSWING_SHARED_DIR"); env && *env) return env;
  return GLASSWING_SHARED_DIR;
}

std::filesystem::path require_shared(const std::string& relative) {
  const std::filesystem::path p = shared_dir() / relative;
  if (!std::filesystem::exists(p)) {
    std::fprintf(stdout, "SKIP: test data not found: %s (the ../shared folder is absent)\n", p.c_str());
    std::fflush(stdout);
    std::exit(77);
  }
  return p;
}

namespace {
// Every temp_dir() of a process lives under one root, removed when the process exits (normally or through
// std::exit, as a SKIP does): ctest starts one process per test case, and directories left behind by
// thousands of them once filled the disk. Only the process that made the root removes it, so a forked
// child's exit cannot pull it from under its parent. GLASSWING_KEEP_TEST_FILES=1 keeps it for a post-mortem.
class TempRoot {
 public:
  TempRoot()
      : owner_(::getpid()),
        path_(std::filesystem::temp_directory_path() / ("glasswing-test-" + std::to_string(owner_))) {}
  ~TempRoot() {
    const char* keep = std::getenv("GLASSWING_KEEP_TEST_FILES");
    if (::getpid() != owner_ || (keep && *keep && std::string(keep) != "0")) return;
    std::error_code ec;  // never throw from a destructor at exit
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  pid_t owner_;
  std::filesystem::path path_;
};
}  // namespace

std::filesystem::path temp_dir(const std::string& name) {
  static const TempRoot root;
  auto p = root.path() / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

namespace {
std::ifstream open_or_throw(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return in;
}
}  // namespace

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in = open_or_throw(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in = open_or_throw(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace glasswing::test
