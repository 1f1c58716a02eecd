"""Browser checks of the "1-D gradient field" page in headless chromium."""

import re

import pytest

from browser_utils import artifact_path, assert_no_exception, open_page, screenshot, wait_idle

CHART = "[data-testid='stPlotlyChart']"
STATUS = re.compile(r"RED-GD, iteration (\d+) of (\d+): (.*)")


def slider_thumb(page, label: str):
    """The focusable range input of a Streamlit slider (react-aria; carries the value)."""
    return page.locator(f"[data-testid='stSlider'] input[type='range'][aria-label='{label}']")


def field_traces(page) -> str:
    """The SVG of the field figure's traces (changes whenever the plotted data does)."""
    return page.locator(CHART).first.locator(".scatterlayer").first.inner_html()


@pytest.mark.browser
def test_slider_redraws_the_field_and_descend_animates_the_objective(page, app_server):
    # the entry point first: a deep link as a fresh server's first request would run the page
    # file alone (Streamlit's legacy pages/ directory mode)
    open_page(page, app_server, "/")
    open_page(page, app_server, "gradient_1d")
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']")
    assert main.locator("h1").first.inner_text().startswith("1-D gradient field")
    page.wait_for_function(f"document.querySelectorAll(\"{CHART} .main-svg\").length >= 1")
    assert page.locator(CHART).count() == 1
    screenshot(page, "gradient_1d-default")
    before = field_traces(page)
    caption_before = main.locator("p").filter(has_text="Mean |x − D(x)|").inner_text()

    thumb = slider_thumb(page, "Noise σₑ")
    assert float(thumb.input_value()) == pytest.approx(0.1)
    thumb.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    wait_idle(page)
    assert_no_exception(page)
    assert float(thumb.input_value()) == pytest.approx(0.12)
    # the linked denoiser sigma follows, the figure and the measured numbers change
    assert float(slider_thumb(page, "Denoiser σ").input_value()) == pytest.approx(0.12)
    page.wait_for_function(f"document.querySelectorAll(\"{CHART} .main-svg\").length >= 1")
    assert field_traces(page) != before
    assert main.locator("p").filter(has_text="Mean |x − D(x)|").inner_text() != caption_before
    screenshot(page, "gradient_1d-noise-0.12")

    main.get_by_role("button", name="Descend").click()
    status = main.locator("p").filter(has_text=STATUS)
    running = main.locator("p").filter(has_text=re.compile(r"RED-GD, iteration \d+ .*running"))
    running.wait_for(timeout=30_000)  # an intermediate frame is on screen
    first = int(STATUS.search(status.inner_text()).group(1))
    # the timed fragment replaces its charts: no stale copies pile up while it animates
    assert page.locator(CHART).count() <= 3
    # a viewport shot: the full-page helper resizes the page, which redraws the charts mid-run
    page.screenshot(path=str(artifact_path("gradient_1d-descending")))
    done = main.locator("p").filter(has_text=re.compile(r"RED-GD, iteration \d+ .*converged"))
    done.wait_for(timeout=90_000)  # the Gaussian-filter run ends on its own
    wait_idle(page)
    assert_no_exception(page)
    last, total, message = STATUS.search(status.inner_text()).groups()
    assert int(last) > first, (first, last, message)
    assert page.locator(CHART).count() == 2
    # the objective curve holds one point per iteration
    points = page.locator(CHART).nth(1).locator(".scatterlayer .trace").first.locator(".point")
    assert points.count() == int(last) + 1
    screenshot(page, "gradient_1d-descended")
