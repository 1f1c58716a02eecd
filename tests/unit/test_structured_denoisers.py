"""Tests of red_core.structured_denoisers: symmetric NLM, gradient-step TV, pixel MMSE."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from red_core import denoisers, images, operators, signals, solvers
from red_core.denoisers import structured as sd
from red_core.theory import diagnostics
from red_core.theory.score import GaussianMixture

SIGMA = 25 / 255
RNG = np.random.default_rng(21)
SIGNAL = signals.noisy(signals.make("piecewise_smooth", 128), SIGMA, seed=1)
CAMERA = images.builtin("camera", 64)
GREY = CAMERA[20:44, 16:40] + SIGMA * RNG.standard_normal((24, 24))
COLOUR = (images.builtin("astronaut", 64)[10:22, 20:32]
          + SIGMA * RNG.standard_normal((12, 12, 3)))
INPUTS = {"1d": SIGNAL, "grey": GREY, "colour": COLOUR}
NEW = ("symmetric_nlm", "gradient_step_tv", "mmse_gmm")


def psnr(clean, estimate):
    return float(peak_signal_noise_ratio(clean, estimate, data_range=1))


# --------------------------------------------------------------------------- registry


@pytest.mark.parametrize("name", NEW)
def test_registered_like_the_builtins(name):
    assert name in denoisers.NAMES
    info = denoisers.describe(name)
    assert info["symmetric"] and info["linear"] == (name == "symmetric_nlm")
    assert info["supports_1d"] and info["description"]
    assert set(info["params"]) == set(info["accepted"])
    for x in INPUTS.values():
        D = denoisers.build(name, SIGMA)  # symmetric_nlm freezes on its first input
        y = D(x)
        assert y.shape == x.shape and y.dtype == np.float64 and np.isfinite(y).all()
    assert denoisers.build(name, 0.0)(SIGNAL) == pytest.approx(SIGNAL)


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("point", ("1d", "grey"))
def test_jacobian_is_symmetric(name, point):
    x = INPUTS[point][:64] if point == "1d" else INPUTS[point][:12, :12]
    D = denoisers.build(name, SIGMA)
    bound = 1e-6 if name == "gradient_step_tv" else 1e-8
    assert diagnostics.symmetry_error(D, x, method="full") <= bound


def test_denoising_helps():
    clean = CAMERA
    noisy = clean + SIGMA * np.random.default_rng(3).standard_normal(clean.shape)
    gains = {n: psnr(clean, denoisers.build(n, SIGMA)(noisy)) - psnr(clean, noisy) for n in NEW}
    assert gains["symmetric_nlm"] > 5 and gains["gradient_step_tv"] > 2
    assert gains["mmse_gmm"] > 0.3  # a per-pixel prior knows little about images


@pytest.mark.parametrize("name", NEW)
def test_vanishing_sigma_is_the_identity(name):
    for sigma in (5e-324, 1e-300, 1e-160):  # h², ε² underflow: guarded
        with np.errstate(divide="raise", invalid="raise", over="raise", under="ignore"):
            np.testing.assert_allclose(denoisers.build(name, sigma)(GREY), GREY, atol=1e-12)


def test_bad_parameters():
    for name, params, match in [
        ("symmetric_nlm", {"h_factor": -1}, "h_factor"),
        ("symmetric_nlm", {"patch_size": 4}, "odd integer"),
        ("gradient_step_tv", {"lipschitz": 1.5}, "<= 1.0"),
        ("gradient_step_tv", {"tau_factor": 0}, "tau_factor"),
        ("mmse_gmm", {"weights": (1, 1)}, "same length"),
        ("mmse_gmm", {"variances": (0.1, 0, 0.1)}, "variances must be positive"),
    ]:
        with pytest.raises(ValueError, match=match):
            denoisers.build(name, SIGMA, **params)


# --------------------------------------------------------------------------- symmetric NLM


def test_nlm_kernel_matches_a_direct_computation():
    g, h, noise, patch, radius = RNG.random((7, 9)), 0.3, 0.05, 3, 2
    K = sd.nlm_kernel(g, h, noise, patch, radius).toarray()
    padded = np.pad(g, patch // 2, mode="reflect")
    expected = np.zeros_like(K)
    for p in np.ndindex(g.shape):
        for q in np.ndindex(g.shape):
            if max(abs(p[0] - q[0]), abs(p[1] - q[1])) <= radius:
                dist = np.mean((padded[p[0]:p[0] + patch, p[1]:p[1] + patch]
                                - padded[q[0]:q[0] + patch, q[1]:q[1] + patch]) ** 2)
                expected[np.ravel_multi_index(p, g.shape), np.ravel_multi_index(q, g.shape)] = (
                    np.exp(-max(dist - 2 * noise**2, 0) / h**2))
    np.testing.assert_allclose(K, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("point", INPUTS)
def test_symmetric_nlm_matrix(point):
    x = INPUTS[point]
    D = denoisers.build("symmetric_nlm", SIGMA)
    D(x)
    nlm = sd.structure(D)
    W = nlm.matrix
    n = x.shape[0] if x.ndim == 1 else x.shape[0] * x.shape[1]
    assert W.shape == (n, n) and W.format == "csr"
    assert abs(W - W.T).max() <= 1e-12
    assert W.min() >= 0
    np.testing.assert_allclose(W @ np.ones(n), 1, atol=1e-10)
    assert nlm.row_sum_error <= 1e-10 and nlm.sinkhorn_iterations > 0
    np.testing.assert_allclose(D(np.full(x.shape, 0.3)), 0.3, atol=1e-10)


def test_symmetric_nlm_is_frozen_and_linear():
    D = denoisers.build("symmetric_nlm", SIGMA)
    first = D(GREY)
    np.testing.assert_array_equal(sd.structure(D).guide, GREY)
    a, b = RNG.random(GREY.shape), RNG.random(GREY.shape)
    np.testing.assert_allclose(D(2 * a - 3 * b), 2 * D(a) - 3 * D(b), atol=1e-12)
    np.testing.assert_array_equal(D(GREY), first)
    with pytest.raises(ValueError, match="frozen"):
        D(GREY[:10])
    # A given guide fixes the weights before any call; colour inputs share them per channel.
    G = denoisers.build("symmetric_nlm", SIGMA, guide=COLOUR)
    W = sd.structure(G).matrix
    out = G(COLOUR[..., ::-1])
    for c in range(3):
        np.testing.assert_allclose(out[..., c], (W @ COLOUR[..., 2 - c].ravel()).reshape(12, 12))


def test_sinkhorn_balance_of_a_small_kernel():
    from scipy import sparse

    A = RNG.random((30, 30))
    K = sparse.csr_matrix(np.where(A + A.T > 1.2, A + A.T, 0) + np.eye(30))
    W, d, iterations, error = sd.sinkhorn_balance(K)
    dense = W.toarray()
    np.testing.assert_array_equal(dense, dense.T)
    np.testing.assert_allclose(dense, d[:, None] * K.toarray() * d[None, :], rtol=1e-15)
    assert error <= 1e-12 and iterations > 1
    with pytest.raises(RuntimeError, match="did not reach"):
        sd.sinkhorn_balance(K, max_iter=1)


def test_symmetric_nlm_red_gradient_is_exact():
    x = GREY[:12, :12]
    D = denoisers.build("symmetric_nlm", SIGMA)
    assert diagnostics.homogeneity_error(D, x) <= 1e-8
    assert diagnostics.gradient_error(D, x) <= 1e-6


# --------------------------------------------------------------------------- gradient-step TV


@pytest.mark.parametrize("point", INPUTS)
def test_potential_gradient_is_the_residual(point):
    x = INPUTS[point]
    x = x[:8, :8] if x.ndim > 1 else x[:40]
    D = denoisers.build("gradient_step_tv", SIGMA, tau_factor=0.3)
    gs = sd.structure(D)
    h = 1e-6
    numeric = np.zeros(x.size)
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        e = e.reshape(x.shape)
        numeric[j] = (gs.potential(x + e) - gs.potential(x - e)) / (2 * h)
    residual = (x - D(x)).ravel()
    np.testing.assert_allclose(numeric, residual, atol=1e-8 * np.abs(residual).max() + 1e-9)
    assert gs.potential(np.full(x.shape, 0.7)) == 0.0 and gs.potential(x) > 0


def test_difference_operator_adjoint():
    for shape, axis in (((9,), 0), ((5, 7), 0), ((5, 7), 1), ((4, 6, 3), 1)):
        u, p = RNG.standard_normal(shape), RNG.standard_normal(shape)
        lhs = np.vdot(sd._forward_diff(u, axis), p)
        assert lhs == pytest.approx(np.vdot(u, sd._forward_diff_adjoint(p, axis)), rel=1e-12)


@pytest.mark.parametrize("lipschitz", (1.0, 0.5))
def test_gradient_step_tv_jacobian_eigenvalues_in_unit_interval(lipschitz):
    x = GREY[:10, :10]
    D = denoisers.build("gradient_step_tv", SIGMA, tau_factor=0.3, lipschitz=lipschitz)
    lo, hi = diagnostics.symmetric_part_eigs(D, x)
    assert 1 - lipschitz - 1e-6 <= lo and hi <= 1 + 1e-6
    assert sd.structure(D).eps(x) == pytest.approx(8 * 0.3 * SIGMA / lipschitz)


@pytest.mark.parametrize("operator", ("denoise", "gaussian_blur"))
@pytest.mark.parametrize("name, params", [("gradient_step_tv", {"tau_factor": 0.3}),
                                          ("mmse_gmm", {})])
def test_red_gd_decreases_the_explicit_objective(name, params, operator):
    truth = CAMERA[16:48, 16:48]
    problem = solvers.Problem.synthesize(truth, operators.build(operator, truth.shape), 0.05)
    D = denoisers.build(name, SIGMA, **params)
    settings = solvers.default_params("red-gd", problem)
    # ∇(f + λg) is (L_f + λ‖∇²g‖)-Lipschitz with ‖∇²g‖ = ‖I − J‖ <= 1 for both (J in [0, 1]
    # for gradient_step_tv, J_ii in [0.27, 1.35] for mmse_gmm): the default step
    # 1.9/(L_f + λ) is below 2/(L_f + λ‖∇²g‖), so f + λg decreases monotonically.
    assert settings["step"] < 2 / (problem.lipschitz + settings["lam"])
    values = []
    result = solvers.run("red-gd", problem, D, max_iter=40, tol=0,
                         callback=lambda rec: values.append(
                             problem.data_fidelity(rec["x"])
                             + settings["lam"] * D.potential(rec["x"])))
    assert result.status == "max_iter" and len(values) == 41
    assert np.all(np.diff(values) <= 1e-12 * abs(values[0]))
    assert values[-1] < values[0]
    assert result.history[-1]["objective"] == pytest.approx(values[-1])  # solvers use D.potential


def test_potential_reaches_the_denoiser_object():
    D = denoisers.build("gradient_step_tv", SIGMA)
    assert D.potential(GREY) == sd.structure(D).potential(GREY)
    assert denoisers.build("symmetric_nlm", SIGMA).potential is None
    assert denoisers.build("mmse_gmm", SIGMA).potential is not None


# --------------------------------------------------------------------------- pixel MMSE


def test_mmse_gmm_is_the_mixture_mmse_per_pixel():
    params = {"weights": (0.2, 0.8), "means": (0.2, 0.7), "variances": (0.01, 0.02)}
    D = denoisers.build("mmse_gmm", SIGMA, **params)
    gm = GaussianMixture(params["weights"], params["means"], params["variances"])
    for x in INPUTS.values():
        np.testing.assert_allclose(D(x), gm.mmse(x.ravel(), SIGMA).reshape(x.shape), rtol=1e-14)
    default = denoisers.build("mmse_gmm", SIGMA)
    assert default.params["means"] == sd.DEFAULT_MIXTURE["means"]


def test_mmse_gmm_jacobian_is_diagonal():
    D = denoisers.build("mmse_gmm", SIGMA)
    x = GREY[:6, :6]
    J = diagnostics.jacobian(D, x)
    np.testing.assert_array_equal(J - np.diag(np.diag(J)), 0)
    np.testing.assert_allclose(np.diag(J), sd.structure(D).jacobian_diagonal(x).ravel(),
                               rtol=1e-4)  # O(ε²) truncation of the finite differences


def test_mmse_gmm_potential_is_tweedie():
    D = denoisers.build("mmse_gmm", SIGMA)
    x = SIGNAL[:30]
    h = 1e-6
    numeric = [(D.potential(x + h * e) - D.potential(x - h * e)) / (2 * h) for e in np.eye(30)]
    np.testing.assert_allclose(numeric, x - D(x), atol=1e-8)


def test_fit_pixel_mixture_recovers_a_known_mixture():
    gm = GaussianMixture([0.3, 0.7], [0.2, 0.7], [0.003, 0.01])
    samples = gm.sample(20_000, rng=5).ravel()
    fit = sd.fit_pixel_mixture(samples, n_components=2)
    np.testing.assert_allclose(fit["weights"], (0.3, 0.7), atol=0.02)
    np.testing.assert_allclose(fit["means"], (0.2, 0.7), atol=0.01)
    np.testing.assert_allclose(fit["variances"], (0.003, 0.01), rtol=0.1)
    noisy = samples + 0.05 * np.random.default_rng(6).standard_normal(samples.size)
    deconvolved = sd.fit_pixel_mixture(noisy, n_components=2, noise_sigma=0.05)
    np.testing.assert_allclose(deconvolved["variances"], (0.003, 0.01), rtol=0.2)
    denoisers.build("mmse_gmm", SIGMA, **fit)(SIGNAL)
