"""Shared pytest set-up: Hypothesis profiles and the browser-test fixtures.

Browser tests (``@pytest.mark.browser``) get three fixtures:

- ``app_server`` (session): base URL of ``streamlit run app.py`` on a free loopback port;
  its output goes to ``tests/artifacts/streamlit-server.log`` (``server_log()`` reads it).
- ``browser`` (session): Debian's ``/usr/bin/chromium`` driven by Playwright, headless.
- ``page`` (function): a fresh context and page; a screenshot
  ``tests/artifacts/<test name>-failure.png`` is saved when the test fails.

The pytest-playwright plugin is disabled in pyproject.toml (``-p no:playwright``): its own
``browser``/``page`` fixtures would launch Playwright's downloaded browsers, which are never
installed here, so these fixtures replace it in one visible place.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from browser_utils import CHROMIUM_ARGS, CHROMIUM_PATH, StreamlitServer, screenshot

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

# Timing on a shared 2-core machine is no property of the code: no Hypothesis deadline.
# In CI the examples are derandomized so that a run can be reproduced exactly.
settings.register_profile("dev", deadline=None, print_blob=True)
settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True)
settings.load_profile("ci" if IN_CI else "dev")

_server: StreamlitServer | None = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the item (the page fixture reads it) and, when a test
    that used the app fails, attach the tail of the server log to its report."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.failed and _server is not None and "app_server" in getattr(item, "fixturenames", ()):
        report.sections.append(("streamlit server log (tail)", _server.read_log(tail_lines=60)))
    return report


@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """Start ``streamlit run app.py`` once per session and yield its base URL."""
    global _server
    server = StreamlitServer()
    try:
        url = server.start(timeout=60)
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    _server = server
    try:
        yield url
    finally:
        server.stop()
        _server = None


@pytest.fixture(scope="session")
def server_log(app_server: str) -> Callable[..., str]:
    """Return a function that reads the app server's captured output (``tail_lines=``)."""
    assert _server is not None
    return _server.read_log


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium through Playwright's sync API (never its own browsers)."""
    if not Path(CHROMIUM_PATH).exists():
        message = (
            f"{CHROMIUM_PATH} is missing: browser tests need Debian's chromium "
            "(`make test` installs it with apt-get; `apt-get install chromium`)."
        )
        if IN_CI:  # CI must run every browser test: a missing browser is a failure
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A new page in its own context (1400×1000); screenshot saved if the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(30_000)
    context.set_default_navigation_timeout(60_000)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            try:
                print(f"failure screenshot: {screenshot(new_page, f'{request.node.name}-failure')}")
            except Exception as error:  # the page may be gone; the test failure matters more
                print(f"failure screenshot not taken: {error}")
        context.close()
