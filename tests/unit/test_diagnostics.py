"""Tests of red_core.diagnostics: finite-difference Jacobians and the RED assumption checks.

Measured symmetry errors e_J (full Jacobian, default ε, σ = 25/255) on the two points below,
1-D piecewise-smooth signal (128) / 16×16 noisy camera crop: median 1.30 / 1.58,
tv 0.28 / 5.1e-3 (1-D: 2.8e-3 at ε/10, the stopping rule of Chambolle's iteration makes it
ε-sensitive), bilateral 1.1e-2 / 2.3e-2, nlm 0.26 / 0.44; gaussian ~1e-25, symmetric_nlm
~1e-25, gradient_step_tv ~1e-26 / ~1e-15.  The tests assert e_J > 1e-3 for the former.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import circulant

from red_core import denoisers, images, signals
from red_core.theory import diagnostics

SIGMA = 25 / 255
SIGNAL = signals.noisy(signals.make("piecewise_smooth", 128), SIGMA, seed=1)
CROP = (diagnostics.crop(images.builtin("camera", 256), 60, 100, 16)
        + SIGMA * np.random.default_rng(2).standard_normal((16, 16)))
POINTS = {"1d": SIGNAL, "crop": CROP}
SYMMETRIC = ("gaussian", "symmetric_nlm", "gradient_step_tv")
NONSYMMETRIC = ("median", "tv", "nlm", "bilateral")


@pytest.fixture(scope="module")
def jacobians():
    """Full Jacobians (and denoisers) of every denoiser under test at both points, once."""
    cache = {}

    def get(name: str, point: str):
        if (name, point) not in cache:
            D = denoisers.build(name, SIGMA)
            cache[name, point] = D, diagnostics.jacobian(D, POINTS[point])
        return cache[name, point]

    return get


def matrix_denoiser(M: np.ndarray, c: np.ndarray | None = None):
    """``D(x) = M x (+ c)`` on flat vectors: a denoiser with a known Jacobian."""
    return lambda x: (M @ x.ravel() + (0 if c is None else c)).reshape(x.shape)


# --------------------------------------------------------------------------- jacobian, jvp


def test_gaussian_jacobian_is_the_circulant_matrix():
    std = 1.5
    D = denoisers.build("gaussian", SIGMA, std=std)
    n = SIGNAL.size
    radius = int(4.0 * std + 0.5)  # scipy's truncate=4
    k = np.arange(-radius, radius + 1)
    w = np.exp(-0.5 * k**2 / std**2)
    column = np.zeros(n)
    np.add.at(column, k % n, w / w.sum())
    np.testing.assert_allclose(diagnostics.jacobian(D, SIGNAL), circulant(column), atol=1e-10)


def test_jvp_matches_jacobian_times_v(jacobians):
    v = np.random.default_rng(5).standard_normal(CROP.shape)
    for name in ("gaussian", "bilateral"):  # linear, and smooth nonlinear
        D, J = jacobians(name, "crop")
        jv = diagnostics.jvp(D, CROP, v)
        assert jv.shape == CROP.shape
        np.testing.assert_allclose(jv.ravel(), J @ v.ravel(), rtol=0,
                                   atol=1e-5 * np.abs(J @ v.ravel()).max())


def test_jvp_moves_no_entry_by_more_than_eps():
    seen = []

    def recording(x):
        seen.append(x.copy())
        return x

    x, v = SIGNAL, np.random.default_rng(0).standard_normal(SIGNAL.shape)
    diagnostics.jvp(recording, x, v, eps=1e-4)
    assert [np.abs(s - x).max() for s in seen] == pytest.approx([1e-4, 1e-4], rel=1e-9)
    assert diagnostics.default_eps(x) == pytest.approx(1e-3 * np.sqrt(np.mean(x**2)))
    np.testing.assert_array_equal(diagnostics.jvp(recording, x, 0 * v), 0 * x)


def test_jacobian_of_colour_input_and_limits():
    x = np.random.default_rng(1).random((4, 5, 3))
    M = np.random.default_rng(2).standard_normal((60, 60))
    np.testing.assert_allclose(diagnostics.jacobian(matrix_denoiser(M), x), M, atol=1e-9)
    with pytest.raises(ValueError, match="smaller crop"):
        diagnostics.jacobian(matrix_denoiser(M), x, max_unknowns=59)
    with pytest.raises(ValueError, match="eps must be"):
        diagnostics.jacobian(matrix_denoiser(M), x, eps=0.0)
    with pytest.raises(ValueError, match="shape"):
        diagnostics.jvp(matrix_denoiser(M), x, np.ones(3))


# --------------------------------------------------------------------------- symmetry


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("name", SYMMETRIC)
def test_symmetric_by_construction(jacobians, name, point):
    _, J = jacobians(name, point)
    bound = 1e-6 if name == "gradient_step_tv" else 1e-8
    assert diagnostics._full_symmetry(J) <= bound
    assert denoisers.describe(name)["symmetric"]


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("name", NONSYMMETRIC)
def test_not_symmetric(jacobians, name, point):
    _, J = jacobians(name, point)
    assert diagnostics._full_symmetry(J) > 1e-3
    assert not denoisers.describe(name)["symmetric"]


def test_symmetry_error_full_matches_the_definition():
    M = np.random.default_rng(3).standard_normal((40, 40))
    expected = np.sum((M - M.T) ** 2) / np.sum(M**2)
    assert diagnostics.symmetry_error(matrix_denoiser(M), np.ones(40)) == pytest.approx(
        expected, rel=1e-9)
    antisym = M - M.T
    assert diagnostics.symmetry_error(matrix_denoiser(antisym), np.ones(40)) == pytest.approx(4)


def test_probe_estimator_is_unbiased_with_honest_stderr():
    # A 200×200 matrix with a known e_J: 30 independent estimates, 16 probes each.
    rng = np.random.default_rng(4)
    S = rng.standard_normal((200, 200))
    M = S + S.T + 0.4 * rng.standard_normal((200, 200))
    truth = np.sum((M - M.T) ** 2) / np.sum(M**2)
    D, x = matrix_denoiser(M), np.ones(200)
    estimates = [diagnostics.symmetry_estimate(D, x, method="probe", seed=s) for s in range(30)]
    values = np.array([e.value for e in estimates])
    errors = np.array([e.stderr for e in estimates])
    assert all(e.method == "probe" and e.denoiser_calls == 32 for e in estimates)
    assert abs(values.mean() - truth) < 3 * values.std() / np.sqrt(30)
    assert 0.5 < errors.mean() / values.std() < 2  # the jackknife stderr has the right size
    assert np.mean(np.abs(values - truth) <= 2 * errors) >= 0.7


def test_probe_agrees_with_full_on_a_crop(jacobians):
    D, J = jacobians("tv", "crop")
    full = diagnostics._full_symmetry(J)
    est = diagnostics.symmetry_estimate(D, CROP, method="probe")  # 16 probes, 32 calls
    assert est.stderr > 0
    assert abs(est.value - full) <= 3 * est.stderr, (est, full)
    gauss = diagnostics.symmetry_estimate(denoisers.build("gaussian", SIGMA), CROP,
                                          method="probe")
    assert gauss.value <= 1e-8 and gauss.stderr <= 1e-8


def test_auto_method_and_validation():
    D = denoisers.build("gaussian", SIGMA)
    assert diagnostics.symmetry_estimate(D, SIGNAL).method == "full"
    assert diagnostics.symmetry_estimate(D, np.zeros((33, 33))).method == "probe"
    with pytest.raises(ValueError, match="method must be"):
        diagnostics.symmetry_error(D, SIGNAL, method="exact")
    with pytest.raises(ValueError, match="n_probes"):
        diagnostics.symmetry_error(D, SIGNAL, method="probe", n_probes=2)


@pytest.mark.parametrize("name", ("median", "bilateral"))
def test_symmetry_error_is_stable_in_eps(name):
    # Piecewise-linear (median) and smooth (bilateral): 10× changes of ε change e_J by < 5 %.
    D = denoisers.build(name, SIGMA)
    eps = diagnostics.default_eps(SIGNAL)
    values = [diagnostics.symmetry_error(D, SIGNAL, eps=f * eps) for f in (0.1, 1, 10)]
    assert max(values) / min(values) < 1.05


# --------------------------------------------------------------------------- homogeneity, gradient


@pytest.mark.parametrize("name", ("gaussian", "symmetric_nlm"))
def test_linear_denoisers_are_homogeneous_and_red_gradient_is_exact(jacobians, name):
    for point, x in POINTS.items():
        D, J = jacobians(name, point)
        assert diagnostics.homogeneity_error(D, x) <= 1e-8
        assert diagnostics.gradient_error(D, x, J=J) <= 1e-6


def test_nonlinear_denoisers_are_not_homogeneous():
    assert diagnostics.homogeneity_error(denoisers.build("tv", SIGMA), CROP) > 1e-3
    gs = denoisers.build("gradient_step_tv", SIGMA, tau_factor=0.25)
    assert diagnostics.homogeneity_error(gs, SIGNAL) > 1e-4


def test_homogeneity_and_gradient_error_of_known_maps():
    rng = np.random.default_rng(6)
    M, c, x = rng.standard_normal((30, 30)), rng.standard_normal(30), rng.standard_normal(30)
    affine = matrix_denoiser(M, c)  # J x − D(x) = −c
    assert diagnostics.homogeneity_error(affine, x) == pytest.approx(
        c @ c / np.sum((M @ x + c) ** 2), rel=1e-6)
    exact = x - 0.5 * (M @ x) - 0.5 * (M.T @ x)
    expected = np.linalg.norm(exact - (x - M @ x)) / np.linalg.norm(exact)
    assert diagnostics.gradient_error(matrix_denoiser(M), x) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="smaller crop"):
        diagnostics.gradient_error(matrix_denoiser(M), x, max_unknowns=10)
    with pytest.raises(ValueError, match="J must have shape"):
        diagnostics.gradient_error(matrix_denoiser(M), x, J=np.eye(3))


# --------------------------------------------------------------------------- spectra


def test_lipschitz_and_eigenvalues_of_known_maps():
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.standard_normal((50, 50)))
    S = Q @ np.diag(np.linspace(-0.5, 0.9, 50)) @ Q.T  # symmetric, eigenvalues in [-0.5, 0.9]
    x = rng.random(50)
    D = matrix_denoiser(S)
    assert diagnostics.lipschitz_estimate(D, x, J=S) == pytest.approx(0.9)
    assert diagnostics.lipschitz_estimate(D, x, n_iter=200) == pytest.approx(0.9, rel=1e-3)
    assert diagnostics.lipschitz_estimate(D, x, n_iter=5) <= 0.9 + 1e-9  # a lower bound
    assert diagnostics.symmetric_part_eigs(D, x) == pytest.approx((-0.5, 0.9), abs=1e-8)
    N = rng.standard_normal((50, 50))
    lo, hi = diagnostics.symmetric_part_eigs(matrix_denoiser(N), x)
    expected = np.linalg.eigvalsh(0.5 * (N + N.T))
    assert (lo, hi) == pytest.approx((expected[0], expected[-1]), abs=1e-7)


def test_gaussian_spectrum(jacobians):
    D, J = jacobians("gaussian", "1d")
    lo, hi = diagnostics.symmetric_part_eigs(D, SIGNAL, J=J)
    assert 0 < lo and hi == pytest.approx(1, abs=1e-9)
    assert diagnostics.lipschitz_estimate(D, SIGNAL, J=J) == pytest.approx(1, abs=1e-9)
    # Power iteration: a lower bound, slow here (eigenvalues cluster near 1 at low frequencies).
    assert 0.95 < diagnostics.lipschitz_estimate(D, SIGNAL) <= 1 + 1e-6


# --------------------------------------------------------------------------- report, survey, crop


def test_report_fields(jacobians):
    D = denoisers.build("bilateral", SIGMA)
    rep = diagnostics.report(D, SIGNAL)
    assert rep.name == "bilateral" and rep.sigma == SIGMA and rep.unknowns == 128
    assert rep.linear is False and rep.symmetric_by_construction is False
    assert rep.symmetry == pytest.approx(diagnostics._full_symmetry(jacobians("bilateral",
                                                                              "1d")[1]))
    assert rep.eig_min <= rep.eig_max <= rep.lipschitz + 1e-12
    assert rep.seconds > 0 and rep.denoiser_calls == 2 * 128 + 4
    assert set(rep.as_dict()) >= {"symmetry", "homogeneity", "gradient", "lipschitz"}


def test_survey_skips_what_cannot_run():
    reports = diagnostics.survey(["gaussian", "bm3d", "mmse_gmm"], SIGMA, SIGNAL[:32])
    assert [r.name for r in reports] == ["gaussian", "mmse_gmm"]  # bm3d is 2-D only
    assert reports[1].symmetry == 0.0  # a diagonal Jacobian
    tuned = diagnostics.survey(["gaussian"], SIGMA, SIGNAL[:32], params={"gaussian": {"std": 3}})
    assert tuned[0].eig_min < reports[0].eig_min


def test_crop():
    image = np.arange(5 * 6 * 3).reshape(5, 6, 3)
    out = diagnostics.crop(image, 1, 2, 3)
    assert out.shape == (3, 3, 3) and out.dtype == np.float64
    np.testing.assert_array_equal(out, image[1:4, 2:5])
    for args in ((3, 0, 3), (0, -1, 2), (0, 0, 0)):
        with pytest.raises(ValueError, match="does not fit"):
            diagnostics.crop(image, *args)
    with pytest.raises(ValueError, match="integer"):
        diagnostics.crop(image, 0.5, 0, 2)
