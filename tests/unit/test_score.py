"""Tests of red_core.score: Gaussian-mixture priors, exact MMSE denoisers and Tweedie.

The references here are independent of the module: priors evaluated with scipy.stats,
posterior means and marginals by quadrature, derivatives by finite differences.
"""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import logsumexp

from red_core.theory.score import (
    PRESETS,
    GaussianMixture,
    curl_2d,
    descend,
    nonsymmetric_field_denoiser,
    preset,
    preset_names,
)

SIGMAS = (0.05, 0.3, 1.0)
TAILS_1D = np.array([-50.0, -12.0, 9.0, 50.0])
TAILS_2D = np.array([[50.0, -50.0], [-50.0, 0.0], [0.0, 50.0], [30.0, 40.0], [-9.0, -7.0]])

# A 2-D mixture with moderate, correlated widths, for grid quadrature.
MODERATE_2D = GaussianMixture(
    [0.5, 0.3, 0.2],
    [[-1.0, 0.5], [1.2, -0.4], [0.3, 1.5]],
    [[[0.5, 0.2], [0.2, 0.4]], [[0.3, -0.1], [-0.1, 0.6]], [[0.45, 0.0], [0.0, 0.35]]],
)


def mixtures(dim):
    return [pytest.param(PRESETS[name], id=name) for name in preset_names(dim)]


def ref_log_prior(gm, x0):
    """log p(x0) for points (N, d), from scipy.stats (independent of GaussianMixture)."""
    terms = [
        np.log(w) + stats.multivariate_normal(mean=m, cov=c).logpdf(x0).reshape(-1)
        for w, m, c in zip(gm.weights, gm.means, gm.covariances, strict=True)
    ]
    return logsumexp(terms, axis=0)


def points_1d(gm, n=12, seed=0):
    return np.concatenate([gm.sample(n, seed).ravel(), np.linspace(-4, 4, 9), TAILS_1D])


def points_2d(gm, n=12, seed=0):
    return np.vstack([gm.sample(n, seed), TAILS_2D])


def fd_jacobian(func, pts, h):
    """Fourth-order central-difference Jacobian of func: (N, d) -> (N, m); returns (N, m, d)."""
    cols = []
    for j in range(pts.shape[1]):
        e = np.zeros(pts.shape[1])
        e[j] = h

        def at(c, e=e):
            return np.asarray(func(pts + c * e), dtype=float).reshape(len(pts), -1)

        cols.append((8 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12 * h))
    return np.stack(cols, axis=-1)


def assert_close_rel_abs(actual, expected, tol):
    """|actual - expected| <= tol * max(1, |expected|), elementwise."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    err = np.abs(actual - expected) / np.maximum(1.0, np.abs(expected))
    assert np.all(np.isfinite(actual))
    assert err.max() <= tol, f"max relative-or-absolute error {err.max():.3e} > {tol:.0e}"


# ---------------------------------------------------------------------- Tweedie and score
@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("gm", mixtures(1) + mixtures(2))
def test_tweedie_identity(gm, sigma):
    x = points_1d(gm) if gm.dim == 1 else points_2d(gm)
    residual = x - gm.mmse(x, sigma)
    assert_close_rel_abs(residual, -(sigma**2) * gm.score(x, sigma), 1e-8)
    assert np.abs(residual).max() > 1e-3  # the check is not trivially 0 = 0


@pytest.mark.parametrize("sigma", (0.0,) + SIGMAS)
@pytest.mark.parametrize("gm", mixtures(1) + mixtures(2))
def test_score_is_gradient_of_log_density(gm, sigma):
    x = points_1d(gm) if gm.dim == 1 else points_2d(gm)
    pts = x.reshape(len(x), gm.dim)
    numeric = fd_jacobian(lambda p: gm.log_density(p, sigma), pts, h=1e-4)[:, 0, :]
    analytic = gm.score(pts, sigma)
    err = np.abs(numeric - analytic) / np.maximum(1.0, np.abs(analytic))
    assert err.max() < 1e-6


def test_log_density_matches_scipy_and_stays_finite_in_tails():
    for name, gm in PRESETS.items():
        x = points_1d(gm)[:, None] if gm.dim == 1 else points_2d(gm)
        np.testing.assert_allclose(gm.log_density(x), ref_log_prior(gm, x), rtol=1e-12)
        for sigma in (0.0,) + SIGMAS:
            for out in (
                gm.log_density(x, sigma),
                gm.score(x, sigma),
                gm.mmse(x, sigma),
                gm.posterior_cov(x, sigma),
                gm.jacobian_mmse(x, sigma),
            ):
                assert np.all(np.isfinite(out)), name
        far = np.abs(x).max(axis=1) >= 50
        assert far.sum() >= 2 and np.all(gm.log_density(x[far], 0.05) < -500)  # really far


# ---------------------------------------------------------------------- quadrature references
def quad_1d_posterior(gm, z, sigma):
    """(E[x0|z], Var[x0|z], p_sigma(z)) by Simpson on a fine grid, in the log domain."""
    grid = np.linspace(-60.0, 60.0, 120_001)  # step 1e-3, far finer than any posterior here
    log_prior = ref_log_prior(gm, grid[:, None])
    out = []
    for zi in np.atleast_1d(z):
        log_f = log_prior + stats.norm.logpdf(zi, loc=grid, scale=sigma)
        shift = log_f.max()
        f = np.exp(log_f - shift)
        mass = integrate.simpson(f, x=grid)
        mean = integrate.simpson(grid * f, x=grid) / mass
        var = integrate.simpson((grid - mean) ** 2 * f, x=grid) / mass
        out.append((mean, var, np.exp(shift) * mass))
    return np.array(out).T


@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("gm", mixtures(1))
def test_mmse_1d_matches_quadrature(gm, sigma):
    z = np.array([-50.0, -9.0, -3.2, -0.7, 0.0, 0.45, 1.1, 2.5, 7.0, 50.0])
    mean, var, _ = quad_1d_posterior(gm, z, sigma)
    np.testing.assert_allclose(gm.mmse(z, sigma), mean, rtol=0, atol=1e-6)
    np.testing.assert_allclose(gm.posterior_cov(z, sigma)[:, 0, 0], var, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("gm", mixtures(1))
def test_density_1d_is_normalised_convolution(gm, sigma):
    breaks = list(gm.means.ravel())
    total, _ = integrate.quad(lambda t: gm.density(t, sigma), -80, 80, points=breaks, limit=500)
    assert abs(total - 1.0) < 1e-8
    z = np.array([-2.0, -0.3, 0.8, 2.2])
    _, _, conv = quad_1d_posterior(gm, z, sigma)
    np.testing.assert_allclose(gm.density(z, sigma), conv, rtol=1e-8)


def grid_2d(step=0.025, half=9.0):
    axis = np.arange(-half, half + step / 2, step)
    xx, yy = np.meshgrid(axis, axis, indexing="ij")
    return axis, np.stack([xx.ravel(), yy.ravel()], axis=1)


def simpson_2d(values, axis):
    return integrate.simpson(integrate.simpson(values, x=axis, axis=1), x=axis)


@pytest.mark.parametrize("sigma", (0.3, 1.0))
def test_mmse_and_density_2d_match_grid_quadrature(sigma):
    gm = MODERATE_2D
    axis, grid = grid_2d()
    n = axis.size
    log_prior = ref_log_prior(gm, grid)
    z = np.array([[0.0, 0.0], [-1.3, 0.9], [1.5, -1.0], [0.4, 2.1], [2.5, 2.5]])
    means, densities = [], []
    for zi in z:
        log_f = log_prior + stats.multivariate_normal(mean=zi, cov=sigma**2).logpdf(grid)
        f = np.exp(log_f).reshape(n, n)
        mass = simpson_2d(f, axis)
        means.append([simpson_2d(grid[:, j].reshape(n, n) * f, axis) / mass for j in range(2)])
        densities.append(mass)
    np.testing.assert_allclose(gm.mmse(z, sigma), means, rtol=0, atol=1e-6)
    np.testing.assert_allclose(gm.density(z, sigma), densities, rtol=1e-6)
    total = simpson_2d(gm.density(grid, sigma).reshape(n, n), axis)
    assert abs(total - 1.0) < 1e-6


# ---------------------------------------------------------------------- Jacobian
@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("gm", mixtures(1) + mixtures(2) + [pytest.param(MODERATE_2D, id="mod")])
def test_jacobian_is_symmetric_posterior_cov_over_sigma2(gm, sigma):
    x = points_1d(gm) if gm.dim == 1 else points_2d(gm)
    pts = x.reshape(len(x), gm.dim)
    numeric = fd_jacobian(lambda p: gm.mmse(p, sigma), pts, h=1e-4 * sigma)
    analytic = gm.jacobian_mmse(pts, sigma)
    scale = np.maximum(1.0, np.abs(analytic).max(axis=(1, 2)))[:, None, None]
    assert (np.abs(numeric - analytic) / scale).max() < 1e-6
    assert (np.abs(numeric - np.swapaxes(numeric, 1, 2)) / scale).max() < 1e-6
    np.testing.assert_allclose(analytic * sigma**2, gm.posterior_cov(pts, sigma), rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(analytic) > -1e-12)  # a covariance: PSD


def test_sigma_zero_limits():
    gm = preset("crossed ellipses")
    x = points_2d(gm)
    np.testing.assert_array_equal(gm.mmse(x, 0.0), x)
    np.testing.assert_array_equal(gm.posterior_cov(x, 0.0), np.zeros((len(x), 2, 2)))
    np.testing.assert_array_equal(
        gm.jacobian_mmse(x, 0.0), np.broadcast_to(np.eye(2), (len(x), 2, 2))
    )
    np.testing.assert_allclose(gm.density(x[:5]), np.exp(ref_log_prior(gm, x[:5])), rtol=1e-12)
    # small sigma approaches sigma = 0 continuously
    np.testing.assert_allclose(gm.score(x, 1e-7), gm.score(x, 0.0), rtol=1e-8)
    np.testing.assert_allclose(gm.mmse(x, 1e-5), x, atol=1e-6)


# ---------------------------------------------------------------------- shapes and validation
def test_shapes_1d_and_2d():
    gm1 = preset("two bumps")
    x = np.linspace(-3, 3, 7)
    assert gm1.dim == 1
    assert gm1.score(x, 0.2).shape == (7,)
    assert gm1.mmse(x, 0.2).shape == (7,)
    assert gm1.density(x, 0.2).shape == (7,)
    assert gm1.log_density(x).shape == (7,)
    assert gm1.posterior_cov(x, 0.2).shape == (7, 1, 1)
    assert gm1.jacobian_mmse(x, 0.2).shape == (7, 1, 1)
    col = x[:, None]
    assert gm1.mmse(col, 0.2).shape == (7, 1)
    assert gm1.density(col, 0.2).shape == (7,)
    np.testing.assert_array_equal(gm1.mmse(col, 0.2).ravel(), gm1.mmse(x, 0.2))
    assert gm1.sample(11, 0).shape == (11, 1)

    gm2 = preset("ring of 5")
    pts = gm2.sample(9, 1)
    assert gm2.dim == 2 and pts.shape == (9, 2)
    assert gm2.score(pts, 0.3).shape == (9, 2)
    assert gm2.mmse(pts, 0.3).shape == (9, 2)
    assert gm2.density(pts, 0.3).shape == (9,)
    assert gm2.posterior_cov(pts, 0.3).shape == (9, 2, 2)
    grid = pts.reshape(3, 3, 2)  # any batch shape (..., d)
    assert gm2.mmse(grid, 0.3).shape == (3, 3, 2)
    np.testing.assert_allclose(gm2.mmse(grid, 0.3).reshape(9, 2), gm2.mmse(pts, 0.3))
    assert gm2.density(pts[0], 0.3).shape == ()
    np.testing.assert_array_equal(gm2.denoiser(0.3)(pts), gm2.mmse(pts, 0.3))


def test_covariance_shorthands_and_weight_normalisation():
    full = GaussianMixture(
        [2.0, 6.0], [[0, 0], [1, 1]], [[[0.3, 0], [0, 0.3]], [[0.2, 0], [0, 0.5]]]
    )
    short = GaussianMixture([1.0, 3.0], [[0, 0], [1, 1]], [[0.3, 0.3], [0.2, 0.5]])
    iso = GaussianMixture([1.0, 1.0], [[0, 0], [1, 1]], [0.3, 0.3])
    np.testing.assert_allclose(full.weights, [0.25, 0.75])
    np.testing.assert_array_equal(full.covariances, short.covariances)
    np.testing.assert_array_equal(iso.covariances[0], 0.3 * np.eye(2))
    one_d = GaussianMixture([1, 1], [-1, 1], [0.5, 0.25])
    assert one_d.means.shape == (2, 1) and one_d.covariances.shape == (2, 1, 1)
    with pytest.raises(ValueError):
        one_d.means[0, 0] = 3.0  # read-only


@pytest.mark.parametrize(
    ("weights", "means", "covs", "match"),
    [
        ([1, -1], [0, 1], [1, 1], "positive"),
        ([1, 0], [0, 1], [1, 1], "positive"),
        ([1, np.nan], [0, 1], [1, 1], "positive and finite"),
        ([[1, 1]], [0, 1], [1, 1], r"\(K,\)"),
        ([], [], [], r"\(K,\)"),
        ([1, 1], [0, 1, 2], [1, 1], r"means must have shape \(K, d\)"),
        ([1, 1], [[0, 0]], [1, 1], "K = 2"),
        ([1, 1], [0, np.inf], [1, 1], "finite"),
        ([1, 1], [0, 1], [1, 0], "positive"),
        ([1, 1], [[0, 0], [1, 1]], [[1, 1], [1, -1]], "positive"),
        ([1, 1], [[0, 0], [1, 1]], [[1, 1, 1]], r"\(K, d, d\)"),
        ([1], [[0, 0]], [[[1, 2], [2, 1]]], "positive definite"),
        ([1], [[0, 0]], [[[1, 0.5], [0.1, 1]]], "symmetric"),
        ([1], [[0, 0]], [[[1, np.nan], [np.nan, 1]]], "finite"),
    ],
)
def test_constructor_validation(weights, means, covs, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(weights, means, covs)


def test_call_validation():
    gm1, gm2 = preset("two bumps"), preset("ring of 5")
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        gm2.mmse(np.zeros((4, 3)), 0.3)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        gm2.score(np.zeros(4), 0.3)
    with pytest.raises(ValueError, match=r"\(n,\) is also accepted"):
        gm1.score(np.zeros((4, 2)), 0.3)
    with pytest.raises(ValueError, match="finite"):
        gm1.mmse(np.array([0.0, np.nan]), 0.3)
    for bad in (-0.1, np.nan, np.inf):
        with pytest.raises(ValueError, match="sigma must be a finite number >= 0"):
            gm1.score([0.0], bad)
    with pytest.raises(ValueError, match="sigma"):
        gm1.denoiser(-1.0)
    with pytest.raises(ValueError, match="n must be an integer"):
        gm1.sample(-1)
    with pytest.raises(ValueError, match="allowed: two bumps"):
        preset("nope")


def test_sample_moments_and_determinism():
    gm = MODERATE_2D
    x = gm.sample(200_000, rng=3)
    np.testing.assert_array_equal(x, gm.sample(200_000, rng=np.random.default_rng(3)))
    mean = gm.weights @ gm.means
    second = np.einsum(
        "k,kij->ij", gm.weights, gm.covariances + np.einsum("ki,kj->kij", gm.means, gm.means)
    )
    cov = second - np.outer(mean, mean)
    stderr = np.sqrt(np.diag(cov) / len(x))
    assert np.all(np.abs(x.mean(axis=0) - mean) < 5 * stderr)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.02)


def test_presets():
    assert set(preset_names(1)) == {"two bumps", "three modes"}
    assert {"ring of 5", "crossed ellipses", "crescent"} <= set(preset_names(2))
    assert preset_names() == tuple(PRESETS)
    ring = preset("ring of 5")
    assert ring.n_components == 5
    np.testing.assert_allclose(np.linalg.norm(ring.means, axis=1), 2.0)


# ---------------------------------------------------------------------- fields
def red_field(denoiser):
    return lambda x: x - denoiser(x)


@pytest.mark.parametrize("sigma", (0.3, 1.0))
@pytest.mark.parametrize("gm", mixtures(2) + [pytest.param(MODERATE_2D, id="mod")])
def test_curl_of_mmse_red_field_vanishes(gm, sigma):
    pts = np.vstack([gm.sample(20, 5), [[0.0, 0.0], [3.0, -2.0]]])
    field = red_field(gm.denoiser(sigma))
    curl = curl_2d(field, pts)
    grad_scale = np.linalg.norm(fd_jacobian(field, pts, h=1e-3), axis=(1, 2))
    assert np.all(grad_scale > 0.1)
    assert np.max(np.abs(curl) / grad_scale) <= 1e-6


@pytest.mark.parametrize("strength", (0.2, -0.5))
def test_curl_of_nonsymmetric_field_is_nonzero_and_matches_closed_form(strength):
    gm, sigma = preset("ring of 5"), 0.4
    pts = np.vstack([gm.sample(20, 6), [[0.0, 0.0]]])
    denoiser = nonsymmetric_field_denoiser(gm, sigma, strength)
    curl = curl_2d(red_field(denoiser), pts)
    expected = strength * (np.trace(gm.jacobian_mmse(pts, sigma), axis1=1, axis2=2) - 2.0)
    np.testing.assert_allclose(curl, expected, rtol=1e-6, atol=1e-9)
    assert np.mean(np.abs(curl)) > 0.1 * abs(strength)
    # its Jacobian is not symmetric; the MMSE one is
    jac = fd_jacobian(denoiser, pts, h=1e-4)
    asym = np.abs(jac - np.swapaxes(jac, 1, 2)).max(axis=(1, 2))
    assert np.median(asym) > 0.1 * abs(strength)


def test_nonsymmetric_denoiser_zero_strength_and_validation():
    gm = preset("crossed ellipses")
    pts = gm.sample(10, 0)
    np.testing.assert_allclose(nonsymmetric_field_denoiser(gm, 0.3, 0.0)(pts), gm.mmse(pts, 0.3))
    with pytest.raises(ValueError, match="2-D mixture"):
        nonsymmetric_field_denoiser(preset("two bumps"), 0.3, 0.1)
    with pytest.raises(ValueError, match="> 0"):
        nonsymmetric_field_denoiser(gm, 0.0, 0.1)
    with pytest.raises(ValueError, match="shape \\(n, 2\\)"):
        curl_2d(lambda p: p, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="h must be"):
        curl_2d(lambda p: p, np.zeros((3, 2)), h=0.0)


def test_curl_2d_of_known_fields():
    pts = np.random.default_rng(0).normal(size=(10, 2))
    np.testing.assert_allclose(curl_2d(lambda p: p @ np.array([[0, -1], [1, 0]]).T, pts), 2.0)
    np.testing.assert_allclose(
        curl_2d(lambda p: np.stack([np.sin(p[:, 1]) * p[:, 0] ** 2, np.exp(p[:, 0])], axis=1), pts),
        np.exp(pts[:, 0]) - np.cos(pts[:, 1]) * pts[:, 0] ** 2,
        rtol=1e-8,
    )


# ---------------------------------------------------------------------- descent
def test_descend_shapes_and_first_step():
    gm = preset("two bumps")
    x0 = np.linspace(-3, 3, 5)
    path = descend(gm.denoiser(0.3), x0, step=1.0, n_steps=4)
    assert path.shape == (5, 5)
    np.testing.assert_array_equal(path[0], x0)
    np.testing.assert_allclose(path[1], gm.mmse(x0, 0.3))
    gm2 = preset("ring of 5")
    x2 = gm2.sample(6, 0)
    path2 = descend(gm2.denoiser(0.3), x2, step=0.5, n_steps=3)
    assert path2.shape == (4, 6, 2)
    np.testing.assert_allclose(path2[1], x2 - 0.5 * (x2 - gm2.mmse(x2, 0.3)))
    assert descend(gm2.denoiser(0.3), x2, 0.5, 0).shape == (1, 6, 2)


@pytest.mark.parametrize("step", (0.5, 1.0))
def test_descend_climbs_to_the_modes(step):
    gm, sigma = preset("ring of 5"), 0.3
    x0 = np.random.default_rng(1).uniform(-3, 3, size=(30, 2))
    path = descend(gm.denoiser(sigma), x0, step=step, n_steps=150)
    logp = gm.log_density(path.reshape(-1, 2), sigma).reshape(path.shape[:2])
    assert np.all(np.diff(logp, axis=0) >= -1e-10)  # uphill on log p_sigma at every step
    final = path[-1]
    assert np.linalg.norm(gm.score(final, sigma), axis=1).max() < 1e-6
    nearest = np.min(np.linalg.norm(final[:, None] - gm.means[None], axis=2), axis=1)
    assert nearest.max() < 0.05  # the modes of p_sigma sit at the (well separated) means
    # the non-symmetric denoiser has the same fixed points: it spirals into the same modes
    spiral = descend(nonsymmetric_field_denoiser(gm, sigma, 0.5), x0, step=step, n_steps=150)
    assert np.linalg.norm(gm.score(spiral[-1], sigma), axis=1).max() < 1e-6
    same = np.all(np.abs(spiral[-1] - final) < 1e-5, axis=1)
    assert same.mean() > 0.8  # mostly the same basin; rotation can tip points near a saddle


def test_descend_validation():
    den = preset("two bumps").denoiser(0.3)
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="step must be"):
            descend(den, [0.0], bad, 3)
    with pytest.raises(ValueError, match="n_steps"):
        descend(den, [0.0], 0.5, -1)
    with pytest.raises(ValueError, match="shape of its input"):
        descend(lambda x: x[:1], [0.0, 1.0], 0.5, 2)
