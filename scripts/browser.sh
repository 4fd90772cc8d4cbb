#!/usr/bin/env bash
# The browser tests drive Debian's chromium with Playwright (Playwright's own browser download
# cannot work offline), with a Chinese font so screenshots in test-artefacts/ are readable.
# Install them once; when that cannot be done, fail with the reason (the browser tests are never skipped).
set -euo pipefail
PACKAGES="chromium fonts-wqy-microhei"
missing=$(for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -z "$missing" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser.sh: $missing missing and there is no apt-get here: install Debian's chromium and a Chinese font" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "browser.sh: $missing missing and this user cannot install packages: run \`sudo apt-get install $missing\`" >&2
    exit 1
  fi
fi
echo "Installing Debian's $missing for the browser tests…" >&2
log=$(mktemp)
# shellcheck disable=SC2086
if ! { $sudo apt-get update -q && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "browser.sh: installing $missing failed (above)" >&2
  exit 1
fi
rm -f "$log"
for p in $PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || { echo "browser.sh: $p is still not installed" >&2; exit 1; }
done
