r"""RED and PnP algorithms, and the one runner that serves them all.

Each algorithm is a generator written like its formula (``../THEORY.md``): it first yields the
starting point, then one :class:`State` per iteration, with ``D(x)`` attached when the algorithm
computed it at that very ``x`` (so statistics can reuse it). :func:`iterate` adds timing,
denoiser-call counts, PSNR, the RED objective, the fixed-point residual, stopping and divergence
checks to every algorithm alike; :func:`run` collects its records into a :class:`Result`.

Examples
--------
>>> import numpy as np
>>> from red_core import denoisers, operators, solvers
>>> rng = np.random.default_rng(0)
>>> truth = rng.random((32, 32))
>>> problem = solvers.Problem.synthesize(truth, operators.build("gaussian_blur", truth.shape), 0.01)
>>> result = solvers.run("red-fp", problem, denoisers.build("gaussian", 0.05), max_iter=20)
>>> result.status in ("converged", "max_iter"), len(result.history) > 1
(True, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from red_core import red
from red_core.metrics import psnr
from red_core.problem import Problem

__all__ = [
    "METHODS",
    "RED_METHODS",
    "PNP_METHODS",
    "Problem",
    "State",
    "Result",
    "default_denoiser_sigma",
    "default_params",
    "describe",
    "iterate",
    "run",
]

Denoiser = Callable[[np.ndarray], np.ndarray]


@dataclass
class State:
    """One iterate of an algorithm: ``x`` and, when the algorithm has it, ``denoised = D(x)``."""

    x: np.ndarray
    denoised: np.ndarray | None = None


# --------------------------------------------------------------------------- algorithms


def red_gd(problem: Problem, D: Denoiser, lam: float, step: float) -> Iterator[State]:
    """RED steepest descent: ``x ← x − μ (∇f(x) + λ (x − D(x)))``."""
    x = problem.x0
    dx = D(x)
    yield State(x, dx)
    while True:
        x = x - step * (problem.grad_data(x) + lam * (x - dx))
        dx = D(x)
        yield State(x, dx)


def red_fp(problem: Problem, D: Denoiser, lam: float) -> Iterator[State]:
    """RED fixed point: solve ``(AᵀA/σ² + λI) x_{k+1} = Aᵀy/σ² + λ D(x_k)``."""
    x = problem.x0
    dx = D(x)
    yield State(x, dx)
    while True:
        x = problem.prox_data(dx, lam)
        dx = D(x)
        yield State(x, dx)


def red_admm(
    problem: Problem, D: Denoiser, lam: float, beta: float, inner: int
) -> Iterator[State]:
    """RED-ADMM: ``x ← prox_{f/β}(v − u)``; ``v ← (λ D(v) + β (x + u)) / (λ + β)`` (``inner``
    times); ``u ← u + x − v``."""
    x = problem.x0
    v, u = x.copy(), np.zeros_like(x)
    yield State(x)
    while True:
        x = problem.prox_data(v - u, beta)
        for _ in range(inner):
            v = (lam * D(v) + beta * (x + u)) / (lam + beta)
        u = u + x - v
        yield State(x)


def _red_pg(
    problem: Problem, D: Denoiser, lam: float, lipschitz: Callable[[int], float]
) -> Iterator[State]:
    """Proximal gradient (Reehorst & Schniter 2019) with ``L_k = lipschitz(k)``:
    ``x_k = argmin f(x) + (λ L_k / 2) ‖x − v_{k−1}‖²``; ``v_k = D(x_k)/L_k + (1 − 1/L_k) x_k``."""
    x = problem.x0
    dx = D(x)
    yield State(x, dx)
    k = 0
    while True:
        L = lipschitz(k)
        v = dx / L + (1.0 - 1.0 / L) * x
        k += 1
        x = problem.prox_data(v, lam * lipschitz(k))
        dx = D(x)
        yield State(x, dx)


def red_pg(problem: Problem, D: Denoiser, lam: float, L: float) -> Iterator[State]:
    """RED-PG with a fixed ``L`` (``L = 1`` is RED-FP)."""
    return _red_pg(problem, D, lam, lambda k: L)


def red_dpg(
    problem: Problem, D: Denoiser, lam: float, L0: float, Linf: float
) -> Iterator[State]:
    """RED-DPG: ``L_k = (1/L_∞ + (1/L_0 − 1/L_∞)/√(k+1))⁻¹`` grows from ``L_0`` to ``L_∞``."""
    return _red_pg(
        problem, D, lam, lambda k: 1.0 / (1.0 / Linf + (1.0 / L0 - 1.0 / Linf) / np.sqrt(k + 1))
    )


def red_apg(problem: Problem, D: Denoiser, lam: float, L: float) -> Iterator[State]:
    """RED-APG: RED-PG with FISTA momentum, ``t_{k+1} = (1 + √(1 + 4t_k²))/2``,
    ``z = x_k + (t_k − 1)/t_{k+1} (x_k − x_{k−1})``, ``v_k = D(z)/L + (1 − 1/L) z``."""
    x = x_prev = problem.x0
    t = 1.0
    yield State(x)
    while True:
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        z = x + ((t - 1.0) / t_next) * (x - x_prev)
        v = D(z) / L + (1.0 - 1.0 / L) * z
        x_prev, x, t = x, problem.prox_data(v, lam * L), t_next
        yield State(x)


def pnp_pgd(problem: Problem, D: Denoiser, step: float) -> Iterator[State]:
    """PnP proximal gradient: ``x ← D(x − μ ∇f(x))``."""
    x = problem.x0
    yield State(x)
    while True:
        x = D(x - step * problem.grad_data(x))
        yield State(x)


def pnp_admm(problem: Problem, D: Denoiser, beta: float) -> Iterator[State]:
    """PnP-ADMM: ``x ← prox_{f/β}(v − u)``; ``v ← D(x + u)``; ``u ← u + x − v``."""
    x = problem.x0
    v, u = x.copy(), np.zeros_like(x)
    yield State(x)
    while True:
        x = problem.prox_data(v - u, beta)
        v = D(x + u)
        u = u + x - v
        yield State(x)


def pnp_hqs(problem: Problem, D: Denoiser, beta: float) -> Iterator[State]:
    """PnP half-quadratic splitting: ``x ← prox_{f/β}(z)``; ``z ← D(x)``, from ``z₀ = D(x₀)``
    (so that with ``β = λ`` the iterates are exactly RED-FP's)."""
    x = problem.x0
    z = D(x)
    yield State(x, z)
    while True:
        x = problem.prox_data(z, beta)
        z = D(x)
        yield State(x, z)


@dataclass(frozen=True)
class _Method:
    algorithm: Callable[..., Iterator[State]]
    family: str  # "red" or "pnp"
    params: tuple[str, ...]
    update: str  # the update rule, for pages and docs
    lower_when_diverging: str  # the parameter to lower when the run diverges


METHODS: dict[str, _Method] = {
    "red-gd": _Method(red_gd, "red", ("lam", "step"), "x ← x − μ(∇f(x) + λ(x − D(x)))", "step"),
    "red-fp": _Method(red_fp, "red", ("lam",), "(AᵀA/σ² + λI) x ← Aᵀy/σ² + λD(x)", "lam"),
    "red-admm": _Method(
        red_admm, "red", ("lam", "beta", "inner"),
        "x ← prox_{f/β}(v − u); v ← (λD(v) + β(x + u))/(λ + β); u ← u + x − v", "lam",
    ),
    "red-pg": _Method(
        red_pg, "red", ("lam", "L"),
        "x ← prox_{f/(λL)}(v); v ← D(x)/L + (1 − 1/L)x", "lam",
    ),
    "red-dpg": _Method(
        red_dpg, "red", ("lam", "L0", "Linf"),
        "RED-PG with L_k growing from L₀ to L_∞", "lam",
    ),
    "red-apg": _Method(
        red_apg, "red", ("lam", "L"),
        "RED-PG with FISTA momentum on the denoiser input", "lam",
    ),
    "pnp-pgd": _Method(pnp_pgd, "pnp", ("step",), "x ← D(x − μ∇f(x))", "step"),
    "pnp-admm": _Method(
        pnp_admm, "pnp", ("beta",), "x ← prox_{f/β}(v − u); v ← D(x + u); u ← u + x − v", "beta"
    ),
    "pnp-hqs": _Method(pnp_hqs, "pnp", ("beta",), "x ← prox_{f/β}(z); z ← D(x)", "beta"),
}
RED_METHODS = tuple(m for m in METHODS if METHODS[m].family == "red")
PNP_METHODS = tuple(m for m in METHODS if METHODS[m].family == "pnp")


def describe(method: str) -> dict[str, Any]:
    """Family, parameter names, update rule and docstring of an algorithm."""
    m = _method(method)
    return {
        "family": m.family,
        "params": m.params,
        "update": m.update,
        "doc": (m.algorithm.__doc__ or "").strip(),
    }


def _method(method: str) -> _Method:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return METHODS[method]


# --------------------------------------------------------------------------- defaults

#: λ·σ_e² for RED: the weight of the regulariser relative to the data term, scale free.
RED_LAM_SIGMA2 = 0.04


def default_params(method: str, problem: Problem, denoiser: Denoiser | None = None) -> dict:
    """Parameters that work for this method, problem and denoiser.

    - ``lam = RED_LAM_SIGMA2 / σ_e²`` for every RED method;
    - RED-GD ``step = 1.9 / (L_f + λ)``, below the safe bound ``2 / (L_f + λ)``;
    - PnP ``beta = 1 / σ_d²`` with ``σ_d`` the denoiser sigma (the prox of ``f/β`` then feeds the
      denoiser the noise level it is tuned for); PnP-PGD ``step = 1 / L_f``;
    - RED-ADMM ``beta = λ``, ``inner = 1``; RED-PG / APG ``L = 1``; RED-DPG ``L0 = 0.5``,
      ``Linf = 2`` (Reehorst & Schniter's ``L0 = 0.2`` extrapolates ``v = 5D(x) − 4x`` on the first
      steps and diverged with the median filter; 0.5 was as good or better on every denoiser
      measured).
    """
    m = _method(method)
    L_f = problem.lipschitz
    lam = RED_LAM_SIGMA2 / problem.sigma_eff**2
    sigma_d = float(getattr(denoiser, "sigma", 0.0) or 0.0)
    beta = 1.0 / max(sigma_d, 1e-3) ** 2
    table = {
        "red-gd": {"lam": lam, "step": 1.9 / (L_f + lam)},
        "red-fp": {"lam": lam},
        "red-admm": {"lam": lam, "beta": lam, "inner": 1},
        "red-pg": {"lam": lam, "L": 1.0},
        "red-dpg": {"lam": lam, "L0": 0.5, "Linf": 2.0},
        "red-apg": {"lam": lam, "L": 1.0},
        "pnp-pgd": {"step": 1.0 / L_f},
        "pnp-admm": {"beta": beta},
        "pnp-hqs": {"beta": beta},
    }
    out = table[method]
    assert set(out) == set(m.params)
    return out


#: Denoiser sigma per unit of noise sigma that works well with the default parameters, measured
#: on the deblurring benchmark (``bench/deblur.py --all-sigmas``; docs/BENCHMARKS.md): RED wants a
#: light denoiser, PnP-ADMM/HQS a strong one (β = 1/σ_d² ties it to the data term), PnP-PGD a very
#: light one (μ = 1/L_f). Denoisers not listed use the "*" entry.
DENOISER_SIGMA_FACTOR: dict[str, dict[str, float]] = {
    "red": {"*": 2.0, "tv": 2.0, "gaussian": 4.0, "median": 8.0, "wavelet": 8.0,
            "bilateral": 2.0, "nlm": 6.0, "bm3d": 3.0, "cnn": 8.0, "cnn_gs": 4.0},
    "pnp-split": {"*": 8.0, "tv": 10.0, "gaussian": 1.2, "median": 6.0, "wavelet": 3.0,
                  "bilateral": 15.0, "nlm": 12.0, "bm3d": 8.0, "cnn": 8.0, "cnn_gs": 12.0},
    "pnp-pgd": {"*": 0.4, "tv": 0.4, "gaussian": 0.4, "median": 2.0, "wavelet": 0.2,
                "bilateral": 0.4, "nlm": 0.8, "bm3d": 0.8, "cnn": 5.0},
}


def default_denoiser_sigma(
    problem: Problem, method: str = "red-fp", denoiser: str | None = None
) -> float:
    """A denoiser sigma that works with :func:`default_params` (the user's one slider starts here).

    A multiple of the noise level σ_e measured per algorithm family and denoiser (see
    :data:`DENOISER_SIGMA_FACTOR`), at least 0.5/255 and at most 50/255.
    """
    m = _method(method)
    group = "red" if m.family == "red" else ("pnp-pgd" if method == "pnp-pgd" else "pnp-split")
    table = DENOISER_SIGMA_FACTOR[group]
    factor = table.get(denoiser or "*", table["*"])
    return float(np.clip(factor * problem.sigma_eff, 0.5 / 255, 50 / 255))


def safe_step(problem: Problem, lam: float | None = None) -> float:
    """The step bound of the method's theory: ``2/(L_f + λ)`` for RED-GD, ``1/L_f`` for PnP-PGD
    (``lam=None``)."""
    L_f = problem.lipschitz
    return 1.0 / L_f if lam is None else 2.0 / (L_f + lam)


def stats_lam(method: str, params: dict) -> float:
    """The λ of the RED objective reported for a run: the method's own ``lam`` for RED; for PnP the
    equivalent weight (``β`` for ADMM/HQS, exact for HQS ≡ RED-FP; ``1/μ`` for PGD)."""
    if "lam" in params:
        return float(params["lam"])
    if "beta" in params:
        return float(params["beta"])
    return 1.0 / float(params["step"])


#: Most denoiser steps per RED-ADMM iteration (``inner``).
MAX_INNER = 50


def _resolve(method: str, problem: Problem, denoiser: Denoiser, params: dict) -> dict:
    m = _method(method)
    unknown = set(params) - set(m.params)
    if unknown:
        raise ValueError(
            f"{method}: unknown parameter(s) {sorted(unknown)}; allowed: {', '.join(m.params)}"
        )
    resolved = default_params(method, problem, denoiser)
    for k, v in params.items():
        if v is None:
            continue
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{method}: {k} must be a number, got {v!r}") from None
        # λ = 0 only switches the prior off in RED-GD and RED-ADMM; the proximal methods
        # (RED-FP/PG/DPG/APG) use λL as the weight of the data-term prox, which needs > 0.
        zero_ok = k == "lam" and method in ("red-gd", "red-admm")
        if not np.isfinite(v) or (v < 0 if zero_ok else v <= 0):
            bound = ">= 0" if zero_ok else "> 0"
            raise ValueError(f"{method}: {k} must be a finite number {bound}, got {v!r}")
        resolved[k] = v
    if "inner" in resolved:
        resolved["inner"] = max(1, int(round(resolved["inner"])))
        if resolved["inner"] > MAX_INNER:  # each one is a denoiser call: a huge value hangs
            raise ValueError(
                f"{method}: inner must be at most {MAX_INNER}, got {params['inner']!r}"
            )
    return resolved


# --------------------------------------------------------------------------- the runner


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


#: An iterate whose largest magnitude exceeds this (pixels live in [0, 1]) has diverged.
DIVERGENCE_BOUND = 1e3
#: A residual this many times larger than the first one means the run has diverged.
DIVERGENCE_GROWTH = 1e6


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

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
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
        has a ``potential`` g, a gradient-step denoiser ``D = I − ∇g``) and the fixed-point
        residual. They need ``D(x)`` at the
        iterate: reused when the algorithm has it, otherwise one extra denoiser call, counted in
        ``stats_denoiser_calls`` and ``stats_time``, never in ``denoiser_calls`` or ``time``.
    stats_every : int
        Compute them every this many iterations only (and at the first and last).
    objective_lam : float, optional
        The λ of the reported objective and residual; default :func:`stats_lam`.
    probes : sequence of ndarray
        Fixed vectors ``p_i``; each record gets ``probe = [⟨x, p_i⟩ ...]`` (cheap: it lets a
        trajectory be projected on a plane afterwards without keeping any iterate).
    **params
        The method's parameters (see :func:`default_params`); missing ones get defaults.

    Yields
    ------
    dict
        ``iter``, ``x``, ``psnr`` (None without a truth), ``objective``, ``residual`` (None when
        not computed), ``rel_change``, ``time`` (seconds of the algorithm's own work since the
        start), ``denoiser_time`` (its part spent in the denoiser), ``denoiser_calls`` (the
        algorithm's own calls), ``data_steps`` (its gradient and prox evaluations of the data
        term), ``stats_denoiser_calls``, ``stats_time``, ``status``
        (``running``, then ``converged``, ``max_iter`` or ``diverged`` on the last record),
        ``message`` and ``params`` (the resolved parameters, first record only).
    """
    m = _method(method)
    resolved = _resolve(method, problem, denoiser, params)
    lam = stats_lam(method, resolved) if objective_lam is None else float(objective_lam)
    if max_iter is not None and int(max_iter) < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter!r}")
    stats_every = max(1, int(stats_every))
    D = _Counted(denoiser)
    # A gradient-step denoiser D = I − ∇g has an explicit potential: RED minimises f + λg.
    potential = getattr(denoiser, "potential", None)
    counted = _CountedProblem(problem)
    gen = m.algorithm(counted, D, **resolved)
    elapsed = den_time = stats_time = 0.0
    den_calls = stats_calls = 0
    x_prev: np.ndarray | None = None
    first_residual: float | None = None
    prev_rel: float | None = None
    k = 0

    def step() -> dict:
        """One iteration and its record (run under np.errstate, never across a yield)."""
        nonlocal elapsed, den_time, stats_time, den_calls, stats_calls, first_residual, prev_rel
        calls0, secs0, t0 = D.calls, D.seconds, time.perf_counter()
        try:
            state = next(gen)
        except (ArithmeticError, ValueError) as err:
            return _final(k, x_prev, "diverged", _diverged_message(method, m, resolved, k, err))
        elapsed += time.perf_counter() - t0
        den_calls += D.calls - calls0
        den_time += D.seconds - secs0
        x = state.x
        last = max_iter is not None and k >= max_iter
        rel = None if x_prev is None else _rel_change(x, x_prev)
        rec: dict[str, Any] = {
            "iter": k, "x": x, "psnr": None, "objective": None, "residual": None,
            "rel_change": rel, "time": elapsed, "denoiser_time": den_time,
            "denoiser_calls": den_calls, "data_steps": counted.steps, "status": "running",
            "message": "",
        }
        big = float(np.max(np.abs(x)))
        if not np.isfinite(big) or big > DIVERGENCE_BOUND:
            rec.update(status="diverged", message=_diverged_message(method, m, resolved, k))
        else:
            if problem.truth is not None:
                rec["psnr"] = psnr(problem.truth, x)
            # Two small changes in a row: splitting methods can sit still for one iteration
            # while their auxiliary variables move (PnP-ADMM started at a prox fixed point).
            converged = rel is not None and rel < tol and prev_rel is not None and prev_rel < tol
            if stats and (k % stats_every == 0 or last or converged):
                calls0, t0 = D.calls, time.perf_counter()
                dx = state.denoised if state.denoised is not None else D(x)
                grad = problem.grad_data(x)
                prior = potential(x) if potential is not None else red.regulariser(x, dx)
                rec["objective"] = problem.data_fidelity(x) + lam * prior
                rec["residual"] = float(np.linalg.norm(grad + lam * (x - dx)))
                stats_calls += D.calls - calls0
                stats_time += time.perf_counter() - t0
                if first_residual is None:
                    first_residual = max(rec["residual"], 1e-300)
                elif not rec["residual"] <= DIVERGENCE_GROWTH * first_residual:
                    rec.update(
                        status="diverged", message=_diverged_message(method, m, resolved, k)
                    )
            if rec["status"] == "running":
                if converged:
                    rec.update(status="converged", message=(
                        f"converged after {k} iterations: relative change {rel:.2e} < "
                        f"tol {tol:g}"))
                elif last:
                    rec.update(status="max_iter", message=(
                        f"stopped after max_iter = {max_iter} iterations (relative change "
                        f"{rel if rel is not None else float('nan'):.2e}, tol {tol:g})"))
        rec["stats_denoiser_calls"] = stats_calls
        rec["stats_time"] = stats_time
        if probes:
            rec["probe"] = [float(np.vdot(x, p)) for p in probes]
        prev_rel = rel
        if k == 0:
            rec["params"] = dict(resolved)
        return rec

    while True:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            rec = step()
        yield rec
        if rec["status"] != "running":
            return
        x_prev = rec["x"]
        k += 1


def _rel_change(x: np.ndarray, x_prev: np.ndarray) -> float:
    den = float(np.linalg.norm(x_prev))
    diff = float(np.linalg.norm(x - x_prev))
    return diff / den if den > 0 else diff


def _final(k: int, x: np.ndarray | None, status: str, message: str) -> dict:
    return {"iter": k, "x": x, "psnr": None, "objective": None, "residual": None,
            "rel_change": None, "time": None, "denoiser_time": None, "denoiser_calls": None,
            "data_steps": None,
            "stats_denoiser_calls": None, "stats_time": None, "status": status,
            "message": message}


def _diverged_message(
    method: str, m: _Method, params: dict, k: int, err: Exception | None = None
) -> str:
    name = m.lower_when_diverging
    cause = f" ({type(err).__name__}: {err})" if err is not None else ""
    return (
        f"{method} diverged at iteration {k}{cause}: the iterate left every sensible range. "
        f"Lower {name} (now {params[name]:.4g}) and run again."
    )


@dataclass
class Result:
    """The outcome of :func:`run`.

    Attributes
    ----------
    x : ndarray
        The last finite iterate.
    status : str
        ``converged``, ``max_iter``, ``diverged`` or ``stopped``.
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
    """Run ``method`` to convergence, ``max_iter``, divergence or ``should_stop()``.

    See :func:`iterate` for the parameters; ``callback(record)`` sees every record (with ``x``).
    """
    history: list[dict] = []
    x, resolved = problem.x0, {}
    status, message = "max_iter", ""
    for rec in iterate(method, problem, denoiser, max_iter=max_iter, tol=tol, stats=stats,
                       stats_every=stats_every, objective_lam=objective_lam, probes=probes,
                       **params):
        if callback is not None:
            callback(rec)
        resolved = rec.get("params", resolved)
        if rec["status"] != "diverged":
            x = rec["x"]
        if rec["time"] is not None:
            history.append({k: v for k, v in rec.items() if k not in ("x", "params")})
        status, message = rec["status"], rec["message"]
        if status == "running" and should_stop is not None and should_stop():
            status, message = "stopped", f"stopped by the caller after {rec['iter']} iterations"
            break
    return Result(x=x, status=status, message=message, history=history, params=resolved,
                  method=method)
