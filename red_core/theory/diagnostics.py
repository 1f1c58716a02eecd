r"""Jacobian diagnostics of a denoiser: is RED's gradient the gradient of anything?

RED's gradient ``x − D(x)`` equals the gradient of ``ρ(x) = ½ xᵀ(x − D(x))`` only when the
Jacobian ``J(x) = ∂D/∂x`` is symmetric and ``D`` is locally homogeneous (``J(x) x = D(x)``);
in general (Reehorst & Schniter 2019)

.. math::
    \nabla\rho(x) = x - \tfrac12 D(x) - \tfrac12 J(x)^\top x .

This module measures, by central finite differences of ``D`` only (no autodiff, no adjoint):

* the symmetry error :math:`e_J = \|J - J^\top\|_F^2 / \|J\|_F^2` (:func:`symmetry_error`),
* the homogeneity error :math:`\|J(x)x - D(x)\|^2 / \|D(x)\|^2` (:func:`homogeneity_error`),
* the gradient error :math:`\|\nabla\rho(x) - (x - D(x))\| / \|\nabla\rho(x)\|`
  (:func:`gradient_error`),
* a local Lipschitz constant :math:`\|J(x)\|_2` (:func:`lipschitz_estimate`) and the extreme
  eigenvalues of the symmetric part :math:`(J + J^\top)/2` (:func:`symmetric_part_eigs`),

all at once in :func:`report` / :func:`survey`.

Finite differences
------------------
A Jacobian-vector product is the central difference

.. math:: J(x) v \approx \frac{D(x + h v) - D(x - h v)}{2h}, \qquad h = \varepsilon / \|v\|_\infty,

so that no entry of ``x`` moves by more than ``ε``; the default is
``ε = 1e-3 · ‖x‖/√n`` (a thousandth of the RMS value of ``x``; ``1e-3`` when ``x = 0``), as
in ``THEORY.md``.  Column ``j`` of the full Jacobian is the product with ``e_j``, so
:func:`jacobian` costs ``2n`` denoiser calls; it is meant for 1-D signals and small crops
(:func:`crop`).  For a linear ``D`` central differences are exact up to round-off
(``~1e-13`` relative); for smooth nonlinear ``D`` the error is ``O(ε²)``.  Piecewise-smooth
denoisers (median: piecewise linear; BM3D and wavelets: thresholds; TV: a data-dependent
iteration count) have kinks: a column whose ±ε perturbation crosses one gets the average of
the two one-sided slopes.  ``bench/jacobian_errors.py`` recomputes ``e_J`` at ``ε/10`` and
``10ε`` to show how much the numbers depend on that choice (``docs/BENCHMARKS.md``).

Denoisers are any callables ``D(x)`` returning an array of ``x``'s shape (for instance
``red_core.denoisers.build(...)``); 1-D, grey and colour inputs are flattened to ``n``
unknowns, ``J`` is ``(n, n)`` in C order.

Examples
--------
>>> import numpy as np
>>> from red_core import denoisers, diagnostics
>>> x = np.random.default_rng(0).random(64)
>>> symmetry_error(denoisers.build("gaussian", 0.1), x) < 1e-20
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from red_core.theory import regulariser as red

__all__ = [
    "DiagnosticReport",
    "SymmetryEstimate",
    "crop",
    "default_eps",
    "gradient_error",
    "homogeneity_error",
    "jacobian",
    "jvp",
    "lipschitz_estimate",
    "report",
    "survey",
    "symmetric_part_eigs",
    "symmetry_error",
    "symmetry_estimate",
]

Denoiser = Callable[[np.ndarray], np.ndarray]

#: Largest number of unknowns for which :func:`symmetry_error` (``method="auto"``) builds the
#: full Jacobian; above it, random probes.
AUTO_FULL_MAX = 1024
_METHODS = ("auto", "full", "probe")


# --------------------------------------------------------------------------- finite differences


def _as_point(x: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        raise ValueError("x must not be empty")
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or infinite values")
    return x


def default_eps(x: np.ndarray) -> float:
    """The default finite-difference size ``ε = 1e-3 · ‖x‖/√n`` (``1e-3`` when ``x = 0``)."""
    x = np.asarray(x, dtype=np.float64)
    rms = float(np.linalg.norm(x)) / math.sqrt(max(x.size, 1))
    return 1e-3 * rms if rms > 0 else 1e-3


def _check_eps(eps: float | None, x: np.ndarray) -> float:
    if eps is None:
        return default_eps(x)
    if isinstance(eps, bool) or not (isinstance(eps, (int, float, np.floating)) and eps > 0
                                     and math.isfinite(eps)):
        raise ValueError(f"eps must be a finite number > 0 (or None for the default), got {eps!r}")
    return float(eps)


def _call(D: Denoiser, x: np.ndarray) -> np.ndarray:
    out = np.asarray(D(x), dtype=np.float64)
    if out.shape != x.shape:
        raise ValueError(f"the denoiser returned shape {out.shape} for an input of shape "
                         f"{x.shape}; diagnostics need D(x) of x's shape")
    return out


def _jvp(D: Denoiser, x: np.ndarray, v: np.ndarray, eps: float) -> np.ndarray:
    """Central difference along ``v`` (validated inputs), no entry moving by more than ``eps``."""
    vmax = float(np.max(np.abs(v)))
    if vmax == 0:
        return np.zeros_like(x)
    h = eps / vmax
    return (_call(D, x + h * v) - _call(D, x - h * v)) / (2 * h)


def jvp(D: Denoiser, x: np.ndarray, v: np.ndarray, eps: float | None = None) -> np.ndarray:
    """Jacobian-vector product ``J(x) v`` by central differences (2 denoiser calls).

    Parameters
    ----------
    D : callable
        The denoiser.
    x : ndarray
        The point (any shape ``D`` accepts).
    v : ndarray
        The direction, of ``x``'s shape.
    eps : float, optional
        Largest change of any entry of ``x``: the step is ``h = eps / ‖v‖_∞``.  Default
        :func:`default_eps`.

    Returns
    -------
    ndarray
        ``(D(x + h v) − D(x − h v)) / 2h``, of ``x``'s shape.
    """
    x = _as_point(x)
    v = np.asarray(v, dtype=np.float64)
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x {x.shape}, got {v.shape}")
    return _jvp(D, x, v, _check_eps(eps, x))


def jacobian(D: Denoiser, x: np.ndarray, eps: float | None = None,
             max_unknowns: int = 4096) -> np.ndarray:
    """The full Jacobian ``J(x)`` by central differences, one column per unknown.

    Column ``j`` is ``(D(x + ε e_j) − D(x − ε e_j)) / 2ε``: ``2n`` denoiser calls for ``n``
    unknowns (no batching: a generic denoiser is neither local nor batched).

    Parameters
    ----------
    D : callable
        The denoiser.
    x : ndarray
        The point, any shape; flattened in C order.
    eps : float, optional
        Finite-difference step, default ``1e-3 · ‖x‖/√n`` (:func:`default_eps`).
    max_unknowns : int
        Refuse larger ``x`` (the cost and the ``n × n`` matrix grow quadratically).

    Returns
    -------
    ndarray, shape (n, n)
        ``J[i, j] = ∂D(x)_i / ∂x_j``.

    Raises
    ------
    ValueError
        ``x.size > max_unknowns``: use a smaller crop (:func:`crop`) or the probe estimators.
    """
    x = _as_point(x)
    _check_size(x, max_unknowns, "the full Jacobian")
    eps = _check_eps(eps, x)
    n = x.size
    J = np.empty((n, n))
    e = np.zeros(n)
    for j in range(n):
        e[j] = 1.0
        J[:, j] = _jvp(D, x, e.reshape(x.shape), eps).ravel()
        e[j] = 0.0
    return J


def _check_size(x: np.ndarray, max_unknowns: int, what: str) -> None:
    if x.size > max_unknowns:
        raise ValueError(
            f"{what} of a {x.shape} input has {x.size} unknowns, more than max_unknowns = "
            f"{max_unknowns} ({2 * x.size} denoiser calls, an {x.size}² matrix): use a smaller "
            f"crop, e.g. diagnostics.crop(image, top, left, 32) (1024 unknowns), or raise "
            f"max_unknowns")


def _jacobian_or(J: np.ndarray | None, D: Denoiser, x: np.ndarray, eps: float | None,
                 max_unknowns: int) -> np.ndarray:
    if J is None:
        return jacobian(D, x, eps=eps, max_unknowns=max_unknowns)
    J = np.asarray(J, dtype=np.float64)
    if J.shape != (x.size, x.size):
        raise ValueError(f"J must have shape {(x.size, x.size)} for x of shape {x.shape}, "
                         f"got {J.shape}")
    return J


# --------------------------------------------------------------------------- symmetry


@dataclass(frozen=True)
class SymmetryEstimate:
    """The symmetry error ``e_J = ‖J − Jᵀ‖²_F / ‖J‖²_F`` and how it was obtained.

    Attributes
    ----------
    value : float
        The estimate of ``e_J``.
    stderr : float
        Its standard error (jackknife over probes); 0 for ``method="full"`` (exact up to the
        finite-difference error).
    method : str
        ``"full"`` or ``"probe"``.
    n_probes : int
        Number of probe vectors (0 for ``"full"``).
    denoiser_calls : int
        Calls of ``D`` spent.
    """

    value: float
    stderr: float
    method: str
    n_probes: int
    denoiser_calls: int


def _ratio(num: float, den: float) -> float:
    if den > 0:
        return num / den
    return 0.0 if num == 0 else math.inf


def _full_symmetry(J: np.ndarray) -> float:
    return _ratio(float(np.sum((J - J.T) ** 2)), float(np.sum(J * J)))


def _probe_symmetry(G: np.ndarray, norms2: np.ndarray) -> float:
    """Pair estimate of ``e_J`` from ``G[i, j] = v_iᵀ J v_j`` and ``norms2[k] = ‖J v_k‖²``."""
    m = G.shape[0]
    iu = np.triu_indices(m, 1)
    num = float(np.mean((G[iu] - G.T[iu]) ** 2))
    return _ratio(num, float(np.mean(norms2)))


def symmetry_estimate(D: Denoiser, x: np.ndarray, method: str = "auto", n_probes: int = 16,
                      seed: int = 0, eps: float | None = None,
                      max_unknowns: int = 4096) -> SymmetryEstimate:
    r"""Estimate the symmetry error ``e_J = ‖J − Jᵀ‖²_F / ‖J‖²_F`` with a standard error.

    ``"full"`` builds the Jacobian (:func:`jacobian`, ``2n`` calls).  ``"probe"`` works on
    whole images with ``2m`` calls (``m = n_probes``): draw Gaussian probes
    ``v_1 … v_m ~ N(0, I)``, compute ``J v_k`` (one :func:`jvp` each) and
    ``G_ij = v_iᵀ J v_j``.  For independent Gaussian ``u, v``,
    ``E[(uᵀJv − vᵀJu)²] = E[(uᵀ(J − Jᵀ)v)²] = ‖J − Jᵀ‖²_F`` and ``E‖Jv‖² = ‖J‖²_F``, so

    .. math::
        \hat e_J = \frac{\binom m2^{-1} \sum_{i<j} (G_{ij} - G_{ji})^2}
                        {m^{-1} \sum_k \|J v_k\|^2}

    estimates ``e_J`` (every pair of probes is a sample of the numerator: ``m(m−1)/2``
    samples from ``m`` products, instead of one per two products).  One pair sample has
    relative standard deviation about ``√2`` (a scaled χ²₁) and the pairs are only weakly
    dependent, so for a Jacobian of high rank the relative standard error is about ``2/m``
    (≈ 12 % for ``m = 16``); the denominator averages ``n``-dimensional norms and is much
    more precise.  The reported ``stderr`` is the jackknife over probes (leave one probe
    out), which includes both effects and the bias of the ratio.

    Parameters
    ----------
    D : callable
        The denoiser.
    x : ndarray
        The point (1-D, grey or colour).
    method : {"auto", "full", "probe"}
        ``"auto"`` is ``"full"`` when ``x.size <= 1024``, else ``"probe"``.
    n_probes : int
        Number ``m >= 3`` of probe vectors (``"probe"`` only).
    seed : int
        Seed of the probes.
    eps : float, optional
        Finite-difference size (:func:`default_eps`).
    max_unknowns : int
        Limit of ``"full"`` (:func:`jacobian`).

    Returns
    -------
    SymmetryEstimate
    """
    x = _as_point(x)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if method == "auto":
        method = "full" if x.size <= AUTO_FULL_MAX else "probe"
    if method == "full":
        J = jacobian(D, x, eps=eps, max_unknowns=max_unknowns)
        return SymmetryEstimate(_full_symmetry(J), 0.0, "full", 0, 2 * x.size)
    if isinstance(n_probes, bool) or not isinstance(n_probes, (int, np.integer)) or n_probes < 3:
        raise ValueError(f"n_probes must be an integer >= 3, got {n_probes!r}")
    eps = _check_eps(eps, x)
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((n_probes, x.size))
    JV = np.stack([_jvp(D, x, v.reshape(x.shape), eps).ravel() for v in V])
    G = V @ JV.T  # G[i, j] = v_iᵀ J v_j
    norms2 = np.sum(JV * JV, axis=1)
    value = _probe_symmetry(G, norms2)
    keep = np.ones(n_probes, dtype=bool)
    loo = np.empty(n_probes)
    for k in range(n_probes):
        keep[k] = False
        loo[k] = _probe_symmetry(G[np.ix_(keep, keep)], norms2[keep])
        keep[k] = True
    stderr = math.sqrt((n_probes - 1) / n_probes * float(np.sum((loo - loo.mean()) ** 2)))
    return SymmetryEstimate(value, stderr, "probe", int(n_probes), 2 * int(n_probes))


def symmetry_error(D: Denoiser, x: np.ndarray, method: str = "auto", n_probes: int = 16,
                   seed: int = 0, eps: float | None = None) -> float:
    """The symmetry error ``e_J = ‖J − Jᵀ‖²_F / ‖J‖²_F`` (see :func:`symmetry_estimate`).

    ``e_J`` lies in [0, 4]: 0 for a symmetric Jacobian, about 2 for a random (i.i.d.) one,
    4 for an antisymmetric one; round-off gives ``~1e-25`` for a linear symmetric denoiser
    with the full method.
    """
    return symmetry_estimate(D, x, method=method, n_probes=n_probes, seed=seed, eps=eps).value


# --------------------------------------------------------------------------- homogeneity, gradient


def homogeneity_error(D: Denoiser, x: np.ndarray, eps: float | None = None) -> float:
    """``‖J(x) x − D(x)‖² / ‖D(x)‖²``, with ``J(x) x`` from one :func:`jvp` (3 calls).

    ``J(x) x = d/dt D(t x)`` at ``t = 1``: zero for linear ``D``, and for every ``D`` that is
    locally homogeneous (``D((1+t) x) = (1+t) D(x)``).
    """
    x = _as_point(x)
    jx = _jvp(D, x, x, _check_eps(eps, x))
    dx = _call(D, x)
    return _ratio(float(np.sum((jx - dx) ** 2)), float(np.sum(dx * dx)))


def gradient_error(D: Denoiser, x: np.ndarray, J: np.ndarray | None = None,
                   eps: float | None = None, max_unknowns: int = 4096) -> float:
    """``‖∇ρ(x) − (x − D(x))‖ / ‖∇ρ(x)‖``: how far RED's gradient is from the true one.

    ``∇ρ(x) = x − D(x)/2 − J(x)ᵀx/2`` (``red.exact_gradient``) needs ``J(x)ᵀ x``, which
    finite differences of ``D`` give only through the full Jacobian: there is no
    adjoint-free estimate of ``Jᵀx`` short of ``n`` directional derivatives, so for inputs
    above ``max_unknowns`` this raises rather than guess.  The numerator is
    ``‖D(x) − J(x)ᵀ x‖ / 2``: zero when ``J`` is symmetric and ``D`` homogeneous.

    Parameters
    ----------
    D : callable
    x : ndarray
    J : ndarray, optional
        The full Jacobian at ``x`` if already computed (else :func:`jacobian`).
    eps, max_unknowns
        As in :func:`jacobian`.
    """
    x = _as_point(x)
    J = _jacobian_or(J, D, x, eps, max_unknowns)
    dx = _call(D, x)
    exact = red.exact_gradient(x, dx, lambda v: (J.T @ v.ravel()).reshape(x.shape))
    return _ratio(float(np.linalg.norm(exact - red.red_gradient(x, dx))),
                  float(np.linalg.norm(exact)))


# --------------------------------------------------------------------------- spectra


def lipschitz_estimate(D: Denoiser, x: np.ndarray, n_iter: int = 30, seed: int = 0,
                       J: np.ndarray | None = None, eps: float | None = None) -> float:
    """Local Lipschitz constant ``‖J(x)‖₂`` of ``D`` at ``x``.

    With ``J`` (a full Jacobian): its largest singular value, exactly.  Without: power
    iteration on ``J`` through :func:`jvp` (``2 · n_iter`` calls), returning the largest
    ``‖J v_k‖`` over unit iterates ``v_k``.  Every such value is a lower bound of ``‖J‖₂``;
    the iteration converges to the spectral radius (largest ``|eigenvalue|``), which *is*
    ``‖J‖₂`` when ``J`` is symmetric (and, for a non-symmetric ``J``, may be smaller).
    """
    x = _as_point(x)
    if J is not None:
        return float(np.linalg.norm(_jacobian_or(J, D, x, eps, x.size), 2))
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"n_iter must be an integer >= 1, got {n_iter!r}")
    eps = _check_eps(eps, x)
    v = np.random.default_rng(seed).standard_normal(x.shape)
    v /= np.linalg.norm(v)
    best = 0.0
    for _ in range(n_iter):
        w = _jvp(D, x, v, eps)
        norm = float(np.linalg.norm(w))
        best = max(best, norm)
        if norm == 0:
            break
        v = w / norm
    return best


def symmetric_part_eigs(D: Denoiser, x: np.ndarray, J: np.ndarray | None = None,
                        eps: float | None = None,
                        max_unknowns: int = 4096) -> tuple[float, float]:
    """Smallest and largest eigenvalue of the symmetric part ``(J + Jᵀ)/2``.

    They bound the Rayleigh quotients ``vᵀJv / vᵀv``; RED-GD's safe step ``2/(L_f + λ)``
    assumes the eigenvalues of ``J`` lie in [0, 1].  Computed from the full Jacobian
    (``eigvalsh``).  For whole images there is no jvp-only route: power iteration on
    ``(J + Jᵀ)/2`` needs products with ``Jᵀ``, so inputs above ``max_unknowns`` raise
    (use a crop).
    """
    x = _as_point(x)
    J = _jacobian_or(J, D, x, eps, max_unknowns)
    eigs = np.linalg.eigvalsh(0.5 * (J + J.T))
    return float(eigs[0]), float(eigs[-1])


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class DiagnosticReport:
    """All Jacobian diagnostics of one denoiser at one point (see :func:`report`).

    Attributes
    ----------
    name : str
        The denoiser's registry name (or its class name).
    sigma : float
        Its noise level (``nan`` if unknown).
    symmetry : float
        ``e_J = ‖J − Jᵀ‖²_F / ‖J‖²_F``.
    homogeneity : float
        ``‖J x − D(x)‖² / ‖D(x)‖²``.
    gradient : float
        ``‖∇ρ − (x − D(x))‖ / ‖∇ρ‖``.
    lipschitz : float
        ``‖J‖₂``.
    eig_min, eig_max : float
        Extreme eigenvalues of ``(J + Jᵀ)/2``.
    linear, symmetric_by_construction : bool or None
        The registry's flags (``None`` for a plain callable).
    seconds : float
        Wall time of the whole report.
    unknowns : int
        ``x.size``.
    denoiser_calls : int
        Calls of ``D`` spent.
    """

    name: str
    sigma: float
    symmetry: float
    homogeneity: float
    gradient: float
    lipschitz: float
    eig_min: float
    eig_max: float
    linear: bool | None
    symmetric_by_construction: bool | None
    seconds: float
    unknowns: int = 0
    denoiser_calls: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for tables)."""
        return asdict(self)


def report(D: Denoiser, x: np.ndarray, eps: float | None = None,
           max_unknowns: int = 4096, J: np.ndarray | None = None) -> DiagnosticReport:
    """Every diagnostic of ``D`` at ``x`` from one full Jacobian (``2n + 4`` calls).

    ``x`` must be small (a 1-D signal or a crop, at most ``max_unknowns`` unknowns). Pass ``J``
    (from :func:`jacobian` at this ``x``) to reuse a Jacobian already computed (4 calls).
    """
    start = time.perf_counter()
    x = _as_point(x)
    calls = getattr(D, "calls", None)
    if J is None:
        J = jacobian(D, x, eps=eps, max_unknowns=max_unknowns)
    homogeneity = homogeneity_error(D, x, eps=eps)
    eig_min, eig_max = symmetric_part_eigs(D, x, J=J)
    return DiagnosticReport(
        name=str(getattr(D, "name", type(D).__name__)),
        sigma=float(getattr(D, "sigma", math.nan)),
        symmetry=_full_symmetry(J),
        homogeneity=homogeneity,
        gradient=gradient_error(D, x, J=J),
        lipschitz=lipschitz_estimate(D, x, J=J),
        eig_min=eig_min,
        eig_max=eig_max,
        linear=getattr(D, "linear", None),
        symmetric_by_construction=getattr(D, "symmetric", None),
        seconds=time.perf_counter() - start,
        unknowns=int(x.size),
        denoiser_calls=(getattr(D, "calls", 0) - calls if calls is not None
                        else 2 * x.size + 4),
    )


def survey(names: Iterable[str], sigma: float, x: np.ndarray,
           params: Mapping[str, Mapping[str, Any]] | None = None,
           **kw: Any) -> list[DiagnosticReport]:
    """:func:`report` of several registered denoisers at one ``sigma`` and one point.

    Denoisers whose package is missing (``denoisers.available``), or that refuse 1-D
    signals when ``x`` is 1-D, are skipped.

    Parameters
    ----------
    names : iterable of str
        Registry names (``red_core.denoisers.NAMES`` for all).
    sigma : float
        Denoiser noise level.
    x : ndarray
        The (small) point.
    params : mapping, optional
        Per-name keyword overrides for ``denoisers.build``.
    **kw
        Passed to :func:`report` (``eps``, ``max_unknowns``).
    """
    from red_core import denoisers

    x = _as_point(x)
    params = params or {}
    out = []
    for name in names:
        info = denoisers.describe(name, sigma)
        if not info["available"] or (x.ndim == 1 and not info["supports_1d"]):
            continue
        out.append(report(denoisers.build(name, sigma, **params.get(name, {})), x, **kw))
    return out


def crop(image: np.ndarray, top: int, left: int, size: int) -> np.ndarray:
    """A ``size × size`` crop (all channels) starting at row ``top``, column ``left``.

    Returns a float64 copy; raises ``ValueError`` when the crop leaves the image.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must have shape (H, W) or (H, W, C), got {image.shape}")
    for label, value in (("top", top), ("left", left), ("size", size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{label} must be an integer, got {value!r}")
    height, width = image.shape[:2]
    if size < 1 or top < 0 or left < 0 or top + size > height or left + size > width:
        raise ValueError(f"a {size}×{size} crop at (top={top}, left={left}) does not fit in a "
                         f"{height}×{width} image: need 0 <= top <= {height} − size and "
                         f"0 <= left <= {width} − size, size >= 1")
    return image[top: top + size, left: left + size].astype(np.float64)
