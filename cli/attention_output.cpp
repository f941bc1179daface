#include "cli/attention_output.h"

#include <charconv>

#include "cli/command.h"

namespace glasswing::cli::attention_output {

namespace {

int64_t parse_position(std::string_view flag, std::string_view whole, std::string_view part) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
  if (ec != std::errc() || end != part.data() + part.size() || v < 0)
    throw UsageError(std::string(flag) + " expects A:B with non-negative integer positions, got '" +
                     std::string(whole) + "'");
  return v;
}

}  // namespace

model::Range parse_range(std::string_view flag, std::string_view text, int64_t n) {
  if (text.empty() || text == ":") return {0, n};
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    throw UsageError(std::string(flag) + " expects A:B (positions A to B-1), got '" + std::string(text) +
                     "'");
  const std::string_view a = text.substr(0, colon), b = text.substr(colon + 1);
  const model::Range r{a.empty() ? 0 : parse_position(flag, text, a),
                       b.empty() ? n : parse_position(flag, text, b)};
  if (r.end <= r.begin)
    throw UsageError(std::string(flag) + " " + std::string(text) + " is empty: A must be less than B");
  if (r.end > n)
    throw UsageError(std::string(flag) + " " + std::string(text) + " is outside the sequence of " +
                     std::to_string(n) + " tokens (positions 0 to " + std::to_string(n - 1) + ")");
  return r;
}

}  // namespace glasswing::cli::attention_output
