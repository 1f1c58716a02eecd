"""Milliseconds per denoiser call at 256×256 (grey and colour), and the TV solver choice.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/denoiser_speed.py [--repeats 3] [--skip-tv]

Table 1: median wall time of ``--repeats`` calls of every registered denoiser built with
its calibrated parameters at σ = 15/255 and 25/255, on ``camera`` (grey) and
``astronaut`` (colour) resized to 256×256 with noise added.

Table 2: TV by Chambolle's projection (``denoise_tv_chambolle``, the one used) against
split Bregman (``denoise_tv_bregman``): the best mean PSNR over each one's weight grid
on three grey 256×256 images, and the time per call at that weight.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from skimage import data, transform
from skimage.metrics import peak_signal_noise_ratio
from skimage.restoration import denoise_tv_bregman, denoise_tv_chambolle

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from red_core import denoisers  # noqa: E402

SIZE = 256
SIGMAS = (15 / 255, 25 / 255)
TV_SIGMAS = (10 / 255, 25 / 255, 50 / 255)
TV_IMAGES = ("camera", "coins", "brick")
BREGMAN_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0)  # weight = value / σ


def image(name: str) -> np.ndarray:
    """``skimage.data`` image in [0, 1], resized to SIZE×SIZE with anti-aliasing."""
    raw = getattr(data, name)().astype(np.float64) / 255.0
    return transform.resize(raw, (SIZE, SIZE) + raw.shape[2:], anti_aliasing=True)


def median_ms(fn, x: np.ndarray, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def speed_table(repeats: int) -> None:
    rng = np.random.default_rng(0)
    clean = {"grey": image("camera"), "colour": image("astronaut")}
    columns = [(s, kind) for s in SIGMAS for kind in clean]
    print(f"ms per call at {SIZE}×{SIZE} (median of {repeats}), calibrated parameters")
    print(f"{'denoiser':10}" + "".join(f"{f'σ={s * 255:.0f} {k}':>14}" for s, k in columns))
    for name in denoisers.NAMES:
        if not denoisers.available(name):
            print(f"{name:10}  (not installed)")
            continue
        cells = []
        for sigma, kind in columns:
            noisy = clean[kind] + sigma * rng.standard_normal(clean[kind].shape)
            d = denoisers.build(name, sigma)
            d(noisy)  # warm-up: first-call imports and caches
            cells.append(median_ms(d, noisy, repeats))
        print(f"{name:10}" + "".join(f"{c:14.1f}" for c in cells))


def tv_table() -> None:
    print(f"\nTV solvers at {SIZE}×{SIZE} grey ({', '.join(TV_IMAGES)}): best mean PSNR over "
          "the weight grid, ms per call at that weight")
    print(f"{'σ·255':>6} {'chambolle dB':>13} {'ms':>7} {'bregman dB':>11} {'ms':>7}")
    clean = [image(n) for n in TV_IMAGES]
    chambolle_grid = denoisers.calibration_grid("tv")["weight"].values
    for level, sigma in enumerate(TV_SIGMAS):
        rng = np.random.default_rng([1, level])
        noisy = [c + sigma * rng.standard_normal(c.shape) for c in clean]
        row = []
        for solver, weights in (
            (denoise_tv_chambolle, [v * sigma for v in chambolle_grid]),
            (denoise_tv_bregman, [v / sigma for v in BREGMAN_GRID]),
        ):
            best = (-np.inf, 0.0)
            for w in weights:
                start = time.perf_counter()
                outs = [solver(y, weight=w) for y in noisy]
                ms = 1e3 * (time.perf_counter() - start) / len(noisy)
                score = np.mean([peak_signal_noise_ratio(c, o, data_range=1)
                                 for c, o in zip(clean, outs, strict=True)])
                best = max(best, (float(score), ms))
            row += best
        print(f"{sigma * 255:6.0f} {row[0]:13.2f} {row[1]:7.1f} {row[2]:11.2f} {row[3]:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-tv", action="store_true", help="skip the TV solver table")
    args = parser.parse_args()
    speed_table(args.repeats)
    if not args.skip_tv:
        tv_table()


if __name__ == "__main__":
    main()
