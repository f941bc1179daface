// glasswing-cli devices — every Vulkan device with its capability line, and which one would be used.
#include <cstdio>

#include "cli/command.h"

#if HAVE_GLASSWING_VULKAN
#include "inference/vulkan/device.h"
#include "inference/vulkan/instance.h"
#endif

namespace {

using namespace glasswing;

int run_devices(cli::Args& args) {
  if (!args.positional().empty()) throw cli::UsageError("devices takes no arguments");
#if HAVE_GLASSWING_VULKAN
  const auto instance = vulkan::Instance::CreateFromEnvironment();
  const auto devices = vulkan::list_devices(*instance);
  if (devices.empty()) {
    std::printf("no Vulkan devices (the CPU backend is used)\n");
    return 0;
  }
  for (const auto& d : devices) std::printf("%s\n", d.capability_line().c_str());
  const auto chosen = vulkan::Device::Create(*instance, args.get_or("--device", ""));
  std::printf("selected: %u: %s\n", chosen->info().index, chosen->info().name.c_str());
  return 0;
#else
  throw std::runtime_error("this glasswing-cli was built without the Vulkan engine");
#endif
}

}  // namespace

GLASSWING_CLI_COMMAND(devices, "devices [--device INDEX|NAME]",
                      "list the Vulkan devices with their capabilities",
                      ({{"--device", "", true,
                         "device to select (index or name substring; default: "
                         "$GLASSWING_VULKAN_DEVICE, else the best GPU)"}}),
                      run_devices);
