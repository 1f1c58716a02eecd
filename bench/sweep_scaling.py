"""Scaling of red_core.sweeps: a 6×6 grid on 1 and 2 Dask workers against a plain loop.

The grid: RED-FP with TV on camera 128², Gaussian blur, noise 0.01, 30 iterations,
``lam_scale`` × ``denoiser_sigma`` (6 × 6 = 36 cells, each one ``solvers.run``). Timed:

- *direct loop*: the same 36 ``solvers.run`` calls in this process, one after the other, with
  the problem built once (what a script would do without sweeps);
- *sweep, N workers*: ``sweeps.run`` on a fresh local cluster of N single-threaded worker
  processes (started and warmed up before the clock starts: every worker has imported red_core
  and run one cell), cache off;
- *repeat from the cache*: the same sweep again, answered by the in-process cache.

Every process has one BLAS thread (as the workers do). Each timing is the best of ``--repeat``
runs. The per-cell overhead is ``(sweep on 1 worker − direct loop) / direct loop``; the
speed-up is ``1 worker / 2 workers``. Goals (issue 13): speed-up ≥ 1.7 on 2 cores, overhead
≤ 5 %.

Run: ``.venv/bin/python bench/sweep_scaling.py [--repeat 3]``
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # before numpy loads BLAS: the same as the workers

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from red_core import denoisers, images, solvers, sweeps  # noqa: E402
from red_core.problem import make_problem  # noqa: E402
from red_core.sweeps import SweepSpec  # noqa: E402

SPEC = {
    "problem": {"images": ["camera"], "size": 128, "degradations": ["gaussian_blur"],
                "noise": [0.01], "seeds": [0]},
    "run": {"methods": ["red-fp"], "denoisers": ["tv"], "max_iter": 30},
    "axes": {"lam_scale": [0.25, 0.5, 1, 2, 4, 8], "denoiser_sigma": [2, 3, 5, 7, 10, 14]},
}


def _cpu() -> float:
    """CPU seconds (user + system) of the calling process (run on the workers too)."""
    times = os.times()
    return times.user + times.system


def direct(spec: SweepSpec) -> tuple[float, float]:
    """(wall, CPU) seconds for the grid as a plain loop of solvers.run (problem built once)."""
    t0, c0 = time.perf_counter(), _cpu()
    problem = make_problem(images.builtin("camera", size=128), "gaussian_blur", 0.01, 0)
    lam = solvers.default_params("red-fp", problem)["lam"]
    for cell in spec.cells():
        D = denoisers.build("tv", cell.denoiser_sigma / 255)
        params = {} if cell.lam_scale == 1 else {"lam": cell.lam_scale * lam}
        solvers.run("red-fp", problem, D, max_iter=30, **params)
    return time.perf_counter() - t0, _cpu() - c0


def timed(spec: SweepSpec, client) -> tuple[float, float]:
    """(wall, CPU) seconds of one sweep, cache off; CPU of the workers and of this process
    (client and scheduler) together."""
    w0, c0 = client.run(_cpu), _cpu()
    t0 = time.perf_counter()
    df = sweeps.run(spec, client=client, cache=False)
    wall = time.perf_counter() - t0
    c1, w1 = _cpu(), client.run(_cpu)
    assert len(df) == spec.size and set(df["status"]) <= {"max_iter", "converged"}
    return wall, c1 - c0 + sum(w1[w] - w0[w] for w in w1)


def from_cache(spec: SweepSpec, client) -> float:
    """Seconds of the sweep repeated, answered by the cache (no task)."""
    sweeps.row_cache.clear()
    sweeps.run(spec, client=client)  # fills the cache
    t0 = time.perf_counter()
    again = sweeps.submit(spec, client=client)
    again.wait()
    seconds = time.perf_counter() - t0
    assert again.submitted == 0 and again.from_cache == spec.size
    return seconds


def main() -> None:
    from distributed import Client

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spec = SweepSpec.from_dict(SPEC)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    clusters = {n: sweeps.local_cluster(n) for n in (1, 2)}
    try:
        clients = {n: Client(c, set_as_default=False) for n, c in clusters.items()}
        for n, client in clients.items():  # imports and first calls on every worker, unclocked
            warm = [sweeps.Cell("camera", 128, "gaussian_blur", 0.01, 99 + i, "red-fp", "tv",
                                max_iter=2) for i in range(2 * n)]
            sweeps.run(warm, client=client, cache=False)
        direct(SweepSpec.from_dict({**SPEC, "axes": {"lam_scale": [1], "denoiser_sigma": [5]}}))
        # Interleaved rounds: a change of the machine's load hits every variant alike.
        loops, ones, twos = [], [], []
        for _ in range(args.repeat):
            loops.append(direct(spec))
            ones.append(timed(spec, clients[1]))
            twos.append(timed(spec, clients[2]))
        cached = from_cache(spec, clients[2])
        for client in clients.values():
            client.close()
    finally:
        for cluster in clusters.values():
            cluster.close()
    loop, one, two = (min(w for w, _ in runs) for runs in (loops, ones, twos))
    cpu_loop, cpu_one, cpu_two = (min(c for _, c in runs) for runs in (loops, ones, twos))
    n = spec.size
    print(f"# sweep_scaling: {n} cells (6×6 lam_scale × denoiser_sigma), RED-FP + TV, "
          f"camera 128², gaussian_blur, noise 0.01, 30 iterations; {os.cpu_count()} cores; "
          f"best of {args.repeat} interleaved rounds; load average before: {load}")
    print()
    print("| run | wall s | per cell ms | wall vs direct loop | CPU s (all processes) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| direct loop of solvers.run | {loop:.2f} | {1e3 * loop / n:.1f} | 1.00 | "
          f"{cpu_loop:.2f} |")
    print(f"| sweep, 1 worker | {one:.2f} | {1e3 * one / n:.1f} | {one / loop:.2f} | "
          f"{cpu_one:.2f} |")
    print(f"| sweep, 2 workers | {two:.2f} | {1e3 * two / n:.1f} | {two / loop:.2f} | "
          f"{cpu_two:.2f} |")
    print(f"| repeat from the cache | {cached:.3f} | {1e3 * cached / n:.2f} | "
          f"{cached / loop:.4f} | |")
    print()
    print(f"speed-up 1 → 2 workers (wall): {one / two:.2f}× (goal ≥ 1.7×)")
    print(f"per-cell overhead, wall (1 worker vs direct loop): {100 * (one - loop) / loop:+.1f} %"
          f"; CPU (every process of the sweep vs the loop): "
          f"{100 * (cpu_one - cpu_loop) / cpu_loop:+.1f} % on 1 worker, "
          f"{100 * (cpu_two - cpu_loop) / cpu_loop:+.1f} % on 2 (goal ≤ 5 %)")
    print(f"cache: the repeated sweep took {cached * 1e3:.1f} ms, {two / cached:.0f}× faster "
          "than running it on 2 workers")
    print("all rounds, wall s (direct, 1 worker, 2 workers): " + "; ".join(
        f"{a[0]:.2f}, {b[0]:.2f}, {c[0]:.2f}" for a, b, c in zip(loops, ones, twos, strict=True)))


if __name__ == "__main__":
    main()
