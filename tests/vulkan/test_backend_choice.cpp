// --backend auto: Vulkan only on GPU hardware, the CPU engine when the only Vulkan devices are CPU
// implementations (lavapipe). Pure policy on hand-made device lists: needs no device.
#include <algorithm>
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

TEST_CASE("auto backend: the registry skips a backend whose auto check declines, and says why") {
  using namespace glasswing;
  const auto path = test::require_shared("models/stories260K.gguf");
  const auto m = model::Model::load(path);
  auto skipped = [](const model::BackendChoice& c, const std::string& name) {
    const auto it = std::find_if(c.skipped.begin(), c.skipped.end(),
                                 [&](const model::SkippedBackend& s) { return s.name == name; });
    return it == c.skipped.end() ? nullptr : &*it;
  };
  // What "auto" picks without the test's backend: the CPU engine on lavapipe (auto declines CPU devices),
  // Vulkan on a GPU.
  const std::string plain = model::choose_backend("auto", *m).name;
  // Highest priority, and its factory fails loudly: "auto" must not call it while the check declines.
  auto answer = std::make_shared<model::AutoVerdict>(model::AutoVerdict{false, "only a CPU implementation"});
  model::register_backend(
      "test-declines", 1000,
      [](const model::Model&) -> std::unique_ptr<model::Backend> { throw std::runtime_error("factory ran"); },
      [answer] { return *answer; });
  auto c = model::choose_backend("auto", *m);
  CHECK(c.name == plain);
  CHECK(c.backend->name() == plain);
  REQUIRE(skipped(c, "test-declines"));
  CHECK_FALSE(skipped(c, "test-declines")->failed);
  CHECK(skipped(c, "test-declines")->reason == "only a CPU implementation");
  CHECK_THAT(c.explanation(), Catch::Contains("only a CPU implementation"));
  // Named explicitly, the check does not apply, and there is nothing to explain.
  CHECK_THROWS_WITH(model::create_backend("test-declines", *m), "factory ran");
  const auto cpu = model::choose_backend("cpu", *m);
  CHECK(cpu.name == "cpu");
  CHECK(cpu.skipped.empty());
  CHECK(cpu.explanation().empty());
  // Once the check agrees, "auto" tries it first and falls back, with the factory's error, when it throws.
  *answer = {true, "a test device"};
  c = model::choose_backend("auto", *m);
  CHECK(c.name == plain);
  REQUIRE(skipped(c, "test-declines"));
  CHECK(skipped(c, "test-declines")->failed);
  CHECK_THAT(c.explanation(), Catch::Contains("test-declines could not start: factory ran"));
  *answer = {false, "declined"};  // stays registered in this process: keep "auto" away from it

  // A backend that starts is chosen with its check's reason.
  model::register_backend(
      "test-starts", 2000, [](const model::Model& mm) { return model::create_backend("cpu", mm); },
      [] {
        return model::AutoVerdict{true, "a test accelerator"};
      });
  c = model::choose_backend("auto", *m);
  CHECK(c.name == "test-starts");
  CHECK(c.reason == "a test accelerator");
  CHECK(c.skipped.empty());
  CHECK(c.explanation() == "a test accelerator");
  model::register_backend(
      "test-starts", 2000, [](const model::Model& mm) { return model::create_backend("cpu", mm); },
      [] {
        return model::AutoVerdict{false, "declined"};
      });
}
