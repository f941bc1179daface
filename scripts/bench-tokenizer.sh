#!/usr/bin/env bash
# Encode throughput of the tokenizers on a ~5 MB text made by repeating the shared reference texts.
# Usage: scripts/bench-tokenizer.sh [BUILD_DIR] [SIZE_MB]   (defaults: build, 5)
# Builds the tokenizer_bench target if needed. Results go to stdout; copy them into
# docs/benchmarks.md (section "Tokenizer") together with the machine they ran on.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
size_mb="${2:-5}"
shared="${GLASSWING_SHARED_DIR:-$root/../shared}"
tok="$shared/tokenizers"

if [ ! -d "$tok" ]; then
  echo "bench-tokenizer: $tok not found (the ../shared folder is absent)" >&2
  exit 1
fi
if [ ! -f "$build/build.ninja" ] && [ ! -f "$build/Makefile" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" --target tokenizer_bench

# The .inp files hold texts separated by "__ggml_vocab_test__" lines; drop the separators and repeat.
text="$(mktemp /tmp/glasswing-bench-tokenizer.XXXXXX.txt)"
trap 'rm -f "$text"' EXIT
unit="$(mktemp /tmp/glasswing-bench-unit.XXXXXX.txt)"
grep -v '^__ggml_vocab_test__$' "$tok/ggml-vocab-llama-spm.gguf.inp" > "$unit"
target=$((size_mb * 1000 * 1000))
while [ "$(stat -c %s "$text")" -lt "$target" ]; do cat "$unit" >> "$text"; done
rm -f "$unit"
echo "text: $(stat -c %s "$text") bytes ($(wc -l < "$text") lines), build type: $(grep -m1 CMAKE_BUILD_TYPE: "$build/CMakeCache.txt" | cut -d= -f2)"

bench="$(find "$build" -name tokenizer_bench -type f -perm -u+x | head -n1)"
for vocab in ${GLASSWING_BENCH_VOCABS:-llama-spm gpt-2}; do
  "$bench" "$tok/ggml-vocab-$vocab.gguf" "$text" 4
done
