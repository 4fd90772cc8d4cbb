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
  .venv/bin/python -m pip install --quiet --upgrade pip
  # torch is pinned to the CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  touch "$stamp"
fi
