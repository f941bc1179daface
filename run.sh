#!/usr/bin/env bash
# One command from a fresh clone to a running app: installs dependencies, builds, launches Glasswing.
# With no model given it opens ../shared/models/stories260K.gguf when that file exists.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
BUILD_DIR=${GLASSWING_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-RelWithDebInfo} >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)"
args=("$@")
default_model="../shared/models/stories260K.gguf"
has_model=0
for a in "$@"; do [[ "$a" == "--model" || "$a" == --model=* ]] && has_model=1; done
if [[ -x "$BUILD_DIR/ui/glasswing" ]]; then
  if [[ $has_model -eq 0 && -f "$default_model" ]]; then args+=(--model "$default_model"); fi
  exec "$BUILD_DIR/ui/glasswing" "${args[@]}"
fi
# Until the desktop app exists, the CLI is the app.
if [[ $# -eq 0 && -f "$default_model" ]]; then args=(info "$default_model"); fi
exec "$BUILD_DIR/cli/glasswing-cli" "${args[@]}"
