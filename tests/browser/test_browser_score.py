"""Browser checks of the "Score and Tweedie" page in headless chromium."""

import layout_checks
import pytest

from browser_utils import assert_no_exception, open_page, screenshot, wait_idle

GRADIENT_STATEMENT = "the RED field is a gradient field"
CURL_STATEMENT = "not the gradient of any function"


@pytest.mark.browser
def test_score_page_renders_and_the_curl_statement_follows_the_denoiser(page, app_server):
    # The entry point first: a deep link as the very first request of a fresh server runs
    # views/score.py on its own, without app.py (Streamlit's legacy pages/ directory mode).
    open_page(page, app_server, "/")
    open_page(page, app_server, "score")
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']")
    assert main.locator("h1").first.inner_text().startswith("Score and Tweedie")
    # all five figures are drawn (plotly renders an SVG main layer for each)
    page.wait_for_function(
        "document.querySelectorAll(\"[data-testid='stPlotlyChart'] .main-svg\").length >= 5"
    )
    assert main.get_by_text(GRADIENT_STATEMENT).count() == 1
    assert main.get_by_text(CURL_STATEMENT).count() == 0
    screenshot(page, "score-mmse")

    main.get_by_text("non-symmetric (rotated)").click()
    wait_idle(page)
    assert_no_exception(page)
    main.get_by_text(CURL_STATEMENT).wait_for()
    assert main.get_by_text(GRADIENT_STATEMENT).count() == 0
    screenshot(page, "score-rotated")
    # the 2-D section reran alone (a fragment): the link has its new value and kept the 1-D ones
    assert "field_denoiser=rotated" in page.url and "gm1_mean_0=-1.5" in page.url


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 800])
def test_score_page_fits_the_screen(page, app_server, width):
    layout_checks.set_width(page, width)
    open_page(page, app_server, "/")
    open_page(page, app_server, "score?field_denoiser=rotated&gm1_preset=three+modes")
    assert_no_exception(page)
    page.wait_for_function(
        "document.querySelectorAll(\"[data-testid='stPlotlyChart'] .main-svg\").length >= 5"
    )
    main = page.locator("[data-testid='stMain']")
    main.get_by_text(CURL_STATEMENT).wait_for()  # the link's denoiser is the one shown
    assert main.get_by_text("Component 3", exact=True).count() == 1  # and its preset
    layout_checks.assert_fits(page)
    screenshot(page, f"score-{width}px")
