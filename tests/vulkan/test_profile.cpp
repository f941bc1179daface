// GLASSWING_VULKAN_PROFILE: dispatches are timed per shader only when it is 1. ctest runs this test twice:
// plainly (nothing may be recorded) and as vulkan_tests_profile:* with the variable set.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>
#include <string>

#include "inference/vulkan/dispatch_profile.h"
#include "tests/vulkan/vk_test_support.h"

using namespace glasswing::vulkan;
using namespace glasswing::vulkan::test;

namespace {

const ProfileRow* row(const std::vector<ProfileRow>& rows, const std::string& shader) {
  for (const auto& r : rows)
    if (r.shader == shader) return &r;
  return nullptr;
}
uint64_t calls(const std::vector<ProfileRow>& rows, const std::string& shader) {
  const auto* r = row(rows, shader);
  return r ? r->calls : 0;
}
double ns(const std::vector<ProfileRow>& rows, const std::string& shader) {
  const auto* r = row(rows, shader);
  return r ? r->ns : 0;
}

}  // namespace

TEST_CASE("GLASSWING_VULKAN_PROFILE=1 times every dispatch by shader and otherwise nothing is recorded",
          "[profile]") {
  auto& ctx = context();
  const char* env = std::getenv("GLASSWING_VULKAN_PROFILE");
  const bool on = env && std::string(env) == "1";
  CHECK(profiling_enabled() == on);
  if (on && !has_timestamps(ctx.device())) {
    WARN("this device's compute queue has no timestamps: dispatches are counted as untimed");
    return;
  }
  std::mt19937 rng(21);
  const uint32_t n = 300, rows = 3;
  Buffer a = device_buffer(random_floats(rng, n * rows)), b = device_buffer(random_floats(rng, n * rows));
  const auto before = dispatch_profile();
  Recorder rec(ctx);
  rec.begin();  // two softmax dispatches and one gelu, submitted three times
  rec.softmax(whole(a), {n, rows});
  rec.barrier();
  rec.softmax(whole(a), {n, rows});
  rec.barrier();
  rec.gelu(whole(b), n * rows);
  rec.end();
  for (int i = 0; i < 3; ++i) rec.submit_and_wait();
  const auto after = dispatch_profile();
  if (on) {
    CHECK(calls(after, "softmax") - calls(before, "softmax") == 6);
    CHECK(calls(after, "gelu") - calls(before, "gelu") == 3);
    CHECK(ns(after, "softmax") > ns(before, "softmax"));
    CHECK(ns(after, "gelu") > ns(before, "gelu"));
  } else {
    CHECK(after.empty());
  }
  require_no_validation_messages();
}
