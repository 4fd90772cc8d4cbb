#!/usr/bin/env bash
# The browser tests drive Debian's chromium with Playwright (Playwright's own browser download
# cannot work offline), with a Chinese font so screenshots in test-artefacts/ are readable.
# Install them once when we may; otherwise say how.
set -euo pipefail
PACKAGES="chromium fonts-wqy-microhei"
missing=$(for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's $missing for the browser tests…" >&2
  log=$(mktemp)
  # shellcheck disable=SC2086
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing; } >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  rm -f "$log"
else
  echo "note: install Debian's $missing to run the browser tests (sudo apt-get install $missing)" >&2
fi
