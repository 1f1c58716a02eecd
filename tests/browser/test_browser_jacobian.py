"""Browser checks of the "Jacobian lab" page in headless chromium."""

import layout_checks
import pytest

from browser_utils import assert_no_exception, open_page, screenshot, wait_idle

CHART = "[data-testid='stPlotlyChart']"


def slider_value(page, label: str) -> int:
    """The value of a Streamlit slider, from its focusable range input."""
    thumb = page.locator(f"[data-testid='stSlider'] input[type='range'][aria-label='{label}']")
    return int(float(thumb.input_value()))


def chart_with_title(page, title: str):
    """The plotly chart whose SVG shows ``title`` (a subplot title)."""
    return page.locator(CHART).filter(has=page.locator(".main-svg", has_text=title)).first


def heatmap_pixels(chart) -> str:
    """The data URL of the first heatmap image of a chart (changes with the matrix)."""
    return chart.locator(".heatmaplayer image").first.get_attribute("href")


def wait_charts(page, count: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll(\"{CHART} .main-svg\").length >= {count}")


@pytest.mark.browser
def test_jacobian_page_and_clicking_the_image_moves_the_crop(page, app_server):
    # the entry point first: a deep link as a fresh server's first request would run the page
    # file alone (Streamlit's legacy pages/ directory mode)
    open_page(page, app_server, "/")
    open_page(page, app_server, "jacobian")
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']")
    assert main.locator("h1").first.inner_text().startswith("Jacobian lab")
    wait_charts(page, 2)
    jacobian = chart_with_title(page, "J − J")
    jacobian.locator(".heatmaplayer image").nth(1).wait_for()  # plotly draws them late
    assert jacobian.locator(".heatmaplayer image").count() == 2  # J and J − Jᵀ
    assert "fails" in main.locator("[data-testid='stMetric']").first.inner_text()  # NLM
    screenshot(page, "jacobian-1d")

    main.get_by_text("image crop", exact=True).click()
    wait_idle(page)
    assert_no_exception(page)
    wait_charts(page, 3)
    assert (slider_value(page, "Crop top row"), slider_value(page, "Crop left column")) == (120,
                                                                                          120)
    before = heatmap_pixels(chart_with_title(page, "J − J"))
    screenshot(page, "jacobian-crop")

    # click a quarter of the way into the picture: the crop moves there (camera is 256 × 256)
    picker = page.locator(CHART).first
    area = picker.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + 0.25 * area["width"], area["y"] + 0.25 * area["height"])
    page.wait_for_timeout(200)  # plotly needs a hover before a click selects a point
    page.mouse.click(area["x"] + 0.25 * area["width"], area["y"] + 0.25 * area["height"])
    wait_idle(page)
    assert_no_exception(page)
    top, left = slider_value(page, "Crop top row"), slider_value(page, "Crop left column")
    assert abs(top - (64 - 8)) <= 6 and abs(left - (64 - 8)) <= 6, (top, left)
    wait_charts(page, 3)
    assert heatmap_pixels(chart_with_title(page, "J − J")) != before
    screenshot(page, "jacobian-crop-clicked")
    # the click is in the link: opened in a fresh tab, the crop is where the click put it
    assert f"jl_top={top}" in page.url and f"jl_left={left}" in page.url
    fresh = page.context.new_page()
    open_page(fresh, app_server, "/")
    fresh.goto(page.url)
    wait_idle(fresh)
    assert_no_exception(fresh)
    assert (slider_value(fresh, "Crop top row"), slider_value(fresh, "Crop left column")) == (
        top, left)
    fresh.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 800])
def test_jacobian_survey_table_and_figures_fit_the_screen(page, app_server, width):
    # a small crop keeps the survey and the curves quick; every figure and the table are shown
    layout_checks.set_width(page, width)
    open_page(page, app_server, "/")
    open_page(page, app_server, "jacobian?jl_kind=crop&jl_crop=8&jl_survey=true&jl_curves=true")
    assert_no_exception(page)
    wait_charts(page, 5)  # picker, J, gradients, survey bars, curves
    assert layout_checks.table_count(page, 1) == 1
    # the link's settings are the widgets' values
    assert slider_value(page, "Crop size (pixels)") == 8
    assert page.locator("[data-testid='stMain'] [data-testid='stCaptionContainer']",
                        has_text="Link settings not used").count() == 0
    layout_checks.assert_fits(page)
    screenshot(page, f"jacobian-survey-{width}px")
