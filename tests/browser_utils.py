"""Helpers for the browser tests: start the Streamlit app, drive it, check and capture pages.

The fixtures that use them live in ``tests/conftest.py``. A browser test reads::

    @pytest.mark.browser
    def test_home(page, app_server):
        open_page(page, app_server, "/")
        assert_no_exception(page)
        screenshot(page, "home")
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # playwright is only needed once a browser test runs
    from playwright.sync_api import Page

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

IDLE_SELECTOR = "[data-testid='stApp'][data-test-script-state='notRunning']"
RENDERED_SELECTOR = "[data-testid='stAppViewContainer']"
EXCEPTION_SELECTOR = "[data-testid='stException']"
SETTLE_MS = 300
MAX_SHOT_HEIGHT = 20_000  # px; keeps a runaway page from making a giant PNG
CONTENT_HEIGHT_JS = """() => Math.max(document.documentElement.scrollHeight,
    ...[...document.querySelectorAll("[data-testid='stMain'], [data-testid='stSidebarContent']")]
        .map((element) => element.scrollHeight))"""


def artifact_path(name: str, suffix: str = ".png") -> Path:
    """Return ``tests/artifacts/<name><suffix>`` (name made file-safe), creating the folder."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.-]+", "_", name).strip("_") or "artifact"
    return ARTIFACTS_DIR / f"{safe}{suffix}"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """``streamlit run app.py`` on a free loopback port, output captured to a log file.

    Parameters
    ----------
    script : str
        App script, relative to the repository root.
    log_path : Path
        File that receives the server's stdout and stderr.
    """

    def __init__(self, script: str = "app.py", log_path: Path | None = None) -> None:
        self.script = script
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or artifact_path("streamlit-server", ".log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> str:
        """Start the server and wait until ``/_stcore/health`` answers ``ok``; return the URL.

        Raises
        ------
        RuntimeError
            If the server exits or is not healthy within ``timeout`` seconds; the message
            holds the server's captured output.
        """
        command = [
            sys.executable, "-m", "streamlit", "run", self.script,
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={self.port}",
            "--server.fileWatcherType=none",
            "--server.runOnSave=false",
            "--browser.gatherUsageStats=false",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            # Own process group, so stop() ends the server and anything it spawned.
            # One BLAS thread, as `make run` and the Dockerfile serve the app.
            env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1"}
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, env=env,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {self.process.returncode} before it was "
                    f"healthy. Server output ({self.log_path}):\n{self.read_log()}"
                )
            if self._healthy():
                return self.url
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(
            f"streamlit was not healthy at {self.url}/_stcore/health within {timeout:.0f} s. "
            f"Server output ({self.log_path}):\n{self.read_log()}"
        )

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                return response.read().decode().strip() == "ok"
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def read_log(self, tail_lines: int | None = None) -> str:
        """Return the server's captured output (only the last ``tail_lines`` lines if given)."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace")
        if tail_lines is not None:
            text = "\n".join(text.splitlines()[-tail_lines:])
        return text

    def stop(self, grace: float = 10.0) -> None:
        """Terminate the server's process group: SIGTERM, then SIGKILL after ``grace`` s."""
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session: the group id is the server's pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=grace)
        except ProcessLookupError:
            pass


def wait_idle(page: Page, timeout: float = 60_000) -> None:
    """Wait until the app has rendered and its script is not running (``timeout`` in ms).

    The ``notRunning`` state is checked twice, ``SETTLE_MS`` apart, so that a rerun
    triggered by the last interaction but not yet started is waited for too.
    """
    page.wait_for_selector(RENDERED_SELECTOR, timeout=timeout)
    page.wait_for_selector(IDLE_SELECTOR, timeout=timeout)
    page.wait_for_timeout(SETTLE_MS)
    page.wait_for_selector(IDLE_SELECTOR, timeout=timeout)


def open_page(page: Page, base_url: str, url_path: str = "/", timeout: float = 60_000) -> None:
    """Go to ``base_url`` + ``url_path`` (a Streamlit page's url_path) and wait until idle."""
    url = base_url.rstrip("/") + "/" + url_path.lstrip("/")
    page.goto(url, timeout=timeout)
    wait_idle(page, timeout=timeout)


def assert_no_exception(page: Page) -> None:
    """Fail if the page shows a Streamlit exception box or a Python traceback."""
    exceptions = page.locator(EXCEPTION_SELECTOR)
    if exceptions.count():
        raise AssertionError(
            f"the app shows {exceptions.count()} exception(s):\n{exceptions.first.inner_text()}"
        )
    body = page.locator("body").inner_text()
    assert "Traceback" not in body, f"the page shows a traceback:\n{body[-3000:]}"


def screenshot(page: Page, name: str) -> Path:
    """Save a PNG of the whole page as ``tests/artifacts/<name>.png`` and return its path.

    Streamlit scrolls inside ``stMain``, not the document, so Playwright's ``full_page``
    alone stops at the viewport: the viewport is stretched to the content for the shot.
    """
    path = artifact_path(name)
    viewport = page.viewport_size
    height = page.evaluate(CONTENT_HEIGHT_JS)
    if viewport is None or height <= viewport["height"]:
        page.screenshot(path=str(path), full_page=True)
        return path
    page.set_viewport_size({"width": viewport["width"], "height": min(height, MAX_SHOT_HEIGHT)})
    try:
        page.wait_for_timeout(SETTLE_MS)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(viewport)
    return path


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` and wait for the rerun (the list is
    opened again if a rerun closed it)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator("[data-testid='stSelectbox']").filter(
        has=page.get_by_text(label, exact=True)).first
    item = page.get_by_role("option", name=option, exact=True)
    for _ in range(10):
        wait_idle(page)
        box.get_by_role("button", name="Open").click()
        try:
            item.wait_for(timeout=3_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        item.click()
        wait_idle(page)
        return
    raise AssertionError(f"option {option!r} of {label!r} never showed")
