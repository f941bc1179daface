#pragma once
// One opened GPU: instance, device, pipelines (built once, cached by shader and specialization), and
// staged transfers between host memory and device buffers.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/vulkan/buffer.h"
#include "inference/vulkan/command.h"
#include "inference/vulkan/device.h"
#include "inference/vulkan/instance.h"
#include "inference/vulkan/pipeline.h"

namespace glasswing::vulkan {

// Called with (bytes done, bytes total) after each staged chunk.
using Progress = std::function<void(uint64_t, uint64_t)>;

class Context {
 public:
  // device_selector: see Device::Create; validation: nullopt = $GLASSWING_VULKAN_VALIDATION.
  static std::unique_ptr<Context> Create(std::string_view device_selector = {},
                                         std::optional<bool> validation = std::nullopt);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Instance& instance() { return *instance_; }
  Device& device() { return *device_; }
  const CommandPool& command_pool() const { return pool_; }

  // The pipeline for a shader with these bindings, push size and specialization; created on first use.
  const Pipeline& pipeline(std::string_view shader, uint32_t n_buffers, uint32_t push_bytes,
                           std::span<const uint32_t> spec = {}, uint32_t n_texels = 0);
  // Pipelines created so far (tests check that forward passes create none).
  size_t pipelines_built() const { return pipelines_.size(); }
  // Whether matmul uses the tensor-core GEMM, once coopmat_enabled() (coopmat_check.h) has decided.
  std::optional<bool> coopmat_choice;
  // True while coopmat_enabled() runs its checks: their submissions are fault::Site::Startup.
  bool in_startup_check = false;
  // Copies bytes from host memory into dst through two staging buffers in turn, in chunks: the host fills one
  // while the device copies out of the other.
  void upload(const BufferRange& dst, const void* data, uint64_t bytes, const Progress& progress = {});
  // A host buffer of at least `bytes` for a caller's temporary data (a weight repacked before its upload),
  // kept and reused across calls, so that loading a model does not fault in fresh pages for every tensor;
  // release_host_scratch() frees it (after a load).
  uint8_t* host_scratch(uint64_t bytes);
  void release_host_scratch();
  // Copies bytes from src into host memory.
  void download(const BufferRange& src, void* data, uint64_t bytes);
  // Submits cmd (already ended) and waits for it.
  void submit_and_wait(CommandBuffer& cmd);

 private:
  Context(std::unique_ptr<Instance> instance, std::unique_ptr<Device> device);
  // Destruction runs bottom-up: everything made on the device goes before the device, then the instance.
  std::unique_ptr<Instance> instance_;
  std::unique_ptr<Device> device_;
  CommandPool pool_;
  Fence fence_;
  CommandBuffer transfer_cmd_;
  // made up front, so the allocation count after creation is the baseline
  Buffer staging_;
  // upload's second staging buffer, with its own command buffer and fence
  Fence fence2_;
  CommandBuffer transfer_cmd2_;
  Buffer staging2_;
  std::unique_ptr<uint8_t[]> host_scratch_;
  uint64_t host_scratch_bytes_ = 0;
  std::map<std::string, Pipeline, std::less<>> pipelines_;
};

}  // namespace glasswing::vulkan
