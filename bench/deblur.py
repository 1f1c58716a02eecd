"""Benchmark: RED and PnP on the public deblurring problem, algorithms × denoisers.

Problem: ``skimage.data.camera()`` resized to 256×256 (anti-aliased), values in [0, 1], Gaussian
blur std 1.6 (circular), noise σ = 0.01, seed 0. Every solver runs with its default parameters;
only the denoiser sigma is chosen, as a user moving one slider would: the best final PSNR over a
grid of denoiser sigmas is reported (the final iterate, not the best along the way).

Run: ``.venv/bin/python bench/deblur.py`` (``--help`` for the options). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from red_core import denoisers, images, operators, solvers  # noqa: E402

TARGET_PSNR = 29.2


def make_problem() -> solvers.Problem:
    truth = images.builtin("camera", size=256)
    A = operators.build("gaussian_blur", truth.shape, blur_sigma=1.6)
    return solvers.Problem.synthesize(truth, A, 0.01, seed=0)


def run_one(method: str, problem: solvers.Problem, name: str, sigma: float, max_iter: int,
            tol: float) -> dict:
    D = denoisers.build(name, sigma)
    t0 = time.perf_counter()
    result = solvers.run(method, problem, D, max_iter=max_iter, tol=tol, stats=False)
    wall = time.perf_counter() - t0
    last = result.history[-1]
    iters = max(last["iter"], 1)
    reach = next((h["time"] for h in result.history
                  if h["psnr"] is not None and h["psnr"] >= TARGET_PSNR), None)
    return {
        "method": method, "denoiser": name, "sigma255": sigma * 255, "psnr": last["psnr"],
        "iters": last["iter"], "status": result.status, "wall": wall, "time": last["time"],
        "ms_iter": 1e3 * last["time"] / iters,
        "den_ms_call": 1e3 * last["denoiser_time"] / max(last["denoiser_calls"], 1),
        "overhead_ms": 1e3 * (last["time"] - last["denoiser_time"]) / iters,
        "t_target": reach,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default=",".join(solvers.METHODS))
    ap.add_argument("--denoisers", default="gaussian,median,tv,wavelet,bilateral,nlm")
    ap.add_argument("--sigmas", default="auto",
                    help="denoiser sigmas to try, in units of 1/255, or 'auto': the suggested "
                         "sigma of each method and denoiser (solvers.default_denoiser_sigma) "
                         "times 0.6, 1 and 1.6")
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--all-sigmas", action="store_true", help="print every sigma, not the best")
    args = ap.parse_args(argv)

    problem = make_problem()
    degraded = solvers.psnr(problem.truth, problem.y)
    print(f"# Deblurring benchmark ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, numpy {np.__version__})")
    print(f"degraded PSNR {degraded:.2f} dB; max_iter {args.max_iter}, tol {args.tol:g}\n")
    print("| method | denoiser | σ_d ·255 | final PSNR | iters | status | wall s | ms/iter "
          "| denoiser ms/call | overhead ms/iter | s to 29.2 dB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.denoisers.split(","):
        for method in args.methods.split(","):
            if args.sigmas == "auto":
                base = solvers.default_denoiser_sigma(problem, method, name)
                sigmas = [round(f * base * 255 * 2) / 2 / 255 for f in (0.6, 1.0, 1.6)]
            else:
                sigmas = [float(s) / 255 for s in args.sigmas.split(",")]
            rows = [run_one(method, problem, name, s, args.max_iter, args.tol) for s in sigmas]
            shown = rows if args.all_sigmas else [max(rows, key=lambda r: r["psnr"])]
            for r in shown:
                reach = "—" if r["t_target"] is None else f"{r['t_target']:.2f}"
                print(f"| {r['method']} | {r['denoiser']} | {r['sigma255']:g} | {r['psnr']:.2f} "
                      f"| {r['iters']} | {r['status']} | {r['wall']:.2f} | {r['ms_iter']:.1f} "
                      f"| {r['den_ms_call']:.1f} | {r['overhead_ms']:.2f} | {reach} |",
                      flush=True)


if __name__ == "__main__":
    main()
