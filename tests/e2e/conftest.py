"""A real web server and a real headless Chromium for the browser tests.

The server is `dealercrm serve` in a subprocess on the per-run test database (plain http, so
cookies are not marked Secure). Chromium is Debian's (/usr/bin/chromium), driven by Playwright;
`sh infra/dev.sh test` installs it. Screenshots land in tests/e2e/screenshots/ for a human to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# An assertion waits up to 15 s for the page to get there (Playwright's default is 5 s): on the
# shared 2-core CI machine the other xdist worker's tests can hold an HTMX answer back that long.
expect.set_options(timeout=15_000)
SCREENSHOTS = Path(__file__).parent / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Base URL template of a live server: ``http://{host}:PORT``."""
    port = _free_port()
    env = {**os.environ, "SECURE_COOKIES": "0", "BASE_DOMAIN": "localhost"}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, check=True, capture_output=True)
    # The server's log goes to a file, not a pipe: nobody reads a pipe while the tests run, and a
    # full one (64 KB of request logs) blocks the server in the middle of a request.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    # Generous: under pytest-xdist the other worker keeps both cores busy while this one starts.
    deadline = time.monotonic() + 90
    started = False
    while not started and time.monotonic() < deadline and process.poll() is None:
        try:
            started = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            pass
        if not started:
            time.sleep(0.2)
    if not started:
        process.kill()
        log.seek(0)
        raise RuntimeError("the web server did not start: " + log.read().decode(errors="replace")[-2000:])
    yield f"http://{{host}}:{port}"
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("DCRM_SKIP_E2E") == "1":
            pytest.skip("DCRM_SKIP_E2E=1 and no Chromium")
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `sh infra/dev.sh test` installs it (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()
