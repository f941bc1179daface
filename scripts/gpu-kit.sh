#!/usr/bin/env bash
# Packs the GPU device check into .gpu/ (kept out of git by .git/info/exclude): stripped glasswing-cli and
# Vulkan test binaries of a build, Debian's Vulkan loader and validation layer (.deb files, fetched here: the
# device machine reaches nothing), the smaller shared test models with their reference logits, and
# scripts/gpu-check.sh, which runs there. The device tool carries at most 64 MiB with the working tree; the kit
# stays near 45. Usage: scripts/gpu-kit.sh [BUILD_DIR] (build-coopmat, made by scripts/coopmat-lavapipe.sh build,
# carries the VK_KHR_cooperative_matrix kernels too, which bookworm's glslang cannot compile); then on the
# device, carrying .gpu:
#   bash .gpu/gpu-check.sh all      (or: tests | bench | hybrids; results under $OUT)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
kit=.gpu
mkdir -p .git/info
grep -qx "/$kit/" .git/info/exclude 2>/dev/null || echo "/$kit/" >>.git/info/exclude
rm -rf "$kit"
mkdir -p "$kit/bin" "$kit/debs" "$kit/shared/models/synthetic" "$kit/shared/reference/logits"
for b in cli/glasswing-cli tests/vulkan/vulkan_tests tests/vulkan/vulkan_exact_tests; do
  cp "$build/$b" "$kit/bin/"
done
strip "$kit"/bin/*
# (glvnd too: NVIDIA's Vulkan driver, libGLX_nvidia, needs its libGLdispatch)
(cd "$kit/debs" && apt-get download -q libvulkan1 vulkan-validationlayers libglvnd0 libgl1 libglx0 libegl1 \
  libgles2 libopengl0 >/dev/null)
shared=${GLASSWING_SHARED_DIR:-../shared}
if [ -d "$shared/models" ]; then
  cp "$shared/models/stories260K.gguf" "$kit/shared/models/"
  cp "$shared/reference/logits/stories260K.logits.f32" "$kit/shared/reference/logits/"
  # every synthetic model but the three largest (gpt2 Q8_0, qwen2 f32, llama F16: 33 MiB together)
  for f in "$shared"/models/synthetic/*.gguf; do
    name=$(basename "$f" .gguf)
    case "$name" in synth-gpt2-Q8_0 | synth-qwen2-f32 | synth-llama-F16) continue ;; esac
    cp "$f" "$kit/shared/models/synthetic/"
    cp "$shared/reference/logits/$name.logits.f32" "$kit/shared/reference/logits/"
  done
fi
cp scripts/gpu-check.sh "$kit/"
du -sh "$kit"
