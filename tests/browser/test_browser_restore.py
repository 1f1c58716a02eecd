"""Browser tests: the live race on "Restore an image", its downloads, and "RED vs PnP"."""

import csv
import io
import re

import pytest

from browser_utils import assert_no_exception, open_page, screenshot, wait_idle


@pytest.mark.browser
def test_race_curves_table_and_csv(page, app_server):
    open_page(page, app_server, "/restore?size=128&red_iters=40&pnp_iters=40")
    assert_no_exception(page)
    screenshot(page, "restore-before-run")
    page.get_by_role("button", name="Run").click()
    # The race advances in a fragment that reruns itself: wait for the results section.
    page.get_by_text("4 · Results").wait_for(timeout=120_000)
    wait_idle(page)
    assert_no_exception(page)
    chart = page.locator("[data-testid='stPlotlyChart']").first
    chart.wait_for()
    legend = chart.locator(".legendtext").all_text_contents()
    assert any(t.startswith("RED") for t in legend) and any(t.startswith("PnP") for t in legend)
    assert chart.locator("path.js-line").count() >= 8  # 2 runs × 4 panels
    table = page.locator("[data-testid='stDataFrame']").first
    table.wait_for()
    screenshot(page, "restore-after-race")

    with page.expect_download() as info:
        page.get_by_role("button", name="Histories (CSV)").click()
    text = open(info.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["run"] for r in rows} == {"RED", "PnP"}
    assert {"iter", "psnr", "objective", "residual", "rel_change", "time"} <= set(rows[0])
    assert max(int(r["iter"]) for r in rows) >= 5

    page.get_by_role("link", name="Compare the cost and guarantees of these two runs").click()
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_text("What kind of fixed point each reached").wait_for()
    screenshot(page, "compare")


@pytest.mark.browser
def test_stop_ends_a_long_race(page, app_server):
    open_page(page, app_server, "/restore?size=256&red_iters=5000&pnp_iters=5000"
                                "&red_tol=0&pnp_tol=0")
    page.get_by_role("button", name="Run").click()
    # The live view advances several iterations per frame: wait for any running frame past 0.
    page.get_by_text(re.compile(r"iteration [1-9]\d* · .* · running")).first.wait_for(
        timeout=60_000)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("4 · Results").wait_for(timeout=60_000)
    wait_idle(page)
    captions = page.locator("[data-testid='stImageCaption']").all_text_contents()
    assert sum(c.endswith("· stopped") for c in captions) == 2, captions
    assert_no_exception(page)
