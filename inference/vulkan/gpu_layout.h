#pragma once
// Which kernels run on a device, and the repacked weight layouts of the GPU kernels.
//
// GPUs (every device type but "cpu") get the GPU kernels: a mat-vec that reads each weight byte once with
// coalesced 16-byte loads (shaders/common/matvec_gpu_body.glsl) and a register-blocked tiled GEMM
// (matmul_tiled_body.glsl). CPU implementations (lavapipe) keep the kernels tuned for them. The environment
// variable GLASSWING_VULKAN_KERNELS=gpu|cpu|auto overrides the choice (tests run the GPU kernels on
// lavapipe; benchmarks compare both on a GPU). The choice also fixes the layout weights are uploaded in, so
// it must not change while a process holds uploaded weights.
#include <cstdint>
#include <optional>
#include <vector>

#include "inference/gguf/ggml_type.h"
#include "inference/vulkan/device.h"

namespace glasswing::vulkan {

// True: the GPU kernels and layouts. Throws VulkanError for a GLASSWING_VULKAN_KERNELS value other than
// gpu, cpu, auto or empty.
bool use_gpu_kernels(const DeviceInfo& info);

// Bytes per block of a repacked type (shaders/common/gpu_layout.glsl): a slice of rows is all rows' quant
// bytes (a multiple of 16 per block), then aux1 bytes per block, then aux2 bytes per block.
struct GpuLayout {
  uint32_t quant_bytes = 0;
  uint32_t aux1_bytes = 0;
  uint32_t aux2_bytes = 0;
  uint32_t block_bytes() const { return quant_bytes + aux1_bytes + aux2_bytes; }
};

// The layout of a type the GPU kernels read repacked (q4_0, q4_1, q5_0, q5_1, q8_0, q4_K, q5_K, q6_K);
// nullopt for the others (f32, f16, bf16, q2_K, q3_K), which stay in their GGUF encoding.
std::optional<GpuLayout> gpu_layout(gguf::GgmlType type);

// rows x cols GGUF blocks of a repackable type -> the GPU layout.
std::vector<uint8_t> repack_gpu(gguf::GgmlType type, const uint8_t* src, uint32_t rows, uint32_t cols);
// The same into `out` (repack_gpu_bytes long), the rows shared among the cores when there are many. With
// gate_up_pairs the output's row 2r is source row r and row 2r + 1 source row rows/2 + r (a fused gate|up
// matrix's rows in pairs, RowOrder::GateUpPairs).
uint64_t repack_gpu_bytes(gguf::GgmlType type, uint32_t rows, uint32_t cols);
void repack_gpu_into(gguf::GgmlType type, const uint8_t* src, uint32_t rows, uint32_t cols, uint8_t* out,
                     bool gate_up_pairs = false);

}  // namespace glasswing::vulkan
