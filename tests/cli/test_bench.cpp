// `glasswing-cli bench`: the JSON it prints (tests named as llama-bench names them, with the depth), and the
// one-line errors for bad flags. Speeds themselves are measured, never tested.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/test_support.h"

using namespace glasswing;

namespace {

struct RunResult {
  int status = -1;
  std::string out, err;
};

RunResult bench(const std::vector<std::string>& args) {
  const auto dir = test::temp_dir("cli_bench");
  std::string cmd = test::shell_quote(GLASSWING_CLI_PATH) + " bench --backend cpu";
  for (const auto& a : args) cmd += " " + test::shell_quote(a);
  cmd += " > " + test::shell_quote((dir / "out.txt").string()) + " 2> " +
         test::shell_quote((dir / "err.txt").string());
  const int raw = std::system(cmd.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, test::read_file(dir / "out.txt"),
          test::read_file(dir / "err.txt")};
}

}  // namespace

TEST_CASE("bench --json reports each test with its depth", "[cli][bench]") {
  const auto model = test::require_shared("models/stories260K.gguf").string();
  const auto r = bench({"-m", model, "-p", "8", "-n", "4", "-r", "2", "-d", "20", "--json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["model"] == "stories260K");
  CHECK(j["repetitions"] == 2);
  CHECK(j["depth"] == 20);
  REQUIRE(j["tests"].size() == 2);
  CHECK(j["tests"][0]["test"] == "pp8 @ d20");
  CHECK(j["tests"][1]["test"] == "tg4 @ d20");
  for (const auto& t : j["tests"]) CHECK(t["tokens_per_second"].get<double>() > 0);

  const auto plain = bench({"-m", model, "-p", "8", "-n", "0", "-r", "1", "--json"});
  REQUIRE(plain.status == 0);
  const auto p = nlohmann::json::parse(plain.out);
  CHECK(p["depth"] == 0);
  REQUIRE(p["tests"].size() == 1);
  CHECK(p["tests"][0]["test"] == "pp8");
}

TEST_CASE("bench names the depth in its table", "[cli][bench]") {
  const auto model = test::require_shared("models/stories260K.gguf").string();
  const auto r = bench({"-m", model, "-p", "0", "-n", "4", "-r", "1", "-d", "8"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("| tg4 @ d8 |") != std::string::npos);
}

TEST_CASE("bench refuses a depth past the model's context and negative counts", "[cli][bench]") {
  const auto model = test::require_shared("models/stories260K.gguf").string();  // 2048 positions
  const auto deep = bench({"-m", model, "-p", "16", "-n", "0", "-d", "2040"});
  CHECK(deep.status != 0);
  CHECK(deep.err.find("test of 16 tokens after 2040 exceeds the model's context of 2048") !=
        std::string::npos);
  const auto negative = bench({"-m", model, "-d", "-1"});
  CHECK(negative.status == 2);
  CHECK(negative.err.find("-d must be") != std::string::npos);
}
