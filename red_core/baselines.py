r"""Classical restorations to compare RED and PnP against, one per kind of degradation.

- Blurs and denoising: the **Wiener–Hunt filter** (Tikhonov with a Laplacian prior) in the
  Fourier domain with the operator's own transfer function ``ĥ`` (our blurs are circular, so
  this is exact):

  .. math:: \hat x = \frac{\overline{\hat h}\,\hat y}{|\hat h|^2 + b\,|\hat \ell|^2}

  with ``ℓ`` the 5-point Laplacian, as ``skimage.restoration.wiener`` computes it (tested equal).
  The balance ``b`` is either chosen on a grid against the truth (:func:`oracle_wiener`, the
  best any single ``b`` can do: an upper bound for the classical filter) or set from the noise
  level alone, ``b = κ σₑ²`` (:func:`noise_wiener`; ``b = σₑ²/τ²`` is the MAP balance for a
  Gaussian prior on the Laplacian with variance ``τ² = 1/κ``, :data:`WIENER_KAPPA` measured
  on tuning images by ``bench/red_defaults.py``).
- Inpainting: the normalised Gaussian interpolation of the known pixels
  (``operators.Mask.fill``, which is also where the solvers start).
- Super-resolution: bicubic up-sampling (``operators.Decimation.upsample``, the solvers' start).

:func:`baseline` dispatches on the problem's operator and returns ``(image, name)``.

Examples
--------
>>> from red_core import baselines, images, metrics
>>> from red_core.problem import make_problem
>>> p = make_problem(images.builtin("camera", 64), "gaussian_blur", 0.01)
>>> x, name = baselines.baseline(p)
>>> name
'Wiener (oracle)'
>>> bool(metrics.psnr(p.truth, x) > metrics.psnr(p.truth, p.y))
True
>>> baselines.baseline(make_problem(images.builtin("camera", 64), "inpainting", 0.01))[1]
'interpolation'
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from red_core import metrics
from red_core.operators import (
    CircularConvolution,
    Decimation,
    Identity,
    Mask,
    Operator,
    transfer_function,
)
from red_core.problem import Problem

__all__ = [
    "BALANCES", "LAPLACIAN", "WIENER_KAPPA", "baseline", "bicubic", "has_wiener",
    "interpolation", "noise_wiener", "oracle_wiener", "transfer", "wiener",
]

#: The 5-point Laplacian, the prior of the Wiener–Hunt filter (skimage's default ``reg``).
LAPLACIAN = np.array([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])
#: The oracle's grid of balances: 10⁻⁷ … 10², 8 per decade.
BALANCES = np.logspace(-7.0, 2.0, 73)
#: ``b = κ σₑ²`` for the Wiener filter that knows only the noise level: the geometric mean of
#: ``b_oracle / σₑ²`` over the tuning images and blurs of bench/red_defaults.py (--wiener).
WIENER_KAPPA = 120.0


def has_wiener(A: Operator) -> bool:
    """Whether :func:`wiener` applies: a circular convolution or the identity."""
    return isinstance(A, (CircularConvolution, Identity))


def transfer(A: Operator) -> np.ndarray:
    """The operator's transfer function on the ``rfft2`` grid, shape ``(H, W//2 + 1)``.

    Raises
    ------
    TypeError
        For an operator that is not a circular convolution or the identity.
    """
    h, w = A.in_shape[:2]
    if isinstance(A, CircularConvolution):
        return transfer_function(A.kernel, (h, w))
    if isinstance(A, Identity) and len(A.in_shape) >= 2:
        return np.ones((h, w // 2 + 1), dtype=complex)
    raise TypeError(f"no Wiener filter for {type(A).__name__} ({A.name})")


def _filtered(y_hat: np.ndarray, h_hat: np.ndarray, l2: np.ndarray, balance: float,
              shape: tuple[int, ...]) -> np.ndarray:
    filt = np.conj(h_hat) / (np.abs(h_hat) ** 2 + balance * l2)
    if y_hat.ndim == 3:
        filt = filt[..., None]  # colour: the same filter on every channel
    return sfft.irfft2(y_hat * filt, s=shape[:2], axes=(0, 1))


def wiener(y: np.ndarray, h_hat: np.ndarray, balance: float) -> np.ndarray:
    r"""The Wiener–Hunt filter :math:`\bar{\hat h}\hat y / (|\hat h|^2 + b|\hat\ell|^2)`.

    Parameters
    ----------
    y : ndarray
        Observation, ``(H, W)`` or ``(H, W, 3)`` (channels filtered alike).
    h_hat : ndarray
        Transfer function on the ``rfft2`` grid (:func:`transfer`).
    balance : float
        ``b ≥ 0``: the weight of the Laplacian prior (0 is the inverse filter).

    Returns
    -------
    ndarray
        The restoration (not clipped).
    """
    if not balance >= 0:
        raise ValueError(f"balance must be >= 0, got {balance!r}")
    y = np.asarray(y, dtype=np.float64)
    l2 = np.abs(transfer_function(LAPLACIAN, y.shape[:2])) ** 2
    y_hat = sfft.rfft2(y, axes=(0, 1))
    return _filtered(y_hat, h_hat, l2, float(balance), y.shape)


def oracle_wiener(problem: Problem, balances: np.ndarray = BALANCES
                  ) -> tuple[np.ndarray, float]:
    """The Wiener filter at the balance of ``balances`` with the best PSNR against the truth.

    Returns
    -------
    (ndarray, float)
        The restoration and its balance.
    """
    if problem.truth is None:
        raise ValueError("the oracle Wiener filter needs the problem's truth")
    h_hat = transfer(problem.A)
    l2 = np.abs(transfer_function(LAPLACIAN, problem.shape[:2])) ** 2
    y_hat = sfft.rfft2(problem.y, axes=(0, 1))
    best = (-np.inf, None, None)
    for b in balances:
        x = _filtered(y_hat, h_hat, l2, float(b), problem.shape)
        score = metrics.psnr(problem.truth, x)
        if score > best[0]:
            best = (score, x, float(b))
    return best[1], best[2]


def noise_wiener(problem: Problem, kappa: float = WIENER_KAPPA) -> tuple[np.ndarray, float]:
    """The Wiener filter with ``b = κ σₑ²`` (knows the noise level, not the truth).

    Returns
    -------
    (ndarray, float)
        The restoration and its balance.
    """
    balance = kappa * problem.sigma_eff**2
    return wiener(problem.y, transfer(problem.A), balance), balance


def interpolation(problem: Problem) -> np.ndarray:
    """Missing pixels filled by normalised Gaussian averaging of the known ones
    (``Mask.fill``: the solvers' start)."""
    if not isinstance(problem.A, Mask):
        raise TypeError(f"interpolation needs an inpainting mask, not {problem.A.name}")
    return problem.A.fill(problem.y)


def bicubic(problem: Problem) -> np.ndarray:
    """Bicubic up-sampling of the low-resolution observation (``Decimation.upsample``: the
    solvers' start)."""
    if not isinstance(problem.A, Decimation):
        raise TypeError(f"bicubic up-sampling needs super-resolution, not {problem.A.name}")
    return problem.A.upsample(problem.y)


def baseline(problem: Problem, oracle: bool = True) -> tuple[np.ndarray, str]:
    """The classical restoration of ``problem``'s degradation, and its name.

    - blurs (circular convolutions): the Wiener filter, at the oracle balance when ``oracle``
      and the truth is known (``"Wiener (oracle)"``), else ``b = κσₑ²`` (``"Wiener (σ rule)"``);
    - denoising: the same Wiener filter with ``ĥ = 1``, i.e. linear Laplacian-prior smoothing;
    - inpainting: :func:`interpolation` (``"interpolation"``);
    - super-resolution: :func:`bicubic` (``"bicubic"``);
    - any other operator: the problem's default start ``x0`` (``"start"``).

    Parameters
    ----------
    problem : Problem
    oracle : bool
        Choose the Wiener balance against the truth (when there is one).

    Returns
    -------
    (ndarray, str)
    """
    A = problem.A
    if has_wiener(A) and len(A.in_shape) >= 2:
        if oracle and problem.truth is not None:
            return oracle_wiener(problem)[0], "Wiener (oracle)"
        return noise_wiener(problem)[0], "Wiener (σ rule)"
    if isinstance(A, Mask):
        return interpolation(problem), "interpolation"
    if isinstance(A, Decimation):
        return bicubic(problem), "bicubic"
    return problem.x0.copy(), "start"
