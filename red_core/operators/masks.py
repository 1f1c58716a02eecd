"""Inpainting: a pixel mask, observed pixels kept, missing ones zero."""

from __future__ import annotations

from typing import Any

import numpy as np

from red_core.operators.base import Operator, spatial_shape
from red_core.operators.registry import Degradation, register, rising_from
from red_core.params import Param

__all__ = ["Mask"]


class Mask(Operator):
    r"""Inpainting: ``A = diag(m)`` with ``m`` 1 on observed pixels, 0 on missing ones.

    The mask is per pixel (shared by the colour channels); ``y`` keeps the image shape with zeros
    at missing pixels. :math:`(\alpha A^\top A + \beta I)^{-1}` is element-wise.
    """

    name = "inpainting"

    def __init__(self, shape: tuple[int, ...], mask: np.ndarray, params: dict):
        h, w = spatial_shape(shape)
        mask = np.asarray(mask)
        if mask.shape != (h, w):
            raise ValueError(f"inpainting: mask must have shape {(h, w)}, got {mask.shape}")
        super().__init__(shape, shape, params)
        m = mask.astype(np.float64)
        self.mask = m[..., None] if len(shape) == 3 else m

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.mask * x

    adjoint = forward
    gram = forward

    def _exact_norm(self) -> float:
        return float(self.mask.max(initial=0.0))

    def solve_normal(self, rhs: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return rhs / (alpha * self.mask + beta)

    def fill(self, y: np.ndarray, blur_sigma: float = 2.0) -> np.ndarray:
        """Fill missing pixels by normalised Gaussian averaging of the observed ones (a start)."""
        from scipy.ndimage import gaussian_filter

        sig = (blur_sigma, blur_sigma, 0) if y.ndim == 3 else blur_sigma
        num = gaussian_filter(y * self.mask, sig, mode="wrap")
        den = gaussian_filter(np.broadcast_to(self.mask, y.shape), sig, mode="wrap")
        filled = np.where(den > 1e-8, num / np.maximum(den, 1e-8), float(y.mean()))
        return np.where(self.mask > 0, y, filled)


def _inpainting(shape: tuple[int, ...], missing: float, seed: int, mask: Any) -> Mask:
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        return Mask(shape, mask, {"missing": float(1.0 - mask.mean()), "mask": mask})
    mask = np.random.default_rng(seed).random(shape[:2]) >= missing
    return Mask(shape, mask, {"missing": missing, "seed": seed})


register(Degradation(
    "inpainting", "Inpainting", _inpainting,
    params=(
        Param("missing", "Missing pixels", 0.5, low=0.1, high=0.95, step=0.05, unit="fraction",
              help="Fraction of pixels removed at random: more is harder.", minimum=0.0,
              maximum=1.0, open_maximum=True),
        Param("seed", "Mask seed", 0, kind="int", minimum=0,
              help="Draws the mask (a race uses the noise seed).", widget=False),
        Param("mask", "Mask", None, kind="object", help="Explicit boolean mask, True = observed.",
              widget=False),
    ),
    description="Random pixels missing (y is 0 there); the solvers start from a normalised "
                "Gaussian interpolation of the known pixels.",
    seeded=True,
    # RED's λσₑ²: 0.08 at σₑ = 0.01 (was 0.04), σ_d ×0.7 below 4/255 (bench/red_defaults.py --tune).
    red_weight=rising_from(0.08), red_sigma_plateau=0.7,
))
