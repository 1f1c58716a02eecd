"""Super-resolution: a Gaussian anti-alias blur, then keeping one pixel in ``factor``."""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from red_core.operators.base import WORKERS, Operator, spatial_shape
from red_core.operators.blurs import CircularConvolution, gaussian_kernel, transfer_function
from red_core.operators.registry import Degradation, register, rising_from
from red_core.params import Param

__all__ = ["Decimation"]


class Decimation(Operator):
    r"""Super-resolution: ``A = S H``, a circular Gaussian anti-alias blur ``H`` then keeping one
    pixel in ``factor`` along each axis (``S``).

    The normal equations have a closed form (Zhao et al., IEEE TIP 2016, via the Woodbury identity):
    :math:`S H H^\top S^\top` is circulant on the low-resolution grid with spectrum the mean of
    :math:`|\hat h|^2` over the ``factor²`` aliased frequencies, so

    .. math:: (\alpha A^\top A + \beta I)^{-1} r
              = \tfrac1\beta\big(r - \alpha H^\top S^\top (\beta I + \alpha S H H^\top S^\top)^{-1}
              S H r\big),

    four FFTs in all. ``H`` and ``W`` must be multiples of ``factor``.
    """

    name = "super_resolution"

    def __init__(self, shape: tuple[int, ...], factor: int, blur_sigma: float, params: dict,
                 kernel_size: int | None = None):
        h, w = spatial_shape(shape)
        if h % factor or w % factor:
            raise ValueError(
                f"super_resolution ×{factor} needs height and width that are multiples of "
                f"{factor}, got {h}×{w} (crop the image first)"
            )
        out = (h // factor, w // factor) + tuple(shape[2:])
        super().__init__(shape, out, params)
        self.factor = factor
        kernel = gaussian_kernel(blur_sigma, kernel_size)
        self.blur = CircularConvolution(shape, kernel, "gaussian_blur", {})
        k2 = np.abs(transfer_function(kernel, (h, w), full=True)) ** 2
        # Mean of |ĥ|² over the factor² aliases of each low-resolution frequency.
        m = k2.reshape(factor, h // factor, factor, w // factor).mean(axis=(0, 2))
        self._alias = m[..., None] if len(shape) == 3 else m

    def forward(self, x: np.ndarray) -> np.ndarray:
        f = self.factor
        return self.blur.forward(x)[::f, ::f]

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        f = self.factor
        up = np.zeros(self.in_shape)
        up[::f, ::f] = y
        return self.blur.adjoint(up)

    def _exact_norm(self) -> float:
        return float(np.sqrt(self._alias.max()))

    def solve_normal(self, rhs: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        low = self.forward(rhs)
        spec = sfft.fft2(low, axes=(0, 1), workers=WORKERS) / (beta + alpha * self._alias)
        low = sfft.ifft2(spec, axes=(0, 1), workers=WORKERS).real
        return (rhs - alpha * self.adjoint(low)) / beta

    def upsample(self, y: np.ndarray) -> np.ndarray:
        """Bicubic up-sampling of a low-resolution image to ``in_shape`` (a starting point)."""
        from skimage.transform import resize

        return resize(y, self.in_shape, order=3, mode="reflect", anti_aliasing=False)


def _super_resolution(shape: tuple[int, ...], factor: int, blur_sigma: float | None,
                      kernel_size: int | None) -> Decimation:
    if kernel_size is not None and kernel_size % 2 == 0:
        raise ValueError(f"super_resolution: kernel_size must be odd, got {kernel_size}")
    s = 0.5 * factor if blur_sigma is None else blur_sigma
    return Decimation(shape, factor, s, {"factor": factor, "blur_sigma": s,
                                         "kernel_size": kernel_size}, kernel_size)


register(Degradation(
    "super_resolution", "Super-resolution", _super_resolution,
    params=(
        Param("factor", "Factor", 2, kind="choice", choices=(2, 3, 4), unit="×",
              help="Down-sampling factor along each axis: 3 keeps one pixel in 9."),
        Param("blur_sigma", "Anti-alias blur std", None, low=0.3, high=3.0, step=0.1,
              unit="pixels", help="Gaussian blur before decimation (default factor / 2).",
              minimum=0.0, open_minimum=True, widget=False),
        # The RED paper's super-resolution uses a 7×7 kernel (std 1.6): bench/reproduce.py.
        Param("kernel_size", "Kernel size", None, kind="int", minimum=1, unit="pixels",
              help="Odd side of the anti-alias kernel (default 2⌈3σ⌉ + 1).", widget=False),
    ),
    description="Blur then keep one pixel in factor² (the solvers start from a bicubic "
                "up-sampling).",
    min_side=lambda p: 8 * p["factor"],
    multiple=lambda p: p["factor"],
    # RED's λσₑ²: 0.16 at σₑ = 0.01 (was 0.04), σ_d ×0.7 below 4/255 (bench/red_defaults.py --tune).
    red_weight=rising_from(0.16), red_sigma_plateau=0.7,
))
