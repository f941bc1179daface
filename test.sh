#!/usr/bin/env bash
# One command from a fresh clone to a tested build: installs dependencies, builds, runs every test via ctest.
# Options pass through to ctest (e.g. ./test.sh -R gguf).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
BUILD_DIR=${GLASSWING_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-RelWithDebInfo}
cmake --build "$BUILD_DIR" --parallel "$(nproc)"
# Qt tests run without a display; the Vulkan tests use whatever device exists (lavapipe in CI).
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 1500 -j "$(nproc)" "$@"
