// A lost device (VK_ERROR_DEVICE_LOST), injected through the fault seam (inference/vulkan/fault_injection.h)
// because no driver loses a device on demand: a precise error naming the call, a backend that refuses every
// later submission with that same error without touching the device, a clean destruction that frees every
// allocation, no validation message; during a load, nothing leaks and "auto" falls back to the CPU engine
// with the reason; and glasswing-cli's one-line error and fallback line.
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "inference/model/backend_registry.h"
#include "inference/model/model.h"
#include "inference/model/session.h"
#include "inference/vulkan/context.h"
#include "inference/vulkan/fault_injection.h"
#include "inference/vulkan/vk_error.h"
#include "inference/vulkan/vulkan_backend.h"
#include "tests/test_support.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const std::vector<int32_t> kPrompt{1, 100, 200};  // BOS and two ids inside stories260K's 512

void require_no_messages(const vulkan::MessageLog& log) {
  const auto messages = log.messages();
  for (const auto& m : messages) UNSCOPED_INFO(m);
  REQUIRE(messages.empty());
}

// Disarms the seam when a test ends, however it ends.
struct Disarm {
  ~Disarm() { vulkan::fault::arm(""); }
};

}  // namespace

TEST_CASE("the fault seam accepts only its documented form") {
  Disarm disarm;
  CHECK_NOTHROW(vulkan::fault::arm("device-lost@compute:1"));
  CHECK_NOTHROW(vulkan::fault::arm("device-lost@transfer:12"));
  for (const char* bad : {"device-lost", "device-lost@compute", "device-lost@compute:0", "device-lost@gpu:1",
                          "out-of-memory@compute:1", "device-lost@compute:2x"})
    CHECK_THROWS_WITH(vulkan::fault::arm(bad), Contains("expected device-lost@compute:N") && Contains(bad));
  CHECK(vulkan::fault::inject(vulkan::fault::Site::Compute) == VK_SUCCESS);  // a rejected spec disarms
}

TEST_CASE("the message log outlives its instance and hears of objects left alive at destruction") {
  vulkan::test::context();  // exits 77 without a device; sets GLASSWING_VULKAN_VALIDATION=1
  // What makes the clean-destruction checks below able to fail: a buffer never destroyed is reported when its
  // device is destroyed, into a log the test still holds.
  std::shared_ptr<const vulkan::MessageLog> log;
  {
    auto ctx = vulkan::Context::Create();
    log = ctx->instance().message_log();
    VkBufferCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    info.size = 256;
    info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    VkBuffer leaked = VK_NULL_HANDLE;
    REQUIRE(vkCreateBuffer(ctx->device().handle(), &info, nullptr, &leaked) == VK_SUCCESS);
    CHECK(log->messages().empty());
  }
  CHECK_FALSE(log->messages().empty());
}

TEST_CASE("a device lost mid-decode is a precise error, and the backend refuses further work cleanly",
          "[lost]") {
  vulkan::test::context();  // exits 77 without a device; sets GLASSWING_VULKAN_VALIDATION=1
  Disarm disarm;
  const auto m = model::Model::load(test::require_shared("models/stories260K.gguf"));
  const int64_t before = vulkan::Device::live_allocations_in_process();
  std::shared_ptr<const vulkan::MessageLog> log;
  std::string lost;
  {
    auto backend = std::make_unique<vulkan::VulkanBackend>(*m);
    log = backend->context().instance().message_log();
    REQUIRE(backend->context().instance().validation());
    model::Session session(*m, *backend, 32);
    backend->forward(session, kPrompt, false);
    // The second compute submission from here is lost: the second decode step where a step is one
    // submission (lavapipe), else the first step's second.
    vulkan::fault::arm("device-lost@compute:2");
    const int32_t next = 300;
    int64_t position = session.position();
    for (int step = 1; step <= 2 && lost.empty(); ++step) {
      position = session.position();
      try {
        backend->forward(session, std::span(&next, 1), false);
      } catch (const vulkan::VulkanError& e) {
        lost = e.what();
        INFO(lost);
        if (step != 2) WARN("the device was lost in decode step " << step << " (more than one submission)");
        CHECK(e.result() == VK_ERROR_DEVICE_LOST);
        CHECK_THAT(lost, StartsWith("vkQueueSubmit failed: VK_ERROR_DEVICE_LOST"));
        CHECK_THAT(lost, Contains("device lost"));
        CHECK_THAT(lost, Contains("reload the model to retry on the GPU, or use the CPU backend"));
      }
    }
    REQUIRE_FALSE(lost.empty());
    CHECK(session.position() == position);  // the failed step left the session as it was

    // Every later submission, on any session, throws that same error and never reaches the device.
    CHECK_THROWS_WITH(backend->forward(session, std::span(&next, 1), false), lost);
    CHECK_THROWS_WITH(backend->attention(session, 0, 0, {0, position}, {0, position}), lost);
    CHECK_THROWS_WITH(backend->attention_summary(session, {0, position}), lost);
    // A new session is refused with the same error (on the GPU kernels too, whose caches start with an
    // upload).
    CHECK_THROWS_WITH(model::Session(*m, *backend, 16), lost);
    try {
      model::Session other(*m, *backend, 16);
    } catch (const vulkan::VulkanError& e) {
      CHECK(e.result() == VK_ERROR_DEVICE_LOST);
    }
    CHECK(vulkan::Device::live_allocations_in_process() > before);
    require_no_messages(*log);
  }
  // Destroyed: every allocation freed, and the layer (which reports objects still alive when a device or
  // instance is destroyed) said nothing.
  CHECK(vulkan::Device::live_allocations_in_process() == before);
  require_no_messages(*log);
}

TEST_CASE("a device lost while loading frees everything, and auto falls back to the CPU engine saying why",
          "[lost]") {
  vulkan::test::context();
  Disarm disarm;
  const auto m = model::Model::load(test::require_shared("models/stories260K.gguf"));
  const int64_t before = vulkan::Device::live_allocations_in_process();
  for (const char* fault : {"device-lost@transfer:1", "device-lost@transfer:20"}) {
    INFO(fault);
    vulkan::fault::arm(fault);
    try {
      vulkan::VulkanBackend backend(*m);
      FAIL("expected the load to fail");
    } catch (const vulkan::VulkanError& e) {
      CHECK(e.result() == VK_ERROR_DEVICE_LOST);
      CHECK_THAT(std::string(e.what()), Contains("vkQueueSubmit failed") && Contains("device lost"));
    }
    CHECK(vulkan::Device::live_allocations_in_process() == before);
  }

  // On lavapipe "auto" declines Vulkan by policy; naming the device counts as asking for it.
  vulkan::register_vulkan_backend("0");
  vulkan::fault::arm("device-lost@transfer:3");
  model::BackendChoice choice = model::choose_backend("auto", *m);
  CHECK(choice.name == "cpu");
  CHECK(choice.backend->name() == "cpu");
  const auto vk = std::find_if(choice.skipped.begin(), choice.skipped.end(),
                               [](const model::SkippedBackend& s) { return s.name == "vulkan"; });
  REQUIRE(vk != choice.skipped.end());
  CHECK(vk->failed);
  CHECK_THAT(vk->reason, Contains("VK_ERROR_DEVICE_LOST") && Contains("device lost"));
  CHECK_THAT(choice.explanation(), Contains("vulkan could not start: ") && Contains("device lost"));
  CHECK(vulkan::Device::live_allocations_in_process() == before);

  // Unharmed, the same choice runs on Vulkan and says why.
  vulkan::fault::arm("");
  choice = model::choose_backend("auto", *m);
  CHECK(choice.name == "vulkan");
  CHECK(choice.reason == "Vulkan device '0' was selected");
  choice.backend.reset();
  vulkan::register_vulkan_backend();  // the default selector again, for any test after this one
}

#ifdef GLASSWING_CLI_PATH
namespace {
struct CliRun {
  int status = -1;
  std::string out, err;
};

// glasswing-cli with extra environment (NAME=value words), stdout and stderr captured apart.
CliRun run_cli(const std::string& env, const std::string& args) {
  const auto dir = test::temp_dir("device_lost_cli");
  const std::string cmd = "env " + env + " '" + vulkan::test::cli_path() + "' " + args + " > '" +
                          (dir / "out.txt").string() + "' 2> '" + (dir / "err.txt").string() + "'";
  const int raw = std::system(cmd.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, test::read_file(dir / "out.txt"),
          test::read_file(dir / "err.txt")};
}
}  // namespace

TEST_CASE(
    "glasswing-cli: a device lost mid-generation exits 1 with one line, and one lost at load makes auto use "
    "the CPU",
    "[lost]") {
  vulkan::test::context();
  const std::string model = test::require_shared("models/stories260K.gguf").string();
  const std::string generate = "generate -m '" + model + "' -p 'Once upon a time' -n 12 --temp 0 --seed 1";

  // Compute submissions: the prompt, then one per generated token; the third is lost after two tokens.
  const CliRun lost = run_cli("GLASSWING_VULKAN_VALIDATION=1 GLASSWING_VULKAN_FAULT=device-lost@compute:3",
                              generate + " --backend vulkan");
  INFO("stdout: " << lost.out << "\nstderr: " << lost.err);
  CHECK(lost.status == 1);
  CHECK(std::count(lost.err.begin(), lost.err.end(), '\n') == 1);
  CHECK_THAT(lost.err,
             StartsWith("glasswing-cli generate: error: vkQueueSubmit failed: VK_ERROR_DEVICE_LOST"));
  CHECK_THAT(lost.err, Contains("device lost") && Contains("or use the CPU backend"));
  // What was generated before the loss was streamed, and its line ended so that the error stands alone.
  REQUIRE(lost.out.size() > 1);
  CHECK(lost.out.back() == '\n');

  const CliRun cpu = run_cli("", generate + " --backend cpu");
  REQUIRE(cpu.status == 0);
  const CliRun fallback =
      run_cli("GLASSWING_VULKAN_DEVICE=0 GLASSWING_VULKAN_FAULT=device-lost@transfer:2", generate);
  INFO("fallback stderr: " << fallback.err);
  CHECK(fallback.status == 0);
  CHECK_THAT(fallback.err, StartsWith("backend: cpu (vulkan could not start: "));
  CHECK_THAT(fallback.err.substr(0, fallback.err.find('\n')), Contains("device lost"));
  CHECK(fallback.out == cpu.out);
  // The partial text is the start of the full greedy reply.
  CHECK(cpu.out.rfind(lost.out.substr(0, lost.out.size() - 1), 0) == 0);
}
#endif
