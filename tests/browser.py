"""Real headless Chromium (Debian's package, driven by Playwright) and a live server for it."""
import contextlib
import shutil
import threading
from pathlib import Path

import pytest
import uvicorn

from tests.conftest import free_port, wait_until

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTEFACTS = Path(__file__).resolve().parent.parent / "test-artefacts"  # screenshots for people to look at
ARTEFACTS.mkdir(exist_ok=True)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def serving(app, port: int = 0):
    """Run ``app`` with uvicorn on ``port`` (default: a free loopback port); yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 10, f"uvicorn serving the test app on port {port}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


@contextlib.contextmanager
def chromium():
    """Never skipped: without Debian's chromium the browser tests fail and say how to get it."""
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is not installed, so the browser tests cannot run: "
                    "`sudo bash scripts/browser.sh` (or `apt-get install chromium fonts-wqy-microhei`)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
