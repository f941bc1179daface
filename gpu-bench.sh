#!/bin/bash
# Device check of the vkgpu work (GPU mat-vec / tiled GEMM / tensor-core GEMM / GPU attention): run from the
# folder that holds run.sh's environment (debs/, lib/, shared/), with the binaries in gpu-bin/ (else bin/).
# Usage: bash gpu-bench.sh   (under 3 minutes on an H100)
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
M=/tmp/models; mkdir -p $M
# the synthetic models are written in the background while the tests run
( timeout 90 $CLI synth --shape llama-2-7b -t Q4_0 -o $M/l7-q4_0.gguf | head -1 ) > /tmp/synth1.log 2>&1 &
( timeout 90 $CLI synth --shape tinyllama-1.1b -t Q4_K -o $M/tl-q4_k.gguf | head -1 ) > /tmp/synth2.log 2>&1 &
( timeout 90 $CLI synth --shape tinyllama-1.1b -t Q6_K -o $M/tl-q6_k.gguf | head -1;
  timeout 60 $CLI synth --shape smollm2-135m -t Q8_0 -o $M/smol-q8.gguf | head -1 ) > /tmp/synth3.log 2>&1 &

el "tests: GPU kernels (the default on a GPU) vs CPU computations, the CPU engine and llama.cpp references"
for spec in "[weights]" "[attention]" "Vulkan prefill then re-submitted decode steps reproduce the batched logits" \
    "Vulkan attention maps and summaries match the CPU engine" \
    "Vulkan prompts longer than one recorded step are split and match the CPU engine"; do
  echo "$spec"; timeout 100 $B/vulkan_tests "$spec" 2>&1 | tail -6
done
el "tests: tensor-core GEMM forced (GLASSWING_VULKAN_COOPMAT=1; by default it is used only after a self-test and a timing against the f32 GEMM; 'devices' shows 'coopmat' when the GPU has it)"
export GLASSWING_VULKAN_COOPMAT=1
timeout 60 $B/vulkan_tests "tiled matmul matches a CPU dequantize + dot for every type" 2>&1 | tail -20
timeout 60 $B/vulkan_tests "Vulkan prefill then re-submitted decode steps reproduce the batched logits" 2>&1 | tail -20
[ -f $G/logits_check.py ] && timeout 80 python3 $G/logits_check.py $CLI $G/shared cpu,vulkan
unset GLASSWING_VULKAN_COOPMAT
el "synth"
wait
cat /tmp/synth1.log /tmp/synth2.log /tmp/synth3.log
bench() { local m=$1; shift; timeout 75 $CLI bench -m $m --backend vulkan "$@" 2>&1 | grep -E "^\||rror" | grep -v "^| *model\|^|--"; }

el "llama-2-7b Q4_0: OLD kernels (GLASSWING_VULKAN_KERNELS=cpu GLASSWING_VULKAN_BATCH=64), NEW (defaults), then pp with COOPMAT=0 (f32 tiled GEMM) and =1 (tensor cores)"
GLASSWING_VULKAN_KERNELS=cpu GLASSWING_VULKAN_BATCH=64 bench $M/l7-q4_0.gguf -p 512 -n 128 -r 2
bench $M/l7-q4_0.gguf -p 512 -n 128 -r 3
GLASSWING_VULKAN_COOPMAT=0 bench $M/l7-q4_0.gguf -p 512 -n 0 -r 2
GLASSWING_VULKAN_COOPMAT=1 bench $M/l7-q4_0.gguf -p 512 -n 0 -r 2
el "7B Q4_0 decode variants: GLASSWING_VULKAN_MATVEC=wg,mr,unroll (default 128,2,2)"
for mv in 128,2,1 128,2,4 128,4,2; do echo "MATVEC=$mv"; GLASSWING_VULKAN_MATVEC=$mv bench $M/l7-q4_0.gguf -p 0 -n 64 -r 2; done
el "tinyllama Q4_K and Q6_K, smollm2 Q8_0: OLD, NEW (defaults); tinyllama Q4_K pp with COOPMAT=0 and =1"
for m in $M/tl-q4_k.gguf $M/tl-q6_k.gguf $M/smol-q8.gguf; do
  GLASSWING_VULKAN_KERNELS=cpu GLASSWING_VULKAN_BATCH=64 bench $m -p 512 -n 128 -r 2
  bench $m -p 512 -n 128 -r 3
done
GLASSWING_VULKAN_COOPMAT=0 bench $M/tl-q4_k.gguf -p 512 -n 0 -r 2
GLASSWING_VULKAN_COOPMAT=1 bench $M/tl-q4_k.gguf -p 512 -n 0 -r 2
el "stories260K: OLD, NEW"
GLASSWING_VULKAN_KERNELS=cpu GLASSWING_VULKAN_BATCH=64 bench $G/shared/models/stories260K.gguf -p 128 -n 64 -r 2
bench $G/shared/models/stories260K.gguf -p 128 -n 64 -r 3
el done
