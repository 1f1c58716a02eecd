r"""The one runner: every algorithm's states become records, with the same statistics and checks.

:func:`iterate` adds timing, denoiser-call counts, PSNR, the RED objective, the stationarity
residual, stopping, divergence and error handling to every registered algorithm alike, and
yields one record (:data:`~red_core.solvers.records.RECORD_KEYS`) per iteration; :func:`run`
folds them into a :class:`Result`. Pages, the race, the 1-D descent, the sweeps and the
benchmarks all consume this one stream.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from red_core.metrics import psnr
from red_core.problem import Problem
from red_core.solvers.defaults import stats_lam
from red_core.solvers.records import Trace, blank_record
from red_core.solvers.registry import Algorithm, entry
from red_core.theory.regulariser import objective

__all__ = ["DIVERGENCE_BOUND", "DIVERGENCE_GROWTH", "Result", "iterate", "resolve", "run"]

Denoiser = Callable[[np.ndarray], np.ndarray]

#: An iterate whose largest magnitude exceeds this (pixels live in [0, 1]) has diverged.
DIVERGENCE_BOUND = 1e3
#: A residual this many times larger than the first one means the run has diverged.
DIVERGENCE_GROWTH = 1e6


def resolve(method: str, problem: Problem, denoiser: Denoiser | None,
            params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a run of ``method`` would use: ``params`` checked, the rest defaults.

    Raises ``ValueError`` for an unknown method or parameter, or a value out of range.
    """
    return entry(method).resolve(problem, denoiser, params)


class _Counted:
    """Wraps a denoiser to count its calls and their time, whoever makes them."""

    def __init__(self, D: Denoiser):
        self.D, self.calls, self.seconds = D, 0, 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        out = self.D(x)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return out


class _CountedProblem:
    """Forwards to a :class:`Problem`, counting the data-term steps (gradients and proxes) an
    algorithm takes; the shared Problem itself stays untouched."""

    def __init__(self, problem: Problem):
        self._problem, self.steps = problem, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._problem, name)

    def grad_data(self, x: np.ndarray) -> np.ndarray:
        self.steps += 1
        return self._problem.grad_data(x)

    def prox_data(self, v: np.ndarray, beta: float) -> np.ndarray:
        self.steps += 1
        return self._problem.prox_data(v, beta)


def iterate(
    method: str,
    problem: Problem,
    denoiser: Denoiser,
    *,
    max_iter: int | None = None,
    tol: float = 0.0,
    stats: bool = True,
    stats_every: int = 1,
    objective_lam: float | None = None,
    probes: Sequence[np.ndarray] = (),
    **params: Any,
) -> Iterator[dict]:
    """Run ``method`` and yield one record per iteration, starting with the initial point.

    The arguments are checked when ``iterate`` is called (a bad one raises ``ValueError`` at
    once, not at the first ``next``).

    Parameters
    ----------
    method : str
        A registered algorithm (``red_core.solvers.names()``).
    problem : Problem
    denoiser : callable
        ``D(x)``, for instance from ``red_core.denoisers.build``.
    max_iter : int, optional
        Stop after this many iterations (status ``max_iter``); ``None`` runs until converged.
    tol : float
        Stop with status ``converged`` once ``rel_change < tol`` at two iterations in a row
        (0 never stops early).
    stats : bool
        Compute the RED objective ``E(x) = f(x) + λρ(x)`` (``f(x) + λg(x)`` when the denoiser
        has a ``potential`` g, a gradient-step denoiser ``D = I − ∇g``) and the stationarity
        residual ``‖∇f(x) + λ(x − D(x))‖``. They need ``D(x)`` at the iterate: reused when the
        algorithm has it, otherwise one extra denoiser call, counted in
        ``stats_denoiser_calls`` and ``stats_time``, never in ``denoiser_calls`` or ``time``.
    stats_every : int
        Compute them every this many iterations only (and at the first and last).
    objective_lam : float, optional
        The λ of the reported objective and residual; default
        :func:`~red_core.solvers.defaults.stats_lam`.
    probes : sequence of ndarray
        Fixed vectors ``p_i``; each record gets ``probe = [⟨x, p_i⟩ ...]`` (cheap: it lets a
        trajectory be projected on a plane afterwards without keeping any iterate).
    **params
        The method's parameters (its registry entry's ``params``); missing ones get defaults.

    Yields
    ------
    dict
        The keys of :data:`~red_core.solvers.records.RECORD_KEYS`, plus ``x`` and, on the
        first record, ``params`` (the resolved parameters). The last record's ``status`` is
        ``converged``, ``max_iter``, ``diverged`` (the iterate left every sensible range; the
        message names the parameter to lower) or ``error`` (the denoiser or the operator
        raised: the message is theirs).
    """
    spec = entry(method)
    resolved = spec.resolve(problem, denoiser, params)
    if max_iter is not None and int(max_iter) < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter!r}")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    lam = stats_lam(method, resolved) if objective_lam is None else float(objective_lam)
    return _records(spec, problem, denoiser, resolved, None if max_iter is None else
                    int(max_iter), float(tol), stats, max(1, int(stats_every)), lam,
                    tuple(probes))


def _records(spec: Algorithm, problem: Problem, denoiser: Denoiser, resolved: dict,
             max_iter: int | None, tol: float, stats: bool, stats_every: int, lam: float,
             probes: tuple[np.ndarray, ...]) -> Iterator[dict]:
    D = _Counted(denoiser)
    # A gradient-step denoiser D = I − ∇g has an explicit potential: RED minimises f + λg.
    potential = getattr(denoiser, "potential", None)
    counted = _CountedProblem(problem)
    gen = spec.generator(counted, D, **resolved)
    clock = {"elapsed": 0.0, "den_time": 0.0, "den_calls": 0, "stats_time": 0.0,
             "stats_calls": 0, "first_residual": None, "prev_rel": None}
    recent: deque[np.ndarray] = deque(maxlen=4)  # x_{k−1}, ..., x_{k−4}, newest first
    x_prev: np.ndarray | None = None
    k = 0

    def step() -> dict:
        """One iteration and its record (run under np.errstate, never across a yield)."""
        calls0, secs0, t0 = D.calls, D.seconds, time.perf_counter()
        state = next(gen)
        clock["elapsed"] += time.perf_counter() - t0
        clock["den_calls"] += D.calls - calls0
        clock["den_time"] += D.seconds - secs0
        x = state.x
        last = max_iter is not None and k >= max_iter
        rel = None if x_prev is None else _rel_change(x, x_prev)
        rec = blank_record(k, x, rel_change=rel, time=clock["elapsed"],
                           denoiser_time=clock["den_time"], denoiser_calls=clock["den_calls"],
                           data_steps=counted.steps)
        rec["cycle_ratio"], rec["cycle_period"] = _cycle(x, recent)
        big = float(np.max(np.abs(x)))
        if not np.isfinite(big) or big > DIVERGENCE_BOUND:
            rec.update(status="diverged", message=_diverged_message(spec, resolved, k))
        else:
            if problem.truth is not None:
                rec["psnr"] = psnr(problem.truth, x)
            # Two small changes in a row: splitting methods can sit still for one iteration
            # while their auxiliary variables move (PnP-ADMM started at a prox fixed point).
            prev_rel = clock["prev_rel"]
            converged = rel is not None and rel < tol and prev_rel is not None and prev_rel < tol
            if stats and (k % stats_every == 0 or last or converged):
                calls0, t0 = D.calls, time.perf_counter()
                dx = state.denoised if state.denoised is not None else D(x)
                rec["objective"] = objective(problem, x, dx, lam, potential)
                rec["residual"] = float(np.linalg.norm(problem.grad_data(x) + lam * (x - dx)))
                clock["stats_calls"] += D.calls - calls0
                clock["stats_time"] += time.perf_counter() - t0
                if clock["first_residual"] is None:
                    clock["first_residual"] = max(rec["residual"], 1e-300)
                elif not rec["residual"] <= DIVERGENCE_GROWTH * clock["first_residual"]:
                    rec.update(status="diverged", message=_diverged_message(spec, resolved, k))
            if rec["status"] == "running":
                if converged:
                    rec.update(status="converged", message=(
                        f"converged after {k} iterations: relative change {rel:.2e} < "
                        f"tol {tol:g}"))
                elif last:
                    rec.update(status="max_iter", message=(
                        f"stopped after max_iter = {max_iter} iterations (relative change "
                        f"{rel if rel is not None else float('nan'):.2e}, tol {tol:g})"))
        rec["stats_denoiser_calls"] = clock["stats_calls"]
        rec["stats_time"] = clock["stats_time"]
        if probes:
            rec["probe"] = [float(np.vdot(x, p)) for p in probes]
        clock["prev_rel"] = rel
        if k == 0:
            rec["params"] = dict(resolved)
        return rec

    try:
        while True:
            try:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    rec = step()
            except (FloatingPointError, OverflowError) as err:  # arithmetic blew up
                rec = blank_record(k, x_prev, status="diverged",
                                   message=_diverged_message(spec, resolved, k, err))
            except Exception as err:  # the denoiser or the operator refused: say what it said
                rec = blank_record(k, x_prev, status="error",
                                   message=f"{spec.short} stopped at iteration {k}: "
                                           f"{type(err).__name__}: {err}")
            yield rec
            if rec["status"] != "running":
                return
            x_prev = rec["x"]
            recent.appendleft(x_prev)
            k += 1
    finally:
        gen.close()


def _cycle(x: np.ndarray, recent: deque[np.ndarray]) -> tuple[float | None, int | None]:
    """``min_p ‖x − x_{k−p}‖ / ‖x − x_{k−1}‖`` for ``p = 2..4`` and the ``p`` reaching it."""
    if len(recent) < recent.maxlen:
        return None, None
    step = float(np.linalg.norm(x - recent[0]))
    if not step > 0 or not np.isfinite(step):
        return None, None
    ratios = [float(np.linalg.norm(x - recent[p - 1])) / step for p in (2, 3, 4)]
    best = min(ratios)
    p = next(i for i, r in enumerate(ratios) if r <= 1.5 * best + 1e-12)  # a 2-cycle is a 4-cycle
    return ratios[p], p + 2


def _rel_change(x: np.ndarray, x_prev: np.ndarray) -> float:
    den = float(np.linalg.norm(x_prev))
    diff = float(np.linalg.norm(x - x_prev))
    return diff / den if den > 0 else diff


def _diverged_message(spec: Algorithm, params: dict, k: int, err: Exception | None = None) -> str:
    name = spec.lower_when_diverging
    symbol = spec.param(name).symbol or name
    cause = f" ({type(err).__name__}: {err})" if err is not None else ""
    return (
        f"{spec.short} diverged at iteration {k}{cause}: the iterate left every sensible range. "
        f"Lower {symbol} ({name}, now {params[name]:.4g}) and run again."
    )


@dataclass
class Result:
    """The outcome of :func:`run`.

    Attributes
    ----------
    x : ndarray
        The last finite iterate.
    status : str
        ``converged``, ``max_iter``, ``diverged``, ``stopped`` or ``error``.
    message : str
        One sentence on why the run ended.
    history : list of dict
        The records of :func:`iterate` without ``x``.
    params : dict
        The resolved parameters.
    method : str
    """

    x: np.ndarray
    status: str
    message: str
    history: list[dict] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    method: str = ""

    @property
    def iterations(self) -> int:
        return self.history[-1]["iter"] if self.history else 0


def run(
    method: str,
    problem: Problem,
    denoiser: Denoiser,
    max_iter: int = 100,
    tol: float = 1e-4,
    *,
    stats: bool = True,
    stats_every: int = 1,
    objective_lam: float | None = None,
    probes: Sequence[np.ndarray] = (),
    should_stop: Callable[[], bool] | None = None,
    callback: Callable[[dict], None] | None = None,
    **params: Any,
) -> Result:
    """Run ``method`` to convergence, ``max_iter``, divergence, an error or ``should_stop()``.

    See :func:`iterate` for the parameters; ``callback(record)`` sees every record (with ``x``).

    Examples
    --------
    >>> import numpy as np
    >>> from red_core import denoisers, operators, solvers
    >>> truth = np.random.default_rng(0).random((32, 32))
    >>> A = operators.build("gaussian_blur", truth.shape)
    >>> problem = solvers.Problem.synthesize(truth, A, 0.01)
    >>> result = solvers.run("red-fp", problem, denoisers.build("gaussian", 0.05), max_iter=20)
    >>> result.status in ("converged", "max_iter"), len(result.history) > 1
    (True, True)
    """
    trace = Trace(problem.x0)
    for rec in iterate(method, problem, denoiser, max_iter=max_iter, tol=tol, stats=stats,
                       stats_every=stats_every, objective_lam=objective_lam, probes=probes,
                       **params):
        if callback is not None:
            callback(rec)
        trace.add(rec)
        if not trace.done and should_stop is not None and should_stop():
            trace.end("stopped", f"stopped by the caller after {rec['iter']} iterations")
            break
    return Result(x=trace.x, status=trace.status, message=trace.message, history=trace.history,
                  params=trace.params, method=method)
