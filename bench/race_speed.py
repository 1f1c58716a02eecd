"""How fast the race of "Restore an image" is: the library's lane engines, and in a browser.

Tables printed (the machine's load average is printed before and after: the 2 cores are
shared, so read every time as an upper bound):

1. the page's default race (camera 256², Gaussian blur, σₑ = 2.5/255, RED-FP + TV vs PnP-ADMM
   + TV, σ_d linked, 40 iterations, tol 1e-4) computed by ``red_core.lab.race`` in each lane
   engine — ``advance`` (one thread, lanes in turn), ``threads`` and the race's own
   ``start()`` (whatever :mod:`red_core.lab.race` uses) — wall seconds, per lane iterations,
   final PSNR, algorithm seconds and statistics seconds;
2. the cost of one live frame's work on the server (the two figures, two PNGs);
3. with ``--browser`` (Debian's chromium through Playwright, as the browser tests): the app is
   started (``streamlit run app.py``), ``/restore`` opened, **Run** clicked and the time taken
   *in the page* (``performance.now``) from the click to

   - the first live frame (a lane caption ``iteration k · … `` with k ≥ 1), the first curve
     (the PSNR chart with a lane's trace) and the results (the "4 · Results" heading), for
     the default race;
   - lane A's first frame and lane A's finish (its caption leaves ``running``) when lane B
     is BM3D, against lane A's finish "solo" (lane B limited to one iteration).

   Repeated ``--repeats`` times in fresh browser contexts after one warm-up; medians printed.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python bench/race_speed.py --browser --repeats 5
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402

from red_core import images, solvers  # noqa: E402
from red_core.lab import plots, race  # noqa: E402
from red_core.problem import make_problem  # noqa: E402

PAGE = ROOT / "pages" / "restore.py"


def page_lane_defaults() -> tuple[tuple[tuple[str, str], ...], int, float]:
    """``DEFAULT_LANES`` and the default max_iter and tol of a lane, read from the page script
    (it cannot be imported: it draws a Streamlit page)."""
    tree = ast.parse(PAGE.read_text(encoding="utf-8"))
    lanes, iters, tol = None, None, None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "DEFAULT_LANES":
            lanes = ast.literal_eval(node.value)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "Param" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and first.value in ("max_iter", "tol"):
                value = ast.literal_eval(node.args[2])
                iters, tol = (value, tol) if first.value == "max_iter" else (iters, value)
    assert lanes and iters and tol is not None, "pages/restore.py changed: update the bench"
    return lanes, iters, tol


def default_race(size: int = 256, lanes: int = 2) -> tuple[race.Race, dict]:
    """The race the page runs at its defaults (σ_d linked, rounded to 0.1/255 as the slider)."""
    import streamlit.logger

    streamlit.logger.set_log_level("error")  # ui.problem's caches warn outside an app
    from ui.problem import fields

    setup = {k: p.default for k, p in fields().items()}
    problem = make_problem(images.builtin(setup["image"], size), setup["degradation"],
                           setup["noise_sigma"] / 255, setup["seed"])
    pairs, iters, tol = page_lane_defaults()
    contenders = {}
    for lane, (method, den) in zip("abcd"[:lanes], pairs, strict=False):
        sigma = round(255 * solvers.default_denoiser_sigma(problem, method, den), 1) / 255
        contenders[lane] = race.Contender(method, den, sigma, {}, iters, tol)
    first_red = next(c for c in contenders.values() if c.family == "red")
    lam = solvers.resolve(first_red.method, problem, None, first_red.params)["lam"]
    return race.Race(problem, contenders, objective_lam=lam), {"problem": problem,
                                                               "contenders": contenders,
                                                               "lam": lam}


def _step_until_done(lane) -> None:
    while not lane.trace.done:
        lane.step()


def run_engine(engine: str) -> tuple[float, race.Race]:
    r, _ = default_race()
    start = time.perf_counter()
    if engine == "advance":
        while not r.done:
            r.advance(1.0)
    elif engine == "threads":  # one plain thread per lane, each calling advance-like steps
        threads = [threading.Thread(target=_step_until_done, args=(lane,))
                   for lane in r._lanes.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        r.start().wait()
    return time.perf_counter() - start, r


def library_table(repeats: int) -> None:
    print("## 1. The default race in the library (no app)\n")
    print("| engine | wall s (median) | lane | iterations | status | final PSNR | "
          "algorithm s | statistics s |")
    print("|---|---|---|---|---|---|---|---|")
    for engine in ("advance", "threads", "start()"):
        walls, last = [], None
        for _ in range(repeats):
            wall, last = run_engine(engine)
            walls.append(wall)
        for i, (label, h) in enumerate(last.histories().items()):
            rec = h[-1]
            head = f"| {engine} | {statistics.median(walls):.2f} " if i == 0 else "| | "
            print(f"{head}| {label} | {rec['iter']} | {rec['status']} | {rec['psnr']:.4f} | "
                  f"{rec['time']:.2f} | {rec['stats_time']:.2f} |")
    print()


def frame_table() -> None:
    """What one live frame costs the server besides the lanes (figures and PNGs)."""
    import plotly.io as pio

    from red_core import images as im

    r, _ = default_race()
    while not r.done:
        r.advance(1.0)
    views = r.views()
    histories = {k: v.history for k, v in views.items()}
    try:  # the page's fast encoder (zlib level 1); absent before it was added
        import streamlit.logger

        streamlit.logger.set_log_level("error")
        from ui.layout import png as fast_png
    except ImportError:
        fast_png = None
    costs = {"PSNR figure + JSON": [], "3-panel figure + JSON": [],
             "PSNR chart as inline SVG (plots.svg, what the page draws)": [],
             "3-panel chart as inline SVG (plots.svg)": [],
             "2 PNGs, default zlib level (as st.image encodes an array)": [],
             "2 PNGs, ui.layout.png (zlib level 1)": []}
    for _ in range(10):
        t = time.perf_counter()
        pio.to_json(plots.convergence_figure(histories, panels=("psnr",), columns=1,
                                             height=360), validate=False)
        costs["PSNR figure + JSON"].append(time.perf_counter() - t)
        t = time.perf_counter()
        pio.to_json(plots.convergence_figure(
            histories, panels=("objective", "residual", "rel_change"), columns=3,
            legend=False), validate=False)
        costs["3-panel figure + JSON"].append(time.perf_counter() - t)
        t = time.perf_counter()
        plots.svg(plots.convergence_spec(histories, panels=("psnr",), columns=1, height=360),
                  widths=(320, 460, 600))
        costs["PSNR chart as inline SVG (plots.svg, what the page draws)"].append(
            time.perf_counter() - t)
        t = time.perf_counter()
        plots.svg(plots.convergence_spec(
            histories, panels=("objective", "residual", "rel_change"), columns=3,
            legend=False))
        costs["3-panel chart as inline SVG (plots.svg)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        for v in views.values():
            im.to_png_bytes(np.clip(v.x, 0, 1))
        costs["2 PNGs, default zlib level (as st.image encodes an array)"].append(
            time.perf_counter() - t)
        if fast_png is not None:
            t = time.perf_counter()
            for v in views.values():
                fast_png(v.x)
            costs["2 PNGs, ui.layout.png (zlib level 1)"].append(time.perf_counter() - t)
    print("## 2. One live frame's drawing work on the server (final 40-iteration histories)\n")
    print("| part | median ms |")
    print("|---|---|")
    for part, values in costs.items():
        if values:
            print(f"| {part} | {1e3 * statistics.median(values):.1f} |")
    print()


# --------------------------------------------------------------------------- in the browser

#: Installed in the page before the click: timestamps (performance.now, ms) of the click and
#: of the first moment each event is in the DOM, checked every 20 ms on textContent (no layout
#: forced, so the probe does not slow the page down).
PROBE_JS = r"""() => {
  const t = window.__race = {};
  document.addEventListener('click', () => { if (!t.click) t.click = performance.now(); }, true);
  const frame = /iteration [1-9]\d* · /;
  const aFrame = /A · [^·]*· iteration [1-9]\d* · /;
  const aDone = /A · [^·]*· iteration \d+ · PSNR [^·]* · (converged|max_iter|diverged|error)/;
  t.timer = setInterval(() => {
    if (!t.click) return;
    const text = document.body.textContent;
    const now = performance.now();
    if (!t.first && frame.test(text)) t.first = now;
    if (!t.curve && document.querySelector('.rl-svg-racepsnr path[data-trace]')) t.curve = now;
    if (!t.aFirst && aFrame.test(text)) t.aFirst = now;
    if (!t.aDone && aDone.test(text)) t.aDone = now;
    if (!t.done && text.includes('4 · Results')) {
      t.done = now;
      clearInterval(t.timer);
    }
  }, 20);
}"""


def browser_race(base_url: str, browser, query: str, repeats: int,
                 until: str = "done") -> list[dict[str, float]]:
    """Seconds from the click to each event of ``PROBE_JS``, one dict per repeat."""
    from browser_utils import open_page

    out = []
    for _ in range(repeats):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        open_page(page, base_url, f"/restore?{query}")
        page.evaluate(PROBE_JS)
        page.get_by_role("button", name="Run").click()
        page.wait_for_function(f"() => window.__race.{until}", timeout=600_000, polling=100)
        t = page.evaluate("() => window.__race")
        out.append({k: (t[k] - t["click"]) / 1e3
                    for k in ("first", "curve", "aFirst", "aDone", "done") if t.get(k)})
        if until != "done":  # do not wait for the slow lane: stop it
            page.get_by_role("button", name="Stop").click()
            page.wait_for_function("() => window.__race.done", timeout=120_000, polling=100)
        context.close()
    return out


def median(rows: list[dict[str, float]], key: str) -> str:
    values = [r[key] for r in rows if key in r]
    return f"{statistics.median(values):.2f}" if values else "—"


def browser_tables(args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    from browser_utils import CHROMIUM_ARGS, CHROMIUM_PATH, StreamlitServer

    server = StreamlitServer()
    base_url = server.start(timeout=60)
    if args.pin:  # every thread of the server on CPU 0; this process and chromium on CPU 1
        subprocess.run(["taskset", "-a", "-p", "-c", "0", str(server.process.pid)],
                       check=True, capture_output=True)
        os.sched_setaffinity(0, {1})
    slow = "b_denoiser=bm3d&b_iters=3"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                        args=CHROMIUM_ARGS)
            browser_race(base_url, browser, "", 1)  # warm-up: imports, caches, first problem
            default = browser_race(base_url, browser, "", args.repeats)
            solo = bm3d = []
            if not args.no_bm3d:
                solo = browser_race(base_url, browser, "b_iters=1", args.repeats)
                browser_race(base_url, browser, slow, 1, until="aDone")  # bm3d warm-up
                bm3d = browser_race(base_url, browser, slow, args.repeats, until="aDone")
            browser.close()
    finally:
        server.stop()
    print("## 3. In the browser (1400×900, times from the click, s)\n")
    print("| run | default: first frame | default: first curve | default: results | "
          "A solo: finish | A vs BM3D: first frame | A vs BM3D: finish |")
    print("|---|---|---|---|---|---|---|")
    for k in range(args.repeats):
        cells = [default[k].get("first"), default[k].get("curve"), default[k].get("done"),
                 solo[k].get("aDone") if solo else None,
                 bm3d[k].get("aFirst") if bm3d else None,
                 bm3d[k].get("aDone") if bm3d else None]
        print(f"| {k + 1} | " + " | ".join("—" if c is None else f"{c:.2f}" for c in cells)
              + " |")
    print(f"| median | {median(default, 'first')} | {median(default, 'curve')} | "
          f"{median(default, 'done')} | "
          f"{median(solo, 'aDone')} | {median(bm3d, 'aFirst')} | {median(bm3d, 'aDone')} |")
    print("\nTargets: default first frame ≤ 0.5 s, results ≤ 2.5 s; with BM3D in lane B, "
          "lane A's first frame ≤ 1 s and its finish within 20 % of solo.")


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browser", action="store_true", help="also measure in chromium")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-library", action="store_true", help="skip tables 1 and 2")
    parser.add_argument("--no-bm3d", action="store_true", help="skip the BM3D browser race")
    parser.add_argument("--pin", action="store_true",
                        help="server on CPU 0, chromium on CPU 1 (as if the browser ran on the "
                             "user's own machine; needs 2 cores and taskset)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; at the start: {load()}\n")
    if not args.no_library:
        library_table(args.repeats)
        frame_table()
    if args.browser:
        browser_tables(args)
    print(f"\nAt the end: {load()}")


if __name__ == "__main__":
    main()
