r"""Gaussian-mixture priors: exact MMSE denoisers, scores and Tweedie's identity.

For a prior :math:`p = \sum_k w_k \mathcal N(\mu_k, \Sigma_k)` and an observation
:math:`z = x_0 + \sigma n`, :math:`n \sim \mathcal N(0, I)`, everything is closed form:

* the noisy marginal :math:`p_\sigma = p * \mathcal N(0, \sigma^2 I)` is the mixture with
  covariances :math:`S_k = \Sigma_k + \sigma^2 I`;
* posterior weights :math:`r_k(z) \propto w_k \mathcal N(z; \mu_k, S_k)`;
* per-component Wiener estimates :math:`m_k(z) = \mu_k + \Sigma_k S_k^{-1} (z - \mu_k)`;
* the MMSE denoiser :math:`D^*_\sigma(z) = E[x_0 \mid z] = \sum_k r_k m_k`;
* the score :math:`\nabla \log p_\sigma(z) = \sum_k r_k S_k^{-1} (\mu_k - z)`;
* Tweedie: :math:`D^*_\sigma(z) = z + \sigma^2 \nabla \log p_\sigma(z)`, so the RED gradient
  :math:`z - D^*_\sigma(z) = -\sigma^2 \nabla \log p_\sigma(z)`;
* the posterior covariance
  :math:`\mathrm{Cov}[x_0 \mid z] = \sum_k r_k [C_k + (m_k - D^*)(m_k - D^*)^T]` with
  :math:`C_k = \Sigma_k - \Sigma_k S_k^{-1} \Sigma_k = \sigma^2 \Sigma_k S_k^{-1}`, and the
  Jacobian :math:`J = \partial D^* / \partial z = \mathrm{Cov}[x_0 \mid z] / \sigma^2`, which is
  symmetric.

These give exact ground truth for the score / Tweedie pages of RED Lab, in 1-D and 2-D. The
module also holds small helpers for those pages: RED descent trajectories, the curl of a 2-D
vector field, a deliberately non-symmetric denoiser, and a few preset mixtures.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.special import logsumexp

__all__ = [
    "GaussianMixture",
    "PRESETS",
    "curl_2d",
    "descend",
    "nonsymmetric_field_denoiser",
    "preset",
    "preset_names",
]

_LOG_2PI = float(np.log(2.0 * np.pi))
_CACHE_SIZE = 16


def _check_sigma(sigma: float) -> float:
    value = float(sigma)
    if not np.isfinite(value) or value < 0.0:
        raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}")
    return value


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.flags.writeable = False
    return array


class GaussianMixture:
    r"""Gaussian-mixture prior :math:`p = \sum_k w_k \mathcal N(\mu_k, \Sigma_k)` in
    :math:`\mathbb R^d`, with its exact noisy marginal, score, MMSE denoiser and posterior
    covariance (formulas in the module docstring).

    Parameters
    ----------
    weights : array_like, shape (K,)
        Positive, finite mixture weights; normalised to sum to one.
    means : array_like, shape (K, d), or (K,) for a 1-D mixture
        Component means.
    covariances : array_like, shape (K, d, d), (K, d) or (K,)
        Symmetric positive-definite covariances; ``(K, d)`` is shorthand for diagonal
        covariances and ``(K,)`` for isotropic ones :math:`c_k I` (in 1-D: the variances).

    Notes
    -----
    Points are arrays of shape ``(n, d)`` (more generally ``(..., d)``). For a 1-D mixture
    ``(n,)`` (and a scalar) is accepted too; vector outputs (score, MMSE) have the shape of the
    input. Densities have the batch shape (``(n,)``), covariances and Jacobians
    shape ``(n, d, d)``. All evaluations use log-sum-exp over components and Cholesky solves,
    so they stay finite far in the tails.

    Examples
    --------
    >>> gm = GaussianMixture([0.5, 0.5], [-1.0, 1.0], [0.2, 0.2])
    >>> x = np.linspace(-3, 3, 7)
    >>> np.allclose(x - gm.mmse(x, 0.5), -0.25 * gm.score(x, 0.5))
    True
    """

    def __init__(self, weights, means, covariances) -> None:
        w = np.asarray(weights, dtype=float)
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"weights must be a non-empty 1-D array (K,), got shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w <= 0.0):
            raise ValueError("weights must be positive and finite")
        n_comp = w.size

        mu = np.asarray(means, dtype=float)
        if mu.ndim == 1:
            mu = mu[:, None]
        if mu.ndim != 2 or mu.shape[0] != n_comp or mu.shape[1] == 0:
            raise ValueError(
                f"means must have shape (K, d), or (K,) for a 1-D mixture, with K = {n_comp} "
                f"(the number of weights); got shape {np.shape(means)}"
            )
        if not np.all(np.isfinite(mu)):
            raise ValueError("means must be finite")
        dim = mu.shape[1]

        covs = self._full_covariances(np.asarray(covariances, dtype=float), n_comp, dim)
        try:
            chols = np.linalg.cholesky(covs)
        except np.linalg.LinAlgError:
            raise ValueError("covariances must be symmetric positive definite") from None

        self._weights = _readonly(w / w.sum())
        self._log_weights = np.log(self._weights)
        self._means = _readonly(mu)
        self._covs = _readonly(covs)
        self._prior_chols = chols
        self._cache: dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @staticmethod
    def _full_covariances(cov: np.ndarray, n_comp: int, dim: int) -> np.ndarray:
        allowed = f"(K, d, d) = ({n_comp}, {dim}, {dim}), (K, d) = ({n_comp}, {dim}) or (K,)"
        if not np.all(np.isfinite(cov)):
            raise ValueError("covariances must be finite")
        if cov.shape == (n_comp,):
            if np.any(cov <= 0.0):
                raise ValueError("isotropic variances (K,) must be positive")
            return cov[:, None, None] * np.eye(dim)
        if cov.shape == (n_comp, dim):
            if np.any(cov <= 0.0):
                raise ValueError("diagonal variances (K, d) must be positive")
            return cov[:, :, None] * np.eye(dim)
        if cov.shape == (n_comp, dim, dim):
            scale = np.max(np.abs(cov), axis=(1, 2), keepdims=True)
            if np.any(np.abs(cov - np.swapaxes(cov, 1, 2)) > 1e-12 * scale):
                raise ValueError("covariances (K, d, d) must be symmetric")
            return 0.5 * (cov + np.swapaxes(cov, 1, 2))
        raise ValueError(f"covariances must have shape {allowed}; got shape {cov.shape}")

    # ------------------------------------------------------------------ properties
    @property
    def dim(self) -> int:
        """Dimension d of the space."""
        return self._means.shape[1]

    @property
    def n_components(self) -> int:
        """Number of components K."""
        return self._weights.size

    @property
    def weights(self) -> np.ndarray:
        """Normalised weights, shape (K,) (read-only)."""
        return self._weights

    @property
    def means(self) -> np.ndarray:
        """Means, shape (K, d) (read-only)."""
        return self._means

    @property
    def covariances(self) -> np.ndarray:
        """Full covariances, shape (K, d, d) (read-only)."""
        return self._covs

    def __repr__(self) -> str:
        return f"GaussianMixture(K={self.n_components}, d={self.dim})"

    # ------------------------------------------------------------------ internals
    def _per_sigma(self, sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cholesky factors of S_k = Σ_k + σ²I, their log-determinants and C_k."""
        entry = self._cache.get(sigma)  # a local reference: safe if another thread clears
        if entry is None:
            eye = np.eye(self.dim)
            noisy = self._covs + sigma**2 * eye
            chols = np.linalg.cholesky(noisy)
            half_logdet = np.log(np.diagonal(chols, axis1=1, axis2=2)).sum(axis=1)
            post = np.empty_like(noisy)
            for k in range(self.n_components):
                # C_k = σ² Σ_k S_k⁻¹ (no cancellation, unlike Σ_k − Σ_k S_k⁻¹ Σ_k)
                gain_t = cho_solve((chols[k], True), self._covs[k])  # S_k⁻¹ Σ_k
                post[k] = sigma**2 * 0.5 * (gain_t + gain_t.T)
            entry = (chols, half_logdet, post)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[sigma] = entry
        return entry

    def _points(self, x) -> tuple[np.ndarray, tuple[int, ...], tuple[int, ...]]:
        """Flatten x to (N, d); return it with the batch shape and the input shape."""
        arr = np.asarray(x, dtype=float)
        d = self.dim
        if d == 1 and arr.ndim <= 1:
            batch = arr.shape
        elif arr.ndim >= 1 and arr.shape[-1] == d:
            batch = arr.shape[:-1]
        else:
            raise ValueError(
                f"points must have shape (n, {d}) (last axis = dim = {d}"
                + ("; (n,) is also accepted in 1-D" if d == 1 else "")
                + f"), got shape {arr.shape}"
            )
        pts = arr.reshape(-1, d)
        if not np.all(np.isfinite(pts)):
            raise ValueError("points must be finite")
        return pts, batch, arr.shape

    def _evaluate(self, pts: np.ndarray, sigma: float):
        """Per-component quantities at points (N, d).

        Returns ``solved`` (K, N, d) = S_k⁻¹ (z − μ_k), responsibilities (K, N) and
        log p_σ (N,).
        """
        chols, half_logdet, _ = self._per_sigma(sigma)
        n_comp, d = self.n_components, self.dim
        solved = np.empty((n_comp, pts.shape[0], d))
        log_joint = np.empty((n_comp, pts.shape[0]))
        for k in range(n_comp):
            white = solve_triangular(chols[k], (pts - self._means[k]).T, lower=True)
            solved[k] = solve_triangular(chols[k], white, lower=True, trans="T").T
            log_joint[k] = (
                self._log_weights[k]
                - 0.5 * np.sum(white**2, axis=0)
                - half_logdet[k]
                - 0.5 * d * _LOG_2PI
            )
        log_p = logsumexp(log_joint, axis=0)
        # softmax with an exact renormalisation: far in the tails |log_joint| ~ 1e4 and
        # exp(log_joint - log_p) alone sums to 1 only up to ~1e-12
        resp = np.exp(log_joint - log_joint.max(axis=0))
        resp /= resp.sum(axis=0)
        return solved, resp, log_p

    def _wiener(self, solved: np.ndarray) -> np.ndarray:
        """m_k = μ_k + Σ_k S_k⁻¹ (z − μ_k), shape (K, N, d)."""
        return self._means[:, None, :] + np.einsum("kij,knj->kni", self._covs, solved)

    # ------------------------------------------------------------------ public API
    def log_density(self, x, sigma: float = 0.0) -> np.ndarray:
        r"""Log of the noisy marginal :math:`p_\sigma = p * \mathcal N(0, \sigma^2 I)`.

        Parameters
        ----------
        x : array_like, shape (n, d) (or (n,) in 1-D)
            Points.
        sigma : float, default 0
            Noise standard deviation; 0 gives the prior itself.

        Returns
        -------
        numpy.ndarray, shape (n,)
            :math:`\log p_\sigma(x)`, computed by log-sum-exp (finite in the far tails).
        """
        sigma = _check_sigma(sigma)
        pts, batch, _ = self._points(x)
        return self._evaluate(pts, sigma)[2].reshape(batch)

    def density(self, x, sigma: float = 0.0) -> np.ndarray:
        r"""Noisy marginal density :math:`p_\sigma(x)`, shape (n,) (see :meth:`log_density`)."""
        return np.exp(self.log_density(x, sigma))

    def score(self, x, sigma: float) -> np.ndarray:
        r"""Score :math:`\nabla \log p_\sigma(x) = \sum_k r_k S_k^{-1} (\mu_k - x)`.

        Parameters
        ----------
        x : array_like, shape (n, d) (or (n,) in 1-D)
            Points.
        sigma : float
            Noise standard deviation (>= 0); 0 gives the prior's score.

        Returns
        -------
        numpy.ndarray, same shape as ``x``
        """
        sigma = _check_sigma(sigma)
        pts, _, shape = self._points(x)
        solved, resp, _ = self._evaluate(pts, sigma)
        return -np.einsum("kn,knd->nd", resp, solved).reshape(shape)

    def mmse(self, x, sigma: float) -> np.ndarray:
        r"""Exact MMSE denoiser :math:`D^*_\sigma(x) = E[x_0 \mid x_0 + \sigma n = x]`.

        Computed as the posterior-weighted Wiener estimates :math:`\sum_k r_k m_k(x)`
        (independently of :meth:`score`; Tweedie's identity links the two).

        Parameters
        ----------
        x : array_like, shape (n, d) (or (n,) in 1-D)
            Noisy points.
        sigma : float
            Noise standard deviation (>= 0); ``mmse(x, 0)`` is ``x`` (identity limit).

        Returns
        -------
        numpy.ndarray, same shape as ``x``
        """
        sigma = _check_sigma(sigma)
        pts, _, shape = self._points(x)
        if sigma == 0.0:
            return pts.reshape(shape).copy()
        solved, resp, _ = self._evaluate(pts, sigma)
        return np.einsum("kn,knd->nd", resp, self._wiener(solved)).reshape(shape)

    def posterior_cov(self, x, sigma: float) -> np.ndarray:
        r"""Posterior covariance :math:`\mathrm{Cov}[x_0 \mid z = x]`.

        :math:`\sum_k r_k [C_k + (m_k - D^*)(m_k - D^*)^T]`, the centred (cancellation-free)
        form of :math:`\sum_k r_k [C_k + m_k m_k^T] - D^* D^{*T}`.

        Parameters
        ----------
        x : array_like, shape (n, d) (or (n,) in 1-D)
            Noisy points.
        sigma : float
            Noise standard deviation (>= 0); zero covariance at ``sigma = 0``.

        Returns
        -------
        numpy.ndarray, shape (n, d, d)
            Symmetric positive semi-definite matrices.
        """
        sigma = _check_sigma(sigma)
        pts, batch, _ = self._points(x)
        d = self.dim
        if sigma == 0.0:
            return np.zeros(batch + (d, d))
        solved, resp, _ = self._evaluate(pts, sigma)
        _, _, post = self._per_sigma(sigma)
        wiener = self._wiener(solved)
        centred = wiener - np.einsum("kn,knd->nd", resp, wiener)[None]
        cov = np.einsum("kn,kij->nij", resp, post)
        cov += np.einsum("kn,kni,knj->nij", resp, centred, centred)
        return cov.reshape(batch + (d, d))

    def jacobian_mmse(self, x, sigma: float) -> np.ndarray:
        r"""Jacobian :math:`J(x) = \partial D^*_\sigma / \partial x = \mathrm{Cov}[x_0 \mid x]
        / \sigma^2`, shape (n, d, d), symmetric; the identity at ``sigma = 0``."""
        sigma = _check_sigma(sigma)
        if sigma == 0.0:
            _, batch, _ = self._points(x)
            return np.broadcast_to(np.eye(self.dim), batch + (self.dim, self.dim)).copy()
        return self.posterior_cov(x, sigma) / sigma**2

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw ``n`` samples from the prior.

        Parameters
        ----------
        n : int
            Number of samples (>= 0).
        rng : numpy.random.Generator, int or None
            Generator or seed (passed to ``numpy.random.default_rng``).

        Returns
        -------
        numpy.ndarray, shape (n, d)
            Always two-dimensional, also in 1-D (use ``.ravel()`` for a flat array).
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be an integer >= 0, got {n!r}")
        gen = np.random.default_rng(rng)
        comps = gen.choice(self.n_components, size=int(n), p=self._weights)
        eps = gen.standard_normal((int(n), self.dim))
        return self._means[comps] + np.einsum("nij,nj->ni", self._prior_chols[comps], eps)

    def denoiser(self, sigma: float) -> Callable[[np.ndarray], np.ndarray]:
        """The MMSE denoiser at fixed ``sigma`` as a function ``x -> mmse(x, sigma)``."""
        sigma = _check_sigma(sigma)

        def mmse_denoiser(x: np.ndarray) -> np.ndarray:
            return self.mmse(x, sigma)

        return mmse_denoiser


# ---------------------------------------------------------------------- field helpers
_ROT90 = np.array([[0.0, -1.0], [1.0, 0.0]])


def nonsymmetric_field_denoiser(
    gm: GaussianMixture, sigma: float, strength: float
) -> Callable[[np.ndarray], np.ndarray]:
    r"""A deliberately non-symmetric 2-D "denoiser": the MMSE denoiser plus a rotated residual.

    .. math:: D(x) = D^*_\sigma(x) + s\, R_{90} (x - D^*_\sigma(x)),
              \qquad R_{90} = \begin{pmatrix} 0 & -1 \\ 1 & 0 \end{pmatrix}.

    Its fixed points are those of :math:`D^*` (:math:`I - s R_{90}` is invertible), but its
    Jacobian :math:`J = J^* + s R_{90} (I - J^*)` is not symmetric: its antisymmetric part is
    :math:`\tfrac{s}{2} \operatorname{tr}(I - J^*) R_{90}`. The RED field
    :math:`x - D(x) = (I - s R_{90})(x - D^*(x))` therefore swirls around the modes and has
    curl :math:`s (\operatorname{tr} J^*(x) - 2) = s \sigma^2 \Delta \log p_\sigma(x)` — it is
    not the gradient of any function.

    Parameters
    ----------
    gm : GaussianMixture
        A 2-D mixture.
    sigma : float
        Noise standard deviation of the underlying MMSE denoiser (> 0).
    strength : float
        Rotation strength ``s`` (0 gives back the MMSE denoiser).

    Returns
    -------
    callable
        ``x (n, 2) -> D(x) (n, 2)``.
    """
    if gm.dim != 2:
        raise ValueError(f"nonsymmetric_field_denoiser needs a 2-D mixture, got dim = {gm.dim}")
    sigma = _check_sigma(sigma)
    if sigma == 0.0:
        raise ValueError("sigma must be > 0 for nonsymmetric_field_denoiser")
    strength = float(strength)
    if not np.isfinite(strength):
        raise ValueError(f"strength must be finite, got {strength!r}")

    def rotated_denoiser(x: np.ndarray) -> np.ndarray:
        estimate = gm.mmse(x, sigma)
        return estimate + strength * (np.asarray(x, dtype=float) - estimate) @ _ROT90.T

    return rotated_denoiser


def curl_2d(field: Callable[[np.ndarray], np.ndarray], points, h: float = 1e-3) -> np.ndarray:
    r"""Scalar curl :math:`\partial F_y / \partial x - \partial F_x / \partial y` of a 2-D field.

    Fourth-order central differences,
    :math:`\partial_x F \approx [8(F(p + h e_x) - F(p - h e_x)) - (F(p + 2h e_x) - F(p - 2h e_x))]
    / 12h`, so the truncation error is :math:`O(h^4)` (a gradient field gives a curl at
    round-off level, about ``1e-12`` relative to the field's Jacobian with the default ``h``).

    Parameters
    ----------
    field : callable
        ``(n, 2) -> (n, 2)`` vector field (e.g. the RED field ``x - D(x)``).
    points : array_like, shape (n, 2) (or (..., 2))
        Where to evaluate the curl.
    h : float, default 1e-3
        Finite-difference step (> 0), in the units of ``points``.

    Returns
    -------
    numpy.ndarray, shape (n,) (the batch shape of ``points``)
    """
    pts = np.asarray(points, dtype=float)
    if pts.ndim < 1 or pts.shape[-1] != 2:
        raise ValueError(f"points must have shape (n, 2), got shape {pts.shape}")
    h = float(h)
    if not np.isfinite(h) or h <= 0.0:
        raise ValueError(f"h must be a finite number > 0, got {h!r}")

    def partial(axis: int) -> np.ndarray:
        step = np.zeros(2)
        step[axis] = h

        def at(multiple: int) -> np.ndarray:
            return np.asarray(field(pts + multiple * step), dtype=float)

        return (8.0 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12.0 * h)

    return partial(0)[..., 1] - partial(1)[..., 0]


def descend(
    denoiser: Callable[[np.ndarray], np.ndarray], x0, step: float, n_steps: int
) -> np.ndarray:
    r"""RED gradient descent with no data term: :math:`x \leftarrow x - \mu (x - D(x))`.

    With the MMSE denoiser this is gradient ascent on :math:`\log p_\sigma` with step
    :math:`\mu \sigma^2` (Tweedie), so trajectories run uphill to the modes of
    :math:`p_\sigma`; ``step = 1`` iterates the denoiser itself.

    Parameters
    ----------
    denoiser : callable
        ``x -> D(x)``, same shape in and out.
    x0 : array_like, shape (n, d) (or (n,))
        Starting points.
    step : float
        Step size :math:`\mu > 0`.
    n_steps : int
        Number of iterations (>= 0).

    Returns
    -------
    numpy.ndarray, shape (n_steps + 1, *x0.shape)
        The trajectories, starting with ``x0``.
    """
    step = float(step)
    if not np.isfinite(step) or step <= 0.0:
        raise ValueError(f"step must be a finite number > 0, got {step!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps must be an integer >= 0, got {n_steps!r}")
    x = np.array(x0, dtype=float)
    path = np.empty((int(n_steps) + 1,) + x.shape)
    path[0] = x
    for i in range(int(n_steps)):
        denoised = np.asarray(denoiser(x), dtype=float)
        if denoised.shape != x.shape:
            raise ValueError(
                f"denoiser must return the shape of its input {x.shape}, got {denoised.shape}"
            )
        x = x - step * (x - denoised)
        path[i + 1] = x
    return path


# ---------------------------------------------------------------------- presets
def _ring(n_modes: int, radius: float, variance: float) -> GaussianMixture:
    angles = 2.0 * np.pi * np.arange(n_modes) / n_modes + np.pi / 2.0
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(np.ones(n_modes), means, np.full(n_modes, variance))


def _rotated(variances: tuple[float, float], angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return rot @ np.diag(variances) @ rot.T


def _crescent(n_modes: int) -> GaussianMixture:
    angles = np.linspace(0.15 * np.pi, 0.85 * np.pi, n_modes)
    means = np.stack([2.0 * np.cos(angles), 2.0 * np.sin(angles) - 1.0], axis=1)
    covs = np.stack([_rotated((0.12, 0.03), a + np.pi / 2.0) for a in angles])
    return GaussianMixture(np.ones(n_modes), means, covs)


PRESETS: dict[str, GaussianMixture] = {
    "two bumps": GaussianMixture([0.6, 0.4], [-1.5, 1.5], [0.3**2, 0.5**2]),
    "three modes": GaussianMixture([0.3, 0.45, 0.25], [-3.0, 0.0, 2.5], [0.4**2, 0.7**2, 0.3**2]),
    "ring of 5": _ring(5, radius=2.0, variance=0.3**2),
    "crossed ellipses": GaussianMixture(
        [0.5, 0.5],
        [[-0.5, 0.0], [0.8, 0.3]],
        np.stack([_rotated((1.0, 0.05), np.pi / 5.0), _rotated((0.8, 0.06), -np.pi / 4.0)]),
    ),
    "crescent": _crescent(7),
}
"""Named example mixtures: 1-D ("two bumps", "three modes") and 2-D (the others)."""


def preset_names(dim: int | None = None) -> tuple[str, ...]:
    """Names of the preset mixtures, optionally only those of dimension ``dim``."""
    return tuple(name for name, gm in PRESETS.items() if dim is None or gm.dim == dim)


def preset(name: str) -> GaussianMixture:
    """The preset mixture called ``name`` (one of :data:`PRESETS`)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    return PRESETS[name]
