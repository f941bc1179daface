#!/usr/bin/env bash
# The GPU device check, run on the device machine from the repo root with .gpu carried (scripts/gpu-kit.sh
# builds it): bash .gpu/gpu-check.sh MODE, MODE one of
#   tests    every Vulkan unit test on the GPU with the validation layer (the shared-model tests last, apart:
#            the kit leaves out the three largest shared models, and such a test stops at the first missing)
#   bench    llama.cpp's reference (llama 7B Q4_0, pp512/tg128) and two smaller shapes, --backend vulkan
#   hybrids  LFM2, Qwen3.5 and Granite-4.0-H-350M (with Llama-3.2-1B beside them): CPU engine against Vulkan logits, and their speed
#   sweep    llama 7B Q4_0 under the engine's knobs: the tensor-core GEMM (GLASSWING_VULKAN_COOPMAT=1 or f16,
#            KHR's kernels where the kit has them and NV's) for prompts, mat-vec shapes and lane mappings for decode, against the defaults in the same run;
#            Qwen3.5 0.8B and Granite-4.0-H-350M with their scans per row (default) and per head
#            (GLASSWING_VULKAN_DELTA_ROWS=0); GLM-4.7-Flash's first 4 layers with latent attention's heads
#            stacked (default) and one product per head (GLASSWING_VULKAN_STACK_HEADS=0); Qwen3-30B-A3B's first
#            4 layers with its decode routed on the device (default), on the host
#            (GLASSWING_VULKAN_ROUTE_ON_DEVICE=0: one submission and read-back per layer), its prompt's
#            experts in one GEMM each (GLASSWING_VULKAN_EXPERT_TILES=0) and one matrix per expert
#            (GLASSWING_VULKAN_STACK_EXPERTS=0), and its GPU time per shader
#   all      tests, bench and hybrids (about 4 minutes on an H200)
# Results go under $OUT (the device tool brings them back); progress is printed as it goes.
set -uo pipefail
mode=${1:-all}
kit=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
# The loader, its validation layer and glvnd (NVIDIA's Vulkan driver lives in libGLX_nvidia, which needs
# libGLdispatch: without it the loader finds the driver but cannot create an instance).
for f in "$kit"/debs/*.deb; do dpkg -x "$f" /; done
ldconfig
export GLASSWING_SHARED_DIR="$kit/shared"
export GLASSWING_CLI="$kit/bin/glasswing-cli"  # (the tests that run the CLI)
cli="$kit/bin/glasswing-cli"
models=/tmp/gw-models
mkdir -p "$models"
# The first NVIDIA manifest that gives a device (machines differ in where the driver's manifest lies).
for icd in "${VK_DRIVER_FILES:-}" /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
  /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] || continue
  if VK_DRIVER_FILES=$icd "$cli" devices >/dev/null 2>&1; then
    export VK_DRIVER_FILES=$icd
    break
  fi
done
if ! "$cli" devices 2>&1 | tee "$out/devices.txt"; then
  VK_LOADER_DEBUG=error,warn,driver "$cli" devices 2>&1 | tail -20
  exit 1
fi

synth() {  # shape type [layers]: writes $models/shape-type.gguf once
  local f="$models/$1-$2.gguf"
  [ -f "$f" ] || "$cli" synth --shape "$1" -t "$2" -o "$f" ${3:+--layers "$3"} >/dev/null
  echo "$f"
}

run_tests() {
  echo "== vulkan_tests"
  "$kit/bin/vulkan_tests" "~*every shared model*" -r compact >"$out/vulkan_tests.txt" 2>&1
  echo "exit $?" >>"$out/vulkan_tests.txt"
  grep -E 'failed|warning|^exit|Passed|passed' "$out/vulkan_tests.txt" | cut -c1-300 | tail -30
  # the tensor-core GEMM (both precisions; KHR's kernels where the kit's build has them, and NV's), and the
  # weight products with it on
  local api
  for api in khr nv; do
    echo "== vulkan_tests [coopmat],[weights] with GLASSWING_VULKAN_COOPMAT=1, API $api" | tee -a "$out/coopmat.txt"
    GLASSWING_VULKAN_KERNELS=gpu GLASSWING_VULKAN_COOPMAT=1 GLASSWING_VULKAN_COOPMAT_API=$api \
      "$kit/bin/vulkan_tests" "[coopmat],[weights]" -r compact >>"$out/coopmat.txt" 2>&1
    echo "exit $?" >>"$out/coopmat.txt"
  done
  grep -E 'failed|SKIP|^exit|passed|tensor-core' "$out/coopmat.txt" | cut -c1-300 | tail -20
  # One process per test case: a test needing a model the kit leaves out exits 77 (skipped), which would
  # end a whole run.
  echo "== vulkan_exact_tests and the shared-model tests, one case at a time"
  local t name
  for t in vulkan_exact_tests vulkan_tests; do
    "$kit/bin/$t" --list-test-names-only | grep -v '^$' | while IFS= read -r name; do
      [ "$t" = vulkan_tests ] && [[ "$name" != *"every shared model"* ]] && continue
      "$kit/bin/$t" "$name" -r compact >/tmp/case.txt 2>&1
      echo "exit $? $t: $name" | tee -a "$out/cases.txt"
      grep -E 'failed|SKIP' /tmp/case.txt | cut -c1-300 | tee -a "$out/cases.txt"
    done
  done
}

run_sweep() {
  local f
  f=$(synth llama-2-7b Q4_0)
  local runs=(
    "default|-p 512 -n 128 -r 2"
    "GLASSWING_VULKAN_COOPMAT=1|-p 512 -n 0 -r 3"
    "GLASSWING_VULKAN_COOPMAT=f16|-p 512 -n 0 -r 3"
    "GLASSWING_VULKAN_COOPMAT=f16 GLASSWING_VULKAN_COOPMAT_TILE=128,128|-p 512 -n 0 -r 3"
    "GLASSWING_VULKAN_COOPMAT=1 GLASSWING_VULKAN_COOPMAT_TILE=128,64|-p 512 -n 0 -r 3"
    "GLASSWING_VULKAN_COOPMAT=1 GLASSWING_VULKAN_COOPMAT_API=nv|-p 512 -n 0 -r 3"
    "GLASSWING_VULKAN_COOPMAT=f16 GLASSWING_VULKAN_COOPMAT_API=nv|-p 512 -n 0 -r 3"
    "GLASSWING_VULKAN_COOPMAT=f16 GLASSWING_VULKAN_COOPMAT_TILE=128,128,64,64|-p 512 -n 0 -r 3"
    "GLASSWING_VULKAN_COOPMAT=1 GLASSWING_VULKAN_COOPMAT_TILE=128,64,64,32|-p 512 -n 0 -r 3"
    "GLASSWING_VULKAN_MATVEC=128,4,2|-p 0 -n 128 -r 3"
    "GLASSWING_VULKAN_MATVEC=256,2,2|-p 0 -n 128 -r 3"
    "GLASSWING_VULKAN_MATVEC=128,2,8|-p 0 -n 128 -r 3"
    "GLASSWING_VULKAN_MATVEC=128,4,4|-p 0 -n 128 -r 3"
    "GLASSWING_VULKAN_MATVEC=256,2,8|-p 0 -n 128 -r 3"
    "GLASSWING_VULKAN_MATVEC_LANES=unit|-p 0 -n 128 -r 3"
    "default|-p 0 -n 128 -r 3"
  )
  local r knob args
  for r in "${runs[@]}"; do
    knob=${r%%|*}
    args=${r#*|}
    echo "== sweep llama-2-7b Q4_0: $knob $args" | tee -a "$out/sweep.txt"
    # shellcheck disable=SC2086  # (the arguments, split on purpose)
    env ${knob/#default/GLASSWING_NONE=1} "$cli" bench -m "$f" $args --backend vulkan 2>&1 |
      grep -E 'pp|tg|coopmat|tensor|error' | tee -a "$out/sweep.txt"
  done
  # the hybrids' scans (Qwen3.5's delta rule, Granite-4.0-H's Mamba-2): per row (default on GPUs) against
  # per head
  # (a model with its default and with each knob: LABEL FILE KNOB...)
  against() {
    local knob
    for knob in default "${@:3}"; do
      echo "== sweep $1: $knob" | tee -a "$out/sweep.txt"
      env ${knob/#default/GLASSWING_NONE=1} "$cli" bench -m "$2" -p 512 -n 128 -r 2 --backend vulkan 2>&1 |
        grep -E 'pp|tg|error' | tee -a "$out/sweep.txt"
    done
  }
  local m q
  for m in "qwen3.5-0.8b Q4_K" "granite-4.0-h-350m Q8_0"; do
    # shellcheck disable=SC2086  # (shape and type, split on purpose)
    against "$m" "$(synth $m)" GLASSWING_VULKAN_DELTA_ROWS=0
  done
  # latent attention's k_b and v_b: all heads in one product (default) against one per head (20 heads)
  against "glm-4.7-flash (4 layers) Q4_0" "$(synth glm-4.7-flash Q4_0 4)" GLASSWING_VULKAN_STACK_HEADS=0
  # a mixture: its steps routed on the device, its prompt's experts in one tiled GEMM per matrix, its
  # experts stacked (the defaults) against routed on the host (one submission per layer), one GEMM per
  # expert (prompts routed on the host too), and one matrix per expert; then its decode's wall time against
  # its shaders' (profile.txt)
  q=$(synth qwen3-30b-a3b Q4_0 4)
  against "qwen3-30b-a3b (4 layers) Q4_0" "$q" GLASSWING_VULKAN_ROUTE_ON_DEVICE=0 GLASSWING_VULKAN_EXPERT_TILES=0 \
    GLASSWING_VULKAN_STACK_EXPERTS=0 GLASSWING_VULKAN_COOPMAT=f16
  echo "== profile qwen3-30b-a3b (4 layers) Q4_0: -p 0 -n 32 -r 1" >>"$out/profile.txt"
  GLASSWING_VULKAN_PROFILE=1 "$cli" bench -m "$q" -p 0 -n 32 -r 1 --backend vulkan >>"$out/profile.txt" 2>&1
  # where a decode step's time goes, and a prompt's (per shader, GLASSWING_VULKAN_PROFILE=1)
  for args in "-p 0 -n 32 -r 1" "-p 512 -n 0 -r 1"; do
    echo "== profile llama-2-7b Q4_0: $args" >>"$out/profile.txt"
    # shellcheck disable=SC2086
    GLASSWING_VULKAN_PROFILE=1 "$cli" bench -m "$f" $args --backend vulkan >>"$out/profile.txt" 2>&1
  done
  head -30 "$out/profile.txt"
}

run_bench() {
  for m in "llama-2-7b Q4_0" "tinyllama-1.1b Q4_K" "smollm2-135m Q8_0"; do
    # shellcheck disable=SC2086  # (shape and type, split on purpose)
    set -- $m
    local f
    f=$(synth "$1" "$2")
    echo "== bench $1 $2"
    "$cli" bench -m "$f" -p 512 -n 128 -r 3 --backend vulkan 2>&1 | tee -a "$out/bench.txt"
  done
}

run_hybrids() {
  local tokens=1,500,2000,77,9000,12,345,6789,4,650,100,200
  for m in "lfm2-1.2b Q4_K" "qwen3.5-0.8b Q4_K" "granite-4.0-h-350m Q8_0" "llama-3.2-1b Q4_K"; do
    # shellcheck disable=SC2086  # (shape and type, split on purpose)
    set -- $m
    local f
    f=$(synth "$1" "$2")
    echo "== $1 $2: logits (CPU engine, Vulkan) and speed"
    "$cli" logits -m "$f" --tokens "$tokens" --out "$models/cpu.f32" --backend cpu >/dev/null 2>&1
    "$cli" logits -m "$f" --tokens "$tokens" --out "$models/gpu.f32" --backend vulkan >/dev/null 2>&1
    python3 - "$models/cpu.f32" "$models/gpu.f32" <<'PY' 2>&1 | tee -a "$out/hybrids.txt"
import struct, sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
x, y = (struct.unpack("%df" % (len(v) // 4), v) for v in (a, b))
print("max |cpu - vulkan| =", max(abs(p - q) for p, q in zip(x, y)), "over", len(x), "logits")
PY
    "$cli" bench -m "$f" -p 512 -n 128 -r 2 --backend vulkan 2>&1 | tee -a "$out/hybrids.txt"
  done
}

case "$mode" in
  tests) run_tests ;;
  bench) run_bench ;;
  hybrids) run_hybrids ;;
  sweep) run_sweep ;;
  all)
    run_tests
    run_bench
    run_hybrids
    ;;
  *)
    echo "usage: gpu-check.sh tests|bench|hybrids|sweep|all" >&2
    exit 2
    ;;
esac
