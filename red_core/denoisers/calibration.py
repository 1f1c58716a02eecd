"""The measured calibration that maps a denoiser sigma to each denoiser's own parameters.

``bench/calibrate_denoisers.py`` writes ``calibration.json`` next to this module: for each
calibration ``σ`` (:data:`CALIBRATION_SIGMAS`) the parameters maximising the mean PSNR on noisy
``skimage.data`` images. :func:`interpolate` reads that table at any ``σ``: floats linearly in
``log σ`` (clamped at the ends), ints and strings from the nearest level.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CALIBRATION_PATH", "CALIBRATION_SIGMAS", "ParamGrid", "interpolate",
           "load_calibration"]

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
#: Noise levels (in [0, 1] units) at which ``bench/calibrate_denoisers.py`` measures.
CALIBRATION_SIGMAS: tuple[float, ...] = tuple(
    s / 255 for s in (2.5, 5, 10, 15, 25, 35, 50, 75)
)


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


@functools.cache
def load_calibration() -> dict[str, Any]:
    """The measured calibration table (``calibration.json``); empty if absent."""
    if not CALIBRATION_PATH.exists():
        return {"denoisers": {}}
    return json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))


def interpolate(table: Mapping[str, Any], grid: Mapping[str, ParamGrid],
                sigma: float) -> dict[str, Any]:
    """The parameters of one denoiser's ``table`` (``{"sigmas": [...], "best": [...]}``) at
    ``sigma`` (see the module docstring); per-σ grids come back multiplied by ``σ``."""
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
