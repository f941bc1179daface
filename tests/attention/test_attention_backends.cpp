// Every other registered backend's attention maps and summaries against the CPU reference. Today that is
// "vulkan" when glasswing_vulkan provides register_vulkan_backend(); without it the test says so.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/attention/attention_reference.h"

#if defined(HAVE_GLASSWING_VULKAN) && __has_include("inference/vulkan/vulkan_backend.h")
#include "inference/vulkan/vulkan_backend.h"
#define GW_ATTENTION_TEST_VULKAN 1
#endif

using namespace glasswing;

namespace {
bool has_backend(const std::string& name) {
  const auto names = model::backend_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}
}  // namespace

TEST_CASE("Vulkan attention maps and summaries equal the CPU's", "[attention][vulkan]") {
#ifdef GW_ATTENTION_TEST_VULKAN
  vulkan::register_vulkan_backend();
#endif
  if (!has_backend("vulkan")) {
    WARN("no \"vulkan\" backend is registered in this build; only the CPU backend was checked");
    CHECK(has_backend("cpu"));
    return;
  }
  for (const auto& path : test::kAttentionModels) {
    INFO(path);
    test::Prefilled cpu(path, "cpu");
    test::Prefilled gpu(path, "vulkan");
    REQUIRE(gpu.backend->capabilities().attention_maps);
    const auto& d = cpu.desc();
    const model::Range all{0, cpu.n};
    for (int64_t layer = 0; layer < d.n_layer; ++layer) {
      for (int64_t head = 0; head < d.n_head; ++head) {
        INFO("layer " << layer << " head " << head);
        const auto a = cpu.backend->attention(*cpu.session, layer, head, all, all);
        const auto b = gpu.backend->attention(*gpu.session, layer, head, all, all);
        REQUIRE(b.probs.size() == a.probs.size());
        double diff = 0;
        for (size_t i = 0; i < a.probs.size(); ++i)
          diff = std::max<double>(diff, std::abs(a.probs[i] - b.probs[i]));
        CHECK(diff <= 1e-4);
      }
    }
    const auto window_cpu = cpu.backend->attention(*cpu.session, 1, 3, {20, 25}, {3, 9});
    const auto window_gpu = gpu.backend->attention(*gpu.session, 1, 3, {20, 25}, {3, 9});
    REQUIRE(window_gpu.probs.size() == window_cpu.probs.size());
    for (size_t i = 0; i < window_cpu.probs.size(); ++i)
      CHECK(std::abs(window_cpu.probs[i] - window_gpu.probs[i]) <= 1e-4);

    const auto sa = cpu.backend->attention_summary(*cpu.session, all);
    const auto sb = gpu.backend->attention_summary(*gpu.session, all);
    REQUIRE(sb.size() == sa.size());
    for (size_t i = 0; i < sa.size(); ++i) {
      INFO("summary " << i);
      CHECK(sb[i].layer == sa[i].layer);
      CHECK(sb[i].head == sa[i].head);
      CHECK(std::abs(sb[i].max_prob - sa[i].max_prob) <= 1e-4);
      CHECK(std::abs(sb[i].entropy - sa[i].entropy) <= 1e-3);
      CHECK(std::abs(sb[i].first_token - sa[i].first_token) <= 1e-4);
    }
  }
}
