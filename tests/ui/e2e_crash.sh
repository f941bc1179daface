#!/usr/bin/env bash
# End-to-end crash recovery: start the real app, send a prompt, SIGKILL it while the answer streams, start it
# again, and check that the partial answer is still there, shown as interrupted (the app's --self-test
# crash-check mode), and marked so in the database.
# Usage: e2e_crash.sh GLASSWING_BINARY SHARED_DIR OUT_DIR
set -euo pipefail
app=$1 shared=$2 out=$3
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"

# 1. Stream slowly (40 ms a token) so the kill lands mid-answer, after several 250 ms commits.
GLASSWING_TEST_TOKEN_DELAY_MS=40 "$app" --model "$model" --db "$db" --self-test crash-begin \
  --self-test-out "$out" >"$out/first.log" 2>&1 &
pid=$!
for _ in $(seq 1 1500); do  # a loaded CI machine once needed more than 60 s
  grep -q '^STREAMING' "$out/first.log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$out/first.log"; echo "FAIL: the app ended before streaming"; exit 1; }
  sleep 0.1
done
grep -q '^STREAMING' "$out/first.log" || { cat "$out/first.log"; echo "FAIL: no streaming within 150 s"; kill -9 "$pid"; exit 1; }
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
cat "$out/first.log"
echo "killed the app (pid $pid) with SIGKILL while it was streaming"
state=$(sqlite3 -batch -noheader "$db" "SELECT status || ' ' || length(content) FROM messages WHERE role = 'assistant'")
echo "database after the kill: $state"
[[ "$state" == streaming* ]] || { echo "FAIL: the cut-off reply should still be 'streaming' on disk"; exit 1; }

# 2. Start again: the reply must show as interrupted, with the text committed before the kill.
set +e
"$app" --model "$model" --db "$db" --self-test crash-check --self-test-out "$out" 2>&1 | tee "$out/second.log"
status=${PIPESTATUS[0]}
set -e
[[ $status -eq 0 ]] || { echo "FAIL: the app's crash-check exited with $status"; exit 1; }
state=$(sqlite3 -batch -noheader "$db" "SELECT status FROM messages WHERE role = 'assistant'")
[[ "$state" == interrupted ]] || { echo "FAIL: the reply is '$state' in the database, not 'interrupted'"; exit 1; }
echo "screenshot: $out/screenshot-crash-check.png"
echo "PASS"
