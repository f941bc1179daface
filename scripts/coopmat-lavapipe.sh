#!/usr/bin/env bash
# Runs the tensor-core GEMMs (shaders/common/matmul_cm_body.glsl) without a GPU. lavapipe has
# VK_KHR_cooperative_matrix (8x8x8 f16 fragments, executed on the CPU) from Mesa 25.1 and glslang knows
# GL_KHR_cooperative_matrix from version 13; Debian bookworm, what CI runs, has Mesa 22.3 and glslang 12, so
# there the kernels are compiled (NV form) but never run. This script makes a Debian trixie chroot with Mesa
# from trixie-backports, glslang 15 and the validation layer; builds vulkan_tests and glasswing-cli here with
# that glslang (a wrapper runs it in the chroot), so the KHR kernels (matmul_cmk_*) are embedded too; and runs
# them in the chroot with the tensor-core GEMM on. Needs root and Debian's mirror (debootstrap, apt).
#
#   sudo scripts/coopmat-lavapipe.sh all        setup, build, test
#   sudo scripts/coopmat-lavapipe.sh setup      the chroot only (~1 minute, ~600 MB)
#   sudo scripts/coopmat-lavapipe.sh build      configure and build BUILD_DIR (default build-coopmat)
#   sudo scripts/coopmat-lavapipe.sh test [ARGS] the [coopmat] tests (or the Catch2 ARGS given), then the
#                                               [weights] and [backend] tests with the GPU kernels, 512-token
#                                               steps and the split GEMM, and [weights] with the f16 one
#   sudo scripts/coopmat-lavapipe.sh run CMD    any command in the chroot, in this folder
#   sudo scripts/coopmat-lavapipe.sh clean      unmount and delete the chroot
#
# The build it makes also serves the GPU kit (scripts/gpu-kit.sh build-coopmat), so that a GPU run can time
# the KHR kernels beside NV's (GLASSWING_VULKAN_COOPMAT_API=nv|khr).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
root=$(dirname "$repo")  # (bind-mounted whole: ../shared is the test data)
chroot_dir=${GLASSWING_CHROOT:-/var/tmp/glasswing-trixie}
build=${BUILD_DIR:-build-coopmat}
wrapper="$chroot_dir.glslang"

mounted() { mountpoint -q "$chroot_dir$1"; }
mount_all() {
  mounted /proc || mount -t proc proc "$chroot_dir/proc"
  mkdir -p "$chroot_dir$root"
  mounted "$root" || mount --bind "$root" "$chroot_dir$root"
}
in_chroot() {  # CMD... in the chroot, in this folder
  mount_all
  chroot "$chroot_dir" sh -c 'cd "$0" && exec "$@"' "$repo" "$@"
}

setup() {
  if [ ! -x "$chroot_dir/usr/bin/glslangValidator" ]; then
    command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
    debootstrap --variant=minbase --include=libvulkan1,vulkan-tools,spirv-tools trixie "$chroot_dir" \
      http://deb.debian.org/debian
    echo "deb http://deb.debian.org/debian trixie-backports main" >"$chroot_dir/etc/apt/sources.list.d/bpo.list"
    mount_all
    chroot "$chroot_dir" sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      -t trixie-backports mesa-vulkan-drivers vulkan-validationlayers && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q glslang-tools'
  fi
  mount_all
  cat >"$wrapper" <<EOF
#!/bin/sh
# glslang from $chroot_dir (scripts/coopmat-lavapipe.sh), run in this folder
exec chroot "$chroot_dir" sh -c 'cd "\$0" && exec glslangValidator "\$@"' "\$PWD" "\$@"
EOF
  chmod +x "$wrapper"
  in_chroot glslangValidator --version | head -1
  in_chroot vulkaninfo 2>/dev/null | grep -E "driverInfo|VK_KHR_cooperative_matrix" | sort -u
}

build_it() {
  mount_all
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLASSWING_BUILD_UI=OFF \
    -DGLASSWING_GLSLANG="$wrapper"
  cmake --build "$build" --target vulkan_tests glasswing-cli --parallel "$(nproc)"
}

test_it() {
  local tests="$build/tests/vulkan/vulkan_tests"
  in_chroot "$build/cli/glasswing-cli" devices
  if [ $# -gt 0 ]; then
    in_chroot env GLASSWING_VULKAN_KERNELS=gpu GLASSWING_VULKAN_COOPMAT=1 "$tests" "$@"
    return
  fi
  local failed=0
  in_chroot env GLASSWING_VULKAN_KERNELS=gpu GLASSWING_VULKAN_COOPMAT=1 "$tests" "[coopmat]" || failed=1
  # (processes that made several Vulkan instances, as the [backend] tests do, crash at exit inside trixie's
  # validation layer 1.4.309, in the last vkFreeMemory, after Catch's summary; bookworm's layer does not:
  # read the summary, then the exit status)
  # (the model tests compare with the CPU engine to f32's precision: the split only; the weight products'
  # tests allow f16's error where COOPMAT=f16)
  local precision suite
  for precision in 1 f16; do
    suite="[weights],[backend]"
    [ "$precision" = f16 ] && suite="[weights]"
    echo "== $suite, GLASSWING_VULKAN_COOPMAT=$precision"
    in_chroot env GLASSWING_VULKAN_KERNELS=gpu GLASSWING_VULKAN_COOPMAT=$precision GLASSWING_VULKAN_BATCH=512 \
      "$tests" "$suite" || { echo "exit status $?"; failed=1; }
  done
  return $failed
}

clean() {
  for m in "$root" /proc; do mounted "$m" && umount "$chroot_dir$m"; done
  rm -rf --one-file-system "$chroot_dir" "$wrapper"
}

case "${1:-all}" in
  setup) setup ;;
  build) build_it ;;
  test) shift; test_it "$@" ;;
  run) shift; in_chroot "$@" ;;
  clean) clean ;;
  all) setup && build_it && test_it ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac
