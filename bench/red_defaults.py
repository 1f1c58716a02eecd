"""Defaults from evidence: each family's λ / σ_d / β per degradation, tuned and then held out.

The registry values it sets (``red_core/operators/*.py``): ``Degradation.red_weight`` (RED's
``λσₑ²`` at noise ``σₑ``), ``red_sigma_scale`` (multiplies the denoiser's suggested σ_d for
RED) and ``pnp_sigma_scale`` (the same for PnP; ``β = 1/σ_d²`` follows σ_d). Everything runs
through ``red_core.sweeps`` on the local Dask cluster, with TV (the lab's default denoiser) and
the degradations at their registry defaults.

Steps (each a flag; ``--all`` runs them in order):

``--wiener``
    The non-oracle Wiener balance ``b = κσₑ²`` of ``red_core.baselines``: κ is the geometric
    mean of ``b_oracle/σₑ²`` over the tuning images, the three blurs and denoising,
    σₑ ∈ {2.5, 10, 25}/255 (no sweep: FFTs in this process).
``--tune``
    Grids on the TUNING images (128², noise 0.01, 100 iterations): RED-FP ``lam_scale`` ×
    ``sigma_scale`` (6 × 6), PnP-ADMM ``sigma_scale`` × ``beta_scale`` (8 × 3), PnP-PGD
    ``sigma_scale`` (5), every scale relative to the registry's current default. The score of
    a setting is the mean over the tuning images of the PSNR after 40 iterations (the Restore
    page's budget) and after 100 (``solvers.run``'s), averaged. Printed: the best cell of each
    grid against scale 1 (today's default). Run again after changing the registry: the best
    cell should then be at or next to scale 1.
``--check``
    The HELD-OUT images (256², grey; none of them tuned on): RED-FP + TV and PnP-ADMM + TV at
    the registry defaults, and at the defaults before this bench (:data:`BEFORE`), against the
    classical baseline of ``red_core.baselines`` (oracle Wiener for blurs and denoising,
    interpolation for inpainting, bicubic for super-resolution); noise 0.01 and 2.5/255; final
    PSNR after 100 and after 40 iterations; mean and worst margin over the images.
``--family``
    Every algorithm (9) with TV at the registry defaults and at :data:`BEFORE`, held-out images
    at 128², noise 0.01, 100 iterations: the change is good for the whole family, not only for
    the member it was tuned with.
``--ceiling``
    How far any λ / σ_d / β could go where the held-out margin misses 1 dB (denoising,
    Gaussian and box blur at noise 0.01): RED-FP + TV on a λ × σ_d grid and PnP-ADMM + TV on
    a σ_d grid, held-out images at 256², 100 iterations, and for each image the best cell (an
    oracle's choice, made against the truth) against the baseline. If even that is below
    +1 dB, no default can reach the target with TV.
``--ladder``
    The noise range of the Restore page (0 … 50/255): RED-FP + TV and PnP-ADMM + TV at the
    defaults (40 iterations, the page's budget) on two held-out images at 64² and 128² end
    above the degraded PSNR, and how far they are from :data:`BEFORE`.

Run: ``.venv/bin/python bench/red_defaults.py --all [--out results/]`` (every step prints
markdown tables; ``--out`` keeps each step's sweep as Parquet). About 40 minutes on the 2
shared cores.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reproduce import grey_square, stderr_progress  # noqa: E402

from red_core import baselines, denoisers, images, metrics, operators, solvers, sweeps  # noqa: E402
from red_core.problem import MIN_NOISE_SIGMA, make_problem  # noqa: E402
from red_core.solvers.defaults import suggested_denoiser_sigma  # noqa: E402

#: Tuned on (built-in grey images, longer side 128).
TUNING = ("moon", "coins", "brick")
#: Held out (grey 256² squares; astronaut, coffee, chelsea through rgb2gray).
HELD_OUT = ("camera", "grass", "astronaut", "coffee", "chelsea")
DEGRADATIONS = operators.NAMES
NOISE = 0.01
PAGE_NOISE = 2.5 / 255  # the Restore page's default noise
PAGE_ITERS = 40  # the Restore page's default budget
MAX_ITER = 100  # solvers.run's default
CONTENDERS = ("red-fp", "pnp-admm")  # the Restore page's default contenders

RED_LAM = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
RED_SIGMA = (0.35, 0.5, 0.71, 1.0, 1.41, 2.0)
PNP_SIGMA = (0.125, 0.18, 0.25, 0.35, 0.5, 0.71, 1.0, 1.41)
PNP_BETA = (0.5, 1.0, 2.0)
PGD_SIGMA = (0.25, 0.5, 1.0, 2.0, 4.0)
LADDER = (0.0, 5 / 255, 10 / 255, 25.5 / 255, 40 / 255, 50 / 255)
LADDER_PROBLEMS = (("camera", 64), ("grass", 64), ("camera", 128))
FAMILY_IMAGES = ("camera", "grass", "astronaut")
DENOISE_NOISES = (2.5 / 255, 10 / 255, 25.5 / 255, 50 / 255)
DENOISE_PNP_SIGMA = (0.5, 0.71, 1.0, 1.41, 2.0, 2.83)
DENOISE_RED_LAM = (0.25, 0.5, 1.0, 2.0)
DENOISE_RED_SIGMA = (0.5, 0.71, 1.0, 1.41, 2.0)
ZERO_RED_LAM = (0.5, 1.0, 2.0)
ZERO_RED_SIGMA = (0.71, 1.0, 1.41)
#: Other denoisers checked with the new per-degradation scales (``--denoisers``).
OTHER_DENOISERS = ("median", "wavelet", "nlm", "cnn")


def _rising(s: float) -> float:
    return min(4.0, max(0.04, 0.04 * (s / 0.01) ** 1.5))


def _shrinking(s: float) -> float:
    return min(1.0, (0.01 / max(s, 1e-12)) ** 0.75)


#: The rules before this bench (commit 8972a9c): ``(red_weight, red_sigma_scale,
#: pnp_sigma_scale)`` per degradation, as functions of σₑ.
BEFORE: dict[str, tuple[Callable[[float], float], ...]] = {
    name: (_rising, _shrinking, lambda s: 1.0) for name in DEGRADATIONS}
BEFORE["denoise"] = (lambda s: 4.0, lambda s: 0.125, lambda s: 1.0)
#: Denoiser factors before this bench, where they changed: ``(denoiser, group) -> factor``.
BEFORE_FACTORS = {("tv", "red"): 2.0}


# ----------------------------------------------------------------------------- helpers


def held_out_images(size: int) -> dict[str, np.ndarray]:
    """``{name: grey array}`` of the held-out images at ``size``²."""
    return {name: grey_square(name, size) for name in HELD_OUT}


def uploads(named: dict[str, np.ndarray]) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """``(name -> upload name, upload name -> array)`` for ``sweeps.submit(images=...)``."""
    keys = {name: sweeps.upload_name(a) for name, a in named.items()}
    return keys, {keys[n]: a for n, a in named.items()}


def psnr_at(row: pd.Series, iteration: int) -> float:
    """PSNR of a row's run after ``iteration`` iterations (its last one if it stopped before)."""
    curve = list(row["psnr_curve"])
    if not curve:
        return math.nan
    return float(curve[min(iteration, len(curve) - 1)])


def _sweep(cells: list[sweeps.Cell], label: str, out: Path | None,
           images_: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Run the distinct cells once; one row per entry of ``cells`` (repeats share a row)."""
    t0 = time.perf_counter()
    distinct = list(dict.fromkeys(cells))
    df = sweeps.run(distinct, images=images_, progress=stderr_progress(label))
    bad = df[~df["status"].isin(["converged", "max_iter"])]
    print(f"<!-- {label}: {len(df)} cells in {time.perf_counter() - t0:.0f} s wall, "
          f"{df['run_seconds'].sum():.0f} s in the workers; {len(bad)} not converged/max_iter"
          f"{': ' + ', '.join(sorted(set(bad['status']))) if len(bad) else ''} -->")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        sweeps.save(df, out / f"red_defaults_{label}.parquet")
    by_key = df.set_index("key")
    return by_key.loc[[c.key for c in cells]].reset_index()


def _table(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    return "\n".join(lines)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "—" if math.isnan(v) else f"{v:.2f}"
    return str(v)


def _sigma(method: str, denoiser: str, degradation: str, noise: float,
           rules: tuple[Callable[[float], float], ...] | None = None) -> float:
    """The suggested σ_d (×255): today's (``solvers.defaults.suggested_denoiser_sigma``) when
    ``rules`` is None, else under ``rules`` (``(red_weight, red_sigma_scale,
    pnp_sigma_scale)`` of before, with :data:`BEFORE_FACTORS`)."""
    s = max(noise, MIN_NOISE_SIGMA)
    if rules is None:
        return 255 * suggested_denoiser_sigma(method, s, degradation, denoiser)
    group = solvers.entry(method).sigma_group
    scale = rules[1](s) if group == "red" else rules[2](s) if group == "pnp-split" else 1.0
    factor = BEFORE_FACTORS.get((denoiser, group), denoisers.sigma_factor(denoiser, group))
    return float(np.clip(factor * scale * s, *solvers.SIGMA_D_RANGE)) * 255


def before_cell(cell: sweeps.Cell, noise: float) -> sweeps.Cell:
    """The same run at the :data:`BEFORE` defaults, as λ scale and σ_d of today's registry
    (the cell itself where nothing changed)."""
    s = max(noise, MIN_NOISE_SIGMA)
    old = BEFORE[cell.degradation]
    sigma = _sigma(cell.method, cell.denoiser, cell.degradation, noise, old)
    has_lam = any(p.name == "lam" for p in solvers.entry(cell.method).params)
    lam_scale = old[0](s) / operators.entry(cell.degradation).red_weight(s) if has_lam else 1.0
    if abs(lam_scale - 1) < 1e-12 and abs(
            sigma - _sigma(cell.method, cell.denoiser, cell.degradation, noise)) < 1e-9:
        return cell
    return sweeps.Cell(cell.image, cell.size, cell.degradation, cell.noise, cell.seed,
                       cell.method, cell.denoiser, max_iter=cell.max_iter, lam_scale=lam_scale,
                       denoiser_sigma=sigma, degradation_params=cell.degradation_params)


def baseline_psnr(image: np.ndarray, degradation: str, noise: float, seed: int = 0
                  ) -> tuple[float, float, str]:
    """``(degraded PSNR, baseline PSNR, baseline name)`` of one problem."""
    p = make_problem(image, degradation, noise, seed)
    x, name = baselines.baseline(p)
    return metrics.psnr(p.truth, p.x0), metrics.psnr(p.truth, x), name


# ----------------------------------------------------------------------------- steps


def step_wiener() -> None:
    print("\n### Wiener balance from the noise level (`--wiener`)\n")
    rows, ratios = [], []
    for name in TUNING:
        truth = images.builtin(name, 128)
        for deg in ("gaussian_blur", "uniform_blur", "motion_blur", "denoise"):
            for s255 in (2.5, 10, 25):
                p = make_problem(truth, deg, s255 / 255)
                x, b = baselines.oracle_wiener(p)
                ratios.append(b / p.sigma_eff**2)
                xr, _ = baselines.noise_wiener(p)
                rows.append((name, deg, s255, metrics.psnr(p.truth, p.x0),
                             metrics.psnr(p.truth, x), f"{b:.2e}", f"{ratios[-1]:.0f}",
                             metrics.psnr(p.truth, xr)))
    kappa = float(np.exp(np.mean(np.log(ratios))))
    print(_table(["image (128)", "degradation", "σₑ·255", "degraded", "oracle Wiener",
                  "b oracle", "b/σₑ²", f"b = κσₑ² (κ = {baselines.WIENER_KAPPA:g})"], rows))
    print(f"\nGeometric mean of b_oracle/σₑ²: κ = {kappa:.1f} "
          f"(red_core.baselines.WIENER_KAPPA = {baselines.WIENER_KAPPA:g}).")
    print(f"\nHeld-out images (grey 256²), noise {NOISE}: oracle Wiener and Wiener with "
          "b = κσₑ², mean (worst) PSNR\n")
    named = held_out_images(256)
    rows = []
    for deg in ("denoise", "gaussian_blur", "uniform_blur", "motion_blur"):
        oracle, rule = [], []
        for image in named.values():
            p = make_problem(image, deg, NOISE)
            oracle.append(metrics.psnr(p.truth, baselines.oracle_wiener(p)[0]))
            rule.append(metrics.psnr(p.truth, baselines.noise_wiener(p)[0]))
        rows.append([deg, f"{np.mean(oracle):.2f} ({min(oracle):.2f})",
                     f"{np.mean(rule):.2f} ({min(rule):.2f})"])
    print(_table(["degradation", "oracle Wiener", "Wiener, b = κσₑ²"], rows))


def step_tune(out: Path | None) -> pd.DataFrame:
    print("\n### Tuning grids (`--tune`): tuning images "
          f"{', '.join(TUNING)} at 128², noise {NOISE}, TV, {MAX_ITER} iterations\n")
    cells = []
    for image in TUNING:
        for deg in DEGRADATIONS:
            base = dict(image=image, size=128, degradation=deg, noise=NOISE, seed=0,
                        denoiser="tv", max_iter=MAX_ITER)
            cells += [sweeps.Cell(method="red-fp", lam_scale=lam, sigma_scale=sig, **base)
                      for lam in RED_LAM for sig in RED_SIGMA]
            cells += [sweeps.Cell(method="pnp-admm", sigma_scale=sig, beta_scale=beta, **base)
                      for sig in PNP_SIGMA for beta in PNP_BETA]
            cells += [sweeps.Cell(method="pnp-pgd", sigma_scale=sig, **base) for sig in PGD_SIGMA]
    df = _sweep(cells, "tune", out)
    df["at40"] = [psnr_at(r, PAGE_ITERS) for _, r in df.iterrows()]
    df["at100"] = [psnr_at(r, MAX_ITER) for _, r in df.iterrows()]
    df["score"] = (df["at40"] + df["at100"]) / 2
    keys = ["degradation", "method", "lam_scale", "sigma_scale", "beta_scale"]
    grid = df.groupby(keys, as_index=False)[["score", "at40", "at100", "psnr"]].mean()
    worst = df.groupby(keys, as_index=False)["score"].min().rename(columns={"score": "worst"})
    grid = grid.merge(worst, on=keys)
    rows = []
    for (deg, method), g in grid.groupby(["degradation", "method"], sort=False):
        best = g.loc[g["score"].idxmax()]
        one = g[(g["lam_scale"] == 1) & (g["sigma_scale"] == 1) & (g["beta_scale"] == 1)].iloc[0]
        edge = []
        for axis, values in (("lam_scale", RED_LAM), ("sigma_scale",
                             PGD_SIGMA if method == "pnp-pgd" else
                             PNP_SIGMA if method == "pnp-admm" else RED_SIGMA),
                             ("beta_scale", PNP_BETA)):
            if method == "red-fp" and axis == "beta_scale" or \
                    method != "red-fp" and axis == "lam_scale" or \
                    method == "pnp-pgd" and axis == "beta_scale":
                continue
            if best[axis] in (min(values), max(values)):
                edge.append(axis)
        rows.append((deg, method, best["lam_scale"], best["sigma_scale"], best["beta_scale"],
                     best["at40"], best["at100"], best["score"], best["worst"], one["at40"],
                     one["at100"], one["score"], best["score"] - one["score"],
                     ", ".join(edge) or "—"))
    print(_table(["degradation", "method", "λ ×", "σ_d ×", "β ×", "best @40", "best @100",
                  "best score", "best: worst image", "default @40", "default @100",
                  "default score", "gain", "best on the grid's edge"], rows))
    # The λ × σ_d surface of RED-FP per degradation: how flat is the optimum?
    for deg in DEGRADATIONS:
        g = grid[(grid["degradation"] == deg) & (grid["method"] == "red-fp")]
        pivot = g.pivot(index="lam_scale", columns="sigma_scale", values="score")
        print(f"\nRED-FP + TV, {deg}: score (dB) by λ × (rows) and σ_d × (columns)\n")
        print(_table(["λ × \\ σ_d ×", *[f"{c:g}" for c in pivot.columns]],
                     [[f"{i:g}", *pivot.loc[i].tolist()] for i in pivot.index]))
        g = grid[(grid["degradation"] == deg) & (grid["method"] == "pnp-admm")]
        pivot = g.pivot(index="beta_scale", columns="sigma_scale", values="score")
        print(f"\nPnP-ADMM + TV, {deg}: score (dB) by β × (rows) and σ_d × (columns)\n")
        print(_table(["β × \\ σ_d ×", *[f"{c:g}" for c in pivot.columns]],
                     [[f"{i:g}", *pivot.loc[i].tolist()] for i in pivot.index]))
    return df


def gravel(size: int) -> np.ndarray:
    """``skimage.data.gravel`` (grey, 512², shipped with scikit-image) at ``size``², in [0, 1]:
    a texture for the tuning set of ``--tune-noise``."""
    import skimage.data
    from skimage.transform import resize

    image = skimage.data.gravel().astype(np.float64) / 255.0
    return np.clip(resize(image, (size, size), anti_aliasing=True), 0.0, 1.0)


def step_tune_noise(out: Path | None) -> pd.DataFrame:
    print("\n### Noise dependence (`--tune-noise`): denoising at 2.5–50/255 and the RED plateau "
          f"at noise 0; tuning images {', '.join(TUNING)} + gravel (a texture), 128², TV, "
          f"{MAX_ITER} iterations\n")
    named = {n: images.builtin(n, 128) for n in TUNING}
    named["gravel"] = gravel(128)
    keys, arrays = uploads(named)
    names = {v: k for k, v in keys.items()}
    cells = []
    for n in named:
        for noise in DENOISE_NOISES:
            base = dict(image=keys[n], size=128, degradation="denoise", noise=noise, seed=0,
                        denoiser="tv", max_iter=MAX_ITER)
            cells += [sweeps.Cell(method="pnp-admm", sigma_scale=sig, **base)
                      for sig in DENOISE_PNP_SIGMA]
            cells += [sweeps.Cell(method="red-fp", lam_scale=lam, sigma_scale=sig, **base)
                      for lam in DENOISE_RED_LAM for sig in DENOISE_RED_SIGMA]
        if n == "gravel":
            continue
        for deg in DEGRADATIONS:
            if deg == "denoise":
                continue
            base = dict(image=keys[n], size=128, degradation=deg, noise=0.0, seed=0,
                        denoiser="tv", max_iter=MAX_ITER)
            cells += [sweeps.Cell(method="red-fp", lam_scale=lam, sigma_scale=sig, **base)
                      for lam in ZERO_RED_LAM for sig in ZERO_RED_SIGMA]
    df = _sweep(cells, "tune_noise", out, arrays)
    df["name"] = [names[i] for i in df["image"]]
    df["gain"] = df["psnr"] - df["degraded_psnr"]
    keys_ = ["degradation", "noise", "method", "lam_scale", "sigma_scale"]
    grid = df.groupby(keys_, as_index=False).agg(psnr=("psnr", "mean"), worst=("gain", "min"))
    rows = []
    for (deg, noise, method), g in grid.groupby(["degradation", "noise", "method"]):
        best = g.loc[g["psnr"].idxmax()]
        safe = g[g["worst"] > 0]
        best_safe = safe.loc[safe["psnr"].idxmax()] if len(safe) else None
        one = g[(g["lam_scale"] == 1) & (g["sigma_scale"] == 1)].iloc[0]
        rows.append([deg, f"{noise * 255:g}", method, f"×{best['lam_scale']:g}",
                     f"×{best['sigma_scale']:g}", best["psnr"], best["worst"],
                     "—" if best_safe is None else
                     f"λ×{best_safe['lam_scale']:g} σ×{best_safe['sigma_scale']:g}: "
                     f"{best_safe['psnr']:.2f}", one["psnr"], one["worst"]])
    print("Mean final PSNR (dB) over the images (gravel only for denoising); 'worst' is the "
          "smallest gain over the degraded PSNR; scales relative to today's registry\n")
    print(_table(["degradation", "σₑ·255", "method", "best λ", "best σ_d", "best PSNR",
                  "best: worst gain", "best with every gain > 0", "default PSNR",
                  "default: worst gain"], rows))
    for noise in DENOISE_NOISES:
        g = df[(df["degradation"] == "denoise") & np.isclose(df["noise"], noise)
               & (df["method"] == "pnp-admm")]
        pivot = g.pivot_table(index="name", columns="sigma_scale", values="gain")
        print(f"\nPnP-ADMM + TV, denoising at {noise * 255:g}/255: gain over the noisy input "
              "(dB) by σ_d × (relative to today's)\n")
        print(_table(["image", *[f"{c:g}" for c in pivot.columns]],
                     [[i, *pivot.loc[i].tolist()] for i in pivot.index]))
    return df


def step_check(out: Path | None) -> pd.DataFrame:
    print(f"\n### Held-out check (`--check`): {', '.join(HELD_OUT)} (grey 256²), TV\n")
    named = held_out_images(256)
    keys, arrays = uploads(named)
    names = {v: k for k, v in keys.items()}
    cells, before = [], []
    for name in HELD_OUT:
        for deg in DEGRADATIONS:
            for noise in (NOISE, PAGE_NOISE):
                for method in CONTENDERS:
                    cell = sweeps.Cell(keys[name], 256, deg, noise, 0, method, "tv",
                                       max_iter=MAX_ITER)
                    cells.append(cell)
                    if noise == NOISE:
                        before.append(before_cell(cell, noise))
    df = _sweep(cells + before, "check", out, arrays)
    df["when"] = ["now"] * len(cells) + ["before"] * len(before)
    df["name"] = [names[i] for i in df["image"]]
    df["at40"] = [psnr_at(r, PAGE_ITERS) for _, r in df.iterrows()]
    base = {}
    for name in HELD_OUT:
        for deg in DEGRADATIONS:
            for noise in (NOISE, PAGE_NOISE):
                base[(name, deg, noise)] = baseline_psnr(named[name], deg, noise)
    df["baseline"] = [base[(r["name"], r["degradation"], r["noise"])][1]
                      for _, r in df.iterrows()]
    df["baseline_name"] = [base[(r["name"], r["degradation"], r["noise"])][2]
                           for _, r in df.iterrows()]
    df["margin"] = df["psnr"] - df["baseline"]
    df["margin40"] = df["at40"] - df["baseline"]
    for noise in (NOISE, PAGE_NOISE):
        label = f"{noise}" if noise == NOISE else "2.5/255"
        print(f"\nNoise {label}: margin over the baseline (dB) = default's final PSNR − "
              "baseline PSNR, mean and worst over the 5 held-out images\n")
        rows = []
        for deg in DEGRADATIONS:
            b = df[(df["degradation"] == deg) & (df["noise"] == noise)]
            row = [deg, b["baseline_name"].iloc[0],
                   b[b["when"] == "now"].groupby("name")["baseline"].first().mean()]
            for method in CONTENDERS:
                now = b[(b["method"] == method) & (b["when"] == "now")]
                row += [now["psnr"].mean(), now["margin"].mean(), now["margin"].min(),
                        now["margin40"].mean(), now["margin40"].min()]
                if noise == NOISE:
                    old = b[(b["method"] == method) & (b["when"] == "before")]
                    row += [old["margin"].mean(), old["margin"].min()]
            rows.append(row)
        head = ["degradation", "baseline", "baseline PSNR"]
        for method in CONTENDERS:
            head += [f"{method} PSNR", "margin @100 mean", "worst", "@40 mean", "@40 worst"]
            if noise == NOISE:
                head += ["before: margin mean", "before: worst"]
        print(_table(head, rows))
    print("\nPer image (noise 0.01, final PSNR after 100 iterations, now):\n")
    b = df[(df["noise"] == NOISE) & (df["when"] == "now")]
    rows = []
    for deg in DEGRADATIONS:
        for name in HELD_OUT:
            r = b[(b["degradation"] == deg) & (b["name"] == name)]
            rows.append([deg, name, r["degraded_psnr"].iloc[0], r["baseline"].iloc[0],
                         *[r[r["method"] == m]["psnr"].iloc[0] for m in CONTENDERS]])
    print(_table(["degradation", "image", "degraded", "baseline", *CONTENDERS], rows))
    return df


CEILING_DEGRADATIONS = ("denoise", "gaussian_blur", "uniform_blur")
CEILING_RED_LAM = (0.5, 1.0, 2.0, 4.0)
CEILING_RED_SIGMA = (0.5, 0.71, 1.0, 1.41)
CEILING_PNP_SIGMA = (0.25, 0.35, 0.5, 0.71, 1.0, 1.41)


def step_ceiling(out: Path | None) -> pd.DataFrame:
    print("\n### Ceiling (`--ceiling`): the per-image best of a grid, held-out images 256², "
          f"noise {NOISE}, TV, {MAX_ITER} iterations\n")
    named = held_out_images(256)
    keys, arrays = uploads(named)
    names = {v: k for k, v in keys.items()}
    cells = []
    for name in HELD_OUT:
        for deg in CEILING_DEGRADATIONS:
            base = dict(image=keys[name], size=256, degradation=deg, noise=NOISE, seed=0,
                        denoiser="tv", max_iter=MAX_ITER)
            cells += [sweeps.Cell(method="red-fp", lam_scale=lam, sigma_scale=sig, **base)
                      for lam in CEILING_RED_LAM for sig in CEILING_RED_SIGMA]
            cells += [sweeps.Cell(method="pnp-admm", sigma_scale=sig, **base)
                      for sig in CEILING_PNP_SIGMA]
    df = _sweep(cells, "ceiling", out, arrays)
    df["name"] = [names[i] for i in df["image"]]
    df["best_along"] = [max(r["psnr_curve"]) if len(r["psnr_curve"]) else math.nan
                        for _, r in df.iterrows()]
    rows = []
    for deg in CEILING_DEGRADATIONS:
        for method in ("red-fp", "pnp-admm"):
            margins, at_default, along = [], [], []
            for name in HELD_OUT:
                g = df[(df["degradation"] == deg) & (df["method"] == method)
                       & (df["name"] == name)]
                base = baseline_psnr(named[name], deg, NOISE)[1]
                one = g[(g["lam_scale"] == 1) & (g["sigma_scale"] == 1)]
                margins.append(g["psnr"].max() - base)
                along.append(g["best_along"].max() - base)
                at_default.append(one["psnr"].iloc[0] - base)
            rows.append([deg, method, float(np.mean(at_default)), float(np.mean(margins)),
                         float(np.min(margins)), float(np.mean(along))])
    print(_table(["degradation", "method", "default: margin mean", "per-image best cell: "
                  "margin mean", "worst image", "best iterate of any cell: margin mean"],
                 rows))
    return df


def step_family(out: Path | None) -> pd.DataFrame:
    print(f"\n### Every algorithm (`--family`): {', '.join(FAMILY_IMAGES)} (held out) at 128², "
          f"noise 0.01, TV, {MAX_ITER} iterations\n")
    named = {n: grey_square(n, 128) for n in FAMILY_IMAGES}
    keys, arrays = uploads(named)
    cells = [sweeps.Cell(keys[n], 128, deg, NOISE, 0, m, "tv", max_iter=MAX_ITER)
             for n in FAMILY_IMAGES for deg in DEGRADATIONS for m in solvers.names()]
    before = [before_cell(c, NOISE) for c in cells]
    df = _sweep(cells + before, "family", out, arrays)
    df["when"] = ["now"] * len(cells) + ["before"] * len(before)
    names = {v: k for k, v in keys.items()}
    base = {(n, d): baseline_psnr(named[n], d, NOISE)[1] for n in FAMILY_IMAGES
            for d in DEGRADATIONS}
    df["margin"] = [r["psnr"] - base[(names[r["image"]], r["degradation"])]
                    for _, r in df.iterrows()]
    rows = []
    for method in solvers.names():
        row = [method]
        for deg in DEGRADATIONS:
            g = df[(df["method"] == method) & (df["degradation"] == deg)]
            now, old = g[g["when"] == "now"]["margin"], g[g["when"] == "before"]["margin"]
            row.append(f"{now.mean():+.2f} ({old.mean():+.2f})")
        rows.append(row)
    print("Mean margin over the baseline, now (before), dB:\n")
    print(_table(["method", *DEGRADATIONS], rows))
    return df


def step_ladder(out: Path | None) -> pd.DataFrame:
    print("\n### The Restore page's noise range (`--ladder`): camera and grass at 64², camera at "
          f"128², {PAGE_ITERS} iterations, TV\n")
    cells = [sweeps.Cell(n, size, deg, noise, 0, m, "tv", max_iter=PAGE_ITERS)
             for n, size in LADDER_PROBLEMS for deg in DEGRADATIONS
             for noise in LADDER for m in CONTENDERS]
    before = [before_cell(c, c.noise) for c in cells]
    df = _sweep(cells + before, "ladder", out)
    df["when"] = ["now"] * len(cells) + ["before"] * len(before)
    df["gain"] = df["psnr"] - df["degraded_psnr"]
    rows = []
    for deg in DEGRADATIONS:
        for method in CONTENDERS:
            row = [deg, method]
            for noise in LADDER:
                g = df[(df["degradation"] == deg) & (df["method"] == method)
                       & (np.isclose(df["noise"], noise))]
                now, old = g[g["when"] == "now"]["gain"], g[g["when"] == "before"]["gain"]
                row.append(f"{now.min():+.2f} ({old.min():+.2f})")
            rows.append(row)
    print("Worst gain over the degraded PSNR (the 3 problems), now "
          "(before), dB; must be > 0:\n")
    print(_table(["degradation", "method", *[f"σₑ {s * 255:g}/255" for s in LADDER]], rows))
    bad = df[(df["when"] == "now") & (df["gain"] <= 0)]
    print(f"\nRuns at or below the degraded PSNR now: {len(bad)}")
    if len(bad):
        print(bad[["image", "size", "degradation", "noise", "method", "psnr",
                   "degraded_psnr"]].to_string())
    return df


def step_denoisers(out: Path | None) -> pd.DataFrame:
    print(f"\n### Other denoisers (`--denoisers`): camera 128², noise 0.01, {MAX_ITER} "
          "iterations, the degradations whose scales changed\n")
    degs = [d for d in DEGRADATIONS if d != "denoise"] + ["denoise"]
    cells = [sweeps.Cell("camera", 128, deg, NOISE, 0, m, den, max_iter=MAX_ITER)
             for deg in degs for m in CONTENDERS for den in OTHER_DENOISERS]
    before = [before_cell(c, NOISE) for c in cells]
    df = _sweep(cells + before, "denoisers", out)
    df["when"] = ["now"] * len(cells) + ["before"] * len(before)
    rows = []
    for deg in degs:
        for m in CONTENDERS:
            row = [deg, m]
            for den in OTHER_DENOISERS:
                g = df[(df["degradation"] == deg) & (df["method"] == m) & (df["denoiser"] == den)]
                now, old = (g[g["when"] == w]["psnr"].iloc[0] for w in ("now", "before"))
                row.append(f"{now:.2f} ({now - old:+.2f})")
            rows.append(row)
    print("Final PSNR now (change against before), dB:\n")
    print(_table(["degradation", "method", *OTHER_DENOISERS], rows))
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("wiener", "tune", "tune-noise", "check", "ceiling", "family", "ladder",
                 "denoisers", "all"):
        parser.add_argument(f"--{flag}", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="folder for the Parquet tables")
    args = parser.parse_args()
    chosen = [f for f in ("wiener", "tune", "tune_noise", "check", "ceiling", "family",
                          "ladder", "denoisers") if getattr(args, f) or args.all]
    if not chosen:
        parser.error("choose a step (--wiener, --tune, --tune-noise, --check, --ceiling, --family, "
                     "--ladder, --denoisers) or --all")
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"<!-- red_defaults.py {' '.join(sys.argv[1:])}; {sweeps.where()}; "
          f"load {load} -->")
    t0 = time.perf_counter()
    try:
        for step in chosen:
            if step == "wiener":
                step_wiener()
            else:
                globals()[f"step_{step}"](args.out)
    finally:
        sweeps.shutdown()
    print(f"\n<!-- total {time.perf_counter() - t0:.0f} s -->")


if __name__ == "__main__":
    main()
