r"""The Plug-and-Play algorithms, one entry each.

PnP replaces a proximal step by the denoiser; it seeks an *operator* fixed point ``x = T(x)``,
not the stationary point of an explicit objective (unless ``D`` is a proximal operator). Same
conventions as :mod:`red_core.solvers.red`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from red_core.params import Param
from red_core.problem import Problem
from red_core.solvers.defaults import pnp_beta, safe_step
from red_core.solvers.records import State
from red_core.solvers.registry import Algorithm, register

__all__ = ["pnp_admm", "pnp_hqs", "pnp_pgd"]

Denoiser = Callable[[np.ndarray], np.ndarray]


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


# --------------------------------------------------------------------------- the entries

_BETA = Param("beta", "penalty", symbol="β", low=0.05, high=20.0, relative=True, log=True,
              minimum=0.0, open_minimum=True,
              help="Weight of the data-term prox (default 1/σ_d², which feeds the denoiser the "
                   "noise level it is tuned for): larger trusts the data more.")
_NO_STEP = "no step size: f enters through its prox, for any β > 0"

register(Algorithm(
    "pnp-pgd", "PnP proximal gradient", "PnP-PGD", "pnp", pnp_pgd,
    params=(Param("step", "step size", symbol="μ", low=0.1, high=2.0, relative=True,
                  minimum=0.0, open_minimum=True,
                  help="Gradient step before the denoiser: the default is the bound 1/L_f of "
                       "the theory; larger can diverge, smaller is slower."),),
    defaults=lambda problem, D: {"step": 1.0 / problem.lipschitz},
    update="x ← D(x − μ∇f(x))",
    formula=r"x_{k+1} = D\big(x_k - \mu \nabla f(x_k)\big)",
    sigma_group="pnp-pgd", step_rule="μ ≤ 1/L_f", colour="#1f77b4", lower_when_diverging="step",
    step_bound=lambda problem, p: (safe_step(problem), False),
))
register(Algorithm(
    "pnp-admm", "PnP alternating directions", "PnP-ADMM", "pnp", pnp_admm,
    params=(_BETA,), defaults=lambda problem, D: {"beta": pnp_beta(D)},
    update="x ← prox_{f/β}(v − u); v ← D(x + u); u ← u + x − v",
    formula=r"x \leftarrow \mathrm{prox}_{f/\beta}(v - u);\; v \leftarrow D(x + u);\; "
            r"u \leftarrow u + x - v",
    sigma_group="pnp-split", step_rule=_NO_STEP, colour="#17becf", lower_when_diverging="beta",
))
register(Algorithm(
    "pnp-hqs", "PnP half-quadratic splitting", "PnP-HQS", "pnp", pnp_hqs,
    params=(_BETA,), defaults=lambda problem, D: {"beta": pnp_beta(D)},
    update="x ← prox_{f/β}(z); z ← D(x)",
    formula=r"x \leftarrow \mathrm{prox}_{f/\beta}(z);\; z \leftarrow D(x)",
    sigma_group="pnp-split", step_rule=_NO_STEP, colour="#2ca02c", denoised_at_iterate=True,
    lower_when_diverging="beta",
))
