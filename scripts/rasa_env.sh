#!/usr/bin/env bash
# Create .venv-rasa — Python 3.10 with Rasa Open Source 3.6 and faqbot[rasa] — for the Rasa
# integration's tests and benchmark (idempotent; the first run takes a few minutes, later ones none).
# Rasa 3.6 runs on Python 3.10 only; set RASA_PYTHON to a python3.10 if it is not found here.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-rasa
stamp=$venv/.faqbot-rasa-installed

find_python() {
  local candidate
  for candidate in "${RASA_PYTHON:-}" python3.10 "$(pyenv root 2>/dev/null)"/versions/3.10*/bin/python \
                   /root/.pyenv/versions/3.10*/bin/python /usr/bin/python3.10 /usr/local/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x "$venv/bin/python" ]; then
  if ! py=$(find_python); then
    echo "rasa_env: no Python 3.10 found (Rasa 3.6 needs exactly 3.10): install one (e.g. pyenv install 3.10)" \
         "or set RASA_PYTHON to its path" >&2
    exit 1
  fi
  "$py" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing Rasa 3.6 and faqbot[rasa] into $venv (first run takes a few minutes)…" >&2
  log=$(mktemp)
  # Only faqbot's core + rasa: the English encoder (torch) is not needed, and PyPI's torch for
  # Python 3.10 would be a multi-GB CUDA build.
  if ! "$venv/bin/python" -m pip install --quiet -e ".[rasa]" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "rasa_env: installing into $venv failed (last lines of pip's log above)" >&2
    exit 1
  fi
  rm -f "$log"
  # Rasa sends usage telemetry (Segment) and crash reports (Sentry) with write keys shipped in its
  # package; these machines have no network for that, and tests and benchmarks must not try.
  # An empty key file turns both off (RASA_TELEMETRY_ENABLED=false alone leaves crash reports on).
  echo '{}' >"$("$venv/bin/python" -c 'import os, rasa; print(os.path.join(os.path.dirname(rasa.__file__), "keys"))')"
  touch "$stamp"
fi
