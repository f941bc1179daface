#!/bin/bash
# Device check of the vkgpu branch (GPU mat-vec / tiled GEMM): run from the folder that holds run.sh's
# environment (debs/, lib/, shared/), with this branch's stripped binaries in gpu-bin/ (else bin/).
# Usage: bash gpu-bench.sh   (about 4 minutes on an H100)
cd "$(dirname "$0")"
G=$PWD
mkdir -p /tmp/vkroot && for d in debs/*.deb; do case $d in *validation*) dpkg -x $d /tmp/vkroot;; *) dpkg -x $d /;; esac; done; ldconfig
export LD_LIBRARY_PATH=/tmp/vkroot/usr/lib/x86_64-linux-gnu:$G/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export VK_LAYER_PATH=/tmp/vkroot/usr/share/vulkan/explicit_layer.d
for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f $f ] && { export VK_DRIVER_FILES=$f VK_ICD_FILENAMES=$f; break; }
done
export GLASSWING_SHARED_DIR=$G/shared
B=$G/gpu-bin; [ -x $B/glasswing-cli ] || B=$G/bin
CLI=$B/glasswing-cli
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
timeout 30 $CLI devices || exit 3
T0=$(date +%s)
el() { echo "--- [$(( $(date +%s) - T0 ))s] $*"; }

el "tests: GPU kernels (auto on a GPU) vs the CPU engine and llama.cpp references"
for spec in "[weights]" "[backend]"; do
  timeout 100 $B/vulkan_tests "$spec" 2>&1 | tail -12
done
el "tests: tensor-core GEMM (GLASSWING_VULKAN_COOPMAT=1; the devices line says 'coopmat' when the GPU has it)"
GLASSWING_VULKAN_COOPMAT=1 timeout 60 $B/vulkan_tests "tiled matmul matches a CPU dequantize + dot for every type" 2>&1 | tail -30
GLASSWING_VULKAN_COOPMAT=1 timeout 100 $B/vulkan_tests "[backend]" 2>&1 | tail -30

M=/tmp/models; mkdir -p $M
el synth
timeout 60 $CLI synth --shape llama-2-7b -t Q4_0 -o $M/l7-q4_0.gguf | head -1 &
timeout 60 $CLI synth --shape smollm2-135m -t Q8_0 -o $M/smol-q8.gguf | head -1
timeout 60 $CLI synth --shape tinyllama-1.1b -t Q4_K -o $M/tl-q4_k.gguf | head -1
timeout 60 $CLI synth --shape tinyllama-1.1b -t Q6_K -o $M/tl-q6_k.gguf | head -1
wait
bench() { local m=$1; shift; timeout 75 $CLI bench -m $m --backend vulkan "$@" 2>&1 | grep -E "^\||rror" | grep -v "^| *model\|^|--"; }

el "llama-2-7b Q4_0: OLD kernels (GLASSWING_VULKAN_KERNELS=cpu, batch 64) then NEW (defaults)"
GLASSWING_VULKAN_KERNELS=cpu GLASSWING_VULKAN_BATCH=64 bench $M/l7-q4_0.gguf -p 512 -n 128 -r 2
bench $M/l7-q4_0.gguf -p 512 -n 128 -r 3
el "7B Q4_0 decode variants: GLASSWING_VULKAN_MATVEC=wg,mr (default 128,2)"
for mv in 128,1 128,4 256,2 256,4; do echo "MATVEC=$mv"; GLASSWING_VULKAN_MATVEC=$mv bench $M/l7-q4_0.gguf -p 0 -n 64 -r 2; done
el "7B Q4_0 prefill variants: GLASSWING_VULKAN_MATMUL=bm,bn,bk,tm,tn (default 64,64,32,4,4), GLASSWING_VULKAN_BATCH (default 512)"
echo "COOPMAT=1"; GLASSWING_VULKAN_COOPMAT=1 bench $M/l7-q4_0.gguf -p 512 -n 0 -r 3
for mm in 128,64,32,8,4 128,128,16,8,8 64,128,32,4,8; do echo "MATMUL=$mm"; GLASSWING_VULKAN_MATMUL=$mm bench $M/l7-q4_0.gguf -p 512 -n 0 -r 2; done
for b in 128 256; do echo "BATCH=$b"; GLASSWING_VULKAN_BATCH=$b bench $M/l7-q4_0.gguf -p 512 -n 0 -r 2; done
el "tinyllama Q4_K and Q6_K, smollm2 Q8_0, stories260K: OLD then NEW"
for m in $M/tl-q4_k.gguf $M/tl-q6_k.gguf $M/smol-q8.gguf; do
  GLASSWING_VULKAN_KERNELS=cpu GLASSWING_VULKAN_BATCH=64 bench $m -p 512 -n 128 -r 2
  bench $m -p 512 -n 128 -r 3
  GLASSWING_VULKAN_COOPMAT=1 bench $m -p 512 -n 0 -r 2
done
GLASSWING_VULKAN_KERNELS=cpu bench $G/shared/models/stories260K.gguf -p 128 -n 64 -r 2
bench $G/shared/models/stories260K.gguf -p 128 -n 64 -r 3
el done
