r"""RED and PnP algorithms behind one registry, and the one runner that serves them all.

- ``registry``: :class:`Algorithm` entries (generator, family, label, formula, parameters with
  ranges and help, step-size rule) and :func:`register`;
- ``red``, ``pnp``: the generators, written like their formulas, each registered beside it;
- ``defaults``: parameters that follow the problem, the suggested denoiser sigma;
- ``records``: the one record type (:data:`RECORD_KEYS`) and its fold (:class:`Trace`);
- ``runner``: :func:`iterate` and :func:`run`;
- ``health``: what a finished run's curves say (peaked, oscillating, stalled) and what to change.

Examples
--------
>>> import numpy as np
>>> from red_core import denoisers, operators, solvers
>>> truth = np.random.default_rng(0).random((32, 32))
>>> problem = solvers.Problem.synthesize(truth, operators.build("gaussian_blur", truth.shape), 0.01)
>>> result = solvers.run("red-fp", problem, denoisers.build("gaussian", 0.05), max_iter=20)
>>> result.status in ("converged", "max_iter"), len(result.history) > 1
(True, True)
>>> solvers.names("pnp")
('pnp-pgd', 'pnp-admm', 'pnp-hqs')
"""

from typing import Any

from red_core.problem import Problem
from red_core.solvers.defaults import (
    RED_LAM_SIGMA2,
    SIGMA_D_RANGE,
    default_denoiser_sigma,
    default_params,
    safe_step,
    stats_lam,
)
from red_core.solvers.records import FINAL_STATUSES, RECORD_KEYS, STATUSES, State, Trace
from red_core.solvers.registry import Algorithm, entry, names, register, registry, unregister
from red_core.solvers.runner import (
    DIVERGENCE_BOUND,
    DIVERGENCE_GROWTH,
    Result,
    iterate,
    resolve,
    run,
)

# The entries register themselves, RED first (the order pages list them in).
from red_core.solvers.red import MAX_INNER  # isort: skip  # noqa: E402
from red_core.solvers import pnp as _pnp  # isort: skip  # noqa: E402, F401

__all__ = [
    "DIVERGENCE_BOUND", "DIVERGENCE_GROWTH", "FINAL_STATUSES", "MAX_INNER", "METHODS",
    "PNP_METHODS", "RECORD_KEYS", "RED_LAM_SIGMA2", "RED_METHODS", "SIGMA_D_RANGE", "STATUSES",
    "Algorithm", "Problem", "Result", "State", "Trace", "default_denoiser_sigma",
    "default_params", "describe", "entry", "iterate", "names", "register", "registry",
    "resolve", "run", "safe_step", "stats_lam", "unregister",
]


def describe(method: str) -> dict[str, Any]:
    """Family, label, parameter names, update rule and docstring of an algorithm."""
    spec = entry(method)
    return {
        "family": spec.family,
        "label": spec.label,
        "short": spec.short,
        "params": tuple(p.name for p in spec.params),
        "update": spec.update,
        "doc": (spec.generator.__doc__ or "").strip(),
    }


def __getattr__(name: str) -> Any:
    # Read at access time: register() may have added entries since the import.
    if name == "METHODS":
        return registry()
    if name == "RED_METHODS":
        return names("red")
    if name == "PNP_METHODS":
        return names("pnp")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
