#!/usr/bin/env bash
# End-to-end: the real app under Xvfb with stories260K. The app's --self-test chat mode types a prompt through
# the same invokables QML uses, waits for the streamed answer, checks it is in the database, regenerates,
# switches back to branch 1/2, watches a 5 ms GUI heartbeat while tokens stream (fails when 1 % of its gaps
# exceed 50 ms or one exceeds 250 ms) and saves a screenshot. This script then checks the database with the
# sqlite3 shell, independently of the app.
# Usage: e2e_chat.sh GLASSWING_BINARY SHARED_DIR OUT_DIR
set -euo pipefail
app=$1 shared=$2 out=$3
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
# stories260K writes a whole story in milliseconds; pace it so streaming lasts long enough to watch the GUI.
export GLASSWING_TEST_TOKEN_DELAY_MS=${GLASSWING_TEST_TOKEN_DELAY_MS:-4}
run_self_test chat

q() { sqlite3 -batch -noheader "$db" "$1"; }
replies=$(q "SELECT count(*) FROM messages WHERE role = 'assistant' AND status = 'complete' AND length(content) > 0")
prompt=$(q "SELECT content FROM messages WHERE role = 'user'")
siblings=$(q "SELECT count(DISTINCT parent_id) FROM messages WHERE role = 'assistant'")
echo "database: $replies complete replies below $siblings prompt(s); prompt: $prompt"
[[ "$replies" == 2 ]] || { echo "FAIL: expected 2 complete replies (first and regenerated) in the database"; exit 1; }
[[ "$siblings" == 1 ]] || { echo "FAIL: the regenerated reply is not a sibling of the first"; exit 1; }
[[ "$prompt" == "Once upon a time" ]] || { echo "FAIL: the prompt was not stored"; exit 1; }
check_screenshot chat
echo "PASS"
