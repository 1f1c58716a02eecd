"""How fast does the "1-D gradient field" page answer a noise-sigma slider move?

For every 1-D denoiser at n = 512 and n = 2048, two medians over ``--repeats`` moves of the
noise sigma (each to a value not seen before, so no cache hit):

- ``page ms``: the whole page script under Streamlit's AppTest
  (``at.slider(key="noise_sigma").set_value(v).run()``), app.py navigation included;
- ``compute ms``: the pure part of it: signal, ``field1d.gradient_field``, the figure
  (``plots.gradient_field_figure``) and its JSON (what ``st.plotly_chart`` sends).

A baseline last: the page rerun with nothing changed (AppTest's own overhead, app.py and the
page with every result cached); a slider move costs the difference.

The brief's budget is 150 ms of server time for n = 512 with the default denoiser.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/gradient_1d.py [--repeats 10]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from red_core import denoisers, signals  # noqa: E402
from red_core.lab import field1d, plots

SIGNAL = "piecewise_constant"
LENGTHS = (512, 2048)
DEFAULT_DENOISER = "gaussian"
BUDGET_MS = 150.0


def sigmas(repeats: int, offset: int) -> list[float]:
    """Distinct noise sigmas on the slider's 0.005 grid (``offset`` keeps runs apart)."""
    return [round(0.005 * (2 + offset + k), 3) for k in range(repeats)]


def compute_ms(denoiser: str, n: int, repeats: int) -> float:
    times = []
    for sigma in sigmas(repeats, 0):
        start = time.perf_counter()
        clean = signals.make(SIGNAL, n, 0)
        noisy = signals.noisy(clean, sigma, 0)
        stats = field1d.gradient_field(clean, noisy, denoisers.build(denoiser, sigma))
        plots.gradient_field_figure(stats).to_json()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def page_ms(at: AppTest, denoiser: str, n: int, repeats: int, offset: int) -> float:
    at.selectbox(key="denoiser").select(denoiser).run()
    at.slider(key="n").set_value(n).run()
    times = []
    for sigma in sigmas(repeats, offset):
        start = time.perf_counter()
        at.slider(key="noise_sigma").set_value(sigma).run()
        times.append(time.perf_counter() - start)
        if at.exception:
            raise RuntimeError(f"{denoiser}, n={n}: {at.exception[0].message}")
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    names = [d for d in denoisers.NAMES
             if denoisers.describe(d)["supports_1d"] and denoisers.available(d)]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/gradient_1d.py").run()
    print(f"signal {SIGNAL}, median of {args.repeats} noise-sigma moves; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'denoiser':<16} {'n':>5} {'compute ms':>11} {'page ms':>9}")
    offset = 0
    for denoiser in names:
        for n in LENGTHS:
            offset += args.repeats  # fresh sigmas: every page run misses the cache
            compute = compute_ms(denoiser, n, args.repeats)
            page = page_ms(at, denoiser, n, args.repeats, offset % 80)
            mark = " (default)" if denoiser == DEFAULT_DENOISER else ""
            print(f"{denoiser:<16} {n:>5} {compute:>11.1f} {page:>9.1f}{mark}")
    rerun = []
    for _ in range(args.repeats):  # AppTest + app.py + page with every result cached
        start = time.perf_counter()
        at.run()
        rerun.append(time.perf_counter() - start)
    print(f"baseline: unchanged rerun of the page (all cached, warm) "
          f"{1000 * statistics.median(rerun):.1f} ms")
    print(f"budget: {BUDGET_MS:.0f} ms of server time for n = 512 with {DEFAULT_DENOISER}")


if __name__ == "__main__":
    main()
