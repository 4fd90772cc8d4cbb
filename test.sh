#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
bash scripts/browser.sh
exec .venv/bin/python -m pytest -q "$@"
