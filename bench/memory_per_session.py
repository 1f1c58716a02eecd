"""Memory of the app server per active session: RSS before and after N sessions have raced.

Usage (from the repository root; needs Debian's chromium and Playwright)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/memory_per_session.py [--sessions 1 3 6]
        [--lanes 4] [--size 256] [--iters 30] [--image camera] [--same-setup]

For every N in ``--sessions`` a fresh ``streamlit run app.py`` (the repository's
``.streamlit/config.toml``) is started on a free loopback port. One warm-up session opens
"Restore an image", races and closes (so imports, the built-in image and plotly are loaded);
then the server's resident memory (``VmRSS`` of its process and of any child process, from
``/proc``) is read, N browser contexts open ``/restore`` at ``--size`` × ``--size`` **at the
same time**, each presses Run and waits for the results of its race (``--lanes`` contenders, the
page's default ones, ``--iters`` iterations each, tolerance 0: every lane a thread of the server
process), and ``VmRSS`` is read again while all N sessions are still connected. By default
every session uses another noise seed, so each one also gets its own cached Problem on the
server (the worst case: every student changed a setting); ``--same-setup`` gives them all
the same one.

Prints one row per N: RSS before, after, the growth per session, the peak (``VmHWM``), the
wall time of the N races (from the first page load to the last result) and the server's CPU time
per session (``/proc/<pid>/stat``, all threads: the race plus the app drawing it live), then the
time of the same race computed alone without the app. Target: at most 50 MB per active session
(issue 12: 6 sessions racing 4 lanes each).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository and tests/ importable
    ROOT = Path(__file__).resolve().parents[1]
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_utils import (  # noqa: E402
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    IDLE_SELECTOR,
    StreamlitServer,
    artifact_path,
)

TARGET_MB = 50.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process (all its threads) so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alone_seconds(args: argparse.Namespace) -> float:
    """Wall time of the same race computed in this process, without the app (one core)."""
    from red_core import images, solvers
    from red_core.lab import race

    problem = race.make_problem(images.builtin(args.image, args.size), "gaussian_blur", 2.5 / 255)
    pairs = (("red-fp", "tv"), ("pnp-admm", "tv"), ("red-gd", "tv"), ("pnp-pgd", "tv"))
    contenders = {
        lane: race.Contender(m, d, round(255 * solvers.default_denoiser_sigma(problem, m, d), 1)
                             / 255, max_iter=args.iters, tol=0)
        for lane, (m, d) in zip("abcd"[:args.lanes], pairs, strict=False)}
    start = time.perf_counter()
    r = race.Race(problem, contenders,
                  objective_lam=solvers.default_params("red-fp", problem)["lam"])
    while not r.done:
        r.advance(1.0)
    return time.perf_counter() - start


def _field_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def children(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (none while the lanes are threads)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").iterdir():
            kids = (task / "children").read_text().split() if (task / "children").exists() else []
            found += [int(k) for k in kids]
            todo += [int(k) for k in kids]
    return found


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A memory field of ``/proc/<pid>/status`` in MB (VmRSS: resident now; VmHWM: peak), summed
    over the process and its descendants (so lanes in processes would be counted too)."""
    return sum(_field_mb(p, field) for p in [pid, *children(pid)])


async def open_and_race(browser, url: str, ready: asyncio.Barrier | None):
    """A context on ``url``: Run (together with the others), wait for the results; return it
    open (the session stays active on the server)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(600_000)
    page = await context.new_page()
    await page.goto(url, timeout=600_000)
    await page.wait_for_selector(IDLE_SELECTOR)
    if ready is not None:
        await ready.wait()
    await page.get_by_role("button", name="Run").click()
    await page.get_by_text("4 · Results").wait_for()
    await page.wait_for_selector(IDLE_SELECTOR)
    return context


async def measure(server: StreamlitServer, n: int, args: argparse.Namespace) -> dict:
    from playwright.async_api import async_playwright

    pid = server.process.pid
    lanes = "abcd"[:args.lanes]
    query = (f"image={args.image}&size={args.size}&lanes={args.lanes}&"
             + "&".join(f"{lane}_iters={args.iters}&{lane}_tol=0" for lane in lanes))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH,
                                                   headless=True, args=CHROMIUM_ARGS)
        try:
            warm = await open_and_race(browser, f"{server.url}/restore?{query}&seed=999", None)
            await warm.close()
            await asyncio.sleep(2)
            before, cpu0 = rss_mb(pid), cpu_seconds(pid)
            ready = asyncio.Barrier(n)
            start = time.perf_counter()
            contexts = await asyncio.gather(*(
                open_and_race(browser, f"{server.url}/restore?{query}"
                              f"&seed={0 if args.same_setup else i}", ready)
                for i in range(n)))
            seconds = time.perf_counter() - start
            await asyncio.sleep(2)
            after, cpu = rss_mb(pid), cpu_seconds(pid) - cpu0
            peak = rss_mb(pid, "VmHWM")
            for context in contexts:
                await context.close()
        finally:
            await browser.close()
    return {"n": n, "before": before, "after": after, "per_session": (after - before) / n,
            "peak": peak, "seconds": seconds, "cpu_per_session": cpu / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 3, 6])
    parser.add_argument("--lanes", type=int, default=4, choices=(2, 3, 4))
    parser.add_argument("--size", type=int, default=256, choices=(64, 128, 256, 384, 512))
    parser.add_argument("--iters", type=int, default=30)
    parser.add_argument("--image", default="camera")
    parser.add_argument("--same-setup", action="store_true")
    args = parser.parse_args()
    if not Path(CHROMIUM_PATH).exists():
        sys.exit(f"{CHROMIUM_PATH} is missing (apt-get install chromium)")

    rows = []
    for n in args.sessions:
        server = StreamlitServer(log_path=artifact_path(f"memory-bench-server-{n}", ".log"))
        server.start(timeout=120)
        try:
            rows.append(asyncio.run(measure(server, n, args)))
        finally:
            server.stop()
        print(f"N = {n}: done", file=sys.stderr, flush=True)

    setup = "the same setup" if args.same_setup else "one noise seed each (own Problem)"
    print(f"\nServer RSS per active session: {args.image} {args.size}², {args.lanes} lanes "
          f"(page defaults: RED-FP, PnP-ADMM, RED-GD, PnP-PGD + TV), {args.iters} iterations "
          f"each, {setup}; load average at the end {os.getloadavg()[0]:.1f}\n")
    print("| sessions | RSS before (MB) | RSS after (MB) | growth / session (MB) | peak (MB) "
          "| wall time of the N races (s) | server CPU / session (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['n']} | {r['before']:.0f} | {r['after']:.0f} | {r['per_session']:.1f} "
              f"| {r['peak']:.0f} | {r['seconds']:.0f} | {r['cpu_per_session']:.1f} |")
    print(f"\nThe same race computed alone in this process (no app): {alone_seconds(args):.1f} s.")
    worst = max(r["per_session"] for r in rows)
    verdict = "within" if worst <= TARGET_MB else "ABOVE"
    print(f"\nWorst growth per session: {worst:.1f} MB, {verdict} the {TARGET_MB:.0f} MB target.")


if __name__ == "__main__":
    main()
