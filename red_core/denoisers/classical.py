"""The classical denoisers: Gaussian, median, TV, wavelet, bilateral, NLM and BM3D.

Each is a factory ``factory(sigma, *, params) -> apply`` and one registry entry; ``σ`` is mapped
to the parameters by the measured calibration (``calibration.json``). The libraries do the work
(``scipy.ndimage``, ``skimage.restoration``, ``bm3d``); two are written here, each saying why.
"""

from __future__ import annotations

import itertools
import math
import numbers
from typing import Any

import numpy as np
from scipy import ndimage

from red_core.denoisers.calibration import ParamGrid
from red_core.denoisers.registry import (
    Apply,
    DenoiserSpec,
    check_choice,
    check_positive,
    register,
)

__all__ = ["BM3D_MIN_SIDE"]



def _spatial(x: np.ndarray, value: Any, channel_value: Any) -> tuple:
    """Per-axis argument: ``value`` on spatial axes, ``channel_value`` on colour."""
    return (value,) * (x.ndim - 1) + (channel_value,) if x.ndim == 3 else (value,) * x.ndim


def _channel_axis(x: np.ndarray) -> int | None:
    return -1 if x.ndim == 3 else None


def _pairwise_offsets(radius: int, ndim: int) -> list[tuple[int, ...]]:
    """Half of the non-zero offsets in a (2r+1)^ndim window (the other half is −o)."""
    zero = (0,) * ndim
    return [o for o in itertools.product(range(-radius, radius + 1), repeat=ndim) if o > zero]


def _overlap(offset: tuple[int, ...], shape: tuple[int, ...]) -> tuple[tuple, tuple]:
    """Slices ``a, b`` of an array of ``shape`` with ``b`` = ``a`` shifted by ``offset``."""
    a = tuple(slice(max(0, -o), n - max(0, o)) for o, n in zip(offset, shape, strict=True))
    b = tuple(slice(max(0, o), n - max(0, -o)) for o, n in zip(offset, shape, strict=True))
    return a, b


# --------------------------------------------------------------------------- built-ins


def _gaussian(sigma: float, *, std: float) -> Apply:
    check_positive("std", std)

    def apply(x: np.ndarray) -> np.ndarray:
        # mode="wrap": circular convolution with a symmetric kernel, so J = Jᵀ exactly.
        return ndimage.gaussian_filter(x, _spatial(x, std, 0.0), mode="wrap")

    return apply


def _disk(radius: float, ndim: int) -> np.ndarray:
    """Footprint of the offsets ``d`` with ``‖d‖ ≤ radius`` (a segment in 1-D)."""
    r = int(math.floor(radius))
    grids = np.meshgrid(*[np.arange(-r, r + 1)] * ndim, indexing="ij")
    return sum(g * g for g in grids) <= radius * radius + 1e-9


def _median(sigma: float, *, radius: float) -> Apply:
    check_positive("radius", radius)

    def apply(x: np.ndarray) -> np.ndarray:
        footprint = _disk(radius, x.ndim - (x.ndim == 3))
        if x.ndim == 3:  # not across colour
            footprint = footprint[..., None]
        return ndimage.median_filter(x, footprint=footprint, mode="reflect")

    return apply


def _tv(sigma: float, *, weight: float, eps: float = 2e-4, max_num_iter: int = 200) -> Apply:
    from skimage.restoration import denoise_tv_chambolle

    check_positive("weight", weight)
    check_positive("eps", eps)
    check_positive("max_num_iter", max_num_iter, integer=True)
    return lambda x: denoise_tv_chambolle(x, weight=weight, eps=eps, max_num_iter=max_num_iter,
                                          channel_axis=_channel_axis(x))


_WAVELET_METHODS = ("BayesShrink", "VisuShrink")


def _wavelet(sigma: float, *, sigma_scale: float, method: str, wavelet: str,
             mode: str = "soft", wavelet_levels: int | None = None) -> Apply:
    import pywt
    from skimage.restoration import denoise_wavelet

    check_positive("sigma_scale", sigma_scale)
    check_choice("method", method, _WAVELET_METHODS)
    check_choice("wavelet", wavelet, tuple(pywt.wavelist(kind="discrete")))
    check_choice("mode", mode, ("soft", "hard"))
    if wavelet_levels is not None:
        check_positive("wavelet_levels", wavelet_levels, integer=True)
    # Float input: denoise_wavelet does not clip its output (only non-float input is clipped).
    return lambda x: denoise_wavelet(x, sigma=sigma_scale * sigma, wavelet=wavelet, mode=mode,
                                     wavelet_levels=wavelet_levels, method=method,
                                     rescale_sigma=True, channel_axis=_channel_axis(x))


def _bilateral_apply(x: np.ndarray, sigma_color: float, sigma_spatial: float,
                     radius: int) -> np.ndarray:
    """Bilateral filter over the spatial axes (colour distance across channels).

    ``D(x)_p = Σ_q w_pq x_q / Σ_q w_pq``, ``w_pq = exp(−|p−q|²/2σ_s² − ‖x_p − x_q‖²/2σ_c²)``
    over a square window of radius ``radius``; borders are mirrored.
    """
    colour = x.ndim == 3
    pad = [(radius, radius)] * (x.ndim - colour) + [(0, 0)] * colour
    xp = np.pad(x, pad, mode="symmetric")
    num, den = xp.copy(), np.ones(xp.shape[: xp.ndim - colour])
    spatial_shape = den.shape
    for offset in _pairwise_offsets(radius, len(spatial_shape)):
        a, b = _overlap(offset, spatial_shape)
        diff2 = (xp[a] - xp[b]) ** 2
        exponent = diff2.sum(axis=-1) if colour else diff2
        exponent *= -0.5 / sigma_color**2
        exponent -= sum(o * o for o in offset) / (2 * sigma_spatial**2)
        w = np.exp(exponent, out=exponent)
        # w_pq = w_qp: one exp per pair, accumulated at both ends.
        den[a] += w
        den[b] += w
        wc = w[..., None] if colour else w
        num[a] += wc * xp[b]
        num[b] += wc * xp[a]
    out = num / (den[..., None] if colour else den)
    return out[tuple(slice(r0, n - r1) for (r0, r1), n in zip(pad, xp.shape, strict=True))]


def _bilateral(sigma: float, *, sigma_color: float, sigma_spatial: float,
               truncate: float = 3.0) -> Apply:
    check_positive("sigma_color", sigma_color)
    check_positive("sigma_spatial", sigma_spatial)
    check_positive("truncate", truncate)
    # Hand-written: skimage 0.26 denoise_bilateral builds its spatial LUT on a
    # (win_size+1)² grid but indexes it as win_size² (off-centre, scrambled kernel),
    # and it has no 1-D version.
    radius = math.ceil(truncate * sigma_spatial)
    return lambda x: _bilateral_apply(x, sigma_color, sigma_spatial, radius)


def _nlm_1d(x: np.ndarray, h: float, sigma: float, patch_size: int,
            patch_distance: int) -> np.ndarray:
    """Fast-mode NLM on a 1-D signal, with skimage's weights (its NLM is 2-D to 4-D only).

    ``w_t(i) = exp(−max(mean_k (x_{i+k} − x_{i+t+k})² − 2σ², 0) / h²)`` for shifts
    ``|t| ≤ patch_distance``, patches of ``patch_size`` samples, mirrored borders, and
    the centre sample counted twice as in ``skimage.restoration.denoise_nl_means``.
    """
    half = patch_size // 2
    pad = half + patch_distance
    xp = np.pad(x, pad, mode="reflect")
    n = x.size
    ref = xp[patch_distance: patch_distance + n + 2 * half]
    num, den = 2 * x, np.full(n, 2.0)
    for t in range(-patch_distance, patch_distance + 1):
        if t == 0:
            continue
        shifted = xp[patch_distance + t: patch_distance + t + n + 2 * half]
        dist = ndimage.uniform_filter1d((ref - shifted) ** 2, patch_size)[half: half + n]
        w = np.exp(-np.maximum(dist - 2 * sigma**2, 0.0) / h**2)
        num += w * xp[pad + t: pad + t + n]
        den += w
    return num / den


def _nlm(sigma: float, *, h: float, patch_size: int, patch_distance: int = 6) -> Apply:
    from skimage.restoration import denoise_nl_means

    check_positive("h", h)
    check_positive("patch_size", patch_size, integer=True, odd=True)
    check_positive("patch_distance", patch_distance, integer=True)

    def apply(x: np.ndarray) -> np.ndarray:
        if x.ndim == 1:
            return _nlm_1d(x, h, sigma, patch_size, patch_distance)
        return denoise_nl_means(x, patch_size=patch_size, patch_distance=patch_distance, h=h,
                                fast_mode=True, sigma=sigma, channel_axis=_channel_axis(x))

    return apply


_BM3D_PROFILES = ("np", "refilter", "vn", "vn_old", "high", "deb")


#: Smallest image side bm3d accepts here (bm3d 4.0.3 crashes the process on 8×8).
BM3D_MIN_SIDE = 16


def _bm3d(sigma: float, *, sigma_psd: float, profile: str = "np", threads: int = 1) -> Apply:
    import bm3d  # lazy: importing bm3d/bm4d is slow
    from bm3d import profiles

    check_positive("sigma_psd", sigma_psd)
    check_choice("profile", profile, _BM3D_PROFILES)
    if not isinstance(threads, numbers.Integral) or threads < 0:
        raise ValueError(f"threads must be an integer >= 0 (0 = automatic), got {threads!r}")
    settings = {"np": profiles.BM3DProfile, "refilter": profiles.BM3DProfileRefilter,
                "vn": profiles.BM3DProfileVN, "vn_old": profiles.BM3DProfileVNOld,
                "high": profiles.BM3DProfileHigh, "deb": profiles.BM3DProfileDeb}[profile]()
    # One thread by default: with several, the float32 aggregation order (hence the
    # output, at ~1e-7) changes from call to call.
    settings.num_threads = int(threads)

    def apply(x: np.ndarray) -> np.ndarray:  # the registry refuses sides below min_side first
        if x.ndim == 3:
            # CBM3D: block matching on the luminance of the opponent colour transform.
            return bm3d.bm3d_rgb(x, sigma_psd, profile=settings)
        return bm3d.bm3d(x, sigma_psd, profile=settings)

    return apply


_PER_SIGMA_FACTORS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4, 1.6, 1.8)

def _factors(red: float, pnp_split: float, pnp_pgd: float) -> dict[str, float]:
    return {"red": red, "pnp-split": pnp_split, "pnp-pgd": pnp_pgd}


# Suggested σ_d / σ_e per algorithm group: bench/deblur.py --all-sigmas (docs/BENCHMARKS.md).
register(DenoiserSpec(
    "gaussian", "Gaussian filter", _gaussian, colour="#2ca02c", linear=True, symmetric=True,
    sigma_factor=_factors(4.0, 1.2, 0.4),
    description="Gaussian filter (scipy.ndimage, circular boundary): a linear, symmetric "
                "smoother, so RED's assumptions hold exactly.",
    grid={"std": ParamGrid((0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.7, 2.0,
                            2.5, 3.0))},
))
register(DenoiserSpec(
    "median", "Median filter", _median, colour="#d62728", sigma_factor=_factors(8.0, 6.0, 2.0),
    description="Median filter (scipy.ndimage) over a disk of the given radius: removes "
                "noise, keeps edges; not differentiable everywhere.",
    grid={"radius": ParamGrid((1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0))},
))
register(DenoiserSpec(
    "tv", "Total variation (TV)", _tv, colour="#ff7f0e", sigma_factor=_factors(2.0, 10.0, 0.8),
    description="Total-variation denoising (Chambolle's projection algorithm, scikit-image).",
    grid={"weight": ParamGrid(_PER_SIGMA_FACTORS, per_sigma=True)},
))
register(DenoiserSpec(
    "wavelet", "Wavelet thresholding", _wavelet, colour="#bcbd22",
    sigma_factor=_factors(8.0, 3.0, 0.2),
    description="Wavelet soft thresholding (scikit-image denoise_wavelet).",
    # RED-FP/APG + wavelet at σ_d ×0.7 fall to 14-23 dB from 23.2 at 64² (Gaussian blur, 0.01).
    follows_red_sigma_plateau=False,
    grid={"method": ParamGrid(_WAVELET_METHODS),
          "wavelet": ParamGrid(("db1", "db2")),
          "sigma_scale": ParamGrid(_PER_SIGMA_FACTORS)},
))
register(DenoiserSpec(
    "bilateral", "Bilateral filter", _bilateral, colour="#e377c2",
    sigma_factor=_factors(2.0, 15.0, 0.4),
    description="Bilateral filter: Gaussian weights in space and in grey level/colour.",
    grid={"sigma_color": ParamGrid((1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0), per_sigma=True),
          "sigma_spatial": ParamGrid((1.0, 1.5, 2.0, 3.0))},
))
register(DenoiserSpec(
    "nlm", "Non-local means (NLM)", _nlm, colour="#9467bd", sigma_factor=_factors(6.0, 12.0, 0.8),
    description="Non-local means (scikit-image, fast mode, noise variance subtracted).",
    grid={"patch_size": ParamGrid((5, 7)),
          "h": ParamGrid((0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25), per_sigma=True)},
))
register(DenoiserSpec(
    "bm3d", "BM3D", _bm3d, colour="#8c564b", sigma_factor=_factors(3.0, 8.0, 0.8),
    speed="slow", supports_1d=False, requires=("bm3d",), min_side=BM3D_MIN_SIDE,
    description="BM3D (Dabov et al. 2007; the bm3d package): collaborative filtering of "
                "similar blocks; images only, seconds per call.",
    grid={"sigma_psd": ParamGrid((0.8, 0.9, 1.0, 1.1, 1.25), per_sigma=True)},
))
