"""The "RED vs PnP: cost and guarantees" page in headless chromium: its tables fit."""

from __future__ import annotations

import layout_checks
import pytest

from browser_utils import assert_no_exception, open_page, screenshot

MAIN = "[data-testid='stMain']"


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 800])
def test_compare_tables_and_figures_fit_the_screen(page, app_server, width):
    layout_checks.set_width(page, width)
    open_page(page, app_server, "/")
    open_page(page, app_server, "compare")  # no race in this session: the default race
    assert_no_exception(page)
    main = page.locator(MAIN)
    assert main.get_by_text("Work per iteration: identical").count() == 1
    assert main.get_by_text("Identical work is not identical time", exact=False).count() == 1
    page.wait_for_function(
        "document.querySelectorAll(\"[data-testid='stPlotlyChart'] .main-svg\").length >= 2")
    assert layout_checks.table_count(page, 3) == 3
    layout_checks.assert_fits(page)
    screenshot(page, f"compare-{width}px")
