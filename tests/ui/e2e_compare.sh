#!/usr/bin/env bash
# End-to-end: the real app under Xvfb with stories260K opens the compare view (--self-test compare): a prompt
# compared with itself (same seed and settings) must give identical replies, then with another temperature
# for B the replies must part and the view say where; the window is saved as a screenshot.
# Usage: e2e_compare.sh GLASSWING_BINARY SHARED_DIR OUT_DIR
set -euo pipefail
app=$1 shared=$2 out=$3
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
run_self_test compare
grep -q '^self-test: Identical: both replies are the same [1-9][0-9]* tokens\.' "$out/app.log" ||
  { echo "FAIL: the view did not report the identical replies"; exit 1; }
grep -q '^self-test: \(The same for\|Different from the first token\)' "$out/app.log" ||
  { echo "FAIL: the view did not report where the replies part"; exit 1; }
# QML errors (a bad binding, a layout loop) reach the log as warnings; the view must have none.
if grep -E 'CompareView\.qml:[0-9]+' "$out/app.log"; then echo "FAIL: QML warnings in the compare view"; exit 1; fi
# Nothing of a comparison is stored: it is not a conversation.
count=$(sqlite3 -batch -noheader "$db" "SELECT count(*) FROM messages")
[[ "$count" == 0 ]] || { echo "FAIL: the comparison wrote $count messages to the database"; exit 1; }
check_screenshot compare
echo "PASS"
