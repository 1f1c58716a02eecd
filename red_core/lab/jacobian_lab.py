r"""What the "Jacobian lab" page computes: inputs, one full-Jacobian analysis, step bounds.

The page measures, on a small input ``x`` (a noisy 1-D signal or a noisy grey crop of a
test image), how far a denoiser is from the two assumptions that make RED's gradient exact
(``red_core.diagnostics`` has the estimators):

.. math::
    \nabla\rho(x) = x - \tfrac12 D(x) - \tfrac12 J(x)^\top x
    \;=\; x - D(x) \quad\text{when } J = J^\top \text{ and } J(x)x = D(x).

:func:`analyse` builds the Jacobian once (``2n`` denoiser calls) and derives every number
and every picture of the page from it; :func:`probe_report` is the cheap route for BM3D,
whose full Jacobian would take minutes.  The symmetric part ``(J + Jᵀ)/2`` has eigenvalues
in ``[a, b]``.  The Jacobian of the RED field ``x − D(x)`` is ``I − J``; when ``J`` is
symmetric its eigenvalues lie in ``[1 − b, 1 − a]``, and a RED-GD step
``x ← x − μ(∇f(x) + λ(x − D(x)))`` does not overshoot (locally) when

.. math::  \mu < \frac{2}{L_f + \lambda\,(1 - a)}

which is ``THEORY.md``'s ``2/(L_f + λ)`` when ``a = 0``, shorter when ``a < 0`` (the page shows
``c = 1 − a``).  For a non-symmetric ``J`` the RED field is not a gradient and this is only
the bound of its symmetric part.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from skimage.color import rgb2gray

from red_core import denoisers, glossary, images, signals
from red_core.params import Param
from red_core.theory import diagnostics
from red_core.theory import regulariser as red

__all__ = [
    "BM3D_MIN_SIDE",
    "CROP_RANGE",
    "ERRORS",
    "KINDS",
    "N_RANGE",
    "PICKER_SIZE",
    "SIGMAS_255",
    "Analysis",
    "InputSpec",
    "analyse",
    "centre_to_origin",
    "crop_limits",
    "denoisers_for",
    "is_slow",
    "make_input",
    "params",
    "picker_image",
    "pool_extreme",
    "probe_report",
    "survey_rows",
]

KINDS: tuple[str, ...] = ("signal", "crop")
#: Denoiser noise levels (in /255 units) of the error-versus-sigma curves.
SIGMAS_255: tuple[int, ...] = (5, 10, 15, 25, 35, 50)
N_RANGE: tuple[int, int] = (32, 256)
CROP_RANGE: tuple[int, int] = (8, 32)
#: Longer side of the test image the crop is cut from.
PICKER_SIZE = 256
#: BM3D segfaults on inputs of 8×8 (bm3d 4.0.3, measured); 16 keeps a margin.
BM3D_MIN_SIDE = 16
#: The three errors of a report: field name -> label (the glossary's words).
ERRORS: dict[str, str] = {
    "symmetry": "symmetry error e_J",
    "homogeneity": "homogeneity error",
    "gradient": "RED-gradient error",
}
#: Default input and denoiser of the page.
DEFAULT_SIGMA_255, DEFAULT_NOISE_255, DEFAULT_N, DEFAULT_CROP = 25, 25, 64, 16
SIGNALS_DEFAULT = signals.SIGNALS[0]


@dataclass(frozen=True)
class InputSpec:
    """Which small input the page analyses; hashable, so pages can cache on it.

    Attributes
    ----------
    kind : str
        ``"signal"`` (a 1-D test signal of ``red_core.signals``) or ``"crop"`` (a square
        crop of a grey ``red_core.images`` test image).
    name : str
        Signal or image name.
    size : int
        Signal length ``n`` (:data:`N_RANGE`) or crop side (:data:`CROP_RANGE`).
    top, left : int
        Crop origin in the :func:`picker_image` (ignored for signals).
    noise : float
        Standard deviation of the white Gaussian noise added (pixel units, [0, 1] scale).
    seed : int
        Seed of the signal and of the noise.
    """

    kind: str
    name: str
    size: int
    top: int = 0
    left: int = 0
    noise: float = 25 / 255
    seed: int = 0

    @property
    def unknowns(self) -> int:
        """``n``: the Jacobian is ``n × n``."""
        return self.size if self.kind == "signal" else self.size * self.size


@functools.lru_cache(maxsize=16)
def _picker(name: str, size: int) -> np.ndarray:
    image = images.builtin(name, size)
    image = rgb2gray(image) if image.ndim == 3 else image
    image.setflags(write=False)
    return image


def picker_image(name: str, size: int = PICKER_SIZE) -> np.ndarray:
    """The grey test image crops are cut from (colour images reduced to luminance), longer
    side ``size``; a new array.

    Grey keeps ``J`` at ``size² × size²`` for a crop and its rows and columns are pixels.
    """
    return _picker(name, size).copy()


def crop_limits(image: str, size: int) -> tuple[int, int]:
    """Largest ``top`` and ``left`` of a ``size × size`` crop of :func:`picker_image`."""
    height, width = _picker(image, PICKER_SIZE).shape
    return height - size, width - size


def _check_spec(spec: InputSpec) -> None:
    if spec.kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {spec.kind!r}")
    low, high = N_RANGE if spec.kind == "signal" else CROP_RANGE
    if isinstance(spec.size, bool) or not isinstance(spec.size, (int, np.integer)) \
            or not low <= spec.size <= high:
        what = "signal length n" if spec.kind == "signal" else "crop side"
        raise ValueError(f"{what} must be an integer in [{low}, {high}], got {spec.size!r}")


def make_input(spec: InputSpec) -> np.ndarray:
    """The noisy input ``x`` of ``spec``: ``clean + noise · N(0, I)`` (seeded, not clipped).

    Returns
    -------
    ndarray
        Shape ``(n,)`` for a signal, ``(size, size)`` for a crop.
    """
    _check_spec(spec)
    if spec.kind == "signal":
        clean = signals.make(spec.name, spec.size, spec.seed)
    else:
        clean = diagnostics.crop(_picker(spec.name, PICKER_SIZE), spec.top, spec.left, spec.size)
    return signals.noisy(clean, spec.noise, spec.seed)


def centre_to_origin(row: float, col: float, size: int, shape: tuple[int, int]) -> tuple[int, int]:
    """Origin ``(top, left)`` of the ``size × size`` crop centred at ``(row, col)``, clamped
    so that the crop stays inside an image of ``shape``."""
    height, width = shape
    if size > min(height, width):
        raise ValueError(f"a {size}×{size} crop does not fit in a {height}×{width} image")
    top = int(round(row)) - size // 2
    left = int(round(col)) - size // 2
    return min(max(top, 0), height - size), min(max(left, 0), width - size)


def denoisers_for(kind: str, names: Iterable[str] | None = None) -> list[str]:
    """Registered denoisers whose full Jacobian the page can afford on a ``kind`` input.

    Drops those whose package is missing, those refusing 1-D signals for a signal, and BM3D
    always (about 0.85 s per call on a 16×16 crop, measured: 516 calls ≈ 7 minutes; see
    :func:`probe_report`).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    out = []
    for name in denoisers.names() if names is None else names:
        info = denoisers.describe(name)
        if name == "bm3d" or not info["available"]:
            continue
        if kind == "signal" and not info["supports_1d"]:
            continue
        out.append(name)
    return out


def is_slow(name: str) -> bool:
    """Whether the registry calls ``name`` slow (BM3D, the gradient-step CNN): the page measures
    it only when asked."""
    return denoisers.entry(name).speed == "slow"


def params() -> dict[str, Param]:
    """What the Jacobian lab lets a user set (a page's widgets and URL values), by name.

    Noise levels are whole numbers in units of 1/255 (:mod:`red_core.glossary`); ``top`` and
    ``left`` are offered over the largest image and clamped by the page to the image chosen.
    """
    noise, den = glossary.term("noise_sigma"), glossary.term("denoiser_sigma")
    return {
        "kind": Param("kind", "Input", "signal", kind="choice", choices=KINDS,
                      help="A noisy 1-D test signal (J is n × n) or a noisy grey image crop "
                           "(J is size² × size²)."),
        "denoiser": Param("denoiser", glossary.label("denoiser").capitalize(), "nlm",
                          kind="choice", choices=tuple(denoisers_for("crop")),
                          help="The denoiser D whose Jacobian is measured."),
        "denoiser_sigma": Param("denoiser_sigma", den.label, DEFAULT_SIGMA_255, low=1, high=75,
                                step=1, unit=den.unit, kind="int", symbol=den.symbol,
                                help=den.help.split(". Linked")[0] + "."),
        "signal": Param("signal", glossary.label("signal").capitalize(), SIGNALS_DEFAULT,
                        kind="choice", choices=tuple(signals.SIGNALS),
                        help=glossary.help_text("signal")),
        "n": Param("n", glossary.label("length"), DEFAULT_N, low=N_RANGE[0], high=N_RANGE[1],
                   step=8, kind="int", symbol="n", help="J is n × n and costs 2n denoiser calls."),
        "noise_sigma": Param("noise_sigma", noise.label, DEFAULT_NOISE_255, low=0, high=75,
                             step=1, unit=noise.unit, kind="int", symbol=noise.symbol,
                             help="Noise added to the clean input before the Jacobian is taken "
                                  "(seed 0), in grey levels of 255."),
        "image": Param("image", "Image", "camera", kind="choice", choices=tuple(images.BUILTIN),
                       help="The test image the crop is cut from (reduced to grey)."),
        "size": Param("size", glossary.label("crop_size"), DEFAULT_CROP, low=CROP_RANGE[0],
                      high=CROP_RANGE[1], step=1, kind="int", unit="pixels",
                      help=glossary.help_text("crop_size")),
        "top": Param("top", "Crop top row", (PICKER_SIZE - DEFAULT_CROP) // 2, low=0,
                     high=PICKER_SIZE - CROP_RANGE[0], step=1, kind="int",
                     help="First row of the crop; clicking on the image moves it too."),
        "left": Param("left", "Crop left column", (PICKER_SIZE - DEFAULT_CROP) // 2, low=0,
                      high=PICKER_SIZE - CROP_RANGE[0], step=1, kind="int",
                      help="First column of the crop."),
    }



@dataclass(frozen=True)
class Analysis:
    """One denoiser at one input, from one full Jacobian (see :func:`analyse`).

    Attributes
    ----------
    report : diagnostics.DiagnosticReport
        Every scalar diagnostic.
    x, denoised : ndarray
        The input and ``D(x)``.
    jacobian : ndarray, shape (n, n)
        ``J(x)``, rows = outputs, columns = inputs (C order for crops).
    exact_gradient, red_gradient : ndarray
        ``∇ρ(x) = x − D(x)/2 − J(x)ᵀx/2`` and ``x − D(x)``, of ``x``'s shape.
    """

    report: diagnostics.DiagnosticReport
    x: np.ndarray
    denoised: np.ndarray
    jacobian: np.ndarray
    exact_gradient: np.ndarray
    red_gradient: np.ndarray

    @property
    def antisymmetric(self) -> np.ndarray:
        """``J − Jᵀ`` (zero exactly when the Jacobian is symmetric)."""
        return self.jacobian - self.jacobian.T


def analyse(D: denoisers.Denoiser, x: np.ndarray) -> Analysis:
    """Every diagnostic of ``D`` at ``x`` from one finite-difference Jacobian.

    Same numbers as ``diagnostics.report(D, x)`` (same ``ε``), plus the matrices and the
    two gradients for plotting; ``2n + 4`` denoiser calls.

    Parameters
    ----------
    D : Denoiser
        A built denoiser (``red_core.denoisers.build``).
    x : ndarray
        A small input: at most 4096 unknowns (``diagnostics.jacobian``).
    """
    start, calls = time.perf_counter(), getattr(D, "calls", 0)
    x = np.asarray(x, dtype=np.float64)
    J = diagnostics.jacobian(D, x)
    denoised = np.asarray(D(x), dtype=np.float64)
    exact = red.exact_gradient(x, denoised, lambda v: (J.T @ v.ravel()).reshape(x.shape))
    # The report counts the whole analysis (Jacobian included), not only its own calls.
    report = dataclasses.replace(diagnostics.report(D, x, J=J),
                                 denoiser_calls=getattr(D, "calls", 0) - calls,
                                 seconds=time.perf_counter() - start)
    return Analysis(report, x, denoised, J, exact, red.red_gradient(x, denoised))


def probe_report(D: denoisers.Denoiser, x: np.ndarray, n_probes: int = 16,
                 seed: int = 0) -> tuple[diagnostics.DiagnosticReport, float]:
    """Symmetry (random probes) and homogeneity of an expensive denoiser, ``2m + 3`` calls.

    The gradient error, ``‖J‖₂`` and the eigenvalues need the full Jacobian and are ``nan``
    (``diagnostics.gradient_error`` explains why there is no probe route for ``Jᵀx``).

    Returns
    -------
    report : diagnostics.DiagnosticReport
    symmetry_stderr : float
        Jackknife standard error of the probe estimate of ``e_J``
        (``diagnostics.symmetry_estimate``).
    """
    start = time.perf_counter()
    calls = getattr(D, "calls", 0)
    estimate = diagnostics.symmetry_estimate(D, x, method="probe", n_probes=n_probes, seed=seed)
    homogeneity = diagnostics.homogeneity_error(D, x)
    report = diagnostics.DiagnosticReport(
        name=str(getattr(D, "name", type(D).__name__)),
        sigma=float(getattr(D, "sigma", math.nan)),
        symmetry=estimate.value,
        homogeneity=homogeneity,
        gradient=math.nan,
        lipschitz=math.nan,
        eig_min=math.nan,
        eig_max=math.nan,
        linear=getattr(D, "linear", None),
        symmetric_by_construction=getattr(D, "symmetric", None),
        seconds=time.perf_counter() - start,
        unknowns=int(np.asarray(x).size),
        denoiser_calls=getattr(D, "calls", 0) - calls,
    )
    return report, estimate.stderr


def pool_extreme(matrix: np.ndarray, max_side: int = 256) -> tuple[np.ndarray, int]:
    """Shrink a matrix for display by keeping, in each ``k × k`` block, its entry of largest
    magnitude (sign kept), with the smallest ``k`` making both sides ``<= max_side``.

    Mean pooling would blur away the single large entries of J − Jᵀ that matter here.

    Returns
    -------
    pooled : ndarray
    k : int
        The block side (1: unchanged).
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"matrix must be 2-D, got shape {matrix.shape}")
    if isinstance(max_side, bool) or not isinstance(max_side, (int, np.integer)) or max_side < 1:
        raise ValueError(f"max_side must be a positive integer, got {max_side!r}")
    k = max(1, math.ceil(max(matrix.shape) / max_side))
    if k == 1:
        return matrix, 1
    rows, cols = (math.ceil(s / k) * k for s in matrix.shape)
    padded = np.zeros((rows, cols), dtype=matrix.dtype)
    padded[: matrix.shape[0], : matrix.shape[1]] = matrix
    blocks = padded.reshape(rows // k, k, cols // k, k).transpose(0, 2, 1, 3)
    blocks = blocks.reshape(rows // k, cols // k, k * k)
    index = np.argmax(np.abs(blocks), axis=-1)
    return np.take_along_axis(blocks, index[..., None], axis=-1)[..., 0], k


def survey_rows(records: Iterable[Mapping[str, Any]],
                labels: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One table row per ``DiagnosticReport.as_dict()`` record, with snake_case keys a page
    labels from :mod:`red_core.glossary`: ``denoiser`` (its label, from ``labels`` or the
    registry), ``name``, ``symmetric_by_design``, ``linear``, the three :data:`ERRORS`,
    ``lipschitz_J`` (``‖J‖₂``), ``eig_min``, ``eig_max``, ``seconds``, ``denoiser_calls``
    (``nan`` kept: not measured)."""
    labels = labels or {}
    return [{
        "denoiser": labels.get(r["name"], denoisers.label(r["name"])),
        "name": r["name"],
        "symmetric_by_design": bool(r["symmetric_by_construction"]),
        "linear": bool(r["linear"]),
        **{field: r[field] for field in ERRORS},
        "lipschitz_J": r["lipschitz"],
        "eig_min": r["eig_min"],
        "eig_max": r["eig_max"],
        "seconds": r["seconds"],
        "denoiser_calls": r["denoiser_calls"],
    } for r in records]
