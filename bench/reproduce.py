"""The RED paper's experiments on this lab: every algorithm with its best denoiser, per image.

Protocol of Romano, Elad & Milanfar, "The Little Engine that Could: Regularization by
Denoising (RED)", SIAM J. Imaging Sciences 10(4), 2017 (its code, google/RED ``main.m``):

- uniform blur 9×9, noise σ = √2/255;
- Gaussian blur 25×25, std 1.6, noise σ = √2/255;
- ×3 super-resolution: Gaussian 7×7, std 1.6, then keeping one pixel in 3 along each axis,
  noise σ = 5/255 (the solvers start from a bicubic up-sampling, as the paper's).

Differences from the paper: its 10 test images (NCSR's, colour ones restored on the luminance)
are not shipped here; we use 8 built-in grey images (:data:`IMAGES`, 256² squares,
:func:`grey_square`; super-resolution crops them to 255² so the factor divides the sides); our
blurs and decimation are circular (the paper's super-resolution blurs with mirrored borders);
the denoisers are the lab's (TV, NLM, the project's CNN, BM3D), not TNRD; a fixed iteration
budget.

Steps, all through ``red_core.sweeps`` on the local Dask cluster:

1. **Denoiser choice** on :data:`SELECT_ON` only: every algorithm × degradation with each of
   :data:`CANDIDATES` at its suggested σ_d and default parameters; the one with the best final
   PSNR is that algorithm's denoiser for that degradation on every image.
2. **The table**: every algorithm with its chosen denoiser on every image.
3. **BM3D** for RED-FP and PnP-ADMM at a reduced budget (``--bm3d-iters``) on
   ``--bm3d-images`` (4–10 s per BM3D call here).
4. The classical baseline of ``red_core.baselines`` on every image (oracle Wiener for the
   blurs, bicubic for super-resolution).

Printed: markdown tables of per-image and mean PSNR (all images, the CNN's held-out images —
the CNN was trained on the other four — and the BM3D images) with the mean seconds (the
algorithms' own time, statistics excluded) and iterations; written: the figure PSNR vs time per
algorithm on camera (``--figure``).

Run: ``.venv/bin/python bench/reproduce.py [--max-iter 50] [--bm3d-iters 10]
[--bm3d-images camera,astronaut] [--figure docs/reproduce_psnr_time.png] [--out folder]``;
``--quick`` is a smoke test (64², two images, 5 iterations, no figure).
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # before numpy loads BLAS: the same as the workers

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from red_core import baselines, images, metrics, solvers, sweeps  # noqa: E402
from red_core.problem import make_problem  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: Built-in images, as grey 256² squares (astronaut, coffee, chelsea through rgb2gray).
IMAGES = ("camera", "coins", "moon", "brick", "grass", "astronaut", "coffee", "chelsea")
#: The images the project's CNN was not trained on (train/denoiser.py HELD_OUT).
CNN_HELD_OUT = ("camera", "astronaut", "coffee", "chelsea")
#: name -> (degradation, its parameters, noise σ).
PROTOCOL: dict[str, tuple[str, dict, float]] = {
    "uniform 9×9, σ √2": ("uniform_blur", {"size": 9}, math.sqrt(2) / 255),
    "Gaussian std 1.6, σ √2": ("gaussian_blur", {"blur_sigma": 1.6, "kernel_size": 25},
                               math.sqrt(2) / 255),
    "SR ×3, σ 5": ("super_resolution", {"factor": 3, "blur_sigma": 1.6, "kernel_size": 7},
                   5 / 255),
}
CANDIDATES = ("tv", "nlm", "cnn")
SELECT_ON = ("camera",)
BM3D_METHODS = ("red-fp", "pnp-admm")


def grey_square(name: str, size: int = 256) -> np.ndarray:
    """A built-in image as a grey ``size × size`` square: scaled (down) so that its shorter side
    is ``size``, centre-cropped, colour images through ``skimage.color.rgb2gray``.

    Examples
    --------
    >>> grey_square("coffee", 32).shape
    (32, 32)
    """
    from skimage.color import rgb2gray

    h, w = images.builtin(name, size=None).shape[:2]
    longer = int(round(max(h, w) * size / min(h, w)))
    image = images.builtin(name, size=longer)
    if image.ndim == 3:
        image = rgb2gray(image)
    h, w = image.shape
    top, left = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(image[top:top + size, left:left + size])


# ----------------------------------------------------------------------------- helpers


def stderr_progress(label: str) -> Callable[[int, int], None]:
    """A sweep progress callback printing to stderr at most every 30 s (and at the end)."""
    t0 = time.perf_counter()
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 30:
            last[0] = now
            print(f"  {label}: {done}/{total} cells, {now - t0:.0f} s", file=sys.stderr,
                  flush=True)

    return show


def _table(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _fmt(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        return "—" if math.isnan(v) else f"{v:.2f}"
    return str(v)


def _label(method: str, denoiser: str) -> str:
    return f"{solvers.entry(method).short} + {denoiser}"


class Setup:
    """The images (as uploads), their upload names and the cells of one protocol run."""

    def __init__(self, names: tuple[str, ...], size: int, max_iter: int):
        self.names, self.size, self.max_iter = names, size, max_iter
        arrays = {n: grey_square(n, size) for n in names}
        self.key = {n: sweeps.upload_name(a) for n, a in arrays.items()}
        self.name = {k: n for n, k in self.key.items()}
        self.arrays = {self.key[n]: a for n, a in arrays.items()}
        self.truth = arrays

    def cell(self, image: str, case: str, method: str, denoiser: str,
             max_iter: int | None = None) -> sweeps.Cell:
        degradation, params, noise = PROTOCOL[case]
        return sweeps.Cell(self.key[image], self.size, degradation, noise, 0, method, denoiser,
                           max_iter=max_iter or self.max_iter,
                           degradation_params=tuple(params.items()))

    def run(self, cells: list[sweeps.Cell], label: str) -> pd.DataFrame:
        t0 = time.perf_counter()
        df = sweeps.run(cells, images=self.arrays, progress=stderr_progress(label))
        df["name"] = [self.name[i] for i in df["image"]]
        df["case"] = [_case(r["degradation"], r["noise"]) for _, r in df.iterrows()]
        bad = df[~df["status"].isin(["converged", "max_iter"])]
        print(f"<!-- {label}: {len(df)} cells, {time.perf_counter() - t0:.0f} s wall, "
              f"{df['run_seconds'].sum():.0f} s in the workers, {int(df['cached'].sum())} "
              f"from the cache; statuses {dict(df['status'].value_counts())} -->")
        if len(bad):
            print(bad[["name", "case", "method", "denoiser", "status", "message"]].to_string())
        return df


def _case(degradation: str, noise: float) -> str:
    return next(c for c, (d, _, s) in PROTOCOL.items() if d == degradation and
                math.isclose(s, noise))


def baseline_rows(setup: Setup) -> pd.DataFrame:
    """Degraded and baseline PSNR of every image and case (computed here: FFTs)."""
    rows = []
    for case, (degradation, params, noise) in PROTOCOL.items():
        for name in setup.names:
            p = make_problem(setup.truth[name], degradation, noise, 0, **params)
            t0 = time.perf_counter()
            x, label = baselines.baseline(p)
            seconds = time.perf_counter() - t0
            rows.append(dict(name=name, case=case, degraded=metrics.psnr(p.truth, p.x0),
                             baseline=metrics.psnr(p.truth, x), baseline_name=label,
                             baseline_seconds=seconds))
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- steps


def select(setup: Setup, select_on: tuple[str, ...], candidates: tuple[str, ...],
           extra: list[sweeps.Cell]) -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The best candidate denoiser per (case, method) on ``select_on``; ``extra`` cells (the
    BM3D runs) share the sweep so both workers stay busy."""
    cells = [setup.cell(i, c, m, d) for c in PROTOCOL for m in solvers.names()
             for d in candidates for i in select_on]
    df = setup.run(cells + extra, "select + bm3d")
    sel = df[df["denoiser"].isin(candidates) & df["name"].isin(select_on)
             & (df["max_iter"] == setup.max_iter)]
    mean, chosen = _choice(sel, select_on, candidates, setup.max_iter)
    return chosen, mean, df[df["denoiser"] == "bm3d"], sel


def _choice(sel: pd.DataFrame, select_on: tuple[str, ...], candidates: tuple[str, ...],
            max_iter: int) -> tuple[pd.DataFrame, dict]:
    """Mean PSNR per (case, method, denoiser) on ``select_on`` and the best denoiser of each."""
    sel = sel[sel["denoiser"].isin(candidates) & sel["name"].isin(select_on)
              & (sel["max_iter"] == max_iter)]
    mean = sel.groupby(["case", "method", "denoiser"])["psnr"].mean().reset_index()
    chosen = {}
    for (case, method), g in mean.groupby(["case", "method"]):
        chosen[(case, method)] = g.loc[g["psnr"].idxmax(), "denoiser"]
    return mean, chosen


def _reload(setup: Setup, path: Path) -> pd.DataFrame:
    df = sweeps.load(path)
    df["name"] = [setup.name[i] for i in df["image"]]
    df["case"] = [_case(r["degradation"], r["noise"]) for _, r in df.iterrows()]
    return df


def print_selection(mean: pd.DataFrame, chosen: dict, candidates: tuple[str, ...],
                    select_on: tuple[str, ...]) -> None:
    print(f"\n#### Denoiser choice on {', '.join(select_on)} (final PSNR, dB; chosen in bold)\n")
    rows = []
    for case in PROTOCOL:
        for method in solvers.names():
            row = [case, solvers.entry(method).short]
            for d in candidates:
                v = mean[(mean["case"] == case) & (mean["method"] == method)
                         & (mean["denoiser"] == d)]["psnr"]
                text = _fmt(float(v.iloc[0])) if len(v) else "—"
                row.append(f"**{text}**" if chosen[(case, method)] == d else text)
            rows.append(row)
    print(_table(["case", "method", *candidates], rows))


def print_case(case: str, main: pd.DataFrame, bm3d: pd.DataFrame, base: pd.DataFrame,
               names: tuple[str, ...], bm3d_images: tuple[str, ...], bm3d_iters: int) -> None:
    held = [n for n in names if n in CNN_HELD_OUT]
    head = ["method", *names, "mean", "mean CNN held-out", "mean BM3D images", "s (mean)",
            "iters (mean)"]
    b = base[base["case"] == case].set_index("name")

    def means(values: pd.Series) -> list[float]:
        return [values.reindex(list(names)).mean(), values.reindex(held).mean(),
                values.reindex(list(bm3d_images)).mean()]

    rows = [["start x0 (y; bicubic for SR)", *[b.loc[n, "degraded"] for n in names],
             *means(b["degraded"]), math.nan, math.nan],
            [b["baseline_name"].iloc[0], *[b.loc[n, "baseline"] for n in names],
             *means(b["baseline"]), b["baseline_seconds"].mean(), math.nan]]
    g = main[main["case"] == case]
    order = []
    for method in solvers.names():
        r = g[g["method"] == method].set_index("name")
        label = _label(method, r["denoiser"].iloc[0])
        order.append((label, r))
    for label, r in order:
        rows.append([label, *[r["psnr"].get(n, math.nan) for n in names], *means(r["psnr"]),
                     r["seconds"].mean(), r["iterations"].mean()])
    gb = bm3d[bm3d["case"] == case]
    for method in BM3D_METHODS:
        r = gb[gb["method"] == method].set_index("name")
        if len(r):
            rows.append([f"{_label(method, 'bm3d')} ({bm3d_iters} it.)",
                         *[r["psnr"].get(n, math.nan) for n in names],
                         *means(r["psnr"]), r["seconds"].mean(), r["iterations"].mean()])
    print(f"\n#### {case}: final PSNR (dB) per image\n")
    print(_table(head, rows))


def figure(main: pd.DataFrame, bm3d: pd.DataFrame, base: pd.DataFrame, image: str,
           size: int, path: Path) -> None:
    """PSNR against the algorithm's seconds on ``image``, one panel per case (the start, at
    t = 0, is drawn at 1 ms on the log axis)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PROTOCOL), figsize=(16, 5.2), constrained_layout=True)
    for ax, case in zip(np.atleast_1d(axes), PROTOCOL, strict=True):
        top = []
        for frame, dashed in ((main, False), (bm3d, True)):
            g = frame[(frame["case"] == case) & (frame["name"] == image)]
            for method in solvers.names():
                r = g[g["method"] == method]
                if not len(r):
                    continue
                r = r.iloc[0]
                t = np.maximum(np.asarray(r["time_curve"], dtype=float), 1e-3)
                top.append(np.nanmax(np.asarray(r["psnr_curve"], dtype=float)))
                ax.plot(t, r["psnr_curve"], "--" if dashed else "-", lw=1.6,
                        color=solvers.entry(method).colour,
                        label=_label(method, r["denoiser"]))
        b = base[(base["case"] == case) & (base["name"] == image)].iloc[0]
        ax.axhline(b["baseline"], color="black", lw=1, ls=":", label=b["baseline_name"])
        ax.set_xscale("log")
        ax.set_title(f"{case} — {image} {size}²")
        ax.set_xlabel("algorithm time (s, log)")
        ax.set_ylabel("PSNR (dB)")
        ax.grid(alpha=0.3)
        ax.set_ylim(b["degraded"] - 0.5, max(top + [b["baseline"]]) + 0.8)
        ax.legend(fontsize=7, loc="lower right", ncol=2)
    fig.suptitle("RED paper protocol on RED Lab: PSNR against time per algorithm "
                 "(bench/reproduce.py; dashed: BM3D)", fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=50)
    parser.add_argument("--bm3d-iters", type=int, default=10)
    parser.add_argument("--bm3d-images", default="camera,astronaut")
    parser.add_argument("--images", default=",".join(IMAGES))
    parser.add_argument("--select-on", default=",".join(SELECT_ON))
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "reproduce_psnr_time.png")
    parser.add_argument("--out", type=Path, default=None, help="folder for the Parquet tables")
    parser.add_argument("--load", type=Path, default=None,
                        help="redraw the tables and the figure from an earlier --out folder")
    parser.add_argument("--quick", action="store_true", help="smoke test: 64², 2 images, 5 it.")
    args = parser.parse_args()
    names = tuple(args.images.split(","))
    bm3d_images = tuple(s for s in args.bm3d_images.split(",") if s)
    select_on = tuple(args.select_on.split(","))
    candidates = tuple(args.candidates.split(","))
    size, max_iter, bm3d_iters, fig_path = args.size, args.max_iter, args.bm3d_iters, args.figure
    if args.quick:
        names, bm3d_images, size, max_iter, bm3d_iters = (
            ("camera", "coins"), ("camera",), 64, 5, 2)
        fig_path = args.figure if "--figure" in sys.argv else None
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"<!-- reproduce.py {' '.join(sys.argv[1:])}; {sweeps.where()}; load {load} -->")
    t0 = time.perf_counter()
    setup = Setup(names, size, max_iter)
    if args.load is not None:
        main_df, bm3d, sel = (_reload(setup, args.load / f"reproduce_{part}.parquet")
                              for part in ("table", "bm3d", "select"))
        mean, chosen = _choice(sel, select_on, candidates, max_iter)
    else:
        try:
            extra = [setup.cell(i, c, m, "bm3d", bm3d_iters) for c in PROTOCOL
                     for m in BM3D_METHODS for i in bm3d_images]
            chosen, mean, bm3d, sel = select(setup, select_on, candidates, extra)
            cells = [setup.cell(i, c, m, chosen[(c, m)]) for c in PROTOCOL
                     for m in solvers.names() for i in names]
            main_df = setup.run(cells, "table")
        finally:
            sweeps.shutdown()
    base = baseline_rows(setup)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for part, frame_ in (("table", main_df), ("bm3d", bm3d), ("select", sel)):
            sweeps.save(frame_.drop(columns=["name", "case"]),
                        args.out / f"reproduce_{part}.parquet")
    print_selection(mean, chosen, candidates, select_on)
    for case in PROTOCOL:
        print_case(case, main_df, bm3d, base, names, bm3d_images, bm3d_iters)
    print("\n#### Means (dB) over all images: best RED, best PnP, baseline\n")
    rows = []
    for case in PROTOCOL:
        g = main_df[main_df["case"] == case]
        per = g.groupby(["method", "denoiser"])["psnr"].mean()
        fam = {f: per[[i for i in per.index if solvers.entry(i[0]).family == f]]
               for f in ("red", "pnp")}
        b = base[base["case"] == case]
        rows.append([case, b["degraded"].mean(), b["baseline"].mean(),
                     *[f"{fam[f].max():.2f} ({_label(*fam[f].idxmax())})" for f in fam]])
    print(_table(["case", "degraded", "baseline", "best RED", "best PnP"], rows))
    if fig_path is not None:
        figure(main_df, bm3d, base, "camera" if "camera" in names else names[0], size,
               fig_path)
        shown = fig_path.relative_to(ROOT) if fig_path.is_relative_to(ROOT) else fig_path
        print(f"\nFigure: {shown}")
    print(f"\n<!-- total {time.perf_counter() - t0:.0f} s -->")


if __name__ == "__main__":
    main()
