r"""Grid evaluations behind the "Score and Tweedie" page (built on :mod:`red_core.score`).

Tweedie's formula for the MMSE denoiser of :math:`z = x + \sigma n`, :math:`n \sim
\mathcal N(0, I)`,

.. math:: D^*_\sigma(z) = z + \sigma^2 \nabla \log p_\sigma(z), \qquad
          z - D^*_\sigma(z) = -\sigma^2 \nabla \log p_\sigma(z),

says that the RED gradient of the MMSE denoiser is a scaled negative score. This module
evaluates both sides on 1-D grids (:func:`tweedie_1d`), the RED field :math:`x - D(x)` of a
2-D denoiser with its curl and divergence (:func:`field_denoiser`, :func:`curl_summary`), and
the small geometry the page needs (plot boxes, grids, start points, quiver arrows).

In 2-D the curl :math:`\partial_x F_y - \partial_y F_x` of a field :math:`F` is the
antisymmetric part of its Jacobian: zero exactly when the Jacobian is symmetric, i.e. when
:math:`F` is (locally) the gradient of a function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from red_core import glossary
from red_core.params import Param
from red_core.theory.score import (
    GaussianMixture,
    curl_2d,
    nonsymmetric_field_denoiser,
    preset,
    preset_names,
)

__all__ = [
    "FIELD_DENOISERS",
    "CurlSummary",
    "Tweedie1D",
    "arrow_segments",
    "components_1d",
    "count_modes",
    "curl_summary",
    "divergence_2d",
    "field_denoiser",
    "grid_2d",
    "mixture_1d",
    "outside_box",
    "params",
    "parse_points",
    "plot_box",
    "random_starts",
    "red_field",
    "tweedie_1d",
]

#: The 2-D denoisers of the page: id -> label.
FIELD_DENOISERS: dict[str, str] = {
    "mmse": "MMSE (symmetric Jacobian)",
    "rotated": "non-symmetric (rotated)",
}

#: Relative curl (mean |curl| / mean |div|) below which a field counts as a gradient field;
#: finite differences of a true gradient field give ~1e-11, any visible rotation > 1e-3.
GRADIENT_TOLERANCE = 1e-6

_ROT90 = np.array([[0.0, -1.0], [1.0, 0.0]])

#: Components of a 1-D prior the page offers, and the values of those no preset sets
#: (mean, std, weight).
MAX_COMPONENTS = 4
EXTRA_COMPONENTS: tuple[tuple[float, float, float], ...] = (
    (-1.5, 0.3, 0.6), (1.5, 0.5, 0.4), (0.0, 0.4, 0.3), (3.0, 0.3, 0.3))
#: At most this many typed start points (each is a trajectory to compute and draw).
MAX_TYPED_POINTS = 40


def params() -> dict[str, Param]:
    """What the "Score and Tweedie" page lets a user set (widgets and URL values), by name.

    The component defaults are those of the first 1-D preset (then :data:`EXTRA_COMPONENTS`).
    The noise σ of this page is in units of the toy prior's values, not of pixels
    (``glossary.term("score_sigma")``).
    """
    sigma = glossary.term("score_sigma")
    first = components_1d(preset(preset_names(1)[0]))
    start = [first[i] if i < len(first) else EXTRA_COMPONENTS[i] for i in range(MAX_COMPONENTS)]
    out = {
        "gm1_preset": Param("gm1_preset", "Start from a preset", preset_names(1)[0],
                            kind="choice", choices=preset_names(1),
                            help="Sets the components below; then shape them freely."),
        "gm1_k": Param("gm1_k", "Components", len(first), low=1, high=MAX_COMPONENTS, step=1,
                       kind="int", help="Number of Gaussian components of the prior p."),
        "tweedie_sigma": Param("tweedie_sigma", sigma.label, 0.5, low=0.01, high=1.5,
                               step=0.01, symbol=sigma.symbol, unit=sigma.unit,
                               help="Standard deviation of the noise the MMSE denoiser removes "
                                    "(in units of x, not of pixels)."),
    }
    for i, (mean, std, weight) in enumerate(start):
        out[f"gm1_mean_{i}"] = Param(f"gm1_mean_{i}", "mean", round(mean, 3), low=-4.0,
                                     high=4.0, step=0.1, help="Centre of this component.")
        out[f"gm1_std_{i}"] = Param(f"gm1_std_{i}", "width (std)", round(std, 3), low=0.05,
                                    high=2.0, step=0.05, help="Standard deviation of this "
                                    "component.")
        out[f"gm1_w_{i}"] = Param(f"gm1_w_{i}", "weight", round(weight, 3), low=0.05, high=1.0,
                                  step=0.05, help="Relative weight (the weights are "
                                  "normalised).")
    out.update({
        "gm2_preset": Param("gm2_preset", "2-D prior", preset_names(2)[0], kind="choice",
                            choices=preset_names(2), help="A 2-D Gaussian-mixture prior p."),
        "gm2_sigma": Param("gm2_sigma", sigma.label, 0.4, low=0.05, high=1.5, step=0.05,
                           symbol=sigma.symbol, unit=sigma.unit, help=sigma.help),
        "field_denoiser": Param("field_denoiser", "Denoiser", "mmse", kind="choice",
                                choices=tuple(FIELD_DENOISERS),
                                help="The exact MMSE denoiser, or one with the same fixed "
                                     "points and a rotated, non-symmetric Jacobian."),
        "rotation_strength": Param("rotation_strength", "Rotation strength s", 1.0, low=0.0,
                                   high=2.0, step=0.1, help="D(x) = D*(x) + s·R₉₀(x − D*(x)): "
                                   "same fixed points, non-symmetric Jacobian."),
        "n_starts": Param("n_starts", "Random starts", 12, low=0, high=40, step=1, kind="int",
                          help="Start points of RED descent drawn in the frame."),
        "descent_seed": Param("descent_seed", glossary.label("seed").capitalize(), 0, low=0,
                              high=10_000, step=1, kind="int", help="Draws the random starts."),
        "descent_step": Param("descent_step", "Step μ", 0.5, low=0.05, high=1.0, step=0.05,
                              help="RED descent x ← x − μ(x − D(x)): gradient ascent on "
                                   "log p_σ with step μσ²."),
        "descent_n_steps": Param("descent_n_steps", "Steps", 60, low=5, high=150, step=5,
                                 kind="int", help="Iterations of RED descent."),
        "custom_starts": Param("custom_starts", "Your own start points (x₁, x₂; …)", "",
                               kind="object", help="Points 'x, y' separated by ';' (at most "
                               f"{MAX_TYPED_POINTS})."),
    })
    return out


# ---------------------------------------------------------------------- 1-D mixtures
def mixture_1d(means, stds, weights) -> GaussianMixture:
    """A 1-D Gaussian mixture from means, standard deviations and (unnormalised) weights.

    Parameters
    ----------
    means, stds, weights : array_like, shape (K,)
        Component means, standard deviations (> 0) and positive weights (normalised by
        :class:`~red_core.score.GaussianMixture`).

    Returns
    -------
    GaussianMixture
        With variances ``stds ** 2``.
    """
    mu = np.asarray(means, dtype=float).ravel()
    std = np.asarray(stds, dtype=float).ravel()
    w = np.asarray(weights, dtype=float).ravel()
    if not (mu.size == std.size == w.size) or mu.size == 0:
        raise ValueError(
            "means, stds and weights must be non-empty with one value per component; "
            f"got {mu.size}, {std.size} and {w.size} values"
        )
    if not np.all(np.isfinite(std)) or np.any(std <= 0.0):
        raise ValueError("stds must be finite and > 0")
    return GaussianMixture(w, mu, std**2)


def components_1d(gm: GaussianMixture) -> list[tuple[float, float, float]]:
    """``(mean, std, weight)`` of each component of a 1-D mixture (inverse of
    :func:`mixture_1d`, with normalised weights)."""
    if gm.dim != 1:
        raise ValueError(f"components_1d needs a 1-D mixture, got dim = {gm.dim}")
    stds = np.sqrt(gm.covariances[:, 0, 0])
    return [
        (float(m), float(s), float(w))
        for m, s, w in zip(gm.means[:, 0], stds, gm.weights, strict=True)
    ]


def count_modes(score_values) -> int:
    """Number of local maxima of a density sampled on an increasing grid, from its score.

    A mode is where :math:`(\\log p)'` changes sign from + to −.

    Parameters
    ----------
    score_values : array_like, shape (n,)
        :math:`\\nabla \\log p` on an increasing grid.
    """
    sign = np.sign(np.asarray(score_values, dtype=float).ravel())
    sign = sign[sign != 0.0]  # a score exactly 0 on a grid point: look at its neighbours
    return int(np.count_nonzero((sign[:-1] > 0) & (sign[1:] < 0)))


@dataclass(frozen=True)
class Tweedie1D:
    """Both sides of Tweedie's identity for a 1-D mixture on a grid (see :func:`tweedie_1d`)."""

    x: np.ndarray
    prior: np.ndarray
    blurred: np.ndarray
    mmse: np.ndarray
    red_gradient: np.ndarray
    scaled_score: np.ndarray
    max_abs_difference: float
    modes_prior: int
    modes_blurred: int
    max_slope: float


def tweedie_1d(gm: GaussianMixture, sigma: float, x) -> Tweedie1D:
    r"""Evaluate Tweedie's identity for a 1-D mixture on the grid ``x``.

    Parameters
    ----------
    gm : GaussianMixture
        A 1-D mixture prior :math:`p`.
    sigma : float
        Noise standard deviation (> 0).
    x : array_like, shape (n,)
        Increasing grid.

    Returns
    -------
    Tweedie1D
        ``prior`` :math:`p(x)`, ``blurred`` :math:`p_\sigma(x)`, ``mmse`` :math:`D^*_\sigma(x)`,
        ``red_gradient`` :math:`x - D^*_\sigma(x)` (from the posterior-weighted Wiener
        estimates), ``scaled_score`` :math:`-\sigma^2 \nabla \log p_\sigma(x)` (from the score
        formula, computed independently), ``max_abs_difference`` the largest absolute gap
        between the two (round-off), ``modes_prior`` / ``modes_blurred`` the number of modes
        of :math:`p` and :math:`p_\sigma` on the grid, and ``max_slope`` the largest
        :math:`D^{*\prime}(x) = \mathrm{Var}[x_0 \mid x] / \sigma^2` (above 1: :math:`D^*` is
        locally expansive).
    """
    if gm.dim != 1:
        raise ValueError(f"tweedie_1d needs a 1-D mixture, got dim = {gm.dim}")
    sigma = float(sigma)
    if not np.isfinite(sigma) or sigma <= 0.0:
        raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")
    grid = np.asarray(x, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or np.any(np.diff(grid) <= 0.0):
        raise ValueError("x must be an increasing 1-D grid of at least 2 points")
    mmse = gm.mmse(grid, sigma)
    red_gradient = grid - mmse
    scaled_score = -(sigma**2) * gm.score(grid, sigma)
    return Tweedie1D(
        x=grid,
        prior=gm.density(grid),
        blurred=gm.density(grid, sigma),
        mmse=mmse,
        red_gradient=red_gradient,
        scaled_score=scaled_score,
        max_abs_difference=float(np.max(np.abs(red_gradient - scaled_score))),
        modes_prior=count_modes(gm.score(grid, 0.0)),
        modes_blurred=count_modes(-scaled_score),
        max_slope=float(np.max(gm.jacobian_mmse(grid, sigma))),
    )


# ---------------------------------------------------------------------- geometry
def plot_box(gm: GaussianMixture, n_std: float = 3.0, pad: float = 0.5,
             square: bool = True) -> np.ndarray:
    """A box around the prior: component means ± ``n_std`` standard deviations, plus ``pad``.

    Parameters
    ----------
    gm : GaussianMixture
        The prior (any dimension).
    n_std : float
        Number of standard deviations (along each axis) around each mean (>= 0).
    pad : float
        Extra margin on every side (>= 0).
    square : bool
        Give every axis the largest half-width (equal aspect in 2-D).

    Returns
    -------
    numpy.ndarray, shape (d, 2)
        ``[low, high]`` per axis.
    """
    if not (np.isfinite(n_std) and n_std >= 0.0 and np.isfinite(pad) and pad >= 0.0):
        raise ValueError(f"n_std and pad must be finite and >= 0, got {n_std!r} and {pad!r}")
    spread = n_std * np.sqrt(np.diagonal(gm.covariances, axis1=1, axis2=2))
    low = np.min(gm.means - spread, axis=0) - pad
    high = np.max(gm.means + spread, axis=0) + pad
    if square:
        centre, half = 0.5 * (low + high), 0.5 * np.max(high - low)
        low, high = centre - half, centre + half
    return np.stack([low, high], axis=1)


def grid_2d(box, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regular ``n × n`` grid over a 2-D box.

    Returns
    -------
    xs, ys : numpy.ndarray, shape (n,)
        Axis coordinates.
    points : numpy.ndarray, shape (n, n, 2)
        ``points[i, j] = (xs[j], ys[i])`` (row = y, the layout of a heatmap / contour ``z``).
    """
    bounds = np.asarray(box, dtype=float)
    if bounds.shape != (2, 2) or np.any(bounds[:, 1] <= bounds[:, 0]):
        raise ValueError(f"box must be [[x_low, x_high], [y_low, y_high]], got {box!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    xs = np.linspace(*bounds[0], int(n))
    ys = np.linspace(*bounds[1], int(n))
    return xs, ys, np.stack(np.meshgrid(xs, ys), axis=-1)


def random_starts(box, n: int, seed: int) -> np.ndarray:
    """``n`` start points drawn uniformly in the box (reproducible from ``seed``), shape (n, d)."""
    bounds = np.asarray(box, dtype=float)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be an integer >= 0, got {n!r}")
    rng = np.random.default_rng(seed)
    return rng.uniform(bounds[:, 0], bounds[:, 1], size=(int(n), bounds.shape[0]))


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_POINT = re.compile(rf"^\s*\(?\s*({_NUMBER})\s*[, ]\s*({_NUMBER})\s*\)?\s*$")


def parse_points(text: str, max_points: int = MAX_TYPED_POINTS,
                 max_abs: float = 1e3) -> np.ndarray:
    """Parse 2-D points typed as ``"x, y; x, y"`` (parentheses optional): at most
    ``max_points`` of them, each coordinate finite and within ``±max_abs``.

    Returns
    -------
    numpy.ndarray, shape (n, 2)
        Empty ``(0, 2)`` for blank text.

    Raises
    ------
    ValueError
        Naming the piece that is not a point ``x, y`` (or too many points, or one too far).
    """
    pieces = [piece for piece in re.split(r"[;\n]", text or "") if piece.strip()]
    if len(pieces) > max_points:
        raise ValueError(f"{len(pieces)} points: at most {max_points}")
    points = []
    for piece in pieces:
        match = _POINT.match(piece)
        if match is None:
            raise ValueError(
                f"could not read {piece.strip()!r} as a point: write points as 'x, y' "
                "separated by ';', e.g. '0, 0; 1.5, -1'"
            )
        point = (float(match[1]), float(match[2]))
        if not all(np.isfinite(point)) or max(map(abs, point)) > max_abs:
            raise ValueError(f"{piece.strip()!r} is too far out: coordinates up to "
                             f"±{max_abs:g}")
        points.append(point)
    return np.array(points, dtype=float).reshape(-1, 2)


def outside_box(trajectories, box) -> np.ndarray:
    """Which trajectories end outside the box (diverged or left the frame).

    Parameters
    ----------
    trajectories : array_like, shape (n_steps + 1, n, d)
        As returned by :func:`red_core.score.descend`.
    box : array_like, shape (d, 2)

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    last = np.asarray(trajectories, dtype=float)[-1]
    bounds = np.asarray(box, dtype=float)
    inside = np.all((last >= bounds[:, 0]) & (last <= bounds[:, 1]), axis=-1)
    return ~inside


def arrow_segments(points, vectors, max_length: float, quantile: float = 0.9,
                   head: float = 0.35, head_angle: float = 25.0) -> tuple[np.ndarray, np.ndarray]:
    """Quiver arrows as one polyline with NaN separators (a single plotly Scatter trace).

    Lengths are proportional to ``|vector|`` with the ``quantile``-th magnitude drawn at
    ``max_length``; longer vectors are clipped to ``max_length`` (the far field of a mixture
    grows linearly and would hide everything else).

    Parameters
    ----------
    points : array_like, shape (..., 2)
        Arrow tails.
    vectors : array_like, shape (..., 2)
        Arrow directions and magnitudes.
    max_length : float
        Longest drawn arrow (> 0), typically ~0.9 grid cell.
    quantile : float
        In (0, 1]: the magnitude quantile drawn at ``max_length``.
    head : float
        Head length as a fraction of the arrow length.
    head_angle : float
        Half-angle of the head, degrees.

    Returns
    -------
    xs, ys : numpy.ndarray, shape (7 n,)
        Per arrow: tail, tip, gap, barb, tip, barb, gap.
    """
    tails = np.asarray(points, dtype=float).reshape(-1, 2)
    vec = np.asarray(vectors, dtype=float).reshape(-1, 2)
    if tails.shape != vec.shape:
        raise ValueError(f"points and vectors must have the same shape, got {tails.shape} "
                         f"and {vec.shape}")
    if not (np.isfinite(max_length) and max_length > 0.0):
        raise ValueError(f"max_length must be a finite number > 0, got {max_length!r}")
    if not 0.0 < quantile <= 1.0:
        raise ValueError(f"quantile must lie in (0, 1], got {quantile!r}")
    norm = np.linalg.norm(vec, axis=1)
    ref = np.quantile(norm, quantile) if norm.size else 0.0
    if ref <= 0.0:
        ref = 1.0  # an all-zero field: zero-length arrows
    length = max_length * np.minimum(norm / ref, 1.0)
    unit = np.divide(vec, norm[:, None], out=np.zeros_like(vec), where=norm[:, None] > 0)
    tips = tails + length[:, None] * unit
    angle = np.deg2rad(head_angle)
    barbs = []
    for turn in (angle, -angle):
        c, s = np.cos(turn), np.sin(turn)
        back = -unit @ np.array([[c, s], [-s, c]])  # the reversed direction turned by ±angle
        barbs.append(tips + head * length[:, None] * back)
    gap = np.full_like(tails, np.nan)
    stacked = np.stack([tails, tips, gap, barbs[0], tips, barbs[1], gap], axis=1)
    return stacked[..., 0].ravel(), stacked[..., 1].ravel()


# ---------------------------------------------------------------------- 2-D fields
def field_denoiser(gm: GaussianMixture, sigma: float, kind: str,
                   strength: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    """The 2-D denoiser of the page: ``"mmse"`` (exact, symmetric Jacobian) or ``"rotated"``
    (:func:`red_core.score.nonsymmetric_field_denoiser` with rotation ``strength``)."""
    if kind == "mmse":
        return gm.denoiser(sigma)
    if kind == "rotated":
        return nonsymmetric_field_denoiser(gm, sigma, strength)
    raise ValueError(f"unknown denoiser kind {kind!r}; allowed: {', '.join(FIELD_DENOISERS)}")


def red_field(denoiser: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """The RED field ``x -> x - D(x)`` of a denoiser."""

    def field(x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=float) - denoiser(x)

    return field


def divergence_2d(field: Callable[[np.ndarray], np.ndarray], points,
                  h: float = 1e-3) -> np.ndarray:
    r"""Divergence :math:`\partial_x F_x + \partial_y F_y` of a 2-D field, shape of the batch.

    Uses :func:`red_core.score.curl_2d` on the rotated field :math:`R_{90} F = (-F_y, F_x)`,
    whose curl is the divergence of :math:`F` (same fourth-order stencil).
    """

    def rotated(x: np.ndarray) -> np.ndarray:
        return np.asarray(field(x), dtype=float) @ _ROT90.T

    return curl_2d(rotated, points, h)


@dataclass(frozen=True)
class CurlSummary:
    """Curl and divergence of a 2-D field on a grid (see :func:`curl_summary`)."""

    curl: np.ndarray
    divergence: np.ndarray
    mean_abs_curl: float
    mean_abs_divergence: float
    relative_curl: float
    is_gradient: bool


def curl_summary(field: Callable[[np.ndarray], np.ndarray], points, h: float = 1e-3,
                 tol: float = GRADIENT_TOLERANCE) -> CurlSummary:
    """How far a 2-D field is from a gradient field, on a set of points.

    Parameters
    ----------
    field : callable
        ``(n, 2) -> (n, 2)``, e.g. :func:`red_field` of a denoiser.
    points : array_like, shape (..., 2)
        Evaluation points (e.g. the ``(n, n, 2)`` grid of :func:`grid_2d`).
    h : float
        Finite-difference step.
    tol : float
        ``is_gradient`` is ``relative_curl < tol``.

    Returns
    -------
    CurlSummary
        ``curl`` and ``divergence`` (batch shape of ``points``), their mean absolute values,
        and ``relative_curl = mean|curl| / mean|div|`` (scale-free: ~1e-11 for a gradient
        field by finite differences; for the rotated MMSE field it equals the rotation
        strength, since its curl is :math:`-s` times its divergence point by point).
    """
    curl = curl_2d(field, points, h)
    div = divergence_2d(field, points, h)
    mean_curl = float(np.mean(np.abs(curl)))
    mean_div = float(np.mean(np.abs(div)))
    if mean_div > 0.0:
        relative = mean_curl / mean_div
    else:
        relative = 0.0 if mean_curl == 0.0 else float("inf")
    return CurlSummary(curl, div, mean_curl, mean_div, relative, bool(relative < tol))
