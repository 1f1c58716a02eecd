"""Browser tests of "Restore an image": the live race, its downloads, a slow lane, uploads across
pages, the race on one screen at 1400×900 and a usable page at 800 px."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest
from layout_checks import svg_overlaps
from PIL import Image

from browser_utils import (
    artifact_path,
    assert_no_exception,
    choose,
    open_page,
    screenshot,
    wait_idle,
)

RESULTS = "4 · Results"
#: The race's live charts (inline SVG, red_core.lab.svgplot): the PSNR curve, the 3 panels.
PSNR_CHART, CURVES_CHART = ".rl-svg-racepsnr", ".rl-svg-racecurves"
CAPTIONS = "[data-testid='stImageCaption']"


def captions(page) -> list[str]:
    return page.locator(CAPTIONS).all_text_contents()


def lane_caption(page, lane: str) -> str:
    found = [c for c in captions(page) if c.startswith(f"{lane} · ")]
    return found[0] if found else ""


@pytest.mark.browser
def test_race_curves_table_and_csv(page, app_server):
    open_page(page, app_server, "/restore?size=128&a_iters=40&b_iters=40")
    assert_no_exception(page)
    page.get_by_role("button", name="Run").click()
    # The race advances in a fragment that reruns itself: wait for the results section.
    page.get_by_text(RESULTS).wait_for(timeout=120_000)
    wait_idle(page)
    assert_no_exception(page)
    # the race's curves: inline SVG, the variant drawn for the chart's width
    chart = page.locator(f"{PSNR_CHART} > div:visible").first
    chart.wait_for()
    legend = chart.locator("text.legend").all_text_contents()
    assert any(t.startswith("A ·") for t in legend) and any(t.startswith("B ·") for t in legend)
    assert chart.locator("path[data-trace]").count() == 2  # a PSNR curve per lane
    curves = page.locator(f"{CURVES_CHART} > div:visible").first
    assert curves.locator("path[data-trace]").count() >= 6  # 2 lanes × 3 panels
    assert svg_overlaps(page) == []
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    screenshot(page, "restore-after-race")

    with page.expect_download() as info:
        page.get_by_role("button", name="Histories (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
    assert {r["run"] for r in rows} == {"a", "b"}
    assert {"iter", "psnr", "objective", "residual", "rel_change", "time"} <= set(rows[0])
    assert max(int(r["iter"]) for r in rows) >= 5

    page.get_by_role("link", name="Compare the cost and guarantees of these runs").click()
    wait_idle(page)
    assert_no_exception(page)


@pytest.mark.browser
def test_stop_ends_a_long_race(page, app_server):
    open_page(page, app_server, "/restore?size=256&a_iters=5000&b_iters=5000&a_tol=0&b_tol=0")
    page.get_by_role("button", name="Run").click()
    page.get_by_text(re.compile(r"iteration [1-9]\d* · .* · running")).first.wait_for(
        timeout=60_000)
    # The axis is a widget of the race's fragment: its run alone writes it to the link.
    page.get_by_text("seconds of algorithm time").click()
    page.wait_for_function("() => location.search.includes('x_axis=time')", timeout=10_000)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text(RESULTS).wait_for(timeout=60_000)
    wait_idle(page)
    assert sum(c.endswith("· stopped") for c in captions(page)) == 2, captions(page)
    assert "x_axis=time" in page.url
    assert_no_exception(page)


#: Counts the messages the app's websocket receives, and how many had come when a lane caption
#: first showed an iteration ≥ 1 and when the PSNR chart first drew a lane's curve (installed
#: before the page's own scripts).
COUNT_MESSAGES_JS = """(() => {
  const Native = window.WebSocket;
  window.__messages = 0;
  window.__atFirstFrame = null;
  window.__atFirstCurve = null;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", () => { window.__messages += 1; });
    }
  };
  const frame = /iteration [1-9][0-9]* · /;
  new MutationObserver(() => {
    if (!window.__counting) return;
    const count = window.__messages - window.__counting;
    if (window.__atFirstFrame === null && [...document.querySelectorAll(
        "[data-testid='stImageCaption']")].some((c) => frame.test(c.textContent)))
      window.__atFirstFrame = count;
    if (window.__atFirstCurve === null
        && document.querySelector(".rl-svg-racepsnr path[data-trace]"))
      window.__atFirstCurve = count;
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();"""


@pytest.mark.browser
def test_run_sends_the_first_frame_without_the_set_up_again(page, app_server):
    """Run reruns only the race's part of the page: the first live frame, its PSNR curve
    included, reaches the browser without the ~90 elements of the set-up sent before it (a
    full run sends them first; the curve waited for the full run that follows the frame when
    the chart's component had not been loaded before the click)."""
    page.add_init_script(COUNT_MESSAGES_JS)
    open_page(page, app_server, "/restore?a_iters=5000&b_iters=5000&a_tol=0&b_tol=0")
    setup = page.evaluate("window.__messages")  # the page's first run: every element
    page.evaluate("window.__counting = window.__messages || 1e-9")
    page.get_by_role("button", name="Run").click()
    page.get_by_text(re.compile(r"iteration [1-9]\d* · .* · running")).first.wait_for(
        timeout=60_000)
    page.locator(f"{PSNR_CHART} path[data-trace]").first.wait_for(state="attached")
    before_frame, before_curve = page.evaluate("[window.__atFirstFrame, window.__atFirstCurve]")
    page.get_by_role("button", name="Stop").click()
    page.get_by_text(RESULTS).wait_for(timeout=60_000)
    assert setup > 60, setup
    assert before_frame is not None and before_frame < setup / 3, (before_frame, setup)
    assert before_curve is not None and before_curve < setup / 3, (before_curve, setup)
    assert_no_exception(page)


# --------------------------------------------------------------------------- a slow lane


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_bm3d_lane_works_visibly_while_the_other_finishes(page, app_server):
    """BM3D (about a second per call at 128² here) in lane B: lane A finishes its iterations
    while B is still running, and B's caption says which call it is in and for how long."""
    open_page(page, app_server, "/restore?size=128&a_iters=30&b_denoiser=bm3d&b_iters=400"
                                "&b_tol=0")
    page.get_by_role("button", name="Run").click()
    busy = re.compile(r"^B · .* · running · denoiser call \d+ for \d+\.\d s$")
    seen_busy = seen_a_done = False
    for _ in range(600):
        page.wait_for_timeout(100)
        now = captions(page)
        seen_busy |= any(busy.match(c) for c in now)
        a = lane_caption(page, "A")
        if a.endswith("max_iter") or a.endswith("converged"):
            seen_a_done = True
            assert lane_caption(page, "B").split(" · ")[-1].startswith(("running",
                                                                         "denoiser call"))
        if seen_busy and seen_a_done:
            break
    screenshot(page, "restore-bm3d-lane")
    assert seen_busy, captions(page)
    assert seen_a_done and "iteration 30 · " in lane_caption(page, "A"), captions(page)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text(RESULTS).wait_for(timeout=120_000)
    assert_no_exception(page)


# --------------------------------------------------------------------------- uploads

SIZE = 64


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _ramp(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return ((np.sin(x / 7.0) * np.cos(y / 11.0) + 1) * 127.5).astype(np.uint8)


def _shown(page, label: str) -> list[str]:
    """The values the browser shows in the selectboxes labelled ``label``."""
    boxes = page.locator("[data-testid='stSelectbox']").filter(
        has=page.locator("[data-testid='stWidgetLabel']", has_text=label))
    boxes.first.wait_for()  # .all() does not wait: right after a page load it may find none
    return [box.get_by_role("combobox").input_value() for box in boxes.all()]


def _degraded_psnr(page) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(
        has_text="PSNR of the degraded image").first
    return metric.locator("[data-testid='stMetricValue']").inner_text()


def _sidebar_link(page, title: str):
    return page.locator("[data-testid='stSidebarNav'] a").filter(has_text=title).first


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_an_upload_survives_a_page_change(page, app_server, tmp_path):
    """Through the file chooser: a damaged file shows its message, a good one its notice; the
    race runs on it; after a visit to another page through the sidebar the upload is still the
    problem and the finished race's results are still shown."""
    open_page(page, app_server, f"/restore?size={SIZE}&a_method=red-admm&b_denoiser=nlm"
                                "&a_iters=7&b_iters=9")
    assert _shown(page, "Algorithm")[0].startswith("RED-ADMM")
    choose(page, "Image", "Upload your own…")
    bad, good = tmp_path / "cut.png", tmp_path / "photo.png"
    data = _png(np.random.default_rng(0).integers(0, 256, (120, 120), dtype=np.uint8))
    bad.write_bytes(data[: len(data) // 2])
    good.write_bytes(_png(_ramp(80, 100)))
    with page.expect_file_chooser() as chooser:
        page.locator("[data-testid='stFileUploaderDropzone'] button").first.click()
    chooser.value.set_files(str(bad))
    page.get_by_text("This image file is incomplete or damaged").wait_for()
    wait_idle(page)
    assert_no_exception(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(good))
    page.get_by_text("scaled down from 100×80 to 64×51").wait_for()
    wait_idle(page)
    assert_no_exception(page)
    degraded = _degraded_psnr(page)
    assert _shown(page, "Denoiser") == ["Total variation (TV)", "Non-local means (NLM)"]
    page.get_by_role("button", name="Run").click()
    page.get_by_text(RESULTS).wait_for(timeout=180_000)
    wait_idle(page)
    assert "iteration 7 · " in lane_caption(page, "A"), captions(page)
    for other in ("RED in one page", "RED vs PnP: cost and guarantees"):
        _sidebar_link(page, other).click()
        wait_idle(page)
        assert_no_exception(page)
        _sidebar_link(page, "Restore an image").click()
        wait_idle(page)
        assert_no_exception(page)
        page.get_by_text("Using your image photo.png").wait_for()
        assert _degraded_psnr(page) == degraded, other
        body = page.locator("[data-testid='stMain']").inner_text()
        assert "Link settings not used" not in body and "Ignored" not in body, other
        assert "set-up changed" not in body, other
        page.get_by_text(RESULTS).wait_for()
        assert "iteration 7 · " in lane_caption(page, "A"), (other, captions(page))
    screenshot(page, "upload-after-page-change")


# --------------------------------------------------------------------------- layout

VIEWPORT_JS = """(selectors) => selectors.map((s) => [...document.querySelectorAll(s)].map((e) => {
    const r = e.getBoundingClientRect();
    return [r.top, r.bottom, r.left, r.right];
}))"""


@pytest.mark.browser
@pytest.mark.parametrize("lanes", [2, 4])
def test_run_brings_the_images_and_the_psnr_curve_on_one_screen(browser, app_server, lanes):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    long = "&".join(f"{lane}_iters=5000&{lane}_tol=0" for lane in "abcd")
    try:
        open_page(page, app_server, f"/restore?lanes={lanes}&{long}")
        page.get_by_role("button", name="Run").click()  # below the fold: Playwright scrolls
        page.get_by_text(re.compile(r"iteration [1-9]\d* · .* · running")).first.wait_for(
            timeout=60_000)
        page.locator(f".st-key-race_section {PSNR_CHART} svg").first.wait_for(state="attached")
        page.wait_for_timeout(1000)  # the smooth scroll
        buttons, heading, pics, charts = page.evaluate(VIEWPORT_JS, [
            ".st-key-race_controls button", ".st-key-race_section h3",
            ".st-key-race_section [data-testid='stImage'] img",
            f".st-key-race_section {PSNR_CHART} svg"])
        path = artifact_path(f"restore-race-1400x900-{lanes}-lanes")
        page.screenshot(path=str(path))
        charts = [c for c in charts if c[1] > c[0]]  # a chart being replaced has no height
        assert len(buttons) == 2 and heading and len(pics) == lanes and charts, path
        viewport = page.viewport_size
        # Run and Stop, the heading, every lane's image and the PSNR curve ([0])
        for top, bottom, left, right in [*buttons, heading[0], *pics, charts[0]]:
            assert top >= -2 and bottom <= viewport["height"] + 1, (top, bottom, path)
            assert left >= 0 and right <= viewport["width"] + 1, path
        page.get_by_role("button", name="Stop").click()
        page.get_by_text(RESULTS).wait_for(timeout=60_000)
        assert_no_exception(page)
    finally:
        context.close()


CUT_JS = """() => {
  const cut = [];
  const check = (el, what) => {
    if (el.offsetParent === null) return;  // not shown
    if (el.scrollWidth > el.clientWidth + 1) cut.push([what, el.innerText.slice(0, 60),
                                                         el.scrollWidth, el.clientWidth]);
  };
  document.querySelectorAll("[data-testid='stSelectbox'] [data-baseweb='select'] div")
    .forEach((e) => { if (e.children.length === 0 && e.innerText) check(e, "select"); });
  document.querySelectorAll("[data-testid='stSelectbox'] input")
    .forEach((e) => check(e, "select input"));
  document.querySelectorAll("button p, button [data-testid='stMarkdownContainer']")
    .forEach((e) => check(e, "button"));
  document.querySelectorAll("[data-testid='stWidgetLabel'] p").forEach((e) => check(e, "label"));
  document.querySelectorAll("[data-testid='stImageCaption']").forEach((e) => check(e, "caption"));
  return cut;
}"""

TITLES_JS = """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
  .map((chart) => {
  const box = chart.getBoundingClientRect();
  const titles = [...chart.querySelectorAll(".annotation-text, .gtitle")].map((t) => {
    const r = t.getBoundingClientRect();
    return [t.textContent, r.left, r.right, r.top, r.bottom];
  });
  return [box.left, box.right, titles];
})"""


def _overlap(a, b) -> bool:
    return a[1] < b[2] - 1 and b[1] < a[2] - 1 and a[3] < b[4] - 1 and b[3] < a[4] - 1


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_narrow_window_800px(browser, app_server):
    """At 800 px: the sidebar is folded on the first load, no select box, button, label or
    caption is cut, and no two figure titles collide or leave their figure."""
    context = browser.new_context(viewport={"width": 800, "height": 900})
    page = context.new_page()
    try:
        open_page(page, app_server, "/restore?lanes=4&a_iters=8&b_iters=8&c_iters=8&d_iters=8"
                                    "&size=64")
        page.wait_for_timeout(800)
        sidebar = page.locator("[data-testid='stSidebar']")
        assert sidebar.get_attribute("data-collapsed") == "true", "sidebar not folded"
        box = sidebar.bounding_box()
        assert box is None or box["x"] + box["width"] <= 1, box
        screenshot(page, "restore-800px")
        assert page.evaluate(CUT_JS) == []
        page.get_by_role("button", name="Run").click()
        page.get_by_text(RESULTS).wait_for(timeout=180_000)
        wait_idle(page)
        page.wait_for_timeout(500)
        screenshot(page, "restore-800px-after-race")
        assert page.evaluate(CUT_JS) == []
        for left, right, titles in page.evaluate(TITLES_JS):
            for text, t_left, t_right, _, _ in titles:
                assert t_left >= left - 1 and t_right <= right + 1, (text, t_left, t_right)
            for i, a in enumerate(titles):
                for b in titles[i + 1:]:
                    assert not _overlap(a, b), (a[0], b[0])
        assert svg_overlaps(page) == []  # the race's SVG curves
        assert_no_exception(page)
        # The user may open the sidebar again: it is not folded at every rerun.
        page.locator("[data-testid='stExpandSidebarButton']").click()
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Run").click()
        wait_idle(page)
        assert sidebar.get_attribute("data-collapsed") == "false"
    finally:
        context.close()
