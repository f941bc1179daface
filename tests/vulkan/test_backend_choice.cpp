// --backend auto: Vulkan only on GPU hardware, the CPU engine when the only Vulkan devices are CPU
// implementations (lavapipe). Pure policy on hand-made device lists: needs no device.
#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "inference/model/backend_registry.h"
#include "inference/model/model.h"
#include "inference/vulkan/backend_choice.h"
#include "tests/test_support.h"

using glasswing::vulkan::choose_auto_backend;
using glasswing::vulkan::DeviceInfo;

namespace {
DeviceInfo device(std::string name, std::string type, std::string unusable = {}) {
  DeviceInfo d;
  d.name = std::move(name);
  d.type = std::move(type);
  d.unusable_reason = std::move(unusable);
  return d;
}
}  // namespace

TEST_CASE("auto backend: lavapipe alone means the CPU engine") {
  const std::vector<DeviceInfo> devices{device("llvmpipe (LLVM 15.0.6, 256 bits)", "cpu")};
  const auto c = choose_auto_backend(devices, "");
  CHECK(c.backend == "cpu");
  CHECK(c.reason == "only Vulkan device is llvmpipe, a CPU implementation; use --backend vulkan to force it");
}

TEST_CASE("auto backend: a GPU wins over a CPU implementation listed first") {
  const std::vector<DeviceInfo> devices{device("llvmpipe (LLVM 15.0.6, 256 bits)", "cpu"),
                                        device("AMD Radeon RX 7600 (RADV NAVI33)", "discrete")};
  const auto c = choose_auto_backend(devices, "");
  CHECK(c.backend == "vulkan");
  CHECK(c.reason == "AMD Radeon RX 7600 is a discrete GPU");
  CHECK(choose_auto_backend(std::vector<DeviceInfo>{device("Intel UHD 620", "integrated")}, "").backend ==
        "vulkan");
}

TEST_CASE("auto backend: unusable GPUs and empty lists fall back to the CPU engine") {
  const std::vector<DeviceInfo> devices{
      device("Old GPU", "discrete", "supports only Vulkan 1.1 (1.2 needed)")};
  CHECK(choose_auto_backend(devices, "").backend == "cpu");
  CHECK(choose_auto_backend(devices, "").reason == "no usable Vulkan device");
  CHECK(choose_auto_backend(std::vector<DeviceInfo>{}, "").reason == "no Vulkan device found");
  const std::vector<DeviceInfo> two_cpus{device("llvmpipe (LLVM 15)", "cpu"),
                                         device("SwiftShader Device", "cpu")};
  const auto c = choose_auto_backend(two_cpus, "");
  CHECK(c.backend == "cpu");
  CHECK(c.reason.find("llvmpipe, SwiftShader Device") != std::string::npos);
}

TEST_CASE("auto backend: a device named by the user means Vulkan, even a CPU implementation") {
  const std::vector<DeviceInfo> devices{device("llvmpipe (LLVM 15.0.6, 256 bits)", "cpu")};
  const auto c = choose_auto_backend(devices, "llvmpipe");
  CHECK(c.backend == "vulkan");
  CHECK(c.reason == "Vulkan device 'llvmpipe' was selected");
}

TEST_CASE("auto backend: the registry skips a backend whose auto check declines") {
  using namespace glasswing;
  const auto path = test::require_shared("models/stories260K.gguf");
  const auto m = model::Model::load(path);
  // Highest priority, and its factory fails loudly: "auto" must not call it while the check declines.
  auto answer = std::make_shared<std::string>("only a CPU implementation");
  model::register_backend(
      "test-declines", 1000,
      [](const model::Model&) -> std::unique_ptr<model::Backend> { throw std::runtime_error("factory ran"); },
      [answer] { return *answer; });
  CHECK(model::create_backend("auto", *m)->name() == "cpu");
  // Named explicitly, the check does not apply.
  CHECK_THROWS_WITH(model::create_backend("test-declines", *m), "factory ran");
  // Once the check agrees, "auto" tries it first (and falls back when its factory throws).
  *answer = "";
  CHECK(model::create_backend("auto", *m)->name() == "cpu");
  *answer = "declined";  // stays registered in this process: keep "auto" away from it
}
