#!/usr/bin/env bash
# Runs the official Rust client's own test suite (crate `dolphindb` 3.3.1) against a fresh
# porpoise node and prints how many of its 647 server-dependent tests pass.
#
# Usage: compat/client-suite.sh [port]      (default port 18848; needs crates.io for the
# suite's dev-dependencies on first run). On demand, not in CI: it takes a while.
# Env: COMPAT_TARGET_DIR (build dir of the suite, default target/compat),
#      COMPAT_TIMEOUT (seconds per test file, default 900), KEEP=1 keeps the temp dir.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${1:-18848}
TIMEOUT=${COMPAT_TIMEOUT:-900}
TARGET=${COMPAT_TARGET_DIR:-$ROOT/target/compat}
cd "$ROOT"

# The suite's source comes with cargo's download of the dev-dependency.
cargo fetch --quiet
SRC=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/dolphindb-3.3.1 2>/dev/null | head -1)
if [ -z "$SRC" ]; then
    echo "dolphindb-3.3.1 source not found in the cargo registry" >&2
    exit 1
fi

WORK=$(mktemp -d)
cleanup() {
    if [ -n "${PID:-}" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

cp -r "$SRC" "$WORK/suite"
chmod -R u+w "$WORK/suite"
sed -i -e 's/"192\.168\.0\.54"/"127.0.0.1"/' -e "s/port: 8848,/port: $PORT,/" \
    "$WORK/suite/tests/setup/settings.rs"
sed -i 's/"192\.168\.0\.54:12345"/"127.0.0.1:1"/' "$WORK/suite/tests/test_client.rs"

cargo build --quiet -p porpoise
mkdir -p "$WORK/home"
"$ROOT/target/debug/porpoise" -mode single -home "$WORK/home" -console 0 \
    -localSite "127.0.0.1:$PORT:local$PORT" -logFile "$WORK/porpoise.log" &
PID=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done

cd "$WORK/suite"
export CARGO_TARGET_DIR="$TARGET"
cargo test --no-run --quiet --tests 2>&1 | tail -3

# file, then libtest arguments that select its server-dependent tests
RUNS=(
    "test_client|"
    "test_run_script|"
    "test_run_function|"
    "test_types_func|test_types_func_form::test_types_func_form_table_name --exact"
    "test_upload|"
    "test_table_writer|"
    "test_stream_subscribe|"
)
LOG="$WORK/results.txt"
: > "$LOG"
for run in "${RUNS[@]}"; do
    file=${run%%|*}
    args=${run#*|}
    echo "== $file" >&2
    # shellcheck disable=SC2086
    timeout "$TIMEOUT" cargo test --test "$file" -- $args 2>/dev/null \
        | grep -E '^test .* \.\.\. ' >> "$LOG" || true
done

TOTAL=647
PASSED=$(grep -c ' \.\.\. ok$' "$LOG" || true)
FAILED=$(grep -c ' \.\.\. FAILED$' "$LOG" || true)
grep ' \.\.\. FAILED$' "$LOG" | sed 's/^test //; s/ \.\.\. FAILED$//' | sort > "$WORK/failed.txt" || true
echo "failed tests: $(wc -l < "$WORK/failed.txt") (list: $WORK/failed.txt with KEEP=1)"
echo "reported: $((PASSED + FAILED)), passed: $PASSED, failed: $FAILED"
echo "server tests passed: $PASSED/$TOTAL"
