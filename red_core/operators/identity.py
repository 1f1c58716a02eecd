"""``A = I``: the denoising problem."""

from __future__ import annotations

import numpy as np

from red_core.operators.base import Operator, spatial_shape
from red_core.operators.registry import Degradation, register

__all__ = ["Identity"]


class Identity(Operator):
    """``A = I``: the denoising problem (also for 1-D signals of shape ``(n,)``)."""

    name = "denoise"

    def __init__(self, shape: tuple[int, ...]):
        if not (len(shape) == 1 and shape[0] >= 1):
            spatial_shape(shape)
        super().__init__(shape, shape, {})

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.array(x, dtype=np.float64, copy=True)

    adjoint = forward
    gram = forward

    def _exact_norm(self) -> float:
        return 1.0

    def solve_normal(self, rhs: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return rhs / (alpha + beta)


register(Degradation(
    "denoise", "Denoising", lambda shape: Identity(shape),
    description="y = x + e: no blur, only white Gaussian noise.", signals=True,
    # Denoising wants a strong weight and a light denoiser at every noise level, applied
    # many times (bench/red_defaults.py, docs/BENCHMARKS.md).
    red_weight=lambda noise_sigma: 4.0, red_sigma_scale=lambda noise_sigma: 0.125,
))
