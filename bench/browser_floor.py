"""What Streamlit and plotly cost in the browser on this machine: the floor under the pages'
speed targets (issue 12: a 1-D slider redraw ≤ 300 ms, a race's first frame ≤ 0.5 s and its
results ≤ 2.5 s).

Two throw-away apps are written to a temporary folder and served with ``streamlit run``;
Debian's chromium (Playwright, as the browser tests) times, *inside the page*
(``performance.now``), in fresh pages at 1400×1000:

1. **slider → redrawn** on a page holding one slider and (a) one line of text, (b) the same
   and the 1-D page's gradient-field figure (``plots.gradient_field_figure``, n = 512, the
   Streamlit theme as the pages), (c) that figure with ``theme=None``: from ArrowRight to the
   new value on screen and the script state back to ``notRunning``;
2. **first chart** of a fresh tab: from a button click to the chart drawn, for a small
   plotly figure (2 lines × 40 points), the same as ``st.vega_lite_chart``, and as an inline
   SVG (markdown): the cost of loading a chart library the first time (Streamlit loads
   plotly's 3.5 MB bundle on the first ``st.plotly_chart`` of a tab);
3. the **1-D page itself** (``/gradient_1d``): ArrowRight on the noise slider → the D(x) curve
   changed in the DOM, with the time of the last websocket message the page received for
   that rerun (after it, the wait is the browser's own work);
4. ``Plotly.react`` of the gradient-field figure alone, on a bare HTML page with plotly's own
   ``plotly.min.js`` (no Streamlit): the whole figure and the figure with its lines only.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/browser_floor.py [--repeats 7]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from gradient_1d import CURVE_JS  # noqa: E402  (bench/gradient_1d.py: the D(x) curve probe)

from browser_utils import IDLE_SELECTOR  # noqa: E402

SLIDER_APP = '''
import sys
sys.path[:0] = [{root!r}]
import streamlit as st
from red_core import denoisers, signals
from red_core.lab import field1d, plots

kind = st.query_params.get("kind", "text")
v = st.slider("noise", 1, 100, 25, key="s")
if kind != "text":
    noise = v / 255
    clean, noisy = signals.observe("varying_noise", 512, 0, noise)
    stats = field1d.gradient_field(clean, noisy, denoisers.build("gaussian", noise),
                                   noisy=signals.noisy_stretches("varying_noise", 512))
    if kind == "svg":
        st.html(plots.svg(plots.gradient_field_spec(stats), uid="g1dfield"))
    else:
        theme = None if kind == "plotly-no-theme" else "streamlit"
        st.plotly_chart(plots.gradient_field_figure(stats), key="c", width="stretch",
                        theme=theme)
st.markdown(f"VALUE-{{v}}")
'''

FIRST_CHART_APP = '''
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

kind = st.query_params.get("kind", "plotly")
if st.button("Go"):
    it = np.arange(40)
    a, b = 20 + np.log1p(it), 21 + np.log1p(it)
    if kind == "plotly":
        st.plotly_chart(go.Figure([go.Scatter(x=it, y=a), go.Scatter(x=it, y=b)]))
    elif kind == "vega":
        df = pd.DataFrame({"iter": np.r_[it, it], "psnr": np.r_[a, b],
                           "lane": ["A"] * 40 + ["B"] * 40})
        st.vega_lite_chart(df, {"mark": "line", "encoding": {
            "x": {"field": "iter", "type": "quantitative"},
            "y": {"field": "psnr", "type": "quantitative"}, "color": {"field": "lane"}}})
    else:
        points = " ".join(f"{i * 10},{200 - y * 5:.1f}" for i, y in zip(it, a))
        st.markdown(f'<svg width="400" height="200"><polyline points="{points}" '
                    'fill="none" stroke="blue"/></svg>', unsafe_allow_html=True)
'''

CHART_SELECTOR = {
    "plotly": "[data-testid='stPlotlyChart'] .main-svg",
    "vega": "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg",
    "svg": "polyline",
}

#: Records the page's websocket traffic (installed before any page script runs).
WS_PROBE = r"""
window.__ws = {recv: []};
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  if (!this.__probed) {
    this.__probed = true;
    this.addEventListener('message', () => window.__ws.recv.push(performance.now()));
  }
  return send.call(this, data);
};
"""

MARK_KEY = ("() => document.addEventListener('keydown', () => { window.__t0 = performance.now(); "
            "}, {capture: true, once: true})")


def _arrow_right(page, slider) -> None:
    """Focus ``slider``, arm the key timer (``window.__t0``) and press ArrowRight."""
    slider.focus()
    page.evaluate(MARK_KEY)
    page.keyboard.press("ArrowRight")


def slider_floor(browser, url: str, kind: str, repeats: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/?kind={kind}")
    page.wait_for_selector("text=VALUE-25", timeout=60_000)
    time.sleep(2)
    out = []
    for i in range(repeats):
        _arrow_right(page, page.get_by_role("slider").first)
        page.wait_for_function(f"() => document.body.textContent.includes('VALUE-{26 + i}')",
                               polling="raf")
        page.wait_for_selector(IDLE_SELECTOR)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")
        out.append(page.evaluate("performance.now() - window.__t0"))
        time.sleep(0.8)
    page.close()
    return out


def first_chart(browser, url: str, kind: str, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats + 1):  # the first is a warm-up of the server
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/?kind={kind}")
        page.get_by_role("button", name="Go").wait_for(timeout=60_000)
        page.wait_for_selector(IDLE_SELECTOR)
        time.sleep(0.5)
        t0 = page.evaluate("performance.now()")
        page.get_by_role("button", name="Go").click()
        page.wait_for_selector(CHART_SELECTOR[kind], timeout=60_000)
        out.append(page.evaluate("performance.now()") - t0)
        context.close()
    return out[1:]


def page_1d(browser, url: str, repeats: int) -> list[tuple[float, float]]:
    """(ms to the redrawn curve, ms to the last websocket message) per ArrowRight."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(WS_PROBE)
    page = context.new_page()
    page.goto(f"{url}/gradient_1d")
    page.wait_for_selector("div.rl-svg-g1dfield svg", state="attached", timeout=60_000)
    time.sleep(3)
    out = []
    for _ in range(repeats):
        before = page.evaluate(CURVE_JS)
        page.evaluate("() => { window.__ws.recv = []; }")
        _arrow_right(page, page.locator("[data-testid='stSlider'] input[type='range']").first)
        page.wait_for_function(f"(b) => ({CURVE_JS})() !== b", arg=before, polling="raf",
                               timeout=30_000)
        redrawn = page.evaluate("performance.now() - window.__t0")
        page.wait_for_selector(IDLE_SELECTOR)
        last = page.evaluate("Math.max(...window.__ws.recv) - window.__t0")
        out.append((redrawn, last))
        time.sleep(1.0)
    context.close()
    return out


def plotly_alone(browser, repeats: int) -> dict[str, list[float]]:
    """ms of ``Plotly.react`` (and the next frame) of the 1-D figure, alternating two noises."""
    import json

    import plotly
    import plotly.io as pio

    from red_core import denoisers, signals
    from red_core.lab import field1d, plots

    def figure(noise: float, lines_only: bool) -> dict:
        clean, noisy = signals.observe("varying_noise", 512, 0, noise)
        stats = field1d.gradient_field(clean, noisy, denoisers.build("gaussian", noise),
                                       noisy=signals.noisy_stretches("varying_noise", 512))
        fig = json.loads(pio.to_json(plots.gradient_field_figure(stats), validate=False))
        if lines_only:
            fig["layout"]["shapes"] = []
            fig["data"] = [d for d in fig["data"] if d.get("mode") != "markers"]
        return fig

    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_content("<div id='g' style='width:1300px'></div>")
    page.add_script_tag(path=str(bundle))
    out = {}
    for label, lines_only in (("the whole figure", False), ("its lines only", True)):
        figs = [figure(0.1, lines_only), figure(0.11, lines_only)]
        page.evaluate("(f) => Plotly.newPlot('g', f.data, f.layout)", figs[1])
        out[label] = [page.evaluate(
            "async (f) => { const t = performance.now(); await Plotly.react('g', f.data, "
            "f.layout); await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));"
            " return performance.now() - t; }", figs[i % 2]) for i in range(repeats + 1)][1:]
        page.evaluate("() => Plotly.purge('g')")
    page.close()
    return out


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from browser_utils import CHROMIUM_ARGS, CHROMIUM_PATH, StreamlitServer

    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"<!-- browser_floor.py --repeats {args.repeats}; load {load} on 2 cores -->\n")
    with tempfile.TemporaryDirectory() as folder:
        slider_app = Path(folder) / "slider_app.py"
        slider_app.write_text(textwrap.dedent(SLIDER_APP.format(root=str(ROOT))))
        chart_app = Path(folder) / "first_chart_app.py"
        chart_app.write_text(textwrap.dedent(FIRST_CHART_APP))
        servers = {name: StreamlitServer(str(path)) for name, path in
                   (("slider", slider_app), ("chart", chart_app), ("lab", ROOT / "app.py"))}
        try:
            urls = {name: s.start(timeout=60) for name, s in servers.items()}
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                            args=CHROMIUM_ARGS)
                print("| slider → redrawn (ms), minimal page | median | runs |\n|---|---|---|")
                for kind, label in (("text", "a slider and a line of text"),
                                    ("plotly", "+ the 1-D gradient-field figure"),
                                    ("plotly-no-theme", "+ that figure, theme=None"),
                                    ("svg", "+ that figure as inline SVG (plots.svg)")):
                    runs = slider_floor(browser, urls["slider"], kind, args.repeats)
                    print(f"| {label} | {_median(runs)} | "
                          f"{', '.join(f'{r:.0f}' for r in runs)} |")
                print("\n| first chart of a fresh tab (ms from the click) | median | runs |"
                      "\n|---|---|---|")
                for kind in ("plotly", "vega", "svg"):
                    runs = first_chart(browser, urls["chart"], kind, max(3, args.repeats // 2))
                    print(f"| {kind} | {_median(runs)} | "
                          f"{', '.join(f'{r:.0f}' for r in runs)} |")
                rows = page_1d(browser, urls["lab"], args.repeats)
                print("\n| the 1-D page, ArrowRight on the noise slider (ms) | median | runs |"
                      "\n|---|---|---|")
                print(f"| → D(x) redrawn | {_median([r[0] for r in rows])} | "
                      f"{', '.join(f'{r[0]:.0f}' for r in rows)} |")
                print(f"| → last websocket message of the rerun | "
                      f"{_median([r[1] for r in rows])} | "
                      f"{', '.join(f'{r[1]:.0f}' for r in rows)} |")
                print("\n| Plotly.react of the 1-D figure, bare page (ms) | median | runs |"
                      "\n|---|---|---|")
                for label, runs in plotly_alone(browser, args.repeats).items():
                    print(f"| {label} | {_median(runs)} | "
                          f"{', '.join(f'{r:.0f}' for r in runs)} |")
                browser.close()
        finally:
            for s in servers.values():
                s.stop()


if __name__ == "__main__":
    main()
