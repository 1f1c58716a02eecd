r"""The linear operator interface every forward model implements.

An :class:`Operator` knows its adjoint, its output shape, its norm and how to solve the normal
equations :math:`(\alpha A^\top A + \beta I)\,x = r`, which is all the RED and PnP solvers need
(``red_core.problem.Problem.prox_data``). The generic fall-backs here (power iteration for the
norm, conjugate gradients from ``scipy.sparse.linalg`` for the solve) serve operators without a
closed form.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from scipy.sparse.linalg import LinearOperator as _ScipyOperator
from scipy.sparse.linalg import cg

__all__ = ["WORKERS", "Operator", "power_norm", "solve_normal_cg", "spatial_shape"]

WORKERS = 1  # FFTs of 256² images are too small to gain from threads on 2 cores.


def spatial_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(H, W)`` of an image shape ``(H, W)`` or ``(H, W, 3)``; ``ValueError`` otherwise."""
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3):
        raise ValueError(f"shape must be (H, W) or (H, W, 3), got {tuple(shape)}")
    if min(shape[:2]) < 1:
        raise ValueError(f"shape must be positive, got {tuple(shape)}")
    return int(shape[0]), int(shape[1])


class Operator(ABC):
    """A linear forward model with its adjoint.

    Attributes
    ----------
    name : str
        Registry name (``red_core.operators.names()``).
    in_shape, out_shape : tuple of int
        Shapes of ``x`` and of ``y = A x``.
    params : dict
        The parameters the operator was built with (after defaults).
    """

    name: str = ""

    def __init__(self, in_shape: tuple[int, ...], out_shape: tuple[int, ...], params: dict):
        self.in_shape = tuple(int(s) for s in in_shape)
        self.out_shape = tuple(int(s) for s in out_shape)
        self.params = dict(params)
        self._norm: float | None = None

    @abstractmethod
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply ``A``."""

    @abstractmethod
    def adjoint(self, y: np.ndarray) -> np.ndarray:
        """Apply ``Aᵀ``."""

    def gram(self, x: np.ndarray) -> np.ndarray:
        """Apply ``AᵀA`` (operators override this with a one-pass formula)."""
        return self.adjoint(self.forward(x))

    def norm(self) -> float:
        """Spectral norm ``‖A‖`` (exact where a closed form exists, else power iteration)."""
        if self._norm is None:
            self._norm = self._exact_norm()
        return self._norm

    def _exact_norm(self) -> float:
        return power_norm(self)

    def solve_normal(self, rhs: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        r"""Solve :math:`(\alpha A^\top A + \beta I)\,x = r` for ``beta > 0``.

        The base implementation uses conjugate gradients; operators with a closed form override it.
        """
        return solve_normal_cg(self, rhs, alpha, beta)

    def check_input(self, x: np.ndarray) -> None:
        if x.shape != self.in_shape:
            raise ValueError(
                f"{self.name}: expected an array of shape {self.in_shape}, got {x.shape}"
            )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if k != "mask")
        sep = ", " if args else ""
        return f"{type(self).__name__}({self.in_shape} -> {self.out_shape}{sep}{args})"


def power_norm(op: Operator, n_iter: int = 100, seed: int = 0) -> float:
    """Estimate ``‖A‖`` by power iteration on ``AᵀA``."""
    x = np.random.default_rng(seed).standard_normal(op.in_shape)
    x /= np.linalg.norm(x)
    lam = 0.0
    for _ in range(n_iter):
        z = op.gram(x)
        lam_new = float(np.linalg.norm(z))
        if lam_new == 0.0:
            return 0.0
        x = z / lam_new
        if abs(lam_new - lam) <= 1e-10 * lam_new:
            break
        lam = lam_new
    return float(np.sqrt(lam_new))


def solve_normal_cg(
    op: Operator, rhs: np.ndarray, alpha: float, beta: float, rtol: float = 1e-12
) -> np.ndarray:
    r"""Solve :math:`(\alpha A^\top A + \beta I)\,x = r` by conjugate gradients (``scipy``)."""
    n = rhs.size
    shape = op.in_shape

    def matvec(v: np.ndarray) -> np.ndarray:
        return (alpha * op.gram(v.reshape(shape)) + beta * v.reshape(shape)).ravel()

    lin = _ScipyOperator((n, n), matvec=matvec, dtype=np.float64)
    x, info = cg(lin, rhs.ravel(), rtol=rtol, atol=0.0, maxiter=10 * n)
    if info != 0:
        raise RuntimeError(f"conjugate gradients did not converge (info={info})")
    return x.reshape(shape)
