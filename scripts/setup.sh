#!/usr/bin/env bash
# Create .venv and install faqbot with everything it needs (idempotent; fast when already done).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.faqbot-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing faqbot and its dependencies into .venv (first run takes a few minutes)…" >&2
  log=$(mktemp)
  # torch is pinned in pyproject.toml to the CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
  if ! { .venv/bin/python -m pip install --quiet --upgrade pip &&
         .venv/bin/python -m pip install --quiet -e ".[all,dev]"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup failed (full log above)" >&2
    exit 1
  fi
  rm -f "$log"
  touch "$stamp"
fi
