r"""The RED objective on a 2-D slice through an iterate: the cost landscape of a run.

The slice is the plane :math:`x^\star + a\,e_1 + b\,e_2` through the final iterate
:math:`x^\star`, with orthonormal directions chosen *before* the run (so a trajectory can be
projected on it from two inner products per iteration, without keeping any iterate):
``"truth"`` takes :math:`e_1` from the start towards the truth and :math:`e_2` random,
``"random"`` takes both random. On an ``n × n`` grid it evaluates
:math:`E(x) = f(x) + \lambda\rho(x)` (or :math:`f + \lambda g` for a gradient-step denoiser) and
the RED update direction :math:`-(\nabla f(x) + \lambda(x - D(x)))` projected on the plane: one
denoiser call per grid point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from red_core.problem import Problem
from red_core.theory import regulariser as red

MODES = ("truth", "random")


def directions(problem: Problem, mode: str = "truth", seed: int = 0) -> tuple[np.ndarray, ...]:
    """Two orthonormal directions of ``problem.shape`` (see the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    rng = np.random.default_rng(seed)
    if mode == "truth":
        if problem.truth is None:
            raise ValueError('mode "truth" needs a problem with a known truth')
        e1 = problem.truth - problem.x0
    else:
        e1 = rng.standard_normal(problem.shape)
    e1 = e1 / np.linalg.norm(e1)
    e2 = rng.standard_normal(problem.shape)
    e2 -= np.vdot(e2, e1) * e1  # Gram–Schmidt
    return e1, e2 / np.linalg.norm(e2)


def project(probes: Sequence[Sequence[float]], center: np.ndarray,
            basis: Sequence[np.ndarray]) -> np.ndarray:
    """Coordinates ``(a_k, b_k)`` of a trajectory in the plane through ``center``, from the
    recorded inner products ``probes[k] = (⟨x_k, e_1⟩, ⟨x_k, e_2⟩)``."""
    origin = np.array([np.vdot(center, e) for e in basis])
    return np.asarray(probes, dtype=float) - origin


@dataclass
class Landscape:
    """The objective and the projected RED update on a grid of the slice."""

    a: np.ndarray  # (n,) coordinates along e1
    b: np.ndarray  # (n,) coordinates along e2
    objective: np.ndarray  # (n, n), [j, i] at (a[i], b[j])
    update_a: np.ndarray  # (n, n) projected −(∇f + λ(x − D(x))) on e1
    update_b: np.ndarray
    seconds: float


def landscape(
    problem: Problem,
    denoiser: Callable[[np.ndarray], np.ndarray],
    lam: float,
    center: np.ndarray,
    basis: Sequence[np.ndarray],
    half_width: float,
    n: int = 11,
) -> Landscape:
    """Evaluate the objective and the RED update on an ``n × n`` grid of the slice."""
    import time

    if n < 2 or n > 41:
        raise ValueError(f"n must be between 2 and 41, got {n}")
    if not half_width > 0:
        raise ValueError(f"half_width must be > 0, got {half_width}")
    t0 = time.perf_counter()
    e1, e2 = basis
    grid = np.linspace(-half_width, half_width, n)
    potential = getattr(denoiser, "potential", None)
    E = np.empty((n, n))
    U = np.empty((n, n))
    V = np.empty((n, n))
    for j, b in enumerate(grid):
        for i, a in enumerate(grid):
            x = center + a * e1 + b * e2
            dx = denoiser(x)
            E[j, i] = red.objective(problem, x, dx, lam, potential)
            step = -(problem.grad_data(x) + lam * (x - dx))
            U[j, i], V[j, i] = np.vdot(step, e1), np.vdot(step, e2)
    return Landscape(grid, grid.copy(), E, U, V, time.perf_counter() - t0)


def half_width_for(trajectories: Sequence[np.ndarray], minimum: float = 1e-3) -> float:
    """A grid half-width that shows every projected trajectory (with a 20 % margin)."""
    extent = max((float(np.abs(t).max()) for t in trajectories if len(t)), default=0.0)
    return max(1.2 * extent, minimum)
