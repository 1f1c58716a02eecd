"""How fast the default race of "Restore an image" is: the library alone, and in a real browser.

Prints three tables:

1. the default race (camera 256², Gaussian blur 1.6, σ = 0.01, the page's default contenders)
   computed by ``red_core.race`` alone: iterations, final PSNR, seconds;
2. the cost of one live redraw's figure (``plots.convergence_figure`` on the full histories);
3. with ``--browser`` (needs Debian's chromium and playwright, as the browser tests): the app is
   started (``streamlit run app.py``), the restore page opened with its defaults, **Run**
   clicked, and the time measured *in the page* from the click event to the first live frame
   in the DOM (an image caption "iteration k · … · running" with k ≥ 1, or a finished one)
   and to the results table ("4 · Results").  Repeated ``--repeats`` times in fresh pages.

Usage::

    python bench/race_speed.py --browser --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from red_core import images  # noqa: E402
from red_core.lab import (
    plots,
    race,  # noqa: E402
)

#: The page's default contenders (views/restore.py DEFAULTS; read from there at run time).


def page_defaults() -> dict:
    source = (ROOT / "views" / "restore.py").read_text(encoding="utf-8")
    block = source[source.index("DEFAULTS = {"): source.index("}", source.index("DEFAULTS = {"))
                   + 1]
    return eval(block.split("=", 1)[1], {})  # a literal dict in our own page script


def library_race(d: dict) -> tuple[race.Race, float]:
    problem = race.make_problem(images.builtin(d["image"], d["size"]), d["degradation"],
                                d["noise_sigma"], seed=d["seed"])
    contenders = {
        side.upper() if side == "red" else "PnP": race.Contender(
            d[f"{side}_method"], d[f"{side}_denoiser"], d[f"{side}_sigma"] / 255,
            max_iter=d[f"{side}_iters"], tol=d[f"{side}_tol"])
        for side in ("red", "pnp")}
    r = race.Race(problem, contenders)
    start = time.perf_counter()
    while not r.done:
        r.advance(1.0)
    return r, time.perf_counter() - start


#: Installed in the page before the click: timestamps (performance.now, ms) of the click event
#: and of the first moment the first live frame / the results table are in the DOM, checked
#: every 20 ms (textContent: no layout forced, so the probe does not slow the page down).
PROBE_JS = r"""() => {
  const t = window.__race = {};
  document.addEventListener('click', () => { if (!t.click) t.click = performance.now(); }, true);
  const frame = /iteration [1-9]\d* · [^·]* · (running|converged|max_iter)/;
  t.timer = setInterval(() => {
    if (!t.click) return;
    const text = document.body.textContent;
    if (!t.first && frame.test(text)) t.first = performance.now();
    if (!t.done && text.includes('4 · Results')) {
      t.done = performance.now();
      clearInterval(t.timer);
    }
  }, 20);
}"""


def browser_race(base_url: str, browser, repeats: int) -> list[tuple[float, float]]:
    """(click → first live frame, click → results table) in seconds, timed inside the page."""
    from browser_utils import open_page

    times = []
    for _ in range(repeats):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        open_page(page, base_url, "/restore")
        page.evaluate(PROBE_JS)
        page.get_by_role("button", name="Run").click()
        page.wait_for_function("() => window.__race.done", timeout=300_000, polling=100)
        t = page.evaluate("() => window.__race")
        times.append(((t["first"] - t["click"]) / 1e3, (t["done"] - t["click"]) / 1e3))
        context.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browser", action="store_true", help="also measure in chromium")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pin", action="store_true",
                        help="server on CPU 0, chromium on CPU 1 (as if the browser ran on the "
                             "user's own machine; needs 2 cores and taskset)")
    args = parser.parse_args()

    d = page_defaults()
    print(f"default race: {d['image']} {d['size']}², {d['degradation']}, σ = {d['noise_sigma']}; "
          f"RED {d['red_method']} + {d['red_denoiser']} (≤ {d['red_iters']} it) vs "
          f"PnP {d['pnp_method']} + {d['pnp_denoiser']} (≤ {d['pnp_iters']} it)\n")
    r, seconds = library_race(d)
    print("| run | iterations | status | final PSNR (dB) | algorithm seconds |")
    print("|---|---|---|---|---|")
    for label, lane in r.lanes.items():
        h = lane.history[-1]
        print(f"| {label} | {h['iter']} | {lane.status} | {h['psnr']:.2f} | {h['time']:.2f} |")
    print(f"| both (library, one thread) | | | | {seconds:.2f} |\n")

    builds = []
    for _ in range(20):
        t = time.perf_counter()
        plots.convergence_figure(r.histories(), reference_psnr=race.degraded_psnr(r.problem))
        builds.append(time.perf_counter() - t)
    print(f"convergence_figure on the final histories: median {1e3 * statistics.median(builds):.1f}"
          f" ms over 20 builds\n")

    if not args.browser:
        return
    from playwright.sync_api import sync_playwright

    from browser_utils import CHROMIUM_ARGS, CHROMIUM_PATH, StreamlitServer

    server = StreamlitServer()
    base_url = server.start(timeout=60)
    if args.pin:  # every thread of the server on CPU 0; this process and chromium on CPU 1
        subprocess.run(["taskset", "-a", "-p", "-c", "0", str(server.process.pid)],
                       check=True, capture_output=True)
        os.sched_setaffinity(0, {1})
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                        args=CHROMIUM_ARGS)
            browser_race(base_url, browser, 1)  # warm-up: imports, caches, first problem
            times = browser_race(base_url, browser, args.repeats)
            browser.close()
    finally:
        server.stop()
    print("| browser run | Run → first live frame (s) | Run → results table (s) |")
    print("|---|---|---|")
    for k, (first, done) in enumerate(times, 1):
        print(f"| {k} | {first:.2f} | {done:.2f} |")
    print(f"| median | {statistics.median(t[0] for t in times):.2f} | "
          f"{statistics.median(t[1] for t in times):.2f} |")


if __name__ == "__main__":
    main()
