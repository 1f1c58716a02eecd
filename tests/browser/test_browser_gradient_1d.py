"""Browser checks of the "1-D gradient field" page in headless chromium."""

import re

import pytest
from layout_checks import svg_overlaps

from browser_utils import artifact_path, assert_no_exception, open_page, screenshot, wait_idle
from red_core.lab import plots

#: The page's charts: inline SVG (red_core.lab.svgplot), one wrapper each.
CHART = "div[class^='rl-svg-g1d']"
STATUS = re.compile(r"RED-GD, iteration (\d+) of (\d+): ([a-z_]+)")
RATIO = re.compile(r"ratio ([0-9.]+)×")
#: A long run: the pixel MMSE denoiser at 1.5 × the safe step never settles, n = 2048 makes each
#: iteration slow (~7 ms): ~20 frames before the limit of 500 iterations.
LONG_RUN = "?g1d_denoiser=mmse_gmm&g1d_step=1.5&g1d_iters=500&g1d_n=2048"
#: Elements whose text must never be cut (scrollWidth ≤ clientWidth + 1), with their children.
UNCUT = ("[data-testid='stSelectbox']", "[data-testid='stButton'] button",
         "[data-testid='stWidgetLabel']", "[data-testid='stExpander'] summary")
CUT_JS = """(selectors) => {
  const cut = [];
  for (const selector of selectors) {
    for (const root of document.querySelectorAll(selector)) {
      for (const e of [root, ...root.querySelectorAll('*')]) {
        if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
          cut.push(`${selector} ${e.tagName}: ${e.textContent.trim().slice(0, 40)} `
                   + `(${e.scrollWidth} > ${e.clientWidth})`);
      }
    }
  }
  return cut;
}"""
#: Formulas wider than their box or the main column (a cut or scrolled equation).
FORMULA_JS = """() => {
  const main = document.querySelector("[data-testid='stMain']").getBoundingClientRect();
  return [...document.querySelectorAll('.katex-display')].filter(e => {
    const r = e.getBoundingClientRect();
    return e.scrollWidth > e.clientWidth + 1 || r.right > main.right + 1 || r.left < main.left;
  }).map(e => e.textContent.slice(0, 40));
}"""

def slider_thumb(page, label: str):
    """The focusable range input of a Streamlit slider (react-aria; carries the value)."""
    return page.locator(f"[data-testid='stSlider'] input[type='range'][aria-label='{label}']")


def field_shafts(page) -> str:
    """The field figure's arrow shafts (one SVG path; changes whenever the field does)."""
    return page.locator(CHART).first.locator("path[data-shape]").first.get_attribute("d")


def status_of(page) -> tuple[int, str]:
    found = STATUS.search(page.locator("[data-testid='stMain']").inner_text())
    return int(found.group(1)), found.group(3)


def open_gradient_1d(page, app_server, query: str = "") -> None:
    # the entry point first: a deep link as a fresh server's first request would run the page
    # file alone (Streamlit's legacy pages/ directory mode)
    open_page(page, app_server, "/")
    open_page(page, app_server, "gradient_1d" + query)
    assert_no_exception(page)
    page.wait_for_function(f"document.querySelectorAll(\"{CHART}\").length >= 1")


@pytest.mark.browser
def test_defaults_show_the_ratio_and_the_slider_redraws_the_field(page, app_server):
    open_gradient_1d(page, app_server)
    main = page.locator("[data-testid='stMain']")
    assert main.locator("h1").first.inner_text().startswith("1-D gradient field")
    assert page.locator(CHART).count() == 1
    caption = main.locator("p").filter(has_text="Mean |x − D(x)|")
    before_caption = caption.inner_text()
    assert float(RATIO.search(before_caption).group(1)) >= 3  # the source's point, on screen
    screenshot(page, "gradient_1d-default")
    before = field_shafts(page)

    thumb = slider_thumb(page, "Noise σₑ (×1/255)")
    assert float(thumb.input_value()) == 25
    thumb.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    wait_idle(page)
    assert_no_exception(page)
    assert float(thumb.input_value()) == 29
    # the linked denoiser sigma follows, the figure, the numbers and the link change
    assert float(slider_thumb(page, "Denoiser σ_d (×1/255)").input_value()) == 29
    page.wait_for_function(f"document.querySelectorAll(\"{CHART}\").length >= 1")
    assert field_shafts(page) != before
    assert caption.inner_text() != before_caption
    assert "g1d_noise=29" in page.url and "g1d_sigma_d=29" in page.url
    screenshot(page, "gradient_1d-noise-29")


@pytest.mark.browser
def test_descend_animates_and_stop_acts_at_once(page, app_server):
    open_gradient_1d(page, app_server, LONG_RUN)
    main = page.locator("[data-testid='stMain']")
    main.get_by_role("button", name="Descend").click()
    running = main.locator("p").filter(has_text=re.compile(r"RED-GD, iteration \d+ .*running"))
    running.wait_for(timeout=30_000)  # an intermediate frame is on screen
    first, _ = status_of(page)
    page.wait_for_function(  # the next frame: the count grows frame after frame
        f"() => {{ const m = document.body.textContent.match(/RED-GD, iteration (\\d+) of/);"
        f" return m && +m[1] > {first}; }}", timeout=60_000, polling=20)
    assert page.locator(CHART).count() <= 3  # the timed fragment replaces its charts
    main.get_by_role("button", name="Stop").click()
    stopped = main.locator("p").filter(has_text=re.compile(r"RED-GD, iteration \d+ .*stopped"))
    stopped.wait_for(timeout=30_000)
    at_stop, _ = status_of(page)
    page.wait_for_timeout(1500)  # three frames' time: nothing more may run
    wait_idle(page)
    assert_no_exception(page)
    assert status_of(page) == (at_stop, "stopped")
    assert page.locator(CHART).count() == 2
    assert main.get_by_role("button", name="Stop").is_disabled()
    assert first < at_stop < 500
    page.screenshot(path=str(artifact_path("gradient_1d-stopped")))


@pytest.mark.browser
def test_descend_at_the_defaults_runs_to_convergence(page, app_server):
    open_gradient_1d(page, app_server)
    main = page.locator("[data-testid='stMain']")
    main.get_by_role("button", name="Descend").click()
    done = main.locator("p").filter(has_text=re.compile(r"RED-GD, iteration \d+ .*converged"))
    done.wait_for(timeout=60_000)  # the Gaussian-filter run ends on its own
    wait_idle(page)
    assert_no_exception(page)
    last, _ = status_of(page)
    assert page.locator(CHART).count() == 2
    points = page.locator(CHART).nth(1).locator("path[data-markers='E(x)']").first
    drawn = int(points.get_attribute("data-points"))
    assert last + 1 <= plots.DESCENT_MARKERS and drawn == last + 1  # one per iteration
    screenshot(page, "gradient_1d-descended")


@pytest.mark.browser
@pytest.mark.parametrize("query", ["", "?g1d_signal=piecewise_constant&g1d_denoiser=mmse_gmm"])
def test_at_800_px_no_label_is_cut_and_nothing_collides(browser, app_server, query):
    """Issue 12 item 9: cut select boxes ("Piecewis"), an overflowing equation, buttons without
    their labels and colliding titles at 800 px. The longest signal and denoiser names too."""
    context = browser.new_context(viewport={"width": 800, "height": 900})
    page = context.new_page()
    try:
        open_gradient_1d(page, app_server, query)
        main = page.locator("[data-testid='stMain']")
        main.get_by_role("button", name="Descend").click()
        main.locator("p").filter(has_text=STATUS).wait_for(timeout=60_000)
        page.wait_for_function(f"document.querySelectorAll(\"{CHART}\").length >= 2")
        wait_idle(page)
        assert_no_exception(page)
        for name in ("Descend", "Stop", "Reset"):  # every button keeps its label
            label = main.get_by_role("button", name=name).locator("p")
            assert label.inner_text().strip() == name and label.is_visible()
        assert page.evaluate(CUT_JS, list(UNCUT)) == []
        assert page.evaluate(FORMULA_JS) == []
        assert svg_overlaps(page) == []
        screenshot(page, f"gradient_1d-800px{'-long-names' if query else ''}")
    finally:
        context.close()
