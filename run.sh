#!/usr/bin/env bash
# Set up (first run only) and chat with the bot trained on the bundled demo knowledge base.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/faqbot chat "$@"
