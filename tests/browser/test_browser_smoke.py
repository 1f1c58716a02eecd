"""Smoke test: the app starts, its first page renders without an exception."""

import pytest

from browser_utils import assert_no_exception, open_page, screenshot


@pytest.mark.browser
def test_root_page_renders_without_exception(page, app_server):
    open_page(page, app_server, "/")
    assert_no_exception(page)
    assert page.locator("[data-testid='stMain'] h1").count() >= 1, "the page shows no title"
    assert screenshot(page, "smoke-root").stat().st_size > 0
