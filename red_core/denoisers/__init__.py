"""Denoisers ``D_σ`` behind one registry, with one meaning of ``σ``.

``build(name, sigma)`` gives a :class:`Denoiser` tuned for white Gaussian noise of standard
deviation ``σ`` (pixel values in [0, 1]); every entry (:class:`DenoiserSpec`) also holds the
denoiser's label, colour, suggested σ factors per algorithm group, speed class and whether its
Jacobian is symmetric by construction. The rooms:

- ``registry``: :class:`DenoiserSpec`, :func:`register`, :func:`build` and the look-ups;
- ``calibration``: the measured table mapping ``σ`` to parameters (``calibration.json``);
- ``classical``: Gaussian, median, TV, wavelet, bilateral, NLM, BM3D;
- ``structured``: symmetric NLM, gradient-step TV, pixel MMSE (symmetric by construction);
- ``cnn``: the project's trained networks ``cnn`` and ``cnn_gs`` (numpy engine in
  ``_cnn_engine``, weights in ``assets/``).

Examples
--------
>>> from red_core import denoisers
>>> denoisers.label("tv"), denoisers.entry("bm3d").speed
('Total variation (TV)', 'slow')
"""

from typing import Any

from red_core.denoisers.calibration import (
    CALIBRATION_PATH,
    CALIBRATION_SIGMAS,
    ParamGrid,
    load_calibration,
)
from red_core.denoisers.registry import (
    MIN_SIGMA,
    SIGMA_GROUPS,
    Denoiser,
    DenoiserSpec,
    available,
    build,
    calibrated_params,
    calibration_grid,
    colour,
    describe,
    entry,
    grid_params,
    label,
    names,
    register,
    sigma_factor,
    unregister,
)

# The entries register themselves, in the order pages list them.
from red_core.denoisers import classical  # isort: skip  # noqa: E402
from red_core.denoisers import structured  # isort: skip  # noqa: E402
from red_core.denoisers import cnn  # isort: skip  # noqa: E402

__all__ = [
    "CALIBRATION_PATH", "CALIBRATION_SIGMAS", "MIN_SIGMA", "NAMES", "SIGMA_GROUPS", "Denoiser",
    "DenoiserSpec", "ParamGrid", "available", "build", "calibrated_params", "calibration_grid",
    "classical", "cnn", "colour", "describe", "entry", "grid_params", "label",
    "load_calibration", "names", "register", "sigma_factor", "structured",
    "unregister",
]


def __getattr__(name: str) -> Any:
    if name == "NAMES":  # read at access time: register() may have added entries
        return names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
