"""The denoiser registry: one :class:`DenoiserSpec` entry per denoiser, one meaning of ``σ``.

Every denoiser is built for white Gaussian noise of standard deviation ``σ`` (pixel values in
[0, 1]): :func:`build` maps ``σ`` to the denoiser's own parameters (TV weight, NLM ``h``, ...)
through the measured calibration (:mod:`red_core.denoisers.calibration`); user keyword arguments
override calibrated values. An entry also carries what pages and solvers need: the display
label and colour, the suggested denoiser sigma per unit of noise for each algorithm group, the
speed class, and whether the Jacobian is symmetric by construction.

Inputs are float arrays of shape ``(n,)`` (1-D signal), ``(H, W)`` (grey) or ``(H, W, 3)``
(colour); values are *not* clipped to [0, 1] (solver iterates may leave it). Outputs are float64
arrays of the input's shape. ``σ = 0`` is the identity.
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import math
import numbers
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from red_core.denoisers.calibration import (
    CALIBRATION_PATH,
    ParamGrid,
    interpolate,
    load_calibration,
)
from red_core.registry import Registry

__all__ = [
    "MIN_SIGMA",
    "Apply",
    "SIGMA_GROUPS",
    "Denoiser",
    "DenoiserSpec",
    "available",
    "build",
    "calibrated_params",
    "calibration_grid",
    "check_choice",
    "check_positive",
    "colour",
    "describe",
    "entry",
    "grid_params",
    "label",
    "names",
    "register",
    "sigma_factor",
    "unregister",
]

Apply = Callable[[np.ndarray], np.ndarray]

#: The algorithm groups a suggested denoiser sigma is measured for: RED methods want a light
#: denoiser, the PnP splitting methods (ADMM, HQS, where β = 1/σ_d² ties the denoiser to the
#: data term) a strong one, PnP-PGD (μ = 1/L_f) a very light one.
SIGMA_GROUPS: tuple[str, ...] = ("red", "pnp-split", "pnp-pgd")

#: Denoiser sigmas below this are the identity: 1e-6 of a grey level changes nothing visible,
#: and parameters proportional to sigma (TV weight, bilateral sigma_color) underflow near 1e-154.
MIN_SIGMA = 1e-9


@dataclass(frozen=True)
class DenoiserSpec:
    """Everything about one denoiser.

    Parameters
    ----------
    name : str
        Registry name (lower-case identifier).
    label : str
        Display name (``"Total variation (TV)"``).
    factory : callable
        ``factory(sigma, *, p1, p2, ...) -> apply`` where ``apply(x)`` denoises a validated
        float64 array of shape ``(n,)``, ``(H, W)`` or ``(H, W, 3)``. Its keyword-only
        parameters are what users may set; those without a default must be calibrated
        (``grid``) or given to :func:`build`. An ``apply`` with a ``potential`` attribute is a
        gradient-step denoiser ``D = I − ∇g`` (RED then minimises ``f + λg``).
    colour : str
        Its colour in every figure (``#rrggbb``).
    sigma_factor : mapping
        Suggested denoiser sigma per unit of noise sigma, for each of :data:`SIGMA_GROUPS`,
        measured on the deblurring benchmark (``bench/deblur.py``).
    description : str
        One sentence shown in the app.
    linear, symmetric : bool
        ``D`` is a linear map; its Jacobian is symmetric by construction.
    speed : {"fast", "slow"}
        ``slow`` when one call on a 256² grey image takes more than a quarter of a second
        (``bench/denoiser_speed.py``): pages warn and run its diagnostics on demand.
    supports_1d : bool
        Whether 1-D signals are accepted.
    grid : mapping of str to ParamGrid
        Calibration grid of the parameters ``bench/calibrate_denoisers.py`` tunes.
    requires : tuple of str
        Importable modules the denoiser needs (checked by :func:`available`).
    min_side : int
        The smallest image side it accepts.
    follows_red_sigma_plateau : bool
        Whether RED's suggested σ_d follows the degradation's ``red_sigma_plateau`` (×0.7 at
        low noise on the blurs, masks and super-resolution, see
        ``operators.Degradation.red_sigma_multiplier``). False keeps only the common shrink
        at high noise: wavelet thresholding, whose RED runs collapse below the degraded PSNR
        at 64² with the lighter σ_d.
    """

    name: str
    label: str
    factory: Callable[..., Apply]
    colour: str
    sigma_factor: Mapping[str, float]
    description: str
    linear: bool = False
    symmetric: bool = False
    speed: Literal["fast", "slow"] = "fast"
    supports_1d: bool = True
    grid: Mapping[str, ParamGrid] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    min_side: int = 1
    follows_red_sigma_plateau: bool = True

    @property
    def keyword_parameters(self) -> list[inspect.Parameter]:
        return [p for p in inspect.signature(self.factory).parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY]

    @property
    def defaults(self) -> dict[str, Any]:
        """Keyword-only factory parameters with a default."""
        return {p.name: p.default for p in self.keyword_parameters if p.default is not p.empty}

    @property
    def required(self) -> tuple[str, ...]:
        """Keyword-only factory parameters without a default (calibrated or given)."""
        return tuple(p.name for p in self.keyword_parameters if p.default is p.empty)

    @property
    def accepted(self) -> tuple[str, ...]:
        """Every parameter a user may set, in signature order."""
        return tuple(p.name for p in self.keyword_parameters)


_REGISTRY: Registry[DenoiserSpec] = Registry("denoiser")


def register(spec: DenoiserSpec, replace: bool = False) -> DenoiserSpec:
    """Add a denoiser to the registry (the built-ins are added the same way).

    Raises ``ValueError`` on a malformed entry: a name that is no lower-case identifier, a
    missing σ factor, a colour that is not ``#rrggbb``, grid parameters the factory does not
    take, or an existing name without ``replace=True``.
    """
    name = spec.name
    if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
        raise ValueError(f"name must be a lower-case identifier, got {name!r}")
    if _REGISTRY.find(name) is not None and not replace:
        raise ValueError(f"denoiser {name!r} is already registered (use replace=True)")
    missing = [g for g in SIGMA_GROUPS if not spec.sigma_factor.get(g, 0) > 0]
    if missing:
        raise ValueError(f"denoiser {name!r}: sigma_factor needs a value > 0 for {missing}")
    if not (isinstance(spec.colour, str) and len(spec.colour) == 7 and spec.colour[0] == "#"):
        raise ValueError(f"denoiser {name!r}: colour must be '#rrggbb', got {spec.colour!r}")
    if spec.speed not in ("fast", "slow"):
        raise ValueError(f"denoiser {name!r}: speed must be 'fast' or 'slow'")
    unknown = set(spec.grid) - set(spec.accepted)
    if unknown:
        raise ValueError(f"grid parameters {sorted(unknown)} are not keyword-only "
                         f"parameters of the factory {list(spec.accepted)}")
    return _REGISTRY.add(name, spec, replace)


def unregister(name: str) -> None:
    """Remove a denoiser (e.g. one a notebook or a test registered)."""
    _REGISTRY.remove(name)


def names() -> tuple[str, ...]:
    """Registered denoiser names, in registration order."""
    return _REGISTRY.names()


def entry(name: str) -> DenoiserSpec:
    """The :class:`DenoiserSpec` of ``name``."""
    return _REGISTRY.get(name)


def label(name: str) -> str:
    """The display name of a denoiser (its registry name when it is not registered)."""
    spec = _REGISTRY.find(name)
    return spec.label if spec is not None else str(name)


def colour(name: str) -> str:
    """The colour of a denoiser in every figure (grey when it is not registered)."""
    spec = _REGISTRY.find(name)
    return spec.colour if spec is not None else "#555555"


def sigma_factor(name: str, group: str) -> float:
    """Suggested denoiser sigma per unit of noise sigma for an algorithm ``group``."""
    if group not in SIGMA_GROUPS:
        raise ValueError(f"group must be one of {', '.join(SIGMA_GROUPS)}, got {group!r}")
    return float(entry(name).sigma_factor[group])


def available(name: str) -> bool:
    """True when the packages the denoiser needs are importable (e.g. ``bm3d``)."""
    return all(importlib.util.find_spec(m) is not None for m in entry(name).requires)


def calibration_grid(name: str) -> dict[str, ParamGrid]:
    """The calibration grid of a denoiser (shared by the calibration script and tests)."""
    return dict(entry(name).grid)


def grid_params(name: str, sigma: float) -> list[dict[str, Any]]:
    """All parameter combinations of the calibration grid at noise level ``sigma``."""
    grid = entry(name).grid
    sigma = _check_sigma(sigma)
    combos = itertools.product(*(g.at(sigma) for g in grid.values()))
    return [dict(zip(grid, combo, strict=True)) for combo in combos]


def calibrated_params(name: str, sigma: float) -> dict[str, Any]:
    """Calibrated parameters of ``name`` at ``sigma`` (see
    :func:`red_core.denoisers.calibration.interpolate`)."""
    grid = entry(name).grid
    sigma = _check_sigma(sigma)
    if not grid:
        return {}
    table = load_calibration()["denoisers"].get(name)
    if table is None:
        raise ValueError(f"no calibration for denoiser {name!r} in {CALIBRATION_PATH.name}; "
                         f"run bench/calibrate_denoisers.py or pass {sorted(grid)} explicitly")
    return interpolate(table, grid, sigma)


def _check_sigma(sigma: Any) -> float:
    if (isinstance(sigma, bool) or not isinstance(sigma, numbers.Real)
            or not math.isfinite(sigma) or sigma < 0):
        raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}")
    return float(sigma)


def check_positive(name: str, value: Any, *, integer: bool = False, odd: bool = False,
                   upper: float | None = None) -> None:
    """``ValueError`` unless ``value`` is a positive number (integer, odd, ``<= upper``)."""
    ok = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    ok = ok and not isinstance(value, bool) and math.isfinite(value) and value > 0
    if not ok or (odd and value % 2 == 0) or (upper is not None and value > upper):
        kind = "odd integer" if odd else "integer" if integer else "number"
        limit = f" <= {upper}" if upper is not None else ""
        raise ValueError(f"{name} must be a positive {kind}{limit}, got {value!r}")


def check_choice(name: str, value: Any, allowed: tuple) -> None:
    """``ValueError`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def _as_signal(x: Any, spec: DenoiserSpec) -> np.ndarray:
    """Validate a denoiser input and return it as a float64 array."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"x must be a real (bool/int/float) array, got dtype {x.dtype}")
    if not (x.ndim in (1, 2) or (x.ndim == 3 and x.shape[2] == 3)):
        raise ValueError(f"x must have shape (n,), (H, W) or (H, W, 3), got {x.shape}")
    if x.ndim == 1 and not spec.supports_1d:
        raise ValueError(f"denoiser {spec.name!r} needs an image (H, W) or (H, W, 3); "
                         f"1-D signals are not supported")
    if x.size == 0:
        raise ValueError("x must not be empty")
    if x.ndim >= 2 and min(x.shape[:2]) < spec.min_side:
        raise ValueError(f"{spec.name} needs an image of at least {spec.min_side}×"
                         f"{spec.min_side} pixels, got {x.shape[1]}×{x.shape[0]}")
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

    def __init__(self, spec: DenoiserSpec, sigma: float, params: dict[str, Any],
                 apply: Apply | None) -> None:
        self.spec = spec
        self.name = spec.name
        self.sigma = sigma
        self.params = params
        self.linear = spec.linear
        self.symmetric = spec.symmetric
        self.supports_1d = spec.supports_1d
        self._apply = apply
        self.potential = getattr(apply, "potential", None)
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Denoise ``x`` (shape ``(n,)``, ``(H, W)`` or ``(H, W, 3)``); float64 out."""
        start = time.perf_counter()
        x = _as_signal(x, self.spec)
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
        One of :func:`names`.
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

    Examples
    --------
    >>> import numpy as np
    >>> from red_core import denoisers
    >>> d = denoisers.build("tv", sigma=25 / 255)
    >>> y = d(np.zeros((32, 32)))
    >>> d.calls, y.shape
    (1, (32, 32))
    """
    spec = entry(name)
    sigma = _check_sigma(sigma)
    unknown = set(params) - set(spec.accepted)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)} for denoiser {name!r}; "
                         f"accepted: {', '.join(spec.accepted) or 'none'}")
    if not available(name):
        raise ImportError(f"denoiser {name!r} needs the package(s) {list(spec.requires)}, "
                          f"which are not installed (pip install {' '.join(spec.requires)})")
    if sigma < MIN_SIGMA:
        return Denoiser(spec, 0.0, {}, None)
    calibrated = calibrated_params(name, sigma) if set(spec.grid) - set(params) else {}
    resolved = {**spec.defaults, **calibrated, **params}
    missing = sorted(set(spec.required) - set(resolved))
    if missing:
        raise ValueError(f"denoiser {name!r} needs parameter(s) {missing}")
    resolved = {k: resolved[k] for k in spec.accepted}
    return Denoiser(spec, sigma, resolved, spec.factory(sigma, **resolved))


def describe(name: str, sigma: float = 25 / 255) -> dict[str, Any]:
    """Properties of a denoiser and its calibrated parameters at ``sigma``.

    Returns
    -------
    dict
        ``name, label, description, linear, symmetric, speed, supports_1d, available, sigma,
        params`` (resolved at ``sigma``; calibrated ones missing when the table has no
        entry), ``accepted`` (parameter names), ``defaults`` (uncalibrated defaults),
        ``calibrated`` (the table has an entry) and ``grid`` (candidates at ``sigma``).
    """
    spec = entry(name)
    sigma = _check_sigma(sigma)
    calibrated = name in load_calibration()["denoisers"]
    params = {}
    if sigma > 0:
        params = {**spec.defaults, **(calibrated_params(name, sigma) if calibrated else {})}
        params = {k: params[k] for k in spec.accepted if k in params}
    return {
        "name": name,
        "label": spec.label,
        "description": spec.description,
        "linear": spec.linear,
        "symmetric": spec.symmetric,
        "speed": spec.speed,
        "supports_1d": spec.supports_1d,
        "available": available(name),
        "sigma": sigma,
        "params": params,
        "accepted": list(spec.accepted),
        "defaults": dict(spec.defaults),
        "calibrated": calibrated,
        "grid": {k: g.at(sigma) for k, g in spec.grid.items()} if sigma > 0 else {},
    }
