#!/usr/bin/env bash
# Set up (first run only) and serve the bot trained on the bundled demo knowledge base:
# open http://127.0.0.1:8000/ for a sample shop page with the chat widget (API docs at /docs),
# http://127.0.0.1:8000/agent for the agent workspace (demo account agent / agent-demo) and
# http://127.0.0.1:8000/dashboard for the outcome dashboard (supervisor / supervisor-demo).
# Extra options go to `faqbot serve` (e.g. --port 9000, --model models/mine).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/faqbot serve --demo-agents "$@"
