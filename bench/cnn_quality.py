"""The project's CNN denoisers against the classical ones on the held-out images.

Grey held-out ``skimage.data`` images (camera, astronaut, coffee, chelsea: never seen in
training; colour ones converted with ``rgb2gray``), full size, seeded white Gaussian noise
at σ = 15, 25, 50 /255; every denoiser built with ``denoisers.build(name, σ)`` (the measured
calibration for the classical ones, σ itself for the CNNs).  Prints PSNR (dB) per image and
the mean, then the time of one call on a 256×256 grey image (median of ``--repeats``).

Usage::

    python bench/cnn_quality.py                 # cnn, cnn_gs, nlm, tv, bm3d
    python bench/cnn_quality.py --only cnn nlm
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from red_core import denoisers  # noqa: E402
from red_core.denoisers import cnn
from red_core.metrics import psnr

HELD_OUT = ("camera", "astronaut", "coffee", "chelsea")
DEFAULT = ("cnn", "cnn_gs", "nlm", "tv", "bm3d")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=list(DEFAULT), choices=denoisers.NAMES)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    names = [n for n in args.only if denoisers.available(n)]

    print("| σ (/255) | denoiser | " + " | ".join(HELD_OUT) + " | mean |")
    print("|---|---|" + "---|" * (len(HELD_OUT) + 1))
    for level in cnn.HELD_OUT_SIGMAS:
        sigma = level / 255
        pairs = {name: cnn.held_out_pair(name, sigma) for name in HELD_OUT}
        noisy = [psnr(c, y, clip=False) for c, y in pairs.values()]
        print(f"| {level} | (noisy) | " + " | ".join(f"{v:.2f}" for v in noisy)
              + f" | {np.mean(noisy):.2f} |")
        for name in names:
            D = denoisers.build(name, sigma)
            values = [psnr(c, D(y), clip=False) for c, y in pairs.values()]
            print(f"| {level} | {name} | " + " | ".join(f"{v:.2f}" for v in values)
                  + f" | {np.mean(values):.2f} |", flush=True)

    print("\n| denoiser | ms per call, 256×256 grey (σ = 25/255) |")
    print("|---|---|")
    clean, noisy = cnn.held_out_pair("camera", 25 / 255)
    x = noisy[128:384, 128:384]
    for name in names:
        D = denoisers.build(name, 25 / 255)
        D(x)  # warm-up (weights load, imports)
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            D(x)
            times.append(time.perf_counter() - t)
        print(f"| {name} | {1e3 * statistics.median(times):.0f} |", flush=True)


if __name__ == "__main__":
    main()
