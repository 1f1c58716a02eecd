r"""The RED regulariser, its objective and its gradients (Romano, Elad, Milanfar 2017).

.. math::
    \rho(x) = \tfrac12 x^\top (x - D(x)), \qquad E(x) = f(x) + \lambda \rho(x),

    \nabla\rho(x) = x - \tfrac12 D(x) - \tfrac12 J(x)^\top x \quad\text{(exact)},
    \qquad \nabla\rho(x) = x - D(x) \quad\text{(the RED gradient)}.

The RED gradient equals the exact one when the Jacobian ``J`` of ``D`` is symmetric and ``D`` is
locally homogeneous (``J(x) x = D(x)``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from red_core.problem import Problem


def regulariser(x: np.ndarray, Dx: np.ndarray) -> float:
    """``ρ(x) = ½ xᵀ(x − D(x))`` given ``Dx = D(x)``."""
    return 0.5 * float(np.vdot(x, x - Dx))


def objective(
    problem: Problem, x: np.ndarray, Dx: np.ndarray, lam: float,
    potential: Callable[[np.ndarray], float] | None = None,
) -> float:
    """The RED objective ``E(x) = f(x) + λ ρ(x)`` given ``Dx = D(x)``.

    For a gradient-step denoiser ``D = I − ∇g`` pass its ``potential`` g: then RED minimises
    ``f(x) + λ g(x)`` exactly, and that is what is returned.
    """
    prior = potential(x) if potential is not None else regulariser(x, Dx)
    return problem.data_fidelity(x) + lam * prior


def red_gradient(x: np.ndarray, Dx: np.ndarray) -> np.ndarray:
    """The RED gradient ``x − D(x)``."""
    return x - Dx


def exact_gradient(
    x: np.ndarray, Dx: np.ndarray, apply_jt: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """The exact gradient ``∇ρ(x) = x − D(x)/2 − J(x)ᵀx/2``.

    Parameters
    ----------
    x, Dx : ndarray
        The point and ``D(x)``.
    apply_jt : callable
        ``v ↦ J(x)ᵀ v`` at this ``x`` (for instance from a full Jacobian, see
        ``red_core.diagnostics``).
    """
    return x - 0.5 * Dx - 0.5 * apply_jt(x)


def fixed_point_residual(problem: Problem, x: np.ndarray, Dx: np.ndarray, lam: float) -> float:
    """``‖∇f(x) + λ(x − D(x))‖``: zero exactly at the fixed points of RED."""
    return float(np.linalg.norm(problem.grad_data(x) + lam * (x - Dx)))
