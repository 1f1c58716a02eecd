"""The Tune page in a real browser: a 3×3 sweep on the local Dask cluster fills the heatmap, a
click on a cell picks it, and "Open it in Restore" opens Restore with exactly that setting."""

from __future__ import annotations

import re

import pytest

from browser_utils import assert_no_exception, open_page, screenshot, wait_idle

MAIN = "[data-testid='stMain']"

#: Pixel centre of the heatmap cell at data (x, y) of the first subplot.
CELL_JS = """([x, y]) => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
      (g) => g._fullData && g._fullData.some((t) => t.type === 'heatmap'));
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  return [box.left + xa._offset + xa.l2p(xa.d2l(x)), box.top + ya._offset + ya.l2p(ya.d2l(y))];
}"""
FILLED_JS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
      (g) => g._fullData && g._fullData.some((t) => t.type === 'heatmap'));
  if (!gd) return -1;
  let n = 0;  // z arrives as typed arrays (plotly's binary encoding) or nested lists
  for (const row of gd._fullData.find((t) => t.type === 'heatmap').z) {
    for (const v of row) if (v !== null && !Number.isNaN(v)) n += 1;
  }
  return n;
}"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_sweep_fills_the_heatmap_and_a_clicked_cell_opens_in_restore(page, app_server):
    open_page(page, app_server, "/tune?size=64&tune_n=3&tune_iters=8")
    assert_no_exception(page)
    main = page.locator(MAIN)
    main.get_by_role("button", name="Run the sweep").click()
    page.wait_for_function(f"() => ({FILLED_JS})() === 9", timeout=300_000)
    wait_idle(page)
    assert "9 of 9 cells · done" in main.inner_text()
    screenshot(page, "tune-heatmap")

    # the λ × 1 / σ_d × 1 cell: the default setting (the chart scrolled into the viewport)
    page.locator("[data-testid='stPlotlyChart']").first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    x, y = page.evaluate(CELL_JS, [1.0, 1.0])
    page.mouse.click(x, y)
    wait_idle(page)
    picked = main.locator("p", has_text="Picked:").first.inner_text()
    assert "λ × its default = 1," in picked and "σ_d × the suggested one = 1 " in picked
    psnr = re.search(r"PSNR ([0-9.]+) dB", picked).group(1)

    main.get_by_role("button", name="Open it in Restore").click()
    page.wait_for_url("**/restore**")
    wait_idle(page)
    assert_no_exception(page)
    assert main.locator("h1").first.inner_text() == "Restore an image"
    assert "a_link=false" in page.url and "a_method=red-fp" in page.url
    main.get_by_role("button", name="Run").click()
    page.get_by_text("4 · Results").wait_for(timeout=120_000)
    wait_idle(page)
    captions = " ".join(page.locator("[data-testid='stImageCaption']").all_text_contents())
    assert f"PSNR {float(psnr):.2f} dB" in captions, (psnr, captions)
    screenshot(page, "tune-opened-in-restore")
