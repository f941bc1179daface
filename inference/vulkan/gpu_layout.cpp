#include "inference/vulkan/gpu_layout.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "inference/vulkan/env_choice.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

using gguf::GgmlType;

namespace {

// Where each region's bytes come from inside one GGUF block (ggml-common.h layouts).
struct Segment {
  uint32_t offset = 0, bytes = 0;
};
struct Repack {
  Segment quants[2];  // concatenated
  Segment aux1, aux2;
};

std::optional<Repack> repack_plan(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_0:  // f16 d; qs[16]
      return Repack{{{2, 16}, {}}, {0, 2}, {}};
    case GgmlType::Q8_0:  // f16 d; qs[32]
      return Repack{{{2, 32}, {}}, {0, 2}, {}};
    case GgmlType::Q4_K:  // f16 d, dmin; scales[12]; qs[128]
      return Repack{{{16, 128}, {}}, {0, 16}, {}};
    case GgmlType::Q4_1:  // f16 d, m; qs[16]
      return Repack{{{4, 16}, {}}, {0, 4}, {}};
    case GgmlType::Q5_0:  // f16 d; qh[4]; qs[16]
      return Repack{{{6, 16}, {}}, {2, 4}, {0, 2}};
    case GgmlType::Q5_1:  // f16 d, m; qh[4]; qs[16]
      return Repack{{{8, 16}, {}}, {4, 4}, {0, 4}};
    case GgmlType::Q5_K:  // f16 d, dmin; scales[12]; qh[32]; qs[128] -> qs then qh
      return Repack{{{48, 128}, {16, 32}}, {0, 16}, {}};
    case GgmlType::Q6_K:  // ql[128]; qh[64]; scales[16]; f16 d
      return Repack{{{0, 192}, {}}, {192, 16}, {208, 2}};
    default:
      return std::nullopt;
  }
}

}  // namespace

bool use_gpu_kernels(const DeviceInfo& info) {
  switch (env_choice("GLASSWING_VULKAN_KERNELS", {"gpu", "cpu", "auto"}, 2)) {
    case 0:
      return true;
    case 1:
      return false;
    default:
      return info.type != "cpu";
  }
}

std::optional<GpuLayout> gpu_layout(GgmlType type) {
  const auto plan = repack_plan(type);
  if (!plan) return std::nullopt;
  return GpuLayout{plan->quants[0].bytes + plan->quants[1].bytes, plan->aux1.bytes, plan->aux2.bytes};
}

std::vector<uint8_t> repack_gpu(GgmlType type, const uint8_t* src, uint32_t rows, uint32_t cols) {
  const auto plan = repack_plan(type);
  if (!plan) throw VulkanError(gguf::ggml_type_name(type) + " has no GPU layout");
  const auto traits = gguf::ggml_type_traits(type);
  const GpuLayout l = *gpu_layout(type);
  const uint64_t blocks = uint64_t{rows} * (cols / traits.block_elements);
  std::vector<uint8_t> out(blocks * l.block_bytes());
  uint8_t* quants = out.data();
  uint8_t* aux1 = quants + blocks * l.quant_bytes;
  uint8_t* aux2 = aux1 + blocks * l.aux1_bytes;
  for (uint64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = src + b * traits.block_bytes;
    uint8_t* q = quants + b * l.quant_bytes;
    for (const Segment& s : plan->quants) {
      std::memcpy(q, block + s.offset, s.bytes);
      q += s.bytes;
    }
    std::memcpy(aux1 + b * l.aux1_bytes, block + plan->aux1.offset, plan->aux1.bytes);
    std::memcpy(aux2 + b * l.aux2_bytes, block + plan->aux2.offset, plan->aux2.bytes);
  }
  return out;
}

}  // namespace glasswing::vulkan
