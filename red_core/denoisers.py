"""Denoisers ``D_σ`` behind one registry, with one meaning of ``σ``.

Every denoiser is built for white Gaussian noise of standard deviation ``σ`` (pixel
values in [0, 1]): ``build(name, sigma)`` maps ``σ`` to the denoiser's own parameters
(TV weight, NLM ``h``, Gaussian std, ...) through a calibration that was *measured*
(``bench/calibrate_denoisers.py`` writes ``calibration.json`` next to this module):
for each calibration ``σ`` the parameter maximising the mean PSNR on noisy
``skimage.data`` images is stored, and ``build`` interpolates that table in
``log σ`` (clamped at the ends).  User keyword arguments override calibrated values.

Inputs are float arrays of shape ``(n,)`` (1-D signal), ``(H, W)`` (grey) or
``(H, W, 3)`` (colour); values are *not* clipped to [0, 1] (solver iterates may leave
it).  Outputs are float64 arrays of the input's shape.  ``σ = 0`` is the identity.

Examples
--------
>>> import numpy as np
>>> from red_core import denoisers
>>> d = denoisers.build("tv", sigma=25 / 255)
>>> y = d(np.zeros((32, 32)))
>>> d.calls, y.shape
(1, (32, 32))
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import itertools
import json
import math
import numbers
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

__all__ = [
    "CALIBRATION_PATH",
    "CALIBRATION_SIGMAS",
    "NAMES",
    "Denoiser",
    "ParamGrid",
    "available",
    "build",
    "calibrated_params",
    "calibration_grid",
    "describe",
    "grid_params",
    "load_calibration",
    "names",
    "register",
]

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
#: Noise levels (in [0, 1] units) at which ``bench/calibrate_denoisers.py`` measures.
CALIBRATION_SIGMAS: tuple[float, ...] = tuple(
    s / 255 for s in (2.5, 5, 10, 15, 25, 35, 50, 75)
)

Apply = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ParamGrid:
    """Candidate values of one denoiser parameter, searched by the calibration.

    Parameters
    ----------
    values : tuple
        Candidate values.  Floats are interpolated between calibration noise levels;
        ints and strings take the value of the nearest calibration level.
    per_sigma : bool
        If True the candidates are multiples of ``σ`` (parameter = value · σ), and the
        calibration table stores the multiple.
    """

    values: tuple
    per_sigma: bool = False

    def at(self, sigma: float) -> tuple:
        """Candidate parameter values at noise level ``sigma``."""
        return tuple(v * sigma for v in self.values) if self.per_sigma else self.values

    @property
    def interpolated(self) -> bool:
        """True when the values are floats (interpolated in log σ)."""
        return all(isinstance(v, float) for v in self.values)


@dataclass(frozen=True)
class _Entry:
    factory: Callable[..., Apply]
    linear: bool
    symmetric: bool
    description: str
    supports_1d: bool
    requires: tuple[str, ...]
    grid: Mapping[str, ParamGrid]
    defaults: Mapping[str, Any]  # keyword-only parameters of the factory with a default
    required: tuple[str, ...]  # keyword-only parameters without one (calibrated)
    accepted: tuple[str, ...]  # all keyword-only parameters, in signature order


_REGISTRY: dict[str, _Entry] = {}
#: Registered names; rebound by :func:`register`, so read it as ``denoisers.NAMES`` (or
#: call :func:`names`) rather than ``from red_core.denoisers import NAMES``.
NAMES: tuple[str, ...] = ()


def names() -> tuple[str, ...]:
    """Registered denoiser names, in registration order (same as ``NAMES``)."""
    return tuple(_REGISTRY)


def register(
    name: str,
    factory: Callable[..., Apply],
    *,
    linear: bool,
    symmetric: bool,
    description: str,
    supports_1d: bool = True,
    grid: Mapping[str, ParamGrid] | None = None,
    requires: tuple[str, ...] = (),
    replace: bool = False,
) -> None:
    """Add a denoiser to the registry (the seven built-ins are added the same way).

    Parameters
    ----------
    name : str
        Registry name (lower-case identifier).
    factory : callable
        ``factory(sigma, *, p1, p2, ...) -> apply`` where ``apply(x)`` denoises a
        validated float64 array of shape ``(n,)``, ``(H, W)`` or ``(H, W, 3)`` and
        returns an array of the same shape.  The keyword-only parameters are the
        parameters users may set; those without a default must be calibrated (``grid``)
        or given to :func:`build`.
    linear, symmetric : bool
        ``D`` is a linear map; its Jacobian is symmetric by construction.
    description : str
        One sentence shown in the app.
    supports_1d : bool
        Whether 1-D signals are accepted.
    grid : mapping of str to ParamGrid, optional
        Calibration grid of the parameters ``bench/calibrate_denoisers.py`` tunes.
    requires : tuple of str
        Importable modules the denoiser needs (checked by :func:`available`).
    replace : bool
        Allow replacing an existing registration.
    """
    global NAMES
    if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
        raise ValueError(f"name must be a lower-case identifier, got {name!r}")
    if name in _REGISTRY and not replace:
        raise ValueError(f"denoiser {name!r} is already registered (use replace=True)")
    keyword_only = [p for p in inspect.signature(factory).parameters.values()
                    if p.kind is inspect.Parameter.KEYWORD_ONLY]
    defaults = {p.name: p.default for p in keyword_only if p.default is not p.empty}
    required = tuple(p.name for p in keyword_only if p.default is p.empty)
    grid = dict(grid or {})
    unknown = set(grid) - {p.name for p in keyword_only}
    if unknown:
        raise ValueError(f"grid parameters {sorted(unknown)} are not keyword-only "
                         f"parameters of the factory {[p.name for p in keyword_only]}")
    _REGISTRY[name] = _Entry(factory, bool(linear), bool(symmetric), description,
                             bool(supports_1d), tuple(requires), grid, defaults, required,
                             tuple(p.name for p in keyword_only))
    NAMES = names()


def _entry(name: str) -> _Entry:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown denoiser {name!r}; allowed: {', '.join(_REGISTRY)}") from None


def available(name: str) -> bool:
    """True when the packages the denoiser needs are importable (e.g. ``bm3d``)."""
    return all(importlib.util.find_spec(m) is not None for m in _entry(name).requires)


def calibration_grid(name: str) -> dict[str, ParamGrid]:
    """The calibration grid of a denoiser (shared by the calibration script and tests)."""
    return dict(_entry(name).grid)


def grid_params(name: str, sigma: float) -> list[dict[str, Any]]:
    """All parameter combinations of the calibration grid at noise level ``sigma``."""
    grid = _entry(name).grid
    sigma = _check_sigma(sigma)
    combos = itertools.product(*(g.at(sigma) for g in grid.values()))
    return [dict(zip(grid, combo, strict=True)) for combo in combos]


@functools.cache
def load_calibration() -> dict[str, Any]:
    """The measured calibration table (``calibration.json``); empty if absent."""
    if not CALIBRATION_PATH.exists():
        return {"denoisers": {}}
    return json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))


def calibrated_params(name: str, sigma: float) -> dict[str, Any]:
    """Calibrated parameters of ``name`` at ``sigma`` (interpolated in log σ).

    Floats are interpolated linearly in ``log σ`` between calibration levels and
    clamped at the ends; ints and strings take the nearest level's value.  Grids with
    ``per_sigma`` store multiples of ``σ``: those are interpolated, then times ``σ``.
    """
    grid = _entry(name).grid
    sigma = _check_sigma(sigma)
    if not grid:
        return {}
    table = load_calibration()["denoisers"].get(name)
    if table is None:
        raise ValueError(f"no calibration for denoiser {name!r} in {CALIBRATION_PATH.name}; "
                         f"run bench/calibrate_denoisers.py or pass {sorted(grid)} explicitly")
    log_nodes = np.log(table["sigmas"])
    log_sigma = math.log(sigma) if sigma > 0 else -math.inf
    nearest = int(np.argmin(np.abs(log_nodes - log_sigma))) if sigma > 0 else 0
    params = {}
    for key, spec in grid.items():
        values = [best[key] for best in table["best"]]
        if spec.interpolated:
            value = float(np.interp(log_sigma, log_nodes, values))
        else:
            value = values[nearest]
        params[key] = value * sigma if spec.per_sigma else value
    return params


def _check_sigma(sigma: Any) -> float:
    if (isinstance(sigma, bool) or not isinstance(sigma, numbers.Real)
            or not math.isfinite(sigma) or sigma < 0):
        raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}")
    return float(sigma)


def _as_signal(x: Any, name: str, supports_1d: bool) -> np.ndarray:
    """Validate a denoiser input and return it as a float64 array."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"x must be a real (bool/int/float) array, got dtype {x.dtype}")
    if not (x.ndim in (1, 2) or (x.ndim == 3 and x.shape[2] == 3)):
        raise ValueError(f"x must have shape (n,), (H, W) or (H, W, 3), got {x.shape}")
    if x.ndim == 1 and not supports_1d:
        raise ValueError(f"denoiser {name!r} needs an image (H, W) or (H, W, 3); "
                         f"1-D signals are not supported")
    if x.size == 0:
        raise ValueError("x must not be empty")
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or infinite values")
    return x


class Denoiser:
    """A denoiser ``D_σ`` with counters; build one with :func:`build`.

    Attributes
    ----------
    name : str
        Registry name.
    sigma : float
        Noise standard deviation (pixel values in [0, 1]) the denoiser is tuned for.
    params : dict
        Parameters actually used (calibration, then user overrides); ``{}`` when
        ``sigma == 0`` (identity).
    linear, symmetric : bool
        ``D`` is a linear map; its Jacobian ``J = ∂D/∂x`` is symmetric by construction.
    supports_1d : bool
        Whether 1-D signals are accepted.
    calls : int
        Number of ``__call__`` since creation or :meth:`reset_counters`.
    seconds : float
        Total wall time spent inside ``__call__``.
    potential : callable or None
        ``g`` for a gradient-step denoiser ``D = I − ∇g`` (RED then minimises ``f + λg``
        exactly); ``None`` for the others.
    """

    def __init__(self, name: str, sigma: float, params: dict[str, Any], apply: Apply | None,
                 *, linear: bool, symmetric: bool, supports_1d: bool) -> None:
        self.name = name
        self.sigma = sigma
        self.params = params
        self.linear = linear
        self.symmetric = symmetric
        self.supports_1d = supports_1d
        self._apply = apply
        self.potential = getattr(apply, "potential", None)
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Denoise ``x`` (shape ``(n,)``, ``(H, W)`` or ``(H, W, 3)``); float64 out."""
        start = time.perf_counter()
        x = _as_signal(x, self.name, self.supports_1d)
        out = x.copy() if self._apply is None else np.asarray(self._apply(x), np.float64)
        self.calls += 1
        self.seconds += time.perf_counter() - start
        return out.reshape(x.shape)

    def reset_counters(self) -> None:
        """Set ``calls`` and ``seconds`` back to zero."""
        self.calls = 0
        self.seconds = 0.0

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}"
                           for k, v in self.params.items())
        return (f"Denoiser({self.name!r}, sigma={self.sigma:.4g} (={self.sigma * 255:.3g}/255)"
                f"{', ' + params if params else ''})")


def build(name: str, sigma: float, **params: Any) -> Denoiser:
    """Build the denoiser ``name`` tuned for noise level ``sigma``.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.
    sigma : float
        Noise standard deviation in [0, 1] pixel units, finite and >= 0.
        ``sigma == 0`` gives the identity (each call returns a float64 copy), and so does any
        ``sigma`` below :data:`MIN_SIGMA` (parameters proportional to it would underflow).
    **params
        Overrides of the denoiser's parameters (see :func:`describe`); parameters not
        given come from the calibration at ``sigma`` or the factory's defaults.

    Returns
    -------
    Denoiser

    Raises
    ------
    ValueError
        Unknown name or parameter, or bad ``sigma``.
    ImportError
        The denoiser's package (e.g. ``bm3d``) is not installed.
    """
    entry = _entry(name)
    sigma = _check_sigma(sigma)
    unknown = set(params) - set(entry.accepted)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)} for denoiser {name!r}; "
                         f"accepted: {', '.join(entry.accepted) or 'none'}")
    if not available(name):
        raise ImportError(f"denoiser {name!r} needs the package(s) {list(entry.requires)}, "
                          f"which are not installed (pip install {' '.join(entry.requires)})")
    flags = dict(linear=entry.linear, symmetric=entry.symmetric,
                 supports_1d=entry.supports_1d)
    if sigma < MIN_SIGMA:
        return Denoiser(name, 0.0, {}, None, **flags)
    calibrated = calibrated_params(name, sigma) if set(entry.grid) - set(params) else {}
    resolved = {**entry.defaults, **calibrated, **params}
    missing = sorted(set(entry.required) - set(resolved))
    if missing:
        raise ValueError(f"denoiser {name!r} needs parameter(s) {missing}")
    resolved = {k: resolved[k] for k in entry.accepted}
    return Denoiser(name, sigma, resolved, entry.factory(sigma, **resolved), **flags)


def describe(name: str, sigma: float = 25 / 255) -> dict[str, Any]:
    """Properties of a denoiser and its calibrated parameters at ``sigma``.

    Returns
    -------
    dict
        ``name, description, linear, symmetric, supports_1d, available, sigma,
        params`` (resolved at ``sigma``; calibrated ones missing when the table has no
        entry), ``accepted`` (parameter names), ``defaults`` (uncalibrated defaults),
        ``calibrated`` (the table has an entry) and ``grid`` (candidates at ``sigma``).
    """
    entry = _entry(name)
    sigma = _check_sigma(sigma)
    calibrated = name in load_calibration()["denoisers"]
    params = {}
    if sigma > 0:
        params = {**entry.defaults, **(calibrated_params(name, sigma) if calibrated else {})}
        params = {k: params[k] for k in entry.accepted if k in params}
    return {
        "name": name,
        "description": entry.description,
        "linear": entry.linear,
        "symmetric": entry.symmetric,
        "supports_1d": entry.supports_1d,
        "available": available(name),
        "sigma": sigma,
        "params": params,
        "accepted": list(entry.accepted),
        "defaults": dict(entry.defaults),
        "calibrated": calibrated,
        "grid": {k: g.at(sigma) for k, g in entry.grid.items()} if sigma > 0 else {},
    }


# --------------------------------------------------------------------------- helpers


def _spatial(x: np.ndarray, value: Any, channel_value: Any) -> tuple:
    """Per-axis argument: ``value`` on spatial axes, ``channel_value`` on colour."""
    return (value,) * (x.ndim - 1) + (channel_value,) if x.ndim == 3 else (value,) * x.ndim


def _channel_axis(x: np.ndarray) -> int | None:
    return -1 if x.ndim == 3 else None


def _check_positive(name: str, value: Any, *, integer: bool = False, odd: bool = False) -> None:
    ok = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if (not ok or isinstance(value, bool) or not math.isfinite(value) or not value > 0
            or (odd and value % 2 == 0)):
        kind = "odd integer" if odd else "integer" if integer else "number"
        raise ValueError(f"{name} must be a positive {kind}, got {value!r}")


def _check_choice(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


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
    _check_positive("std", std)

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
    _check_positive("radius", radius)

    def apply(x: np.ndarray) -> np.ndarray:
        footprint = _disk(radius, x.ndim - (x.ndim == 3))
        if x.ndim == 3:  # not across colour
            footprint = footprint[..., None]
        return ndimage.median_filter(x, footprint=footprint, mode="reflect")

    return apply


def _tv(sigma: float, *, weight: float, eps: float = 2e-4, max_num_iter: int = 200) -> Apply:
    from skimage.restoration import denoise_tv_chambolle

    _check_positive("weight", weight)
    _check_positive("eps", eps)
    _check_positive("max_num_iter", max_num_iter, integer=True)
    return lambda x: denoise_tv_chambolle(x, weight=weight, eps=eps, max_num_iter=max_num_iter,
                                          channel_axis=_channel_axis(x))


_WAVELET_METHODS = ("BayesShrink", "VisuShrink")


def _wavelet(sigma: float, *, sigma_scale: float, method: str, wavelet: str,
             mode: str = "soft", wavelet_levels: int | None = None) -> Apply:
    import pywt
    from skimage.restoration import denoise_wavelet

    _check_positive("sigma_scale", sigma_scale)
    _check_choice("method", method, _WAVELET_METHODS)
    _check_choice("wavelet", wavelet, tuple(pywt.wavelist(kind="discrete")))
    _check_choice("mode", mode, ("soft", "hard"))
    if wavelet_levels is not None:
        _check_positive("wavelet_levels", wavelet_levels, integer=True)
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
    _check_positive("sigma_color", sigma_color)
    _check_positive("sigma_spatial", sigma_spatial)
    _check_positive("truncate", truncate)
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

    _check_positive("h", h)
    _check_positive("patch_size", patch_size, integer=True, odd=True)
    _check_positive("patch_distance", patch_distance, integer=True)

    def apply(x: np.ndarray) -> np.ndarray:
        if x.ndim == 1:
            return _nlm_1d(x, h, sigma, patch_size, patch_distance)
        return denoise_nl_means(x, patch_size=patch_size, patch_distance=patch_distance, h=h,
                                fast_mode=True, sigma=sigma, channel_axis=_channel_axis(x))

    return apply


_BM3D_PROFILES = ("np", "refilter", "vn", "vn_old", "high", "deb")


#: Display names of the registered denoisers (pages and legends); see :func:`label`.
LABELS: dict[str, str] = {
    "gaussian": "Gaussian filter",
    "median": "Median filter",
    "tv": "Total variation (TV)",
    "wavelet": "Wavelet thresholding",
    "bilateral": "Bilateral filter",
    "nlm": "Non-local means (NLM)",
    "bm3d": "BM3D",
    "symmetric_nlm": "Symmetric NLM (Sinkhorn)",
    "gradient_step_tv": "Gradient-step TV",
    "mmse_gmm": "MMSE, Gaussian-mixture prior",
    "cnn": "CNN (trained here)",
    "cnn_gs": "Gradient-step CNN",
}


def label(name: str) -> str:
    """The display name of a denoiser (its registry name when it has none)."""
    return LABELS.get(name, name)


#: Denoiser sigmas below this are the identity: 1e-6 of a grey level changes nothing visible,
#: and parameters proportional to sigma (TV weight, bilateral sigma_color) underflow near 1e-154.
MIN_SIGMA = 1e-9

#: Smallest image side bm3d accepts here.
BM3D_MIN_SIDE = 16


def _bm3d(sigma: float, *, sigma_psd: float, profile: str = "np", threads: int = 1) -> Apply:
    import bm3d  # lazy: importing bm3d/bm4d is slow
    from bm3d import profiles

    _check_positive("sigma_psd", sigma_psd)
    _check_choice("profile", profile, _BM3D_PROFILES)
    if not isinstance(threads, numbers.Integral) or threads < 0:
        raise ValueError(f"threads must be an integer >= 0 (0 = automatic), got {threads!r}")
    settings = {"np": profiles.BM3DProfile, "refilter": profiles.BM3DProfileRefilter,
                "vn": profiles.BM3DProfileVN, "vn_old": profiles.BM3DProfileVNOld,
                "high": profiles.BM3DProfileHigh, "deb": profiles.BM3DProfileDeb}[profile]()
    # One thread by default: with several, the float32 aggregation order (hence the
    # output, at ~1e-7) changes from call to call.
    settings.num_threads = int(threads)

    def apply(x: np.ndarray) -> np.ndarray:
        if min(x.shape[:2]) < BM3D_MIN_SIDE:  # bm3d 4.0.3 crashes the process (segfault) on 8×8
            raise ValueError(f"bm3d needs an image of at least {BM3D_MIN_SIDE}×{BM3D_MIN_SIDE} "
                             f"pixels, got {x.shape[1]}×{x.shape[0]}")
        if x.ndim == 3:
            # CBM3D: block matching on the luminance of the opponent colour transform.
            return bm3d.bm3d_rgb(x, sigma_psd, profile=settings)
        return bm3d.bm3d(x, sigma_psd, profile=settings)

    return apply


_PER_SIGMA_FACTORS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4, 1.6, 1.8)

register(
    "gaussian", _gaussian, linear=True, symmetric=True,
    description="Gaussian filter (scipy.ndimage, circular boundary): a linear, symmetric "
                "smoother, so RED's assumptions hold exactly.",
    grid={"std": ParamGrid((0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.7, 2.0,
                            2.5, 3.0))},
)
register(
    "median", _median, linear=False, symmetric=False,
    description="Median filter (scipy.ndimage) over a disk of the given radius: removes "
                "noise, keeps edges; not differentiable everywhere.",
    grid={"radius": ParamGrid((1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0))},
)
register(
    "tv", _tv, linear=False, symmetric=False,
    description="Total-variation denoising (Chambolle's projection algorithm, scikit-image).",
    grid={"weight": ParamGrid(_PER_SIGMA_FACTORS, per_sigma=True)},
)
register(
    "wavelet", _wavelet, linear=False, symmetric=False,
    description="Wavelet soft thresholding (scikit-image denoise_wavelet).",
    grid={"method": ParamGrid(_WAVELET_METHODS),
          "wavelet": ParamGrid(("db1", "db2")),
          "sigma_scale": ParamGrid(_PER_SIGMA_FACTORS)},
)
register(
    "bilateral", _bilateral, linear=False, symmetric=False,
    description="Bilateral filter: Gaussian weights in space and in grey level/colour.",
    grid={"sigma_color": ParamGrid((1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0), per_sigma=True),
          "sigma_spatial": ParamGrid((1.0, 1.5, 2.0, 3.0))},
)
register(
    "nlm", _nlm, linear=False, symmetric=False,
    description="Non-local means (scikit-image, fast mode, noise variance subtracted).",
    grid={"patch_size": ParamGrid((5, 7)),
          "h": ParamGrid((0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25), per_sigma=True)},
)
register(
    "bm3d", _bm3d, linear=False, symmetric=False, supports_1d=False, requires=("bm3d",),
    description="BM3D (Dabov et al. 2007; the bm3d package): collaborative filtering of "
                "similar blocks; images only.",
    grid={"sigma_psd": ParamGrid((0.8, 0.9, 1.0, 1.1, 1.25), per_sigma=True)},
)


# The denoisers with structure by construction (symmetric NLM, gradient-step TV, pixel MMSE)
# register themselves into this registry, then the project's trained CNNs (red_core.cnn, weights
# in assets/); imported last because they use it.
from red_core import structured_denoisers as _structured  # noqa: E402, F401
