"""Default parameters that follow the problem, and the suggested denoiser sigma.

- ``λ = w / σ_e²`` for every RED method, the scale-free weight ``w = λσₑ²`` from the problem's
  degradation entry (``bench/red_defaults.py``): 0.08 at σₑ = 0.01 on blurs and masks, 0.16
  for super-resolution, rising with the noise; 2 → 8 for denoising;
- PnP ``β = 1 / σ_d²`` with ``σ_d`` the denoiser sigma (the prox of ``f/β`` then feeds the
  denoiser the noise level it is tuned for);
- step sizes from the theory's bounds (RED-GD ``1.9 / (L_f + λ)``, PnP-PGD ``1 / L_f``);
- the denoiser sigma: a multiple of ``σ_e`` per algorithm group and denoiser, measured on the
  deblurring benchmark and stored in each denoiser's registry entry (for RED times the
  degradation's ``red_sigma_scale``, lighter at high noise; for PnP-ADMM/HQS times its
  ``pnp_sigma_scale``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from red_core import denoisers, operators
from red_core.problem import Problem
from red_core.solvers.registry import entry

__all__ = [
    "RED_LAM_SIGMA2", "SIGMA_D_RANGE", "default_denoiser_sigma", "default_params", "pnp_beta",
    "red_lam", "safe_step", "stats_lam", "suggested_denoiser_sigma",
]

#: λ·σ_e² for RED: the weight of the regulariser relative to the data term, scale free.
RED_LAM_SIGMA2 = 0.04
#: The suggested denoiser sigma is clipped to this range (pixel units).
SIGMA_D_RANGE = (0.5 / 255, 50 / 255)


def _degradation(problem: Problem) -> operators.Degradation | None:
    try:
        return operators.entry(problem.A.name)
    except ValueError:  # an operator of the user's own, not registered
        return None


def red_lam(problem: Problem) -> float:
    """The default RED weight ``λ = w / σ_e²``, ``w = λσₑ²`` from the problem's degradation
    entry (``Degradation.red_weight``; :data:`RED_LAM_SIGMA2` for an unregistered operator)."""
    spec = _degradation(problem)
    weight = spec.red_weight(problem.sigma_eff) if spec is not None else RED_LAM_SIGMA2
    return weight / problem.sigma_eff**2


def pnp_beta(denoiser: Any) -> float:
    """The default PnP penalty ``β = 1 / σ_d²`` (``σ_d`` at least 1e-3)."""
    sigma_d = float(getattr(denoiser, "sigma", 0.0) or 0.0)
    return 1.0 / max(sigma_d, 1e-3) ** 2


def safe_step(problem: Problem, lam: float | None = None) -> float:
    """The step bound of the method's theory: ``2/(L_f + λ)`` for RED-GD, ``1/L_f`` for PnP-PGD
    (``lam=None``)."""
    L_f = problem.lipschitz
    return 1.0 / L_f if lam is None else 2.0 / (L_f + lam)


def default_params(method: str, problem: Problem, denoiser: Any = None) -> dict[str, Any]:
    """Parameters that work for this method, problem and denoiser (see each entry)."""
    return dict(entry(method).defaults(problem, denoiser))


def default_denoiser_sigma(
    problem: Problem, method: str = "red-fp", denoiser: str | None = None
) -> float:
    """A denoiser sigma that works with :func:`default_params` (a page's linked σ_d).

    ``factor · σ_e`` with the factor of the denoiser's registry entry for the method's group
    (the classical defaults, RED 2, PnP splitting 8, PnP-PGD 0.4, when ``denoiser`` is None),
    clipped to :data:`SIGMA_D_RANGE`; see :func:`suggested_denoiser_sigma`.
    """
    spec = _degradation(problem)
    return suggested_denoiser_sigma(method, problem.sigma_eff,
                                    None if spec is None else spec.name, denoiser)


def suggested_denoiser_sigma(method: str, sigma_eff: float, degradation: str | None = None,
                             denoiser: str | None = None) -> float:
    """:func:`default_denoiser_sigma` without a problem: for noise ``sigma_eff`` (already
    floored, as ``Problem.sigma_eff``) and a registered ``degradation`` (None: no
    degradation scale), as a sweep or a bench needs it for many cells."""
    group = entry(method).sigma_group
    if denoiser is None:
        factor = {"red": 2.0, "pnp-split": 8.0, "pnp-pgd": 0.4}[group]
    else:
        factor = denoisers.sigma_factor(denoiser, group)
    spec = None if degradation is None else operators.entry(degradation)
    if spec is not None and group == "red":  # the degradation's own scale of the factor
        plateau = denoiser is None or denoisers.entry(denoiser).follows_red_sigma_plateau
        factor *= spec.red_sigma_multiplier(sigma_eff, plateau=plateau)
    elif spec is not None and group == "pnp-split":
        factor *= spec.pnp_sigma_scale(sigma_eff)
    return float(np.clip(factor * sigma_eff, *SIGMA_D_RANGE))


def stats_lam(method: str, params: dict) -> float:
    """The λ of the RED objective reported for a run: the method's own ``lam`` for RED; for PnP the
    equivalent weight (``β`` for ADMM/HQS, exact for HQS ≡ RED-FP; ``1/μ`` for PGD)."""
    if "lam" in params:
        return float(params["lam"])
    if "beta" in params:
        return float(params["beta"])
    return 1.0 / float(params["step"])
