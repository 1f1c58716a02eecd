"""Measure the σ → parameter calibration of the denoisers and write calibration.json.

For every calibration noise level σ (``denoisers.CALIBRATION_SIGMAS``) and every
denoiser, seeded white Gaussian noise of std σ is added to grey ``skimage.data`` images
(square centre crop, resized to 256×256 with anti-aliasing, centre 128×128 crop; BM3D,
~0.5 s per 64×64 call, uses the centre 64×64), every combination of the denoiser's
calibration grid (``denoisers.calibration_grid``) is run, and the combination with
the best mean PSNR (``data_range=1``) is stored.  ``build`` interpolates the table.

Usage (from the repository root; ~5 min on one core)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/calibrate_denoisers.py
    OMP_NUM_THREADS=1 .venv/bin/python bench/calibrate_denoisers.py --only tv nlm

``--only`` re-measures some denoisers and keeps the others' stored tables.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
from skimage import data, transform
from skimage.metrics import peak_signal_noise_ratio

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from red_core import denoisers  # noqa: E402

IMAGES = ("camera", "moon", "coins", "brick", "grass", "clock")
RESIZE = 256
CROP = {"default": 128, "bm3d": 64}  # keeps the run at ~5 min; bm3d: ~0.5 s per call
SEED = 2017


def load_image(name: str, size: int = RESIZE) -> np.ndarray:
    """Grey ``skimage.data`` image in [0, 1]: square centre crop, resized to ``size``."""
    image = getattr(data, name)().astype(np.float64) / 255.0
    side = min(image.shape)
    top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
    square = image[top: top + side, left: left + side]
    return transform.resize(square, (size, size), anti_aliasing=True)


def centre_crop(image: np.ndarray, n: int) -> np.ndarray:
    top, left = (image.shape[0] - n) // 2, (image.shape[1] - n) // 2
    return image[top: top + n, left: left + n]


def noisy_copies(images: list[np.ndarray], sigma: float, level: int) -> list[np.ndarray]:
    """Seeded noisy versions (the same noise for every denoiser at a given level)."""
    rng = np.random.default_rng([SEED, level])
    return [im + sigma * rng.standard_normal(im.shape) for im in images]


def psnr(clean: np.ndarray, estimate: np.ndarray) -> float:
    return float(peak_signal_noise_ratio(clean, estimate, data_range=1))


def calibrate(name: str, images: list[np.ndarray]) -> dict:
    """Grid search of one denoiser at every calibration σ; returns its table."""
    grid = denoisers.calibration_grid(name)
    values = itertools.product(*(g.values for g in grid.values()))
    coords = [dict(zip(grid, c, strict=True)) for c in values]  # same order as grid_params
    table = {"grid": {k: {"values": list(g.values), "per_sigma": g.per_sigma}
                      for k, g in grid.items()},
             "crop": images[0].shape[0], "sigmas": [], "sigmas_255": [], "best": [],
             "params": [], "best_psnr": [], "noisy_psnr": [], "mean_psnr": []}
    for level, sigma in enumerate(denoisers.CALIBRATION_SIGMAS):
        noisy = noisy_copies(images, sigma, level)
        candidates = denoisers.grid_params(name, sigma)
        scores = [np.mean([psnr(im, denoisers.build(name, sigma, **params)(y))
                           for im, y in zip(images, noisy, strict=True)]) for params in candidates]
        k = int(np.argmax(scores))
        table["sigmas"].append(sigma)
        table["sigmas_255"].append(round(sigma * 255, 3))
        table["best"].append(coords[k])
        table["params"].append(candidates[k])
        table["best_psnr"].append(round(float(scores[k]), 3))
        table["noisy_psnr"].append(round(float(np.mean([psnr(im, y) for im, y in
                                                         zip(images, noisy, strict=True)])), 3))
        table["mean_psnr"].append([round(float(s), 3) for s in scores])
    return table


def to_json(obj: object, indent: str = "") -> str:
    """JSON with one line per list item (the default indent puts every number on a line)."""
    def dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    inner = indent + " "
    if isinstance(obj, dict):
        items = [f"{inner}{dumps(k)}: {to_json(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(obj, list) and any(isinstance(v, (list, dict)) for v in obj):
        return "[\n" + ",\n".join(inner + dumps(v) for v in obj) + f"\n{indent}]"
    return dumps(obj)


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def print_table(name: str, table: dict, seconds: float) -> None:
    print(f"\n{name}  ({seconds:.0f} s, {table['crop']}×{table['crop']} crops)")
    print(f"  {'σ·255':>6} {'noisy':>7} {'best':>7}  best grid point (× σ where per_sigma)")
    for s255, noisy, best_psnr, best in zip(table["sigmas_255"], table["noisy_psnr"],
                                            table["best_psnr"], table["best"], strict=True):
        grid_point = ", ".join(f"{k}={_fmt(v)}" for k, v in best.items())
        edge = [k for k, v in best.items() if len(table["grid"][k]["values"]) > 2
                and v in (table["grid"][k]["values"][0], table["grid"][k]["values"][-1])]
        note = f"   <- grid edge: {edge}" if edge else ""
        print(f"  {s255:6.1f} {noisy:7.2f} {best_psnr:7.2f}  {grid_point}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=denoisers.NAMES,
                        help="re-measure only these denoisers (others are kept)")
    args = parser.parse_args()
    names = [n for n in (args.only or denoisers.NAMES)
             if denoisers.calibration_grid(n) and denoisers.available(n)]
    previous = denoisers.load_calibration()
    result = {
        "about": "Measured σ → parameter calibration of red_core.denoisers "
                 "(best mean PSNR over the grid at each σ; σ in [0, 1] pixel units).",
        "command": "OMP_NUM_THREADS=1 python bench/calibrate_denoisers.py",
        "date": datetime.date.today().isoformat(),
        "images": list(IMAGES),
        "image_prep": f"skimage.data grey image, square centre crop, resize to "
                      f"{RESIZE}×{RESIZE} (anti_aliasing=True), centre crop "
                      f"{CROP['default']}×{CROP['default']} ({CROP['bm3d']}×{CROP['bm3d']} "
                      f"for bm3d)",
        "noise": f"x + σ·N(0, 1), numpy default_rng([{SEED}, level index])",
        "metric": "skimage.metrics.peak_signal_noise_ratio(data_range=1), mean over images",
        "denoisers": dict(previous.get("denoisers", {})),
    }
    full = [load_image(n) for n in IMAGES]
    for name in names:
        crop = CROP.get(name, CROP["default"])
        start = time.perf_counter()
        table = calibrate(name, [centre_crop(im, crop) for im in full])
        print_table(name, table, time.perf_counter() - start)
        result["denoisers"][name] = table
    result["denoisers"] = {n: result["denoisers"][n] for n in denoisers.NAMES
                           if n in result["denoisers"]}
    denoisers.CALIBRATION_PATH.write_text(to_json(result) + "\n", encoding="utf-8")
    print(f"\nwrote {denoisers.CALIBRATION_PATH}")


if __name__ == "__main__":
    main()
