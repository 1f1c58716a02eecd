r"""Denoisers whose Jacobian is symmetric by construction (the source's mitigations).

RED's gradient ``x − D(x)`` is the gradient of an explicit objective only when the
Jacobian of ``D`` is symmetric (and ``D`` homogeneous).  The three denoisers here are built
so that it is, and register into :mod:`red_core.denoisers` like the classical ones:

``symmetric_nlm``
    NLM weights computed once from a guide image and frozen, symmetrised and made doubly
    stochastic by symmetric Sinkhorn balancing (Milanfar 2013): ``D(x) = W x`` with
    ``W = Wᵀ``, ``W 1 = 1``, ``W ≥ 0``.  Linear, so homogeneous too: RED's gradient is
    exactly ``∇ρ`` and ``ρ(x) = ½ xᵀ(I − W)x``.
``gradient_step_tv``
    ``D(x) = x − ∇g(x)`` with ``g`` a smoothed (Charbonnier) total variation (Hurault et al.
    2022 use a network for ``g``): ``x − D(x) = ∇g(x)`` exactly, so RED minimises
    ``f + λ g``; the Jacobian ``I − ∇²g`` is symmetric with eigenvalues in [0, 1].
``mmse_gmm``
    The exact MMSE denoiser of an i.i.d. Gaussian-mixture prior on pixel values
    (:class:`red_core.score.GaussianMixture` in 1-D): diagonal, symmetric Jacobian
    ``Var[x | z] / σ²``; by Tweedie also a gradient step, on ``g = −σ² Σ log p_σ``.

``build(name, sigma)`` returns a :class:`red_core.denoisers.Denoiser` whose ``apply`` is one
of the classes below (:func:`structure` returns it), so their extra attributes are at hand:
``FrozenNLM.matrix``, ``GradientStepTV.gradient``, ``PixelMMSE.prior``.  The potentials
``g`` of ``gradient_step_tv`` and ``mmse_gmm`` are also ``D.potential`` (the ``Denoiser``
copies the attribute), which ``red_core.solvers`` uses for the objective ``f + λg``.

The strength parameters (``h_factor``, ``tau_factor``) were calibrated by mean PSNR on the
images of ``bench/calibrate_denoisers.py`` (``bench/jacobian_errors.py --calibrate``; the
table is in ``docs/BENCHMARKS.md``).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import ndimage, sparse

from red_core.denoisers.registry import Denoiser, DenoiserSpec, check_positive, register
from red_core.theory.score import GaussianMixture

__all__ = [
    "FrozenNLM",
    "GradientStepTV",
    "PixelMMSE",
    "fit_pixel_mixture",
    "nlm_kernel",
    "sinkhorn_balance",
    "structure",
]

#: Luminance weights of the colour guide (those of ``skimage.color.rgb2gray``).
LUMA = np.array([0.2125, 0.7154, 0.0721])


def structure(D: Denoiser) -> Any:
    """The object behind a built structured denoiser (``FrozenNLM``, ``GradientStepTV``,
    ``PixelMMSE``), or ``None`` for the identity (``sigma = 0``)."""
    return D._apply  # the registry keeps the factory's return value here


# --------------------------------------------------------------------------- symmetric NLM


def nlm_kernel(guide: np.ndarray, h: float, noise_sigma: float, patch_size: int = 5,
               search_radius: int = 5) -> sparse.csr_matrix:
    r"""The symmetric NLM kernel of a 1-D or grey guide, as a CSR matrix.

    .. math::
        K_{pq} = \exp\bigl(-\max(\|P_p - P_q\|^2 - 2\sigma^2, 0) / h^2\bigr)
        \quad\text{for } \|p - q\|_\infty \le r, \qquad K_{pp} = 1,

    where ``‖P_p − P_q‖²`` is the *mean* squared difference of the ``patch_size`` patches
    (``patch_size²`` in 2-D) centred at ``p`` and ``q`` (mirrored borders) and ``σ`` is the
    guide's noise level (as ``skimage.restoration.denoise_nl_means``).  Each pair is
    computed once and stored at ``(p, q)`` and ``(q, p)``: ``K = Kᵀ`` exactly.  Pixels near
    the border have fewer neighbours (no wrap-around).  About ``(2r + 1)^d`` non-zeros per
    row, column indices sorted.
    """
    shape = guide.shape
    n = guide.size
    half = patch_size // 2
    h2 = max(h * h, np.finfo(np.float64).tiny)  # h² underflows for σ ≲ 1e-154
    padded = np.pad(guide, half, mode="reflect")
    offsets = list(itertools.product(range(-search_radius, search_radius + 1),
                                     repeat=guide.ndim))  # lexicographic: sorted columns
    # Offset-major while filling (contiguous writes), row-major for the CSR arrays.
    values = np.zeros((len(offsets),) + shape)
    valid = np.zeros((len(offsets),) + shape, dtype=bool)
    index = {o: m for m, o in enumerate(offsets)}
    zero = (0,) * guide.ndim
    values[index[zero]] = 1.0
    valid[index[zero]] = True
    for o in offsets:
        if not o > zero:  # each pair once: the offset o > 0 and its mirror −o
            continue
        a = tuple(slice(max(0, -k), s - max(0, k)) for k, s in zip(o, shape, strict=True))
        b = tuple(slice(max(0, k), s - max(0, -k)) for k, s in zip(o, shape, strict=True))
        if any(sl.stop <= sl.start for sl in a):
            continue
        pa = tuple(slice(sl.start, sl.stop + 2 * half) for sl in a)
        pb = tuple(slice(sl.start, sl.stop + 2 * half) for sl in b)
        dist = ndimage.uniform_filter((padded[pa] - padded[pb]) ** 2, patch_size,
                                      mode="constant")
        dist = dist[tuple(slice(half, dist.shape[k] - half) for k in range(guide.ndim))]
        w = np.exp(-np.maximum(dist - 2.0 * noise_sigma**2, 0.0) / h2)
        m, m_neg = index[o], index[tuple(-k for k in o)]
        values[(m,) + a], valid[(m,) + a] = w, True  # K[p, p + o], p in a
        values[(m_neg,) + b], valid[(m_neg,) + b] = w, True  # K[q, q − o]: the same pair
    strides = np.array([int(np.prod(shape[k + 1:])) for k in range(guide.ndim)])
    itype = np.int32 if n * len(offsets) < 2**31 else np.int64  # halves the index memory
    columns = (np.arange(n, dtype=itype)[:, None]
               + np.array([int(np.dot(o, strides)) for o in offsets], dtype=itype))
    valid = np.ascontiguousarray(valid.reshape(len(offsets), n).T)
    indptr = np.concatenate([[0], np.cumsum(valid.sum(axis=1))]).astype(itype)
    data = np.ascontiguousarray(values.reshape(len(offsets), n).T)[valid]
    return sparse.csr_matrix((data, columns[valid], indptr), shape=(n, n))


def sinkhorn_balance(K: sparse.csr_matrix, tol: float = 1e-12,
                     max_iter: int = 10_000) -> tuple[sparse.csr_matrix, np.ndarray, int, float]:
    r"""Symmetric Sinkhorn balancing: ``W = diag(d) K diag(d)`` with ``W 1 = 1``.

    Iterates ``d ← sqrt(d / (K d))`` from ``d = 1/sqrt(K 1)`` until the row sums
    ``d ⊙ (K d)`` are within ``tol`` of 1 (Milanfar 2013; the square root damps the
    oscillation of the plain update).  ``K`` must be symmetric, non-negative, with a positive
    diagonal.  ``W_pq = (d_p d_q) K_pq`` is formed with the commutative product ``d_p d_q`` so
    that ``W = Wᵀ`` holds bit for bit.

    Returns
    -------
    W : csr_matrix
        Symmetric, non-negative, doubly stochastic.
    d : ndarray
        The scaling.
    iterations : int
    row_sum_error : float
        ``max |W 1 − 1|``.

    Raises
    ------
    RuntimeError
        No convergence within ``max_iter`` iterations.
    """
    d = 1.0 / np.sqrt(K @ np.ones(K.shape[0]))
    iterations = 0
    while True:
        kd = K @ d
        error = float(np.max(np.abs(d * kd - 1.0)))
        if error <= tol:
            break
        if iterations == max_iter:
            raise RuntimeError(f"Sinkhorn balancing did not reach row sums within {tol:g} of 1 "
                               f"in {max_iter} iterations (error {error:.3g})")
        d = np.sqrt(d / kd)
        iterations += 1
    rows = np.repeat(np.arange(K.shape[0]), np.diff(K.indptr))
    W = sparse.csr_matrix(((d[rows] * d[K.indices]) * K.data, K.indices, K.indptr),
                          shape=K.shape)
    row_sum_error = float(np.max(np.abs(W @ np.ones(K.shape[0]) - 1.0)))
    return W, d, iterations, row_sum_error


class FrozenNLM:
    r"""``D(x) = W x``: NLM weights from a frozen guide, symmetric and doubly stochastic.

    ``W = diag(d) K diag(d)`` (:func:`nlm_kernel`, :func:`sinkhorn_balance`) is computed
    from the guide given at construction or, if none, from the **first input** the denoiser
    is called with; from then on ``D`` is the fixed linear map ``W`` (calls with another
    spatial shape raise).  A colour guide is reduced to its luminance (:data:`LUMA`, noise
    level ``σ‖LUMA‖``) and ``W`` is applied to each channel.

    ``W`` is symmetric and doubly stochastic but not positive semi-definite (its smallest
    eigenvalue was −0.28 on a noisy 256×256 camera image), so ``ρ(x) = ½xᵀ(I − W)x`` is
    convex with ``‖I − W‖ = 1 − λ_min(W) ≤ 2``: RED-GD's safe step is
    ``2/(L_f + λ(1 − λ_min))`` rather than ``2/(L_f + λ)`` (see ``docs/BENCHMARKS.md``).

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix or None
        ``W`` (``None`` until frozen).
    guide : ndarray or None
        The guide the weights were computed from.
    sinkhorn_iterations : int
    row_sum_error : float
        ``max |W 1 − 1|`` after balancing.
    build_seconds : float
        Time spent building ``W`` (kernel + balancing).
    """

    def __init__(self, sigma: float, h: float, patch_size: int, search_radius: int,
                 guide: np.ndarray | None = None) -> None:
        self.sigma, self.h = sigma, h
        self.patch_size, self.search_radius = patch_size, search_radius
        self.matrix: sparse.csr_matrix | None = None
        self.guide: np.ndarray | None = None
        self.sinkhorn_iterations = 0
        self.row_sum_error = math.nan
        self.build_seconds = 0.0
        if guide is not None:
            self.freeze(guide)

    def _spatial_shape(self, x: np.ndarray) -> tuple[int, ...]:
        return x.shape[:2] if x.ndim >= 2 else x.shape

    def freeze(self, guide: np.ndarray) -> None:
        """Compute ``W`` from ``guide`` (shape ``(n,)``, ``(H, W)`` or ``(H, W, 3)``)."""
        guide = np.asarray(guide, dtype=np.float64)
        if not (guide.ndim in (1, 2) or (guide.ndim == 3 and guide.shape[2] == 3)):
            raise ValueError(f"guide must have shape (n,), (H, W) or (H, W, 3), got "
                             f"{guide.shape}")
        if guide.size == 0 or not np.isfinite(guide).all():
            raise ValueError("guide must be a non-empty array of finite values")
        start = time.perf_counter()
        grey, noise = (guide @ LUMA, self.sigma * float(np.linalg.norm(LUMA))) \
            if guide.ndim == 3 else (guide, self.sigma)
        K = nlm_kernel(grey, self.h, noise, self.patch_size, self.search_radius)
        self.matrix, _, self.sinkhorn_iterations, self.row_sum_error = sinkhorn_balance(K)
        self.guide = guide.copy()
        self.build_seconds = time.perf_counter() - start

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.matrix is None:
            self.freeze(x)
        if self._spatial_shape(x) != self._spatial_shape(self.guide) or \
                (x.ndim == 1) != (self.guide.ndim == 1):
            raise ValueError(f"symmetric_nlm weights are frozen for inputs of spatial shape "
                             f"{self._spatial_shape(self.guide)}, got {x.shape}: build a new "
                             f"denoiser (or pass guide=) for another size")
        n = self.matrix.shape[0]
        return (self.matrix @ x.reshape(n, -1)).reshape(x.shape)


def _symmetric_nlm(sigma: float, *, h_factor: float = 0.9, patch_size: int = 5,
                   search_radius: int = 5, guide: np.ndarray | None = None) -> FrozenNLM:
    check_positive("h_factor", h_factor)
    check_positive("patch_size", patch_size, integer=True, odd=True)
    check_positive("search_radius", search_radius, integer=True)
    return FrozenNLM(sigma, h_factor * sigma, patch_size, search_radius, guide)


# --------------------------------------------------------------------------- gradient-step TV


def _spatial_axes(x: np.ndarray) -> tuple[int, ...]:
    return (0, 1) if x.ndim == 3 else tuple(range(x.ndim))


def _forward_diff(x: np.ndarray, axis: int) -> np.ndarray:
    """Forward difference with a Neumann boundary: ``x_{i+1} − x_i``, 0 at the last sample."""
    out = np.zeros_like(x)
    src = [slice(None)] * x.ndim
    dst = [slice(None)] * x.ndim
    src[axis], dst[axis] = slice(1, None), slice(None, -1)
    out[tuple(dst)] = x[tuple(src)] - x[tuple(dst)]
    return out


def _forward_diff_adjoint(p: np.ndarray, axis: int) -> np.ndarray:
    """Exact adjoint of :func:`_forward_diff`: ``(∇ᵀp)_i = p_{i−1} − p_i`` (``p_{−1} = 0``,
    the last entry of ``p`` ignored)."""
    out = np.zeros_like(p)
    head = [slice(None)] * p.ndim
    tail = [slice(None)] * p.ndim
    head[axis], tail[axis] = slice(None, -1), slice(1, None)
    out[tuple(head)] -= p[tuple(head)]
    out[tuple(tail)] += p[tuple(head)]
    return out


class GradientStepTV:
    r"""Gradient-step smoothed-TV denoiser ``D(x) = x − ∇g(x)`` with an explicit potential.

    .. math::
        g(x) = \tau \sum_i \Bigl(\sqrt{\textstyle\sum_{a,c} (\partial_a x_{i,c})^2
               + \epsilon^2} - \epsilon\Bigr), \qquad
        \nabla g(x) = \tau\, \nabla^\top \bigl(\nabla x / \psi\bigr),\quad
        \psi_i = \sqrt{|\nabla x|_i^2 + \epsilon^2},

    with forward differences ``∂_a`` along each spatial axis ``a`` (Neumann boundary: the
    difference out of the last sample is 0; ``∇ᵀ`` is their exact adjoint) and, in colour,
    one joint magnitude over the channels ``c`` (vectorial TV).  ``g`` is convex and
    ``g(const) = 0``.  The Hessian ``∇²g = τ ∇ᵀ M ∇`` has ``0 ≼ M ≼ I/ε`` and
    ``‖∇ᵀ∇‖ ≤ 4d`` (``d`` spatial axes), so ``‖∇²g‖ ≤ 4dτ/ε``.  The step constraint
    ``ε = 4dτ / L`` with ``0 < L ≤ 1`` keeps ``‖∇²g‖ ≤ L ≤ 1``: the Jacobian
    ``I − ∇²g`` is symmetric with eigenvalues in ``[1 − L, 1] ⊂ [0, 1]``, ``D`` is
    non-expansive, and RED-GD on ``f + λg`` is safe with steps ``μ < 2/(L_f + λL)``
    (so ``solvers``' default ``1.9/(L_f + λ)`` is safe).  Where ``|∇x| ≫ ε`` the step is a
    TV flow step of size ``τ``; where ``|∇x| ≪ ε`` it is one explicit heat step of size
    ``τ/ε = L/(4d)``: a light denoiser.

    Hand-written (vectorised numpy): no library offers a gradient-step TV denoiser.

    Parameters
    ----------
    tau : float
        The strength ``τ`` (pixel units).
    lipschitz : float
        ``L`` in (0, 1], the bound on ``‖∇²g‖``.
    """

    def __init__(self, tau: float, lipschitz: float = 1.0) -> None:
        self.tau, self.lipschitz = tau, lipschitz

    def eps(self, x: np.ndarray) -> float:
        """Charbonnier ``ε = 4dτ/L`` for an input like ``x`` (``d`` spatial axes)."""
        return 4 * len(_spatial_axes(x)) * self.tau / self.lipschitz

    def _grad_and_psi(self, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, float]:
        grads = [_forward_diff(x, a) for a in _spatial_axes(x)]
        sq = sum(g * g for g in grads)
        if x.ndim == 3:
            sq = sq.sum(axis=-1)
        eps = self.eps(x)
        return grads, np.sqrt(sq + eps * eps), eps

    def potential(self, x: np.ndarray) -> float:
        """``g(x) = τ Σ_i (ψ_i − ε)`` (0 for a constant ``x``)."""
        x = np.asarray(x, dtype=np.float64)
        _, psi, eps = self._grad_and_psi(x)
        return self.tau * float(np.sum(psi - eps))

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """``∇g(x) = τ ∇ᵀ(∇x / ψ)`` (equal to ``x − D(x)``)."""
        x = np.asarray(x, dtype=np.float64)
        grads, psi, _ = self._grad_and_psi(x)
        if x.ndim == 3:
            psi = psi[..., None]
        # ψ = 0 only where ∇x = 0 and ε² underflowed (τ ≲ 1e-154): the ratio is 0 there.
        ratios = [np.divide(g, psi, out=np.zeros_like(g), where=psi > 0) for g in grads]
        return self.tau * sum(_forward_diff_adjoint(r, a)
                              for r, a in zip(ratios, _spatial_axes(x), strict=True))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x - self.gradient(x)


def _gradient_step_tv(sigma: float, *, tau_factor: float = 1.0,
                      lipschitz: float = 1.0) -> GradientStepTV:
    check_positive("tau_factor", tau_factor)
    check_positive("lipschitz", lipschitz, upper=1.0)
    return GradientStepTV(tau_factor * sigma, lipschitz)


# --------------------------------------------------------------------------- pixel MMSE


#: Default prior of ``mmse_gmm``: ``fit_pixel_mixture`` (3 components, 3 significant digits) of
#: the pooled pixels of the six grey calibration images (camera, moon, coins, brick, grass,
#: clock; 256 × 256): a narrow dark mode, a narrow mid-grey mode and a broad bright one.
DEFAULT_MIXTURE = {"weights": (0.11, 0.229, 0.66), "means": (0.136, 0.42, 0.538),
                   "variances": (0.00317, 0.00138, 0.0214)}


class PixelMMSE:
    r"""Exact MMSE denoiser of an i.i.d. Gaussian-mixture prior on pixel values.

    Every sample (pixel, channel) ``z = x₀ + σn`` with ``x₀ ~ Σ_k w_k N(μ_k, v_k)`` is
    denoised independently by ``D(z) = E[x₀ | z]`` (``GaussianMixture.mmse`` in 1-D), so the
    Jacobian is diagonal, ``J = diag(Var[x₀ | z] / σ²)``: symmetric, positive, but
    **not** bounded by 1 (between two well-separated modes the posterior variance exceeds
    ``σ²``).  By Tweedie, ``x − D(x) = −σ² ∇ log p_σ(x)``: the denoiser is a gradient step
    on the explicit potential ``g(x) = −σ² Σ_i log p_σ(x_i)`` (:meth:`potential`), so RED
    with it minimises ``f + λg`` exactly; ``∇²g = I − J`` has eigenvalues in
    ``[1 − max J_ii, 1 − min J_ii]`` (negative where ``J_ii > 1``: ``g`` is not convex).

    Attributes
    ----------
    prior : GaussianMixture
        The 1-D mixture.
    sigma : float
    """

    def __init__(self, prior: GaussianMixture, sigma: float) -> None:
        self.prior, self.sigma = prior, sigma

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.prior.mmse(x.ravel(), self.sigma).reshape(x.shape)

    def potential(self, x: np.ndarray) -> float:
        """``g(x) = −σ² Σ_i log p_σ(x_i)``, whose gradient is ``x − D(x)`` (Tweedie)."""
        x = np.asarray(x, dtype=np.float64)
        return -self.sigma**2 * float(np.sum(self.prior.log_density(x.ravel(), self.sigma)))

    def jacobian_diagonal(self, x: np.ndarray) -> np.ndarray:
        """``∂D(x)_i / ∂x_i = Var[x₀ | x_i] / σ²``, of ``x``'s shape."""
        x = np.asarray(x, dtype=np.float64)
        return self.prior.jacobian_mmse(x.ravel(), self.sigma)[:, 0, 0].reshape(x.shape)


def _mixture(weights: Sequence[float], means: Sequence[float],
             variances: Sequence[float]) -> GaussianMixture:
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in
              (("weights", weights), ("means", means), ("variances", variances))}
    sizes = {k: a.shape for k, a in arrays.items()}
    if any(a.ndim != 1 or a.size == 0 for a in arrays.values()) or \
            len({a.size for a in arrays.values()}) != 1:
        raise ValueError(f"weights, means and variances must be non-empty 1-D sequences of the "
                         f"same length (one entry per component), got shapes {sizes}")
    for key in ("weights", "variances"):
        if not (np.all(np.isfinite(arrays[key])) and np.all(arrays[key] > 0)):
            raise ValueError(f"{key} must be positive and finite, got {tuple(arrays[key])}")
    if not np.all(np.isfinite(arrays["means"])):
        raise ValueError("means must be finite")
    return GaussianMixture(arrays["weights"], arrays["means"], arrays["variances"])


def _mmse_gmm(sigma: float, *, weights: Sequence[float] = DEFAULT_MIXTURE["weights"],
              means: Sequence[float] = DEFAULT_MIXTURE["means"],
              variances: Sequence[float] = DEFAULT_MIXTURE["variances"]) -> PixelMMSE:
    return PixelMMSE(_mixture(weights, means, variances), sigma)


def fit_pixel_mixture(values: np.ndarray, n_components: int = 3, noise_sigma: float = 0.0,
                      n_iter: int = 500, min_variance: float = 1e-4,
                      tol: float = 1e-9) -> dict[str, tuple]:
    """Fit a 1-D Gaussian mixture to pixel values by EM, as ``build("mmse_gmm", ...)`` params.

    Hand-written (a few lines of EM): scikit-learn is not a dependency.  Initialised at the
    quantiles ``(k + ½)/K`` of the values; stops after ``n_iter`` iterations or when no
    parameter moves by more than ``tol``.  With ``noise_sigma > 0`` the
    values are taken as noisy and ``σ²`` is subtracted from the fitted variances (floored at
    ``min_variance``), giving a prior for the clean values.

    Returns
    -------
    dict
        ``{"weights": (...), "means": (...), "variances": (...)}``.
    """
    z = np.asarray(values, dtype=np.float64).ravel()
    if z.size < n_components or not np.isfinite(z).all():
        raise ValueError(f"values must hold at least n_components = {n_components} finite "
                         f"numbers")
    check_positive("n_components", n_components, integer=True)
    means = np.quantile(z, (np.arange(n_components) + 0.5) / n_components)
    variances = np.full(n_components, max(float(z.var()) / n_components**2, min_variance))
    weights = np.full(n_components, 1.0 / n_components)
    for _ in range(n_iter):
        previous = np.concatenate([weights, means, variances])
        log_p = (np.log(weights) - 0.5 * np.log(2 * np.pi * variances)
                 - 0.5 * (z[:, None] - means) ** 2 / variances)
        resp = np.exp(log_p - log_p.max(axis=1, keepdims=True))
        resp /= resp.sum(axis=1, keepdims=True)
        mass = resp.sum(axis=0) + 1e-12
        weights = mass / z.size
        means = (resp * z[:, None]).sum(axis=0) / mass
        variances = np.maximum((resp * (z[:, None] - means) ** 2).sum(axis=0) / mass,
                               min_variance)
        if np.max(np.abs(np.concatenate([weights, means, variances]) - previous)) <= tol:
            break
    variances = np.maximum(variances - noise_sigma**2, min_variance)
    order = np.argsort(means)
    return {"weights": tuple(float(v) for v in weights[order]),
            "means": tuple(float(v) for v in means[order]),
            "variances": tuple(float(v) for v in variances[order])}


# --------------------------------------------------------------------------- registration

# No sweep chose their σ factors: they take the defaults of the classical denoisers (RED 2σ_e,
# PnP splitting 8σ_e, PnP-PGD 0.4σ_e).
_FACTORS = {"red": 2.0, "pnp-split": 8.0, "pnp-pgd": 0.4}

register(DenoiserSpec(
    "symmetric_nlm", "Symmetric NLM (Sinkhorn)", _symmetric_nlm, colour="#17becf", linear=True,
    symmetric=True, sigma_factor=_FACTORS,
    description="Non-local means with weights frozen from a guide (default: the first input) "
                "and made symmetric and doubly stochastic by Sinkhorn balancing: a linear, "
                "symmetric D(x) = Wx.",
))
register(DenoiserSpec(
    "gradient_step_tv", "Gradient-step TV", _gradient_step_tv, colour="#1f77b4", symmetric=True,
    sigma_factor=_FACTORS,
    description="One gradient step on a smoothed total variation g, D = I − ∇g: RED then "
                "minimises f + λg exactly (a light denoiser).",
))
register(DenoiserSpec(
    "mmse_gmm", "MMSE, Gaussian-mixture prior", _mmse_gmm, colour="#9edae5", symmetric=True,
    sigma_factor=_FACTORS,
    description="Exact MMSE denoiser of a 3-component Gaussian-mixture prior on each pixel "
                "value (fitted to natural grey levels): a diagonal, symmetric Jacobian; "
                "a weak denoiser.",
))
