// The app's adapter onto the real engine: device list, loading with progress, and a reply on every device it
// offers. A Vulkan device (lavapipe in CI) must give the same greedy reply as the CPU.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>

#include "tests/test_support.h"
#include "ui/backend/engine_adapter.h"
#if GLASSWING_HAVE_VULKAN
#include "inference/vulkan/backend_choice.h"
#endif

using namespace glasswing;

namespace {

struct Reply {
  std::string text;
  ui::StopReason reason = ui::StopReason::Stopped;
};

Reply greedy_reply(ui::ChatEngine& engine) {
  auto session = engine.new_session();
  ui::GenerationSettings settings;
  settings.temperature = 0;
  settings.repetition_penalty = 1.0;
  settings.max_tokens = 24;
  std::atomic<bool> stop{false};
  ui::GenerationStats stats;
  Reply r;
  r.reason = session->generate(
      {{"user", "Once upon a time"}}, settings,
      [&](std::string_view piece, const ui::GenerationStats&) { r.text += piece; }, stop, stats);
  CHECK(stats.generated_tokens == 24);
  return r;
}

std::vector<double> load(ui::ChatEngine& engine, const std::string& device, ui::LoadedModel& info) {
  std::vector<double> progress;
  info = engine.load(test::require_shared("models/stories260K.gguf").string(), device,
                     [&](double p) { progress.push_back(p); });
  return progress;
}

}  // namespace

TEST_CASE("The engine adapter loads and replies on the CPU and on every Vulkan device it lists",
          "[ui][engine]") {
  auto engine = ui::create_engine();
  const auto devices = engine->devices();
  REQUIRE(std::find(devices.begin(), devices.end(), "CPU") != devices.end());

  ui::LoadedModel cpu_info;
  const auto cpu_progress = load(*engine, "CPU", cpu_info);
  CHECK(cpu_info.backend == "CPU");
  CHECK(cpu_info.fallback_reason.empty());
  REQUIRE_FALSE(cpu_progress.empty());
  CHECK(std::is_sorted(cpu_progress.begin(), cpu_progress.end()));
  CHECK(cpu_progress.back() == 1.0);
  const Reply cpu_reply = greedy_reply(*engine);
  CHECK(cpu_reply.text.rfind(", there was a little girl named Lily", 0) == 0);

  for (const auto& device : devices) {
    if (device.rfind("Vulkan: ", 0) != 0) continue;
    INFO("device " << device);
    ui::LoadedModel info;
    const auto progress = load(*engine, device, info);
    CHECK(info.backend == "Vulkan");
    CHECK(info.fallback_reason.empty());
    CHECK(std::is_sorted(progress.begin(), progress.end()));
    CHECK(progress.back() == 1.0);
    // The weight upload reports in between loading the file (0.6) and done (1.0).
    CHECK(std::any_of(progress.begin(), progress.end(), [](double p) { return p > 0.6 && p < 1.0; }));
    CHECK(greedy_reply(*engine).text == cpu_reply.text);
  }
}

TEST_CASE("Auto runs on a real GPU when there is one, else on the CPU engine and says why", "[ui][engine]") {
  auto engine = ui::create_engine();
  ui::LoadedModel info;
  load(*engine, "Auto", info);
#if GLASSWING_HAVE_VULKAN
  const auto choice = vulkan::choose_auto_backend("");
  if (choice.backend == "vulkan") {
    CHECK(info.backend == "Vulkan");
    CHECK(info.fallback_reason.empty());
  } else {
    CHECK(info.backend == "CPU");
    CHECK(info.fallback_reason == choice.reason);
  }
#else
  CHECK(info.backend == "CPU");
  CHECK(info.fallback_reason == "this build has no GPU backend");
#endif
  CHECK_FALSE(greedy_reply(*engine).text.empty());
}
