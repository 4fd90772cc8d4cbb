#!/usr/bin/env bash
# The widget tests drive Debian's chromium with Playwright (Playwright's own browser download
# cannot work offline). Install it once when we may; otherwise say how.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…" >&2
  log=$(mktemp)
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  rm -f "$log"
else
  echo "note: install Debian's 'chromium' package to run the browser tests (sudo apt-get install chromium)" >&2
fi
