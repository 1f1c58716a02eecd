"""How fast the "1-D gradient field" page answers: a noise move, Descend, and Stop.

Server side (always), medians over ``--repeats``:

- for every 1-D denoiser at n = 512 and n = 2048, a move of the noise σₑ (each to a value not
  seen before, so no cache hit): ``page ms`` is the whole page script under Streamlit's AppTest
  (``at.slider(key="g1d_noise").set_value(v).run()``), app.py navigation included; ``compute
  ms`` its pure part (signal, ``field1d.gradient_field``, the figure drawn as inline SVG);
- a baseline: the page rerun with nothing changed (AppTest's own overhead, every result cached);
- ``Descend`` through the page: iterations per page run and per second when AppTest reruns the
  page back to back (each run is one animation frame: what the server can deliver).

With ``--browser`` (Debian's chromium through Playwright, as the browser tests), the app is
started (``streamlit run app.py``) and, in fresh pages at 1400×1000, timed *inside the page*
(``performance.now``, a probe polling every 10 ms):

- **slider → redraw**: ArrowRight on the noise slider (n = 512) until the field figure's D(x)
  curve has changed in the DOM;
- **Descend**: from the click to the final status ("converged"/"max_iter"), iterations drawn
  per second and redraws per second, at the defaults and on a long run (step fraction 0.05);
- **Stop**: on a long run (pixel MMSE, step fraction 1.5, n = 512), from the click on Stop
  to "stopped" on screen, and whether any iteration ran after it; the iteration on screen at
  the click against the one it stopped at says how many frames the browser was behind.

The budgets (issue 12): slider → redraw ≤ 300 ms; Descend ≥ 20 iterations/s at n = 512 with
≤ ~3 redraws/s (the page redraws at most every 0.75 s); Stop acts within 0.5 s. The load
average is printed: other processes on this 2-core machine slow the browser most.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/gradient_1d.py [--repeats 5] [--browser]``
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from streamlit.testing.v1 import AppTest  # noqa: E402

from red_core import denoisers, signals  # noqa: E402
from red_core.lab import field1d, plots  # noqa: E402

SIGNAL = "varying_noise"
LENGTHS = (512, 2048)
DEFAULT_DENOISER = "gaussian"
PAGE = "gradient_1d"
#: A long run for Stop at n = 512: the pixel MMSE denoiser at 1.5 × the safe step never settles
#: (500 iterations, 7 frames: 8, 16, 32, ... 256, 500).
STOP_QUERY = "?g1d_denoiser=mmse_gmm&g1d_step=1.5&g1d_iters=500"
STATUS = re.compile(r"RED-GD, iteration (\d+) of (\d+): ([a-z_]+)")


def sigmas(repeats: int, offset: int) -> list[float]:
    """Distinct noise levels (units of 1/255) on the slider's grid (``offset`` keeps runs
    apart)."""
    return [float(2 + offset + k) for k in range(repeats)]


def compute_ms(denoiser: str, n: int, repeats: int) -> float:
    times = []
    for sigma255 in sigmas(repeats, 0):
        sigma = sigma255 / 255
        start = time.perf_counter()
        clean, noisy = signals.observe(SIGNAL, n, 0, sigma)
        stats = field1d.gradient_field(clean, noisy, denoisers.build(denoiser, sigma),
                                       noisy=signals.noisy_stretches(SIGNAL, n))
        plots.svg(plots.gradient_field_spec(stats), uid="g1dfield")
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def page_ms(at: AppTest, denoiser: str, n: int, repeats: int, offset: int) -> float:
    at.selectbox(key="g1d_denoiser").select(denoiser).run()
    at.slider(key="g1d_n").set_value(n).run()
    times = []
    for sigma255 in sigmas(repeats, offset):
        start = time.perf_counter()
        at.slider(key="g1d_noise").set_value(sigma255).run()
        times.append(time.perf_counter() - start)
        if at.exception:
            raise RuntimeError(f"{denoiser}, n={n}: {at.exception[0].message}")
    return 1000 * statistics.median(times)


def page_descent(step_fraction: float) -> tuple[int, int, float]:
    """(iterations, page runs, seconds) of a descent through AppTest, frame after frame."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(f"pages/{PAGE}.py").run()
    at.number_input(key="g1d_step").set_value(step_fraction).run()
    start = time.perf_counter()
    at.button(key="g1d_descend").click().run()
    runs = 1
    while True:
        status = next(m.value for m in at.markdown if m.value.startswith("**RED-GD**"))
        if "running" not in status:
            break
        at.run()
        runs += 1
    seconds = time.perf_counter() - start
    return int(re.search(r"iteration (\d+) of", status).group(1)), runs, seconds


def server_tables(repeats: int) -> None:
    names = [d for d in denoisers.NAMES
             if denoisers.describe(d)["supports_1d"] and denoisers.available(d)]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(f"pages/{PAGE}.py").run()
    print(f"signal {SIGNAL}, median of {repeats} noise moves; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| denoiser | n | compute ms | page ms (AppTest) |")
    print("|---|---|---|---|")
    offset = 0
    for denoiser in names:
        for n in LENGTHS:
            offset += repeats  # fresh noise levels: every page run misses the cache
            compute = compute_ms(denoiser, n, repeats)
            page = page_ms(at, denoiser, n, repeats, offset % 100)
            mark = " (default)" if denoiser == DEFAULT_DENOISER and n == 512 else ""
            print(f"| {denoiser}{mark} | {n} | {compute:.1f} | {page:.1f} |")
    rerun = []
    for _ in range(repeats):
        start = time.perf_counter()
        at.run()
        rerun.append(time.perf_counter() - start)
    print(f"\nbaseline: unchanged rerun of the page (all cached) "
          f"{1000 * statistics.median(rerun):.1f} ms\n")
    print("| descent through AppTest (n = 512) | iterations | page runs (frames) | s | it/s |")
    print("|---|---|---|---|---|")
    for fraction in (field1d.DESCENT_STEP_FRACTION, 0.05):
        iterations, runs, seconds = page_descent(fraction)
        print(f"| step fraction {fraction:g} | {iterations} | {runs} | {seconds:.2f} | "
              f"{iterations / seconds:.0f} |")


# --------------------------------------------------------------------------- browser

#: Installed in the page before an interaction: ``performance.now`` of the first click or key
#: press, of every change of the descent status (iteration, status) and of the first change of
#: the field figure's D(x) curve, polled every 10 ms (textContent and one attribute: no layout
#: forced, so the probe does not slow the page down).
#: The field figure's D(x) curve as an SVG path string, or null (the page's inline SVG:
#: every width's drawing changes in the same DOM update).
CURVE_JS = """() => {
  const path = document.querySelector("div.rl-svg-g1dfield path[data-trace='D(x)']");
  return path ? path.getAttribute('d') : null;
}"""

PROBE_JS = r"""() => {
  const t = window.__g1d = {frames: [], event: null, redrawn: null};
  const mark = () => { if (t.event === null) t.event = performance.now(); };
  document.addEventListener('click', mark, true);
  document.addEventListener('keydown', mark, true);
  const curve = CURVE_JS;
  const before = curve();
  const status = /RED-GD, iteration (\d+) of (\d+): ([a-z_]+)/;
  let last = null;
  t.timer = setInterval(() => {
    if (t.event === null) return;
    const now = performance.now();
    if (t.redrawn === null) { const c = curve(); if (c !== null && c !== before) t.redrawn = now; }
    const m = document.body.textContent.match(status);
    if (m && m[0] !== last) { last = m[0]; t.frames.push([now, +m[1], m[3]]); }
  }, 10);
}""".replace("CURVE_JS", CURVE_JS)


def _open(browser, base_url: str, query: str = ""):
    from browser_utils import open_page

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    open_page(page, base_url, "/")
    open_page(page, base_url, PAGE + query)
    page.wait_for_selector("div.rl-svg-g1dfield svg", state="attached")
    return context, page


def browser_slider(browser, base_url: str) -> float:
    """ms from ArrowRight on the noise slider to the new D(x) curve in the DOM."""
    context, page = _open(browser, base_url)
    thumb = page.locator("[data-testid='stSlider'] input[type='range']").first
    thumb.focus()
    page.evaluate(PROBE_JS)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.__g1d.redrawn !== null", timeout=30_000, polling=50)
    t = page.evaluate("() => window.__g1d")
    context.close()
    return t["redrawn"] - t["event"]


def browser_descent(browser, base_url: str, query: str) -> tuple[int, float, int]:
    """(iterations, seconds from the click to the final status, frames drawn)."""
    context, page = _open(browser, base_url, query)
    page.evaluate(PROBE_JS)
    page.get_by_role("button", name="Descend").click()
    page.wait_for_function(
        "() => window.__g1d.frames.some(f => f[2] !== 'running')", timeout=300_000,
        polling=50)
    t = page.evaluate("() => window.__g1d")
    context.close()
    end = next(f for f in t["frames"] if f[2] != "running")
    return end[1], (end[0] - t["event"]) / 1e3, len(t["frames"])


def browser_stop(browser, base_url: str) -> tuple[float, int, int, str]:
    """(ms from the click on Stop to the final status on screen, iteration shown when Stop was
    clicked, iteration it ended at, that status: ``stopped`` unless the run ended first)."""
    from browser_utils import wait_idle

    context, page = _open(browser, base_url, STOP_QUERY)
    page.get_by_role("button", name="Descend").click()
    status = page.locator("p").filter(has_text=STATUS)
    page.wait_for_function(  # the second frame on screen: mid-animation
        "() => /RED-GD, iteration ([1-9]\\d+) of 500: running/.test(document.body.textContent)",
        timeout=60_000, polling=20)
    page.evaluate(PROBE_JS)
    shown = int(STATUS.search(status.inner_text()).group(1))
    page.get_by_role("button", name="Stop").click()
    page.wait_for_function("() => window.__g1d.frames.some(f => f[2] !== 'running')",
                           timeout=30_000, polling=20)
    t = page.evaluate("() => window.__g1d")
    page.wait_for_timeout(1500)  # any frame still to come would change the status
    wait_idle(page)
    final = int(STATUS.search(status.inner_text()).group(1))
    end = next(f for f in t["frames"] if f[2] != "running")
    context.close()
    if end[1] != final:
        raise RuntimeError(f"iterations ran after Stop: {end[1]} -> {final}")
    return end[0] - t["event"], shown, final, end[2]


def browser_tables(repeats: int, pin: bool) -> None:
    from playwright.sync_api import sync_playwright

    from browser_utils import CHROMIUM_ARGS, CHROMIUM_PATH, StreamlitServer

    server = StreamlitServer()
    base_url = server.start(timeout=60)
    if pin:  # every thread of the server on CPU 0; this process and chromium on CPU 1
        subprocess.run(["taskset", "-a", "-p", "-c", "0", str(server.process.pid)],
                       check=True, capture_output=True)
        os.sched_setaffinity(0, {1})
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                        args=CHROMIUM_ARGS)
            browser_slider(browser, base_url)  # warm-up: imports, caches
            slider = [browser_slider(browser, base_url) for _ in range(repeats)]
            runs = {label: [browser_descent(browser, base_url, query) for _ in range(repeats)]
                    for label, query in (("defaults", ""),
                                         ("step fraction 0.05", "?g1d_step=0.05"))}
            stops = [browser_stop(browser, base_url) for _ in range(repeats)]
            browser.close()
    finally:
        server.stop()
    print(f"\nbrowser (chromium 1400×1000, n = 512, {repeats} fresh pages each, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
          f"{', server pinned to CPU 0' if pin else ''})\n")
    print(f"slider → redraw: median {statistics.median(slider):.0f} ms "
          f"(runs: {', '.join(f'{v:.0f}' for v in slider)}; budget 300 ms)\n")
    print("| Descend | iterations | click → final status (s) | it/s | frames | frames/s |")
    print("|---|---|---|---|---|---|")
    for label, rows in runs.items():
        for iterations, seconds, frames in rows:
            print(f"| {label} | {iterations} | {seconds:.2f} | {iterations / seconds:.0f} | "
                  f"{frames} | {frames / seconds:.1f} |")
    print("\n| Stop (MMSE, step fraction 1.5, n = 512) | shown at click | ended at | "
          "status | click → status on screen (ms) |")
    print("|---|---|---|---|---|")
    for ms, shown, final, how in stops:
        print(f"| | {shown} | {final} | {how} | {ms:.0f} |")
    print(f"| median | | | | {statistics.median(s[0] for s in stops):.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also measure in chromium")
    parser.add_argument("--no-server", action="store_true",
                        help="skip the AppTest tables (with --browser)")
    parser.add_argument("--pin", action="store_true",
                        help="server on CPU 0, chromium on CPU 1 (needs 2 cores and taskset)")
    args = parser.parse_args()
    if not args.no_server:
        server_tables(args.repeats)
    if args.browser:
        browser_tables(args.repeats, args.pin)


if __name__ == "__main__":
    main()
