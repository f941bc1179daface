#include "ui/core/device_match.h"

#include <algorithm>
#include <cctype>

namespace glasswing::ui {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

DeviceMatch match_device(const std::vector<std::string>& devices, std::string_view wanted) {
  const std::string key = lower(trimmed(wanted));
  if (key.empty()) return {{}, "no device name given; devices here: " + joined(devices)};
  std::vector<std::string> prefixed;
  for (const auto& d : devices) {
    const std::string name = lower(d);
    if (name == key) return {d, {}};  // an exact name wins over longer names it is a prefix of
    if (name.rfind(key, 0) == 0) prefixed.push_back(d);
  }
  if (prefixed.size() == 1) return {prefixed.front(), {}};
  if (prefixed.empty())
    return {{}, "no device '" + std::string(trimmed(wanted)) + "'; devices here: " + joined(devices)};
  return {{},
          "'" + std::string(trimmed(wanted)) + "' matches several devices (" + joined(prefixed) +
              "); give more of the name"};
}

}  // namespace glasswing::ui
