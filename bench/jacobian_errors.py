"""Jacobian diagnostics of every registered denoiser: how far is RED from its assumptions?

For each denoiser at σ = 25/255 this prints (as Markdown tables) the symmetry error e_J,
the homogeneity and gradient errors, ‖J‖₂ and the eigenvalue range of (J + Jᵀ)/2, all from
full finite-difference Jacobians (``red_core.diagnostics.report``), on

* a 1-D signal: ``signals.make("piecewise_smooth", 128)`` + noise (seed 1);
* an image crop: the 16×16 crop at (60, 100) of camera (256×256) + noise (seed 2);

with e_J recomputed at ε/10 and 10ε (stability of the finite differences; for bm3d,
~0.5–1.5 s per call, by the 16-probe estimate, marked ≈, unless ``--eps-all``), the probe
estimate of e_J on the whole
noisy 256×256 camera image (16 probes, 32 calls), and the build / apply times of the
structured denoisers on 256×256 images.

``--calibrate`` instead measures the PSNR calibration of the structured denoisers'
strength parameters (``h_factor``, ``tau_factor``; ``mmse_gmm`` has none) on the images
and noise of ``bench/calibrate_denoisers.py``.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/jacobian_errors.py            # ~15 min with bm3d
    OMP_NUM_THREADS=1 .venv/bin/python bench/jacobian_errors.py --skip bm3d
    OMP_NUM_THREADS=1 .venv/bin/python bench/jacobian_errors.py --calibrate
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from red_core import denoisers, images, signals  # noqa: E402
from red_core.denoisers import structured as sd  # noqa: E402
from red_core.theory import diagnostics

SIGMA = 25 / 255
CROP = (60, 100, 16)  # top, left, size in the 256×256 camera image


def points() -> dict[str, np.ndarray]:
    """The 1-D signal and the image crop the Jacobians are computed at."""
    camera = images.builtin("camera", 256)
    crop = diagnostics.crop(camera, *CROP)
    return {
        "1-D (128)": signals.noisy(signals.make("piecewise_smooth", 128), SIGMA, seed=1),
        f"crop {CROP[2]}×{CROP[2]}": crop + SIGMA * np.random.default_rng(2).standard_normal(
            crop.shape),
    }


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return f"{value:.2e}" if abs(value) < 1e-2 or abs(value) >= 1e3 else f"{value:.3f}"


def jacobian_table(names: list[str], eps_all: bool) -> None:
    print("| denoiser | point | e_J | e_J(ε/10) | e_J(10ε) | homogeneity | gradient | ‖J‖₂ "
          "| eig min | eig max | time (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        info = denoisers.describe(name, SIGMA)
        for label, x in points().items():
            if x.ndim == 1 and not info["supports_1d"]:
                continue
            D = denoisers.build(name, SIGMA)
            rep = diagnostics.report(D, x)
            method = "full" if name != "bm3d" or eps_all else "probe"
            eps = diagnostics.default_eps(x)
            low, high = (diagnostics.symmetry_error(D, x, method=method, eps=f * eps)
                         for f in (0.1, 10))
            mark = "" if method == "full" else "≈ "
            print(f"| {name} | {label} | {_fmt(rep.symmetry)} | {mark}{_fmt(low)} | "
                  f"{mark}{_fmt(high)} | "
                  f"{_fmt(rep.homogeneity)} | {_fmt(rep.gradient)} | {_fmt(rep.lipschitz)} | "
                  f"{_fmt(rep.eig_min)} | {_fmt(rep.eig_max)} | {rep.seconds:.1f} |",
                  flush=True)


def probe_table(names: list[str]) -> None:
    camera = images.builtin("camera", 256)
    x = camera + SIGMA * np.random.default_rng(3).standard_normal(camera.shape)
    print("\n| denoiser | probe e_J (256×256) | stderr | calls | time (s) |")
    print("|---|---|---|---|---|")
    for name in names:
        D = denoisers.build(name, SIGMA)
        start = time.perf_counter()
        est = diagnostics.symmetry_estimate(D, x, method="probe", n_probes=16)
        print(f"| {name} | {_fmt(est.value)} | {_fmt(est.stderr)} | {est.denoiser_calls} | "
              f"{time.perf_counter() - start:.1f} |", flush=True)


def timing_table() -> None:
    rng = np.random.default_rng(4)
    grey = images.builtin("camera", 256)
    colour = images.builtin("astronaut", 256)
    print("\n| denoiser | input | first call (build) s | apply ms/call | note |")
    print("|---|---|---|---|---|")
    for name in ("symmetric_nlm", "gradient_step_tv", "mmse_gmm"):
        for label, image in (("256×256", grey), ("256×256×3", colour)):
            x = image + SIGMA * rng.standard_normal(image.shape)
            D = denoisers.build(name, SIGMA)
            start = time.perf_counter()
            D(x)
            first = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(10):
                D(x)
            apply_ms = (time.perf_counter() - start) / 10 * 1e3
            note = ""
            if name == "symmetric_nlm":
                nlm = sd.structure(D)
                note = (f"nnz {nlm.matrix.nnz}, {nlm.sinkhorn_iterations} Sinkhorn iterations, "
                        f"row sums ±{nlm.row_sum_error:.1e}")
            print(f"| {name} | {label} | {first:.2f} | {apply_ms:.1f} | {note} |", flush=True)


def calibrate() -> None:
    from calibrate_denoisers import IMAGES, centre_crop, load_image, noisy_copies, psnr

    clean = [centre_crop(load_image(n), 128) for n in IMAGES]
    grids = {"symmetric_nlm": ("h_factor", (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2)),
             "gradient_step_tv": ("tau_factor", (0.25, 0.5, 1.0, 2.0, 4.0, 100.0)),
             "mmse_gmm": (None, (None,))}
    print("Mean PSNR (dB) over 6 images (128×128 centre crops), noise of "
          "bench/calibrate_denoisers.py\n")
    for name, (key, values) in grids.items():
        print(f"| {name} | σ·255 | noisy | " + " | ".join(f"{key}={v}" if key else "default"
                                                        for v in values) + " |")
        print("|---" * (len(values) + 3) + "|")
        for level in (2, 4, 6):  # 10, 25, 50 /255 in denoisers.CALIBRATION_SIGMAS
            sigma = denoisers.CALIBRATION_SIGMAS[level]
            noisy = noisy_copies(clean, sigma, level)
            scores = [np.mean([psnr(c, denoisers.build(name, sigma, **({key: v} if key else {}))(y))
                               for c, y in zip(clean, noisy, strict=True)]) for v in values]
            base = np.mean([psnr(c, y) for c, y in zip(clean, noisy, strict=True)])
            best = int(np.argmax(scores))
            cells = [f"**{s:.2f}**" if k == best else f"{s:.2f}" for k, s in enumerate(scores)]
            print(f"| | {sigma * 255:.0f} | {base:.2f} | " + " | ".join(cells) + " |", flush=True)
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", default=[], choices=denoisers.NAMES,
                        help="denoisers to leave out")
    parser.add_argument("--only", nargs="*", default=None, choices=denoisers.NAMES,
                        help="only these denoisers")
    parser.add_argument("--eps-all", action="store_true",
                        help="also recompute e_J at ε/10 and 10ε for bm3d (slow)")
    parser.add_argument("--calibrate", action="store_true",
                        help="PSNR calibration of the structured denoisers instead")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()}, "
          f"Python {platform.python_version()}, numpy {np.__version__}; σ = 25/255\n")
    if args.calibrate:
        calibrate()
        return
    names = [n for n in (args.only or denoisers.NAMES)
             if n not in args.skip and denoisers.available(n)]
    start = time.perf_counter()
    jacobian_table(names, args.eps_all)
    probe_table(names)
    timing_table()
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
