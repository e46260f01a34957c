#!/usr/bin/env bash
# porpoise vs duckdb, chdb and polars: one command installs the peers (a venv under
# bench/.venv), builds porpoise (release), generates the data, runs every engine, cross-checks
# the answers and writes bench/results/<scale>.{md,csv,png}.
#
#   bench/run.sh --scale small|medium|large [--hot-runs N] [--cold-runs N] [--no-drop-caches]
#                [--engines porpoise,duckdb,chdb,polars]
#
# Needs python3 (with venv and pip) and cargo. Exit status 1 when an engine fails a query or
# returns a different answer.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=bench/.venv
PY="$VENV/bin/python"
PIP_USER=()
if [ ! -x "$PY" ]; then
    echo "== creating $VENV"
    if ! python3 -m venv "$VENV"; then
        # No venv module (e.g. Debian without python3-venv): install for the user instead.
        rm -rf "$VENV"
        PY=python3
        PIP_USER=(--user)
    fi
fi
if ! "$PY" -c "import duckdb, chdb, polars, dolphindb, matplotlib, pandas, pyarrow, numpy" 2>/dev/null; then
    echo "== installing python packages"
    "$PY" -m pip install --quiet --disable-pip-version-check "${PIP_USER[@]}" -r bench/requirements.txt
fi

if [ -z "${PORPOISE_BIN:-}" ]; then
    echo "== cargo build --release -p porpoise"
    cargo build --release -p porpoise
fi

exec "$PY" bench/harness.py "$@"
