# Shared set-up of the end-to-end scripts (e2e_chat.sh, e2e_crash.sh); sourced, not run. Expects `app`,
# `shared` and `out` to be set and the caller's own arguments still in "$@": outside Xvfb it re-runs the
# calling script ($0) under xvfb-run. Sets `model`, `db`, a fresh $out with its own HOME, and the Qt environment,
# and defines run_self_test and check_screenshot.
model="$shared/models/stories260K.gguf"
if [[ ! -f "$model" ]]; then echo "SKIP: test data not found: $model"; exit 77; fi
if [[ -z "${GW_UNDER_XVFB:-}" ]]; then
  command -v xvfb-run >/dev/null || { echo "SKIP: xvfb-run is not installed"; exit 77; }
  exec env GW_UNDER_XVFB=1 xvfb-run -a -s "-screen 0 1400x900x24" "$0" "$@"
fi
rm -rf "$out" && mkdir -p "$out/home"
export HOME="$out/home" XDG_RUNTIME_DIR="$out/home" QT_QPA_PLATFORM=xcb
chmod 700 "$out/home"
# Xvfb has no GPU. Qt's software renderer repaints only what changed; with OpenGL the window would be drawn
# by llvmpipe, whole frames at a time, on a render thread the GUI thread waits for at every sync, and the
# heartbeat would measure that instead of our own work.
export QT_QUICK_BACKEND=${QT_QUICK_BACKEND:-software}
db="$out/chat.sqlite"

# Runs the app's --self-test MODE on $model and $db, its output shown and kept in $out/app.log; exits the test
# failed when the self-test fails.
run_self_test() {
  local mode=$1 status
  set +e
  "$app" --model "$model" --db "$db" --self-test "$mode" --self-test-out "$out" 2>&1 | tee "$out/app.log"
  status=${PIPESTATUS[0]}
  set -e
  [[ $status -eq 0 ]] || { echo "FAIL: the app's self-test exited with $status"; exit 1; }
}

# The screenshot the self-test MODE saved must exist; prints its path (CI keeps it).
check_screenshot() {
  local shot="$out/screenshot-$1.png"
  [[ -s "$shot" ]] || { echo "FAIL: no screenshot"; exit 1; }
  echo "screenshot: $shot"
}
