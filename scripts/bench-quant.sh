#!/usr/bin/env bash
# Builds and runs the dot_row micro-benchmark: GB/s of weights read per type in a CPU mat-vec.
# Usage: scripts/bench-quant.sh [quant_bench args, e.g. --mb 64 --kernels q4_K q8_0]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
[ -f "$build/build.ninja" ] || [ -f "$build/Makefile" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" --target quant_bench
exec "$build/tests/quant/quant_bench" "$@"
