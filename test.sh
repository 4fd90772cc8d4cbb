#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite, in a random order (pytest-randomly; the seed is
# printed at the top: `bash test.sh --randomly-seed=N` repeats an order, `-p no:randomly` runs in file order).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
bash scripts/browser.sh  # fails, with the reason, when chromium cannot be installed: browser tests never skip
# Python 3.10 + Rasa 3.6 for the Rasa integration's tests; they fail with the reason if it cannot be made.
bash scripts/rasa_env.sh || echo "test.sh: .venv-rasa could not be made (above); the Rasa tests will fail" >&2
# The order's seed is said before the run (pytest -q would not print it): a failing order can be repeated.
case " $* " in
  *" --randomly-seed"*|*" no:randomly "*) ;;
  *) set -- --randomly-seed="$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')" "$@" ;;
esac
echo "test.sh: pytest -q $*" >&2
exec .venv/bin/python -m pytest -q "$@"
