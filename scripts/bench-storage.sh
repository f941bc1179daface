#!/usr/bin/env bash
# Storage benchmark: inserting 100k messages, opening a conversation of 10k messages, FTS over 100k messages.
# Builds storage_bench (Release flags of the configured build) and runs it on a scratch database.
#   scripts/bench-storage.sh [SCRATCH_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${GLASSWING_BUILD_DIR:-build}
[[ -f $BUILD_DIR/CMakeCache.txt ]] || cmake -S . -B "$BUILD_DIR" -G Ninja >/dev/null
cmake --build "$BUILD_DIR" --target storage_bench >/dev/null
scratch=${1:-$(mktemp -d "${TMPDIR:-/tmp}/glasswing-storage-bench.XXXXXX")}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), SQLite $(sqlite3 --version | cut -d' ' -f1)"
echo "scratch: $scratch ($(df -T "$scratch" | awk 'NR==2 {print $2}'))"
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
"$BUILD_DIR/tests/storage/storage_bench" "$scratch/db"
rm -rf "$scratch/db"
