#!/usr/bin/env bash
# The GPU device check, run on the device machine from the repo root with .gpu carried (scripts/gpu-kit.sh
# builds it): bash .gpu/gpu-check.sh MODE, MODE one of
#   tests    every Vulkan unit test on the GPU with the validation layer (the shared-model tests last, apart:
#            the kit leaves out the three largest shared models, and such a test stops at the first missing)
#   bench    llama.cpp's reference (llama 7B Q4_0, pp512/tg128) and two smaller shapes, --backend vulkan
#   hybrids  LFM2, Qwen3.5 and Granite-4.0-H-350M (with Llama-3.2-1B beside them): CPU engine against Vulkan logits, and their speed
#   all      the three (about 8 minutes on an H100)
# Results go under $OUT (the device tool brings them back); progress is printed as it goes.
set -uo pipefail
mode=${1:-all}
kit=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
for f in "$kit"/debs/*.deb; do dpkg -x "$f" /; done
ldconfig
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] &&
  ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
export GLASSWING_SHARED_DIR="$kit/shared"
cli="$kit/bin/glasswing-cli"
models=/tmp/gw-models
mkdir -p "$models"
"$cli" devices 2>&1 | tee "$out/devices.txt"

synth() {  # shape type [layers]: writes $models/shape-type.gguf once
  local f="$models/$1-$2.gguf"
  [ -f "$f" ] || "$cli" synth --shape "$1" -t "$2" -o "$f" ${3:+--layers "$3"} >/dev/null
  echo "$f"
}

run_tests() {
  for t in vulkan_tests vulkan_exact_tests; do
    echo "== $t"
    "$kit/bin/$t" "~*every shared model*" -r compact >"$out/$t.txt" 2>&1
    echo "exit $?" >>"$out/$t.txt"
    "$kit/bin/$t" "*every shared model*" -r compact >"$out/$t-shared.txt" 2>&1
    echo "exit $? (77: a model the kit left out)" >>"$out/$t-shared.txt"
    tail -5 "$out/$t.txt" "$out/$t-shared.txt"
  done
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
  all)
    run_tests
    run_bench
    run_hybrids
    ;;
  *)
    echo "usage: gpu-check.sh tests|bench|hybrids|all" >&2
    exit 2
    ;;
esac
