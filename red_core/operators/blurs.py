r"""Circular blurs: Gaussian, uniform (box) and linear motion, with their entries.

``A x = k ⊛ x`` with a **circular** (periodic) boundary: the convolution is a product in the 2-D
discrete Fourier domain (``scipy.fft``), so the adjoint, the norm and the normal-equation solve
are exact and cost a couple of FFTs. Colour images are blurred per channel.

Examples
--------
>>> import numpy as np
>>> from red_core import operators
>>> A = operators.build("gaussian_blur", (64, 64), blur_sigma=1.6)
>>> y = A.forward(np.random.default_rng(0).random((64, 64)))
>>> A.out_shape, round(A.norm(), 6)
((64, 64), 1.0)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.fft as sfft

from red_core.operators.base import WORKERS, Operator, spatial_shape
from red_core.operators.registry import Degradation, register, rising_from
from red_core.params import Param

__all__ = ["CircularConvolution", "gaussian_kernel", "motion_kernel", "transfer_function"]


class CircularConvolution(Operator):
    r"""``A x = k ⊛ x`` with a circular boundary, applied per channel.

    In the Fourier domain :math:`\widehat{Ax} = \hat k\,\hat x`, so
    :math:`\widehat{A^\top y} = \overline{\hat k}\,\hat y`, :math:`\|A\| = \max|\hat k|` and
    :math:`(\alpha A^\top A + \beta I)^{-1}` is division by :math:`\alpha|\hat k|^2 + \beta`.
    """

    def __init__(self, shape: tuple[int, ...], kernel: np.ndarray, name: str, params: dict):
        h, w = spatial_shape(shape)
        kernel = np.asarray(kernel, dtype=np.float64)
        if kernel.shape[0] > h or kernel.shape[1] > w:
            raise ValueError(
                f"{name}: the {kernel.shape[0]}×{kernel.shape[1]} kernel is larger than the "
                f"{h}×{w} image; use a smaller blur or a larger image"
            )
        self.name = name
        super().__init__(shape, shape, params)
        self.kernel = kernel
        self._axes = (0, 1)
        self._khat = transfer_function(kernel, (h, w))
        if len(shape) == 3:
            self._khat = self._khat[..., None]
        self._k2 = np.abs(self._khat) ** 2
        # ((α, β), 1/(α|k̂|² + β)) of the last normal-equation solve: ONE attribute, rebound
        # whole, so threads sharing this operator never pair a key with another key's filter.
        self._inverse_cache: tuple[tuple[float, float], np.ndarray] | None = None

    def _apply(self, x: np.ndarray, mult: np.ndarray) -> np.ndarray:
        spec = sfft.rfft2(x, axes=self._axes, workers=WORKERS)
        spec *= mult
        return sfft.irfft2(spec, s=self.in_shape[:2], axes=self._axes, overwrite_x=True,
                           workers=WORKERS)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._apply(x, self._khat)

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._apply(y, np.conj(self._khat))

    def gram(self, x: np.ndarray) -> np.ndarray:
        return self._apply(x, self._k2)

    def _exact_norm(self) -> float:
        return float(np.sqrt(self._k2.max()))

    def solve_normal(self, rhs: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        # Solvers call this with the same (α, β) every iteration: keep the last inverse filter.
        cache = self._inverse_cache
        if cache is None or cache[0] != (alpha, beta):
            cache = ((alpha, beta), 1.0 / (alpha * self._k2 + beta))
            self._inverse_cache = cache
        return self._apply(rhs, cache[1])


def transfer_function(
    kernel: np.ndarray, shape: tuple[int, int], full: bool = False
) -> np.ndarray:
    """rfft2 (or fft2) of ``kernel`` zero-padded to ``shape``, its centre moved to pixel (0, 0)."""
    padded = np.zeros(shape)
    kh, kw = kernel.shape
    padded[:kh, :kw] = kernel
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return sfft.fft2(padded) if full else sfft.rfft2(padded)


def gaussian_kernel(blur_sigma: float, size: int | None = None) -> np.ndarray:
    """Normalised 2-D Gaussian kernel of standard deviation ``blur_sigma`` pixels."""
    if size is None:
        size = 2 * int(np.ceil(3.0 * blur_sigma)) + 1
    r = np.arange(size) - (size - 1) / 2.0
    g = np.exp(-0.5 * (r / blur_sigma) ** 2)
    k = np.outer(g, g)
    return k / k.sum()


def motion_kernel(length: float, angle: float) -> np.ndarray:
    """Normalised linear motion-blur kernel: a segment of ``length`` pixels at ``angle`` degrees.

    The segment is sampled finely and splatted bilinearly, so non-integer lengths and any angle
    give a smooth kernel (no library offers a motion PSF).
    """
    size = 2 * int(np.ceil(length / 2.0)) + 3
    c = (size - 1) / 2.0
    t = np.linspace(-length / 2.0, length / 2.0, max(8 * int(np.ceil(length)), 2))
    theta = np.deg2rad(angle)
    xs, ys = c + t * np.cos(theta), c - t * np.sin(theta)
    k = np.zeros((size, size))
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dy, dx, wgt in (
        (0, 0, (1 - fx) * (1 - fy)),
        (0, 1, fx * (1 - fy)),
        (1, 0, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        np.add.at(k, (y0 + dy, x0 + dx), wgt)
    return k / k.sum()


def _gaussian_blur(shape: tuple[int, ...], blur_sigma: float,
                   kernel_size: int | None) -> CircularConvolution:
    if kernel_size is not None and kernel_size % 2 == 0:
        raise ValueError(f"gaussian_blur: kernel_size must be odd, got {kernel_size}")
    return CircularConvolution(shape, gaussian_kernel(blur_sigma, kernel_size), "gaussian_blur",
                               {"blur_sigma": blur_sigma, "kernel_size": kernel_size})


def _uniform_blur(shape: tuple[int, ...], size: int) -> CircularConvolution:
    return CircularConvolution(shape, np.full((size, size), 1.0 / size**2), "uniform_blur",
                               {"size": size})


def _motion_blur(shape: tuple[int, ...], length: float, angle: float) -> CircularConvolution:
    return CircularConvolution(shape, motion_kernel(length, angle), "motion_blur",
                               {"length": length, "angle": angle})


def _kernel_side(params: Any) -> int:
    return 2 * math.ceil(3 * params["blur_sigma"]) + 1


register(Degradation(
    "gaussian_blur", "Gaussian blur", _gaussian_blur,
    params=(
        Param("blur_sigma", "Blur std", 1.6, low=0.5, high=5.0, step=0.1, unit="pixels",
              help="Standard deviation of the Gaussian kernel: larger blurs more.",
              minimum=0.0, open_minimum=True),
        Param("kernel_size", "Kernel size", None, kind="int", minimum=1, unit="pixels",
              help="Odd side of the kernel (default 2⌈3σ⌉ + 1).", widget=False),
    ),
    description="A Gaussian point-spread function, circular boundary.",
    min_side=lambda p: max(16, p["kernel_size"] or _kernel_side(p)),
    # RED's λσₑ²: 0.08 at σₑ = 0.01 (was 0.04), σ_d ×0.7 below 4/255 (bench/red_defaults.py --tune).
    red_weight=rising_from(0.08), red_sigma_plateau=0.7,
))
register(Degradation(
    "uniform_blur", "Uniform blur", _uniform_blur,
    params=(Param("size", "Box size", 9, low=3, high=21, step=2, kind="int", unit="pixels",
                  help="Side of the square averaging window: larger blurs more.", minimum=1),),
    description="Averaging over a square box (9×9 in the RED paper), circular boundary.",
    min_side=lambda p: max(16, p["size"]),
    # RED's λσₑ²: 0.08 at σₑ = 0.01 (was 0.04), σ_d ×0.7 below 4/255 (bench/red_defaults.py --tune).
    red_weight=rising_from(0.08), red_sigma_plateau=0.7,
))
register(Degradation(
    "motion_blur", "Motion blur", _motion_blur,
    params=(
        Param("length", "Length", 15.0, low=3.0, high=41.0, step=1.0, unit="pixels",
              help="How far the camera moved during the exposure.", minimum=0.0,
              open_minimum=True),
        Param("angle", "Angle", 45.0, low=0.0, high=180.0, step=1.0, unit="degrees",
              help="Direction of the motion, counter-clockwise from horizontal."),
    ),
    description="A straight camera shake: a line segment as the point-spread function.",
    min_side=lambda p: max(16, int(p["length"]) + 3),
    # RED's λσₑ²: 0.08 at σₑ = 0.01 (was 0.04), σ_d ×0.7 below 4/255 (bench/red_defaults.py --tune).
    red_weight=rising_from(0.08), red_sigma_plateau=0.7,
))
