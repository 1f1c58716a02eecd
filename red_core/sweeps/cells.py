"""One cell of a sweep, run where it lands: build the problem, run the algorithm, make the row.

:func:`run_cell` is what every Dask task executes (and what runs in-process without Dask): it
builds the problem from the cell's small description on the worker
(``make_problem(images.builtin(image, size=size), degradation, noise, seed, **params)``), builds
the denoiser at the cell's σ_d, scales the swept parameters from the method's defaults and makes
exactly one ``solvers.run(method, problem, D, max_iter=max_iter, **params)`` at the default
tolerance, so a row is what ``solvers.run`` gives for that setting. It never raises: a run that
fails or diverges is a row with its status and message.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from red_core import denoisers, images, metrics, solvers
from red_core.problem import Problem, make_problem
from red_core.solvers import health as _health
from red_core.sweeps.spec import SCALE_PARAMS, Cell

__all__ = ["DEFAULT_TOL", "blank_row", "build_problem", "load_file", "run_cell", "scaled_params",
           "sigma_of"]

#: The tolerance of every cell: ``solvers.run``'s default (a sweep changes only swept values).
DEFAULT_TOL: float = inspect.signature(solvers.run).parameters["tol"].default

# Problems built on this process, newest last: the cells of one grid share their problem.
_PROBLEMS: OrderedDict[tuple, Problem] = OrderedDict()
_PROBLEMS_MAX = 16
_LOCK = threading.Lock()


def load_file(path: str | Path, size: int) -> np.ndarray:
    """An image file as a sweep uses it: ``images.load`` scaled down to ``size`` (never up)."""
    data = Path(path).read_bytes()
    return images.load(data, max_side=max(int(size), 16)).image


def _truth(cell: Cell, image: np.ndarray | None) -> np.ndarray:
    if image is not None:
        return np.asarray(image, dtype=np.float64)
    if cell.is_upload:
        raise ValueError(f"{cell.image} was not handed to submit(images=...)")
    if cell.is_builtin:
        return images.builtin(cell.image, size=cell.size)
    return load_file(cell.image, cell.size)


def build_problem(cell: Cell, image: np.ndarray | None = None) -> Problem:
    """The cell's problem (reused from a small per-process cache when it was built before).

    Parameters
    ----------
    cell : Cell
    image : ndarray, optional
        The truth for an upload or a file (loaded by the client); built-ins are made here.
    """
    digest = None
    if image is not None:
        digest = hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()
    key = (cell.image, cell.size, cell.degradation, cell.degradation_params, cell.noise,
           cell.seed, digest)
    with _LOCK:
        problem = _PROBLEMS.get(key)
        if problem is not None:
            _PROBLEMS.move_to_end(key)
            return problem
    problem = make_problem(_truth(cell, image), cell.degradation, cell.noise, cell.seed,
                           **dict(cell.degradation_params))
    with _LOCK:
        _PROBLEMS[key] = problem
        while len(_PROBLEMS) > _PROBLEMS_MAX:
            _PROBLEMS.popitem(last=False)
    return problem


def sigma_of(cell: Cell, problem: Problem) -> tuple[float, float]:
    """``(σ_d, suggested σ_d)`` of a cell in pixel units."""
    suggested = solvers.default_denoiser_sigma(problem, cell.method, cell.denoiser)
    if cell.denoiser_sigma is not None:
        return cell.denoiser_sigma / 255.0, suggested
    return cell.sigma_scale * suggested, suggested


def scaled_params(cell: Cell, problem: Problem, denoiser: Any) -> dict[str, float]:
    """The parameters a cell passes to ``solvers.run``: only the swept ones (scale ≠ 1), each
    its scale times the method's default for this problem and denoiser."""
    spec = solvers.entry(cell.method)
    have = {p.name for p in spec.params}
    params: dict[str, float] = {}
    defaults = None
    for axis, name in SCALE_PARAMS.items():
        scale = getattr(cell, axis)
        if scale == 1.0:
            continue
        if name not in have:
            raise ValueError(f"{cell.method} has no parameter {name} ({axis} = {scale:g} "
                             "does not apply)")
        if defaults is None:
            defaults = spec.defaults(problem, denoiser)
        params[name] = scale * float(defaults[name])
    return params


def blank_row(cell: Cell) -> dict[str, Any]:
    """A row with the cell's inputs and empty results (status ``error`` until filled)."""
    row = cell.inputs()
    row.update(
        suggested_sigma=math.nan, psnr=math.nan, ssim=math.nan, best_psnr=math.nan,
        best_iter=-1, iterations=0, status="error", flag="", message="", seconds=0.0,
        run_seconds=0.0, setup_seconds=0.0, seconds_to_99=math.nan, denoiser_calls=0, lam=math.nan,
        beta=math.nan, step=math.nan, degraded_psnr=math.nan, psnr_curve=[], time_curve=[],
        key=cell.key, worker="", cached=False,
    )
    if row["denoiser_sigma"] is None:
        row["denoiser_sigma"] = math.nan
    return row


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def run_cell(cell: Cell, image: np.ndarray | None = None,
             should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Run one cell and return its row (never raises for a failing run).

    Parameters
    ----------
    cell : Cell
    image : ndarray, optional
        The truth of an upload or file cell.
    should_stop : callable, optional
        Polled once per iteration (``solvers.run``'s); a cancelled task stops with it.

    Returns
    -------
    dict
        The cell's inputs plus ``psnr``, ``ssim`` (of the final iterate), ``best_psnr``,
        ``best_iter``, ``iterations``, ``status``, ``flag`` (the health flag or ``ok``),
        ``message``, ``seconds`` (the algorithm's own work, as the records' ``time``: the
        statistics excluded), ``run_seconds`` (the whole ``solvers.run`` call),
        ``setup_seconds`` (problem and denoiser on the worker), ``seconds_to_99`` (algorithm
        time to 99 % of the best PSNR, in dB),
        ``denoiser_calls``, the absolute ``lam``/``beta``/``step`` used, the σ_d used
        (``denoiser_sigma``, ×1/255) with its ``sigma_scale`` and the ``suggested_sigma``,
        ``degraded_psnr`` (of the starting point), ``psnr_curve``/``time_curve`` (per
        iteration) and ``key``.
    """
    row = blank_row(cell)
    try:
        _run(cell, image, should_stop, row)
    except Exception as err:  # failures are data: the sweep goes on
        row.update(status="error", message=f"{type(err).__name__}: {err}")
    return row


def _run(cell: Cell, image: np.ndarray | None, should_stop: Callable[[], bool] | None,
         row: dict[str, Any]) -> None:
    t0 = time.perf_counter()
    try:
        problem = build_problem(cell, image)
        sigma_d, suggested = sigma_of(cell, problem)
        row.update(denoiser_sigma=sigma_d * 255.0, suggested_sigma=suggested * 255.0,
                   sigma_scale=sigma_d / suggested)
        if problem.truth is not None:
            row["degraded_psnr"] = metrics.psnr(problem.truth, problem.x0)
        D = denoisers.build(cell.denoiser, sigma_d)
        params = scaled_params(cell, problem, D)
        t1 = time.perf_counter()
        row["setup_seconds"] = t1 - t0
        result = solvers.run(cell.method, problem, D, max_iter=cell.max_iter,
                             should_stop=should_stop, **params)
        row["run_seconds"] = time.perf_counter() - t1
    except Exception as err:  # failures are data: the sweep goes on
        row.update(status="error", message=f"{type(err).__name__}: {err}",
                   setup_seconds=time.perf_counter() - t0)
        return
    history = result.history
    health = _health.assess(history, cell.method, DEFAULT_TOL)
    psnr_curve = [_float(h.get("psnr")) for h in history]
    time_curve = [_float(h.get("time")) for h in history]
    calls = [h["denoiser_calls"] for h in history if h.get("denoiser_calls") is not None]
    times = [t for t in time_curve if not math.isnan(t)]
    row.update(
        seconds=times[-1] if times else 0.0,
        status=result.status, message=result.message, flag=health.flag,
        iterations=result.iterations, denoiser_calls=int(calls[-1]) if calls else 0,
        psnr_curve=psnr_curve, time_curve=time_curve,
        lam=_float(result.params.get("lam")), beta=_float(result.params.get("beta")),
        step=_float(result.params.get("step")),
    )
    if problem.truth is not None:
        row["psnr"] = metrics.psnr(problem.truth, result.x)
        row["ssim"] = metrics.ssim(problem.truth, result.x)
    if health.best_psnr is not None:
        row["best_psnr"], row["best_iter"] = health.best_psnr, int(health.best_iter)
        target = 0.99 * health.best_psnr
        reached = next(i for i, p in enumerate(psnr_curve) if p >= target)
        row["seconds_to_99"] = time_curve[reached]
