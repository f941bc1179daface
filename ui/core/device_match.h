#pragma once
// Picks an entry of the device list ("Auto", "CPU", "Vulkan: <GPU name>") from what the user typed after
// --device: an exact name or an unambiguous prefix, ignoring case ("cpu", "vulkan" when there is one GPU,
// "vulkan: nvidia"). Qt-free.
#include <string>
#include <string_view>
#include <vector>

namespace glasswing::ui {

struct DeviceMatch {
  std::string device;  // the matching entry, spelled as in the list; "" when there is none
  std::string error;   // why nothing matched (unknown or ambiguous), naming the choices
};

DeviceMatch match_device(const std::vector<std::string>& devices, std::string_view wanted);

}  // namespace glasswing::ui
