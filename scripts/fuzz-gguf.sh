#!/usr/bin/env bash
# Fuzzes the GGUF parser (GgufFile::parse) with libFuzzer + ASan + UBSan for SECONDS (default 600).
#   scripts/fuzz-gguf.sh [SECONDS]
# Builds build-fuzz/ with clang, seeds from tests/gguf/corpus and the first 64 KiB of each GGUF in ../shared
# (copied to a temporary folder, never into the repository). Crashes are saved under build-fuzz/artifacts/;
# add each to tests/gguf/corpus with its expected error once fixed. Exit status: 0 when nothing was found.
set -euo pipefail

seconds="${1:-600}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
shared="${GLASSWING_SHARED_DIR:-$root/../shared}"

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGLASSWING_FUZZ=ON -DGLASSWING_BUILD_TESTS=OFF -DGLASSWING_BUILD_UI=OFF -DGLASSWING_BUILD_VULKAN=OFF >/dev/null
cmake --build "$build" --target gguf_fuzz

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/found" "$work/seeds" "$build/artifacts"
cp "$root"/tests/gguf/corpus/*.gguf "$work/seeds/" 2>/dev/null || true
if [[ -d "$shared" ]]; then
  while IFS= read -r -d '' model; do
    head -c 65536 "$model" >"$work/seeds/$(basename "$model").head"
  done < <(find "$shared" -name '*.gguf' -print0)
else
  echo "note: $shared not found; seeding from tests/gguf/corpus only"
fi
echo "fuzzing gguf_fuzz for ${seconds}s with $(ls "$work/seeds" | wc -l) seeds"

status=0
# New inputs go to found/ (the first folder); the seed folder is only read.
"$build/tests/fuzz/gguf_fuzz" "$work/found" "$work/seeds" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$build/artifacts/" -print_final_stats=1 2>"$work/log" || status=$?
grep -E '^(Done|stat::|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$work/log" || true
if [[ $status -ne 0 ]]; then
  tail -n 60 "$work/log"
  echo "FAIL: the fuzzer found a problem (exit $status); reproducer(s) in $build/artifacts/"
  exit "$status"
fi
echo "OK: no crash, leak, timeout or out-of-memory in ${seconds}s ($(ls "$work/found" | wc -l) new inputs)"
