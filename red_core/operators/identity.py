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
    # A strong weight and a light denoiser applied many times: RED λσₑ² 2 → 8 from 2.5 to
    # 10/255 (was 4), σ_d ×0.088 (was 0.125); PnP-ADMM/HQS σ_d ×0.35 → 0.125 (was 1, i.e.
    # 10 σₑ with TV): bench/red_defaults.py --tune-noise (above the noisy input on a texture
    # too).
    red_weight=lambda s: min(8.0, max(2.0, 2.0 * s / 0.01)),
    red_sigma_scale=lambda s: 0.088,
    pnp_sigma_scale=lambda s: min(0.35, max(0.125, 0.125 * (0.04 / max(s, 1e-12)) ** 0.75)),
))
