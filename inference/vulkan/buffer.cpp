#include "inference/vulkan/buffer.h"

#include <utility>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include "inference/vulkan/device.h"
#include "inference/vulkan/vk_error.h"

namespace glasswing::vulkan {

namespace {
std::string mib(uint64_t bytes) {
  return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB";
}
}  // namespace

DeviceMemory DeviceMemory::Allocate(Device& device, const VkMemoryRequirements& req, MemoryUse use,
                                    const std::string& what) {
  VkMemoryPropertyFlags required = 0, preferred = 0;
  switch (use) {
    case MemoryUse::DeviceLocal:
      preferred = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
      break;
    case MemoryUse::Upload:
      required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
      break;
    case MemoryUse::Readback:
      required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
      preferred = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
      break;
  }
  VkMemoryAllocateInfo info{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  info.allocationSize = req.size;
  info.memoryTypeIndex = device.memory_type(req.memoryTypeBits, required, preferred);
  DeviceMemory m;
  check(vkAllocateMemory(device.handle(), &info, nullptr, &m.memory_), "vkAllocateMemory",
        "allocating " + mib(req.size) + " for " + what);
  m.device_ = &device;
  device.note_allocation(+1);
  if (device.memory_flags(info.memoryTypeIndex) & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
    check(vkMapMemory(device.handle(), m.memory_, 0, VK_WHOLE_SIZE, 0, &m.mapped_), "vkMapMemory",
          "mapping " + what);
#ifdef __linux__
  // A CPU implementation (lavapipe) hands out ordinary host memory, on 4 KiB pages unless asked: a decode
  // step streams every weight byte, and with THP set to "madvise" (common) each 4 KiB page was a TLB miss.
  // Asking for huge pages before anything is written made lavapipe's decode ~6% faster (docs/benchmarks.md).
  if (m.mapped_ && device.info().type == "cpu" && req.size >= (4u << 20)) {
    const uintptr_t huge = 2u << 20;
    const uintptr_t b = (reinterpret_cast<uintptr_t>(m.mapped_) + huge - 1) & ~(huge - 1);
    const uintptr_t e = (reinterpret_cast<uintptr_t>(m.mapped_) + req.size) & ~(huge - 1);
    if (e > b) madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);  // advice only: failure is harmless
  }
#endif
  return m;
}

DeviceMemory::DeviceMemory(DeviceMemory&& o) noexcept
    : device_(o.device_),
      memory_(std::exchange(o.memory_, VK_NULL_HANDLE)),
      mapped_(std::exchange(o.mapped_, nullptr)) {}

DeviceMemory& DeviceMemory::operator=(DeviceMemory&& o) noexcept {
  if (this != &o) {
    release();
    device_ = o.device_;
    memory_ = std::exchange(o.memory_, VK_NULL_HANDLE);
    mapped_ = std::exchange(o.mapped_, nullptr);
  }
  return *this;
}

DeviceMemory::~DeviceMemory() {
  release();
}

void DeviceMemory::release() {
  if (memory_ == VK_NULL_HANDLE) return;
  vkFreeMemory(device_->handle(), memory_, nullptr);  // implicitly unmaps
  device_->note_allocation(-1);
  memory_ = VK_NULL_HANDLE;
  mapped_ = nullptr;
}

Buffer Buffer::Create(Device& device, uint64_t size, MemoryUse use, const std::string& what) {
  if (size == 0) throw VulkanError("cannot create an empty buffer for " + what);
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = size;
  // Also a storage texel buffer: the CPU-device kernels read weights and inputs as 16-byte texels.
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT |
               VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer raw = VK_NULL_HANDLE;
  check(vkCreateBuffer(device.handle(), &info, nullptr, &raw), "vkCreateBuffer",
        "creating " + mib(size) + " for " + what);
  DeviceHandle<VkBuffer, vkDestroyBuffer> buffer(device.handle(), raw);
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device.handle(), raw, &req);
  DeviceMemory memory = DeviceMemory::Allocate(device, req, use, what);
  check(vkBindBufferMemory(device.handle(), raw, memory.handle(), 0), "vkBindBufferMemory", what);
  return Buffer(std::move(buffer), std::move(memory), size);
}

Arena::Arena(Device& device, MemoryUse use, uint64_t block_size, std::string what)
    : device_(&device), use_(use), block_size_(block_size), what_(std::move(what)) {}

BufferRange Arena::allocate(uint64_t bytes) {
  const uint64_t align = std::max<uint64_t>(device_->info().min_storage_offset_alignment, 16);
  // Whole 16-byte units, so that a range can also be read as 16-byte texels (see Recorder::texels).
  const uint64_t size = (std::max<uint64_t>(bytes, 4) + 15) & ~uint64_t{15};
  uint64_t offset = blocks_.empty() ? 0 : (block_used_ + align - 1) / align * align;
  if (blocks_.empty() || offset + size > blocks_.back().size()) {
    blocks_.push_back(Buffer::Create(*device_, std::max(block_size_, size), use_, what_));
    offset = 0;
  }
  block_used_ = offset + size;
  used_ += size;
  return {blocks_.back().handle(), offset, size};
}

}  // namespace glasswing::vulkan
