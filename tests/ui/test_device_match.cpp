#include <catch2/catch.hpp>

#include "ui/core/device_match.h"

using glasswing::ui::match_device;

TEST_CASE("The device option takes a device-list name or an unambiguous prefix in any case", "[ui][device]") {
  const std::vector<std::string> one_gpu{"Auto", "CPU", "Vulkan: llvmpipe (LLVM 15.0.6, 256 bits)"};
  CHECK(match_device(one_gpu, "Auto").device == "Auto");
  CHECK(match_device(one_gpu, "cpu").device == "CPU");
  CHECK(match_device(one_gpu, " CPU ").device == "CPU");
  CHECK(match_device(one_gpu, "vulkan").device == one_gpu[2]);
  CHECK(match_device(one_gpu, "VULKAN: LLVMPIPE").device == one_gpu[2]);
  CHECK(match_device(one_gpu, one_gpu[2]).device == one_gpu[2]);

  const auto unknown = match_device(one_gpu, "metal");
  CHECK(unknown.device.empty());
  CHECK(unknown.error.find("no device 'metal'") != std::string::npos);
  CHECK(unknown.error.find("Vulkan: llvmpipe") != std::string::npos);  // names the choices
  CHECK(match_device(one_gpu, "").device.empty());
  CHECK_FALSE(match_device(one_gpu, "  ").error.empty());

  const std::vector<std::string> two_gpus{"Auto", "CPU", "Vulkan: NVIDIA H100", "Vulkan: NVIDIA H100 (2)"};
  const auto ambiguous = match_device(two_gpus, "vulkan");
  CHECK(ambiguous.device.empty());
  CHECK(ambiguous.error.find("several devices") != std::string::npos);
  // An exact name is taken even when it is the prefix of another.
  CHECK(match_device(two_gpus, "vulkan: nvidia h100").device == "Vulkan: NVIDIA H100");
  CHECK(match_device(two_gpus, "Vulkan: NVIDIA H100 (").device == "Vulkan: NVIDIA H100 (2)");
}
