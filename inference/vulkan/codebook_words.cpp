#include "inference/vulkan/codebook_words.h"

#include "inference/quant/iq_grids.h"

namespace glasswing::vulkan {

namespace {

template <typename Entry, size_t N>
std::vector<uint32_t> words(const std::array<Entry, N>& grid, bool with_signs) {
  std::vector<uint32_t> out;
  for (const Entry e : grid) {
    out.push_back(static_cast<uint32_t>(e));
    if constexpr (sizeof(Entry) == 8) out.push_back(static_cast<uint32_t>(e >> 32));
  }
  if (with_signs) out.insert(out.end(), quant::kKsignsIq2xs.begin(), quant::kKsignsIq2xs.end());
  return out;
}

}  // namespace

const std::vector<uint32_t>& codebook_words(gguf::GgmlType type) {
  using gguf::GgmlType;
  static const std::vector<uint32_t> none,
      iq2xxs = words(quant::kIq2xxsGrid, true), iq2xs = words(quant::kIq2xsGrid, true),
      iq2s = words(quant::kIq2sGrid, false), iq3xxs = words(quant::kIq3xxsGrid, true),
      iq3s = words(quant::kIq3sGrid, false), iq1s = words(quant::kIq1sGrid, false);
  switch (type) {
    case GgmlType::IQ2_XXS:
      return iq2xxs;
    case GgmlType::IQ2_XS:
      return iq2xs;
    case GgmlType::IQ2_S:
      return iq2s;
    case GgmlType::IQ3_XXS:
      return iq3xxs;
    case GgmlType::IQ3_S:
      return iq3s;
    case GgmlType::IQ1_S:
    case GgmlType::IQ1_M:
      return iq1s;
    default:
      return none;
  }
}

}  // namespace glasswing::vulkan
