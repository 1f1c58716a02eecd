r"""The RED algorithms (Romano, Elad & Milanfar 2017; Reehorst & Schniter 2019), one entry each.

Each generator is written like its formula (``THEORY.md``): it first yields the starting point,
then one :class:`State` per iteration, with ``D(x)`` attached when it computed it at that very
``x`` (so the runner's statistics can reuse it). All minimise — or seek a stationary point of —
:math:`E(x) = f(x) + \lambda\rho(x)` with the RED gradient :math:`\nabla\rho(x) = x - D(x)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from red_core.params import Param
from red_core.problem import Problem
from red_core.solvers.defaults import red_lam, safe_step
from red_core.solvers.records import State
from red_core.solvers.registry import Algorithm, register

__all__ = ["MAX_INNER", "red_admm", "red_apg", "red_dpg", "red_fp", "red_gd", "red_pg"]

Denoiser = Callable[[np.ndarray], np.ndarray]

#: Most denoiser steps per RED-ADMM iteration (``inner``): each one is a denoiser call.
MAX_INNER = 50


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


# --------------------------------------------------------------------------- the entries


def _lam(zero_ok: bool = False) -> Param:
    # λ = 0 only switches the prior off in RED-GD and RED-ADMM; the proximal methods use λL as
    # the weight of the data-term prox, which needs > 0.
    return Param("lam", "regularisation weight", symbol="λ", low=0.05, high=20.0, relative=True,
                 log=True, minimum=0.0, open_minimum=not zero_ok,
                 help="Weight of the denoiser prior against the data term: larger smooths more, "
                      "smaller trusts the data (and the noise) more.")


def _L(name: str, default: float, symbol: str, what: str = "") -> Param:
    return Param(name, f"Lipschitz parameter{what}", default, symbol=symbol, low=0.2, high=5.0,
                 step=0.1, minimum=0.0, open_minimum=True,
                 help="Mixes D(x) into the next prox centre by 1/L: L = 1 is RED-FP, larger is "
                      "more cautious (slower), smaller extrapolates (faster, can diverge).")


def _gd_defaults(problem: Problem, denoiser: Any) -> dict[str, float]:
    lam = red_lam(problem)
    return {"lam": lam, "step": 1.9 / (problem.lipschitz + lam)}


_FP_TARGET = "the fixed point ∇f(x) + λ(x − D(x)) = 0"
_NO_STEP = "no step size: f enters through its prox, for any λ > 0"

register(Algorithm(
    "red-gd", "RED steepest descent", "RED-GD", "red", red_gd,
    params=(_lam(zero_ok=True),
            Param("step", "step size", symbol="μ", low=0.1, high=1.5, relative=True,
                  minimum=0.0, open_minimum=True,
                  help="Gradient step: the default is 0.95 of the safe bound 2/(L_f + λ); "
                       "larger can diverge, smaller is slower.")),
    defaults=_gd_defaults,
    derived=lambda problem, p: {"step": 1.9 / (problem.lipschitz + p["lam"])},
    update="x ← x − μ(∇f(x) + λ(x − D(x)))",
    formula=r"x_{k+1} = x_k - \mu\big(\nabla f(x_k) + \lambda\,(x_k - D(x_k))\big)",
    sigma_group="red", step_rule="μ < 2/(L_f + λ)", colour="#d62728", denoised_at_iterate=True,
    lower_when_diverging="step",
    step_bound=lambda problem, p: (safe_step(problem, p["lam"]), True),
))
register(Algorithm(
    "red-fp", "RED fixed point", "RED-FP", "red", red_fp,
    params=(_lam(),), defaults=lambda problem, D: {"lam": red_lam(problem)},
    update="(AᵀA/σ² + λI) x ← Aᵀy/σ² + λD(x)",
    formula=r"\big(A^\top A/\sigma_e^2 + \lambda I\big)\,x_{k+1} = A^\top y/\sigma_e^2 "
            r"+ \lambda D(x_k)",
    sigma_group="red", step_rule=_NO_STEP, colour="#ff7f0e", denoised_at_iterate=True,
    lower_when_diverging="lam",
))
register(Algorithm(
    "red-admm", "RED alternating directions", "RED-ADMM", "red", red_admm,
    params=(_lam(zero_ok=True),
            Param("beta", "ADMM penalty", symbol="β", low=0.05, high=20.0, relative=True,
                  log=True, minimum=0.0, open_minimum=True,
                  help="Couples the data step and the denoiser step (default λ): larger makes "
                       "the two agree sooner, smaller moves more freely."),
            Param("inner", "inner denoiser steps", 1, kind="int", symbol="K", low=1, high=10,
                  step=1, minimum=1, maximum=MAX_INNER,
                  help="Denoiser steps per iteration for the v-update (each a denoiser call).")),
    defaults=lambda problem, D: {"lam": red_lam(problem), "beta": red_lam(problem), "inner": 1},
    derived=lambda problem, p: {"beta": p["lam"] if p["lam"] > 0 else red_lam(problem)},
    update="x ← prox_{f/β}(v − u); v ← (λD(v) + β(x + u))/(λ + β); u ← u + x − v",
    formula=r"x \leftarrow \mathrm{prox}_{f/\beta}(v - u);\; v \leftarrow "
            r"\frac{\lambda D(v) + \beta (x + u)}{\lambda + \beta};\; u \leftarrow u + x - v",
    sigma_group="red", step_rule=_NO_STEP, colour="#8c2d04", lower_when_diverging="lam",
))
register(Algorithm(
    "red-pg", "RED proximal gradient", "RED-PG", "red", red_pg,
    params=(_lam(), _L("L", 1.0, "L")),
    defaults=lambda problem, D: {"lam": red_lam(problem), "L": 1.0},
    update="x ← prox_{f/(λL)}(v); v ← D(x)/L + (1 − 1/L)x",
    formula=r"x_k = \mathrm{prox}_{f/(\lambda L)}(v_{k-1});\; v_k = \tfrac1L D(x_k) "
            r"+ (1 - \tfrac1L)\,x_k",
    sigma_group="red", step_rule=_NO_STEP, colour="#e377c2", denoised_at_iterate=True,
    lower_when_diverging="lam",
))
register(Algorithm(
    "red-dpg", "RED dynamic proximal gradient", "RED-DPG", "red", red_dpg,
    params=(_lam(), _L("L0", 0.5, "L₀", " at the start"), _L("Linf", 2.0, "L_∞", " in the limit")),
    # Reehorst & Schniter's L0 = 0.2 extrapolates v = 5D(x) − 4x on the first steps and diverged
    # with the median filter; 0.5 was as good or better on every denoiser measured.
    defaults=lambda problem, D: {"lam": red_lam(problem), "L0": 0.5, "Linf": 2.0},
    update="RED-PG with L_k growing from L₀ to L_∞",
    formula=r"\text{RED-PG with } L_k = \big(1/L_\infty + (1/L_0 - 1/L_\infty)/\sqrt{k+1}"
            r"\big)^{-1}",
    sigma_group="red", step_rule=_NO_STEP, colour="#bcbd22", denoised_at_iterate=True,
    lower_when_diverging="lam",
))
register(Algorithm(
    "red-apg", "RED accelerated proximal gradient", "RED-APG", "red", red_apg,
    params=(_lam(), _L("L", 1.0, "L")),
    defaults=lambda problem, D: {"lam": red_lam(problem), "L": 1.0},
    update="RED-PG with FISTA momentum on the denoiser input",
    formula=r"z = x_k + \tfrac{t_k - 1}{t_{k+1}}(x_k - x_{k-1});\; v_k = \tfrac1L D(z) "
            r"+ (1 - \tfrac1L) z",
    sigma_group="red", step_rule=_NO_STEP, colour="#9467bd", lower_when_diverging="lam",
))
