r"""One restoration problem :math:`y = A x + e`, :math:`e \sim N(0, \sigma_e^2 I)`.

The data-fidelity term is :math:`f(x) = \|Ax - y\|^2 / (2\sigma_e^2)`; :class:`Problem` gives its
value, gradient, Lipschitz constant and proximal operator, plus the default starting point.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from red_core import operators
from red_core.operators import Decimation, Mask, Operator

__all__ = ["MIN_NOISE_SIGMA", "Problem", "make_problem"]

#: Smallest noise level used in f (pixels in [0, 1]): σ_e = 0 would make f infinite.
MIN_NOISE_SIGMA = 1e-3


class Problem:
    r"""A restoration problem: operator ``A``, observation ``y`` and noise level ``σ_e``.

    Parameters
    ----------
    A : Operator
        The forward model (``red_core.operators.build``).
    y : ndarray
        The observation, of shape ``A.out_shape``.
    noise_sigma : float
        Standard deviation ``σ_e`` of the noise in ``y`` (pixels in [0, 1]). Values below
        :data:`MIN_NOISE_SIGMA` (including 0, a noiseless observation) are raised to it in ``f``
        so the data term stays finite; ``noise_sigma`` keeps the value given.
    truth : ndarray, optional
        The clean image, of shape ``A.in_shape``, for PSNR.
    x0 : ndarray, optional
        Starting point. Default: ``y`` (denoising, blur), a bicubic up-sampling of ``y``
        (super-resolution), ``y`` with its missing pixels filled by normalised Gaussian averaging
        (inpainting; a zero-filled start only slows every solver down).

    Examples
    --------
    >>> import numpy as np
    >>> from red_core import operators
    >>> from red_core.problem import Problem
    >>> truth = np.random.default_rng(0).random((32, 32))
    >>> p = Problem.synthesize(truth, operators.build("gaussian_blur", truth.shape), 0.01)
    >>> p.grad_data(truth).shape
    (32, 32)
    """

    def __init__(
        self,
        A: Operator,
        y: np.ndarray,
        noise_sigma: float,
        truth: np.ndarray | None = None,
        x0: np.ndarray | None = None,
    ):
        y = np.asarray(y, dtype=np.float64)
        if y.shape != A.out_shape:
            raise ValueError(f"y has shape {y.shape} but {A.name} produces {A.out_shape}")
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinite values")
        noise_sigma = float(noise_sigma)
        if not np.isfinite(noise_sigma) or noise_sigma < 0:
            raise ValueError(f"noise_sigma must be a finite number >= 0, got {noise_sigma!r}")
        if truth is not None:
            truth = np.asarray(truth, dtype=np.float64)
            if truth.shape != A.in_shape:
                raise ValueError(f"truth has shape {truth.shape}, expected {A.in_shape}")
        self.A = A
        self.y = y
        self.noise_sigma = noise_sigma
        self.sigma_eff = max(noise_sigma, MIN_NOISE_SIGMA)
        self.truth = truth
        self._inv_var = 1.0 / self.sigma_eff**2
        self._aty = A.adjoint(y) * self._inv_var  # Aᵀy/σ², reused by every gradient and prox
        if x0 is None:
            x0 = self.default_x0()
        x0 = np.asarray(x0, dtype=np.float64)
        if x0.shape != A.in_shape:
            raise ValueError(f"x0 has shape {x0.shape}, expected {A.in_shape}")
        self.x0 = x0

    @classmethod
    def synthesize(
        cls, truth: np.ndarray, A: Operator, noise_sigma: float, seed: int = 0
    ) -> Problem:
        """Make ``y = A truth + e`` with seeded white Gaussian noise of std ``noise_sigma``."""
        truth = np.asarray(truth, dtype=np.float64)
        A.check_input(truth)
        rng = np.random.default_rng(seed)
        y = A.forward(truth) + noise_sigma * rng.standard_normal(A.out_shape)
        return cls(A, y, noise_sigma, truth=truth)

    def default_x0(self) -> np.ndarray:
        """The default start: ``y``, or an up-sampling / hole filling of it."""
        if isinstance(self.A, Decimation):
            return self.A.upsample(self.y)
        if isinstance(self.A, Mask):
            return self.A.fill(self.y)
        return self.y.copy()

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the unknown ``x``."""
        return self.A.in_shape

    @property
    def lipschitz(self) -> float:
        """``L_f = ‖AᵀA‖ / σ_e²``, the Lipschitz constant of ``∇f``."""
        return self.A.norm() ** 2 * self._inv_var

    def data_fidelity(self, x: np.ndarray) -> float:
        """``f(x) = ‖Ax − y‖² / (2σ_e²)``."""
        r = self.A.forward(x) - self.y
        return 0.5 * float(np.vdot(r, r)) * self._inv_var

    def grad_data(self, x: np.ndarray) -> np.ndarray:
        """``∇f(x) = Aᵀ(Ax − y) / σ_e²``."""
        return self.A.gram(x) * self._inv_var - self._aty

    def prox_data(self, v: np.ndarray, beta: float) -> np.ndarray:
        r"""``argmin_x f(x) + β/2 ‖x − v‖²`` = :math:`(A^\top A/\sigma_e^2 + \beta I)^{-1}
        (A^\top y/\sigma_e^2 + \beta v)`.

        Closed form by FFT for blurs and denoising, element-wise for inpainting, FFT closed form
        for super-resolution (see the operators).
        """
        if not beta > 0:
            raise ValueError(f"beta must be > 0, got {beta!r}")
        return self.A.solve_normal(self._aty + beta * v, self._inv_var, beta)

    def __repr__(self) -> str:
        return f"Problem({self.A!r}, noise_sigma={self.noise_sigma:g})"


def make_problem(
    image: np.ndarray, degradation: str, noise_sigma: float, seed: int = 0, **params: Any
) -> Problem:
    """Degrade ``image`` (the truth) with a registered degradation and seeded noise.

    The image is first centre-cropped to the degradation's rule (super-resolution: sides that
    are multiples of the factor); a seeded degradation (the inpainting mask) is drawn with
    ``seed`` unless ``params`` give its own. ``params`` override the entry's defaults.

    Examples
    --------
    >>> import numpy as np
    >>> from red_core.problem import make_problem
    >>> p = make_problem(np.full((50, 50), 0.5), "super_resolution", 0.01, factor=3)
    >>> p.shape, p.y.shape
    ((48, 48), (16, 16))
    """
    spec = operators.entry(degradation)
    image = spec.prepare(np.asarray(image, dtype=np.float64), params)
    if spec.seeded and "seed" not in params and "mask" not in params:
        params = {"seed": seed, **params}
    A = operators.build(degradation, image.shape, **params)
    return Problem.synthesize(image, A, noise_sigma, seed=seed)
