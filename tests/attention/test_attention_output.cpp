// The text helpers of the attention CLI's file formats.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/attention_output.h"
#include "cli/command.h"

using namespace glasswing;
namespace out = cli::attention_output;

TEST_CASE("CSV fields are quoted only when needed, quotes doubled", "[attention][format]") {
  CHECK(out::csv_field("Lily") == "Lily");
  CHECK(out::csv_field(" upon") == "\" upon\"");
  CHECK(out::csv_field(",") == "\",\"");
  CHECK(out::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(out::csv_field("\n") == "\"\n\"");
  CHECK(out::csv_field("") == "");
}

TEST_CASE("Token text stays valid UTF-8: stray bytes become <0xNN>", "[attention][format]") {
  CHECK(out::display_token(" caf\xC3\xA9") == " caf\xC3\xA9");
  CHECK(out::display_token("\xE2\x82") == "<0xE2><0x82>");              // half of a 3-byte character
  CHECK(out::display_token("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");  // a 4-byte emoji
  CHECK(out::display_token("\xC0\xAF") == "<0xC0><0xAF>");              // overlong
  CHECK(out::display_token("\xED\xA0\x80") == "<0xED><0xA0><0x80>");    // surrogate
  CHECK(out::display_token("a\xFF"
                           "b") == "a<0xFF>b");
}

TEST_CASE("JSON strings escape quotes, backslashes and control characters", "[attention][format]") {
  const std::string s = "\"a\\b\"\n\t\x01 \xC3\xA9";
  const auto literal = out::json_string(s);
  CHECK(literal == "\"\\\"a\\\\b\\\"\\n\\t\\u0001 \xC3\xA9\"");
  CHECK(nlohmann::json::parse(literal).get<std::string>() == s);
}

TEST_CASE("Ranges A:B parse with open ends and are checked against the sequence", "[attention][format]") {
  auto eq = [](model::Range r, int64_t b, int64_t e) { return r.begin == b && r.end == e; };
  CHECK(eq(out::parse_range("--queries", "", 10), 0, 10));
  CHECK(eq(out::parse_range("--queries", ":", 10), 0, 10));
  CHECK(eq(out::parse_range("--queries", "3:", 10), 3, 10));
  CHECK(eq(out::parse_range("--queries", ":4", 10), 0, 4));
  CHECK(eq(out::parse_range("--queries", "2:10", 10), 2, 10));
  CHECK_THROWS_AS(out::parse_range("--keys", "2:11", 10), cli::UsageError);
  CHECK_THROWS_AS(out::parse_range("--keys", "10:", 10), cli::UsageError);
  CHECK_THROWS_AS(out::parse_range("--keys", "4:4", 10), cli::UsageError);
  CHECK_THROWS_AS(out::parse_range("--keys", "5", 10), cli::UsageError);
  CHECK_THROWS_AS(out::parse_range("--keys", "-1:3", 10), cli::UsageError);
  CHECK_THROWS_AS(out::parse_range("--keys", "1:3:5", 10), cli::UsageError);
  CHECK_THROWS_AS(out::parse_range("--keys", "a:3", 10), cli::UsageError);
}

TEST_CASE("The summary CSV lists each head with its KV head", "[attention][format]") {
  std::vector<model::HeadSummary> s = {{0, 0, 0.5f, 1.25f, 0.75f}, {1, 3, 1.0f, 0.0f, 1.0f}};
  std::ostringstream os;
  out::write_summary_csv(os, s, 2);
  CHECK(os.str() == "layer,head,kv_head,max_prob,entropy,first_token\n0,0,0,0.5,1.25,0.75\n1,3,1,1,0,1\n");
}
