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
# The tests write their temporary files under a scratch TMPDIR of this run, so concurrent runs cannot meet
# and nothing outlives the run: a test that leaves files behind fails the run by name (temporary models
# left by every ctest process once filled a machine's disk). GLASSWING_KEEP_TEST_FILES=1 keeps them.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/glasswing-tests.XXXXXX")
# (Qt keeps its runtime files in $TMPDIR/runtime-$USER when XDG_RUNTIME_DIR is unset: give it its own)
runtime=
[[ -n ${XDG_RUNTIME_DIR:-} ]] || { runtime=$(mktemp -d "${TMPDIR:-/tmp}/glasswing-runtime.XXXXXX") && export XDG_RUNTIME_DIR=$runtime; }
[[ ${GLASSWING_KEEP_TEST_FILES:-0} != 0 ]] || trap 'rm -rf "$scratch" ${runtime:+"$runtime"}' EXIT
status=0
TMPDIR=$scratch ctest --output-on-failure --timeout 1500 -j "$(nproc)" "$@" || status=$?
left=$(find "$scratch" -mindepth 1 -maxdepth 1 -printf '  %f\n')
if [[ -n $left ]]; then
  echo "test.sh: the tests left files in their TMPDIR (a test does not remove what it writes):" >&2
  echo "$left" >&2
  [[ $status -ne 0 || ${GLASSWING_KEEP_TEST_FILES:-0} != 0 ]] || status=1
fi
exit $status
