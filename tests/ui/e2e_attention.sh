#!/usr/bin/env bash
# End-to-end: the real app under Xvfb with stories260K opens the attention view on a reply (--self-test
# attention): the worker evaluates the conversation, the view shows every head's overview and one head's
# map, another head is picked, and the window is saved as a screenshot.
# Usage: e2e_attention.sh GLASSWING_BINARY SHARED_DIR OUT_DIR
set -euo pipefail
app=$1 shared=$2 out=$3
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
run_self_test attention
grep -q '^self-test: attention of [1-9][0-9]* reply tokens after [1-9][0-9]*, 5 layers x 8 heads' "$out/app.log" ||
  { echo "FAIL: the attention view did not report stories260K's 5 layers x 8 heads"; exit 1; }
# QML errors (a bad binding in the view) reach the log as warnings; the view must have none.
if grep -E 'AttentionView\.qml:[0-9]+' "$out/app.log"; then echo "FAIL: QML warnings in the attention view"; exit 1; fi
check_screenshot attention
echo "PASS"
