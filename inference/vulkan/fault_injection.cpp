#include "inference/vulkan/fault_injection.h"

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace glasswing::vulkan::fault {

namespace {

constexpr int kUnarmed = -1;
std::atomic<int> armed_site{kUnarmed};  // a Site, or kUnarmed
std::atomic<int64_t> remaining{0};      // submissions at armed_site until the fault fires

void arm_spec(std::string_view spec);

// Once per process, before the first submission or arm() (which then wins over the environment).
void read_environment() {
  static const bool done = [] {
    if (const char* spec = std::getenv("GLASSWING_VULKAN_FAULT")) arm_spec(spec);
    return true;
  }();
  (void)done;
}

void arm_spec(std::string_view spec) {
  armed_site.store(kUnarmed);
  if (spec.empty()) return;
  auto bad = [&] {
    return std::invalid_argument(
        "GLASSWING_VULKAN_FAULT: expected device-lost@compute:N or "
        "device-lost@transfer:N (N >= 1), got '" +
        std::string(spec) + "'");
  };
  constexpr std::string_view kPrefix = "device-lost@";
  if (spec.substr(0, kPrefix.size()) != kPrefix) throw bad();
  const std::string_view rest = spec.substr(kPrefix.size());
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) throw bad();
  const std::string_view site = rest.substr(0, colon), count = rest.substr(colon + 1);
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
  if (ec != std::errc() || end != count.data() + count.size() || n < 1) throw bad();
  Site s;
  if (site == "compute")
    s = Site::Compute;
  else if (site == "transfer")
    s = Site::Transfer;
  else
    throw bad();
  remaining.store(n);
  armed_site.store(static_cast<int>(s));
}

}  // namespace

void arm(std::string_view spec) {
  read_environment();
  arm_spec(spec);
}

VkResult inject(Site site) {
  read_environment();  // a bad value throws here, at every submission, until it is fixed
  if (armed_site.load(std::memory_order_relaxed) != static_cast<int>(site)) return VK_SUCCESS;
  if (remaining.fetch_sub(1) != 1) return VK_SUCCESS;
  armed_site.store(kUnarmed);  // once: what follows a loss is the backend's own doing
  return VK_ERROR_DEVICE_LOST;
}

}  // namespace glasswing::vulkan::fault
