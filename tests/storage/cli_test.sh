#!/usr/bin/env bash
# ctest driver for the storage commands of glasswing-cli: import, history, export, and their errors.
#   cli_test.sh GLASSWING_CLI FIXTURES_DIR CASE [SHARED_DIR]
set -uo pipefail
cli=$1
fixtures=$2
case_name=$3
shared=${4:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/glasswing-cli-storage.XXXXXX")
trap 'rm -rf "$work"' EXIT
db=$work/chats.sqlite

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_exit CODE CMD... : runs CMD, keeps stdout in $work/out and stderr in $work/err
expect_exit() {
  local want=$1; shift
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  [[ $got -eq $want ]] || { cat "$work/out" "$work/err" >&2; fail "exit $got, expected $want: $*"; }
}
expect_in() { grep -qF -- "$1" "$2" || { cat "$2" >&2; fail "'$1' not in $2"; }; }

case $case_name in
  roundtrip)
    expect_exit 0 "$cli" import --db "$db" "$fixtures/conversation.json"
    [[ $(cat "$work/out") == 1 ]] || fail "import printed '$(cat "$work/out")', expected id 1"
    expect_exit 0 "$cli" export --db "$db" --conversation 1 --format json --all-branches
    cmp "$work/out" "$fixtures/conversation.json" || fail "export differs from the imported file"
    # A second import is a second conversation with the same content.
    expect_exit 0 "$cli" import --db "$db" "$fixtures/conversation.json"
    [[ $(cat "$work/out") == 2 ]] || fail "second import printed '$(cat "$work/out")'"
    ;;
  history)
    expect_exit 0 "$cli" import --db "$db" "$fixtures/conversation.json"
    expect_exit 0 "$cli" history --db "$db"
    expect_in "Sea otters" "$work/out"
    expect_in "1 conversation" "$work/out"
    expect_exit 0 "$cli" history --db "$db" --search kelp
    expect_in "[kelp]" "$work/out"
    expect_in "1 match" "$work/out"
    expect_exit 0 "$cli" history --db "$db" --search "no such words"
    expect_in "0 matches" "$work/out"
    ;;
  export-md)
    expect_exit 0 "$cli" import --db "$db" "$fixtures/conversation.json"
    expect_exit 0 "$cli" export --db "$db" --conversation 1 --format md
    expect_in "# Sea otters" "$work/out"
    expect_in "Floating on their backs" "$work/out"
    grep -qF "Wrapped in kelp" "$work/out" && fail "inactive branch in an active-branch export"
    expect_exit 0 "$cli" export --db "$db" --conversation 1 --format md --all-branches
    expect_in "Wrapped in kelp" "$work/out"
    expect_in "(inactive)" "$work/out"
    ;;
  errors)
    expect_exit 1 "$cli" history --db "$work/missing.sqlite"
    expect_in "no database at" "$work/err"
    [[ -e $work/missing.sqlite ]] && fail "history created a database"
    expect_exit 0 "$cli" import --db "$db" "$fixtures/conversation.json"
    expect_exit 1 "$cli" export --db "$db" --conversation 99 --format json
    expect_in "no conversation with id 99" "$work/err"
    expect_exit 2 "$cli" export --db "$db" --conversation 1 --format html
    expect_in "--format must be md or json" "$work/err"
    expect_exit 2 "$cli" export --db "$db" --conversation abc --format md
    expect_exit 2 "$cli" history --db "$db" --bogus
    echo '{"format": "glasswing.conversation", "format_version": 1}' >"$work/bad.json"
    expect_exit 1 "$cli" import --db "$db" "$work/bad.json"
    expect_in "missing field 'conversation'" "$work/err"
    echo '{not json' >"$work/broken.json"
    expect_exit 1 "$cli" import --db "$db" "$work/broken.json"
    expect_in "is not valid JSON" "$work/err"
    # A newer database is refused and untouched.
    cp "$fixtures/v2.sqlite" "$work/newer.sqlite"
    sqlite3 "$work/newer.sqlite" "PRAGMA user_version = 999" || fail "sqlite3 shell"
    cp "$work/newer.sqlite" "$work/newer.orig"
    expect_exit 1 "$cli" history --db "$work/newer.sqlite"
    expect_in "newer Glasswing" "$work/err"
    cmp "$work/newer.sqlite" "$work/newer.orig" || fail "the newer database was modified"
    # A corrupt database is moved aside and reported; history then shows an empty, fresh database.
    head -c 8192 /dev/urandom >"$work/corrupt.sqlite"
    cp "$work/corrupt.sqlite" "$work/corrupt.orig"
    expect_exit 0 "$cli" history --db "$work/corrupt.sqlite"
    expect_in "was corrupt" "$work/err"
    expect_in "0 conversations" "$work/out"
    cmp "$work"/corrupt.sqlite.corrupt-* "$work/corrupt.orig" || fail "the corrupt file's bytes were not kept"
    ;;
  chat)
    model=$shared/models/stories260K.gguf
    if [[ ! -f $model ]]; then echo "SKIP: test data not found: $model (the ../shared folder is absent)"; exit 77; fi
    # Greedy: the reference continuation of "Once upon a time" (../shared/README.md) is streamed and stored.
    expect_exit 0 "$cli" chat --db "$db" -m "$model" -p "Once upon a time" -n 32 --temp 0 --seed 7
    expect_in ", there was a little girl named Lily." "$work/out"
    [[ $(tail -n 1 "$work/out") == "conversation 1" ]] || fail "last line is not the conversation id"
    expect_exit 0 "$cli" export --db "$db" --conversation 1 --format json
    cp "$work/out" "$work/turn1.json"
    expect_in '"content": ", there was a little girl named Lily.' "$work/turn1.json"
    expect_in '"status": "complete"' "$work/turn1.json"
    expect_in '"token_count": 32' "$work/turn1.json"
    expect_in '"backend": "cpu"' "$work/turn1.json"
    expect_in '"seed": 7' "$work/turn1.json"
    expect_in '"temperature": 0.0' "$work/turn1.json"
    expect_in '"architecture": "llama"' "$work/turn1.json"
    # A second turn continues the same conversation with its stored settings (greedy, seed 7).
    expect_exit 0 "$cli" chat --db "$db" -m "$model" -p " She" -n 8 --conversation 1
    [[ $(tail -n 1 "$work/out") == "conversation 1" ]] || fail "second turn went elsewhere"
    expect_exit 0 "$cli" history --db "$db"
    expect_in "       4  Once upon a time" "$work/out"
    expect_exit 1 "$cli" chat --db "$db" -m "$model" -p "x" --conversation 99
    expect_in "no conversation with id 99" "$work/err"
    expect_exit 2 "$cli" chat --db "$db" -m "$model"
    expect_in "missing required option --prompt" "$work/err"
    ;;
  *) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
