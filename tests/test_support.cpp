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

std::filesystem::path temp_dir(const std::string& name) {
  auto p =
      std::filesystem::temp_directory_path() / ("glasswing-test-" + name + "-" + std::to_string(::getpid()));
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
