"""The forward models: adjoints, norms, normal-equation solves, validation."""

import numpy as np
import pytest

from red_core import operators
from red_core.operators import power_norm, solve_normal_cg
from red_core.problem import Problem

CASES = [
    ("denoise", {}),
    ("gaussian_blur", {"blur_sigma": 1.6}),
    ("gaussian_blur", {"blur_sigma": 2.5, "kernel_size": 9}),
    ("uniform_blur", {"size": 5}),
    ("motion_blur", {"length": 9.5, "angle": 30}),
    ("super_resolution", {"factor": 2}),
    ("super_resolution", {"factor": 3}),
    ("super_resolution", {"factor": 4, "blur_sigma": 1.0}),
    ("inpainting", {"missing": 0.4, "seed": 3}),
]
SHAPES = [(24, 36), (24, 36, 3)]


def _ids(case):
    name, params = case
    return name + "".join(f"-{k}{v}" for k, v in params.items())


@pytest.fixture(params=CASES, ids=[_ids(c) for c in CASES])
def case(request):
    return request.param


@pytest.mark.parametrize("shape", SHAPES, ids=["grey", "colour"])
def test_adjoint(case, shape):
    name, params = case
    A = operators.build(name, shape, **params)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(A.in_shape)
    y = rng.standard_normal(A.out_shape)
    lhs = np.vdot(A.forward(x), y)
    rhs = np.vdot(x, A.adjoint(y))
    assert abs(lhs - rhs) <= 1e-10 * max(abs(lhs), 1e-300)
    assert np.allclose(A.gram(x), A.adjoint(A.forward(x)), atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES, ids=["grey", "colour"])
def test_norm_matches_power_iteration(case, shape):
    name, params = case
    A = operators.build(name, shape, **params)
    assert A.norm() == pytest.approx(power_norm(A, n_iter=3000), rel=1e-4)


@pytest.mark.parametrize("shape", SHAPES, ids=["grey", "colour"])
def test_prox_solves_normal_equations(case, shape):
    name, params = case
    A = operators.build(name, shape, **params)
    rng = np.random.default_rng(2)
    truth = rng.random(A.in_shape)
    problem = Problem.synthesize(truth, A, 0.02, seed=4)
    v = rng.random(A.in_shape)
    for beta in (1e-2, 3.0, 250.0, 1e5):
        x = problem.prox_data(v, beta)
        lhs = A.gram(x) / problem.sigma_eff**2 + beta * x
        rhs = A.adjoint(problem.y) / problem.sigma_eff**2 + beta * v
        assert np.linalg.norm(lhs - rhs) <= 1e-8 * np.linalg.norm(rhs)


def test_super_resolution_closed_form_equals_cg():
    A = operators.build("super_resolution", (30, 42, 3), factor=3)
    r = np.random.default_rng(5).standard_normal(A.in_shape)
    fft = A.solve_normal(r, 1e4, 7.0)
    cg = solve_normal_cg(A, r, 1e4, 7.0)
    assert np.allclose(fft, cg, rtol=0, atol=1e-8 * np.abs(cg).max())


def test_blur_matches_direct_convolution():
    from scipy.ndimage import convolve

    x = np.random.default_rng(0).random((20, 20))
    A = operators.build("motion_blur", x.shape, length=7, angle=20)
    direct = convolve(x, A.kernel, mode="wrap")
    assert np.allclose(A.forward(x), direct, atol=1e-12)
    assert A.kernel.sum() == pytest.approx(1.0)
    assert A.norm() == pytest.approx(1.0)


def test_super_resolution_output_and_start():
    truth = np.random.default_rng(0).random((24, 24, 3))
    A = operators.build("super_resolution", truth.shape, factor=3)
    assert A.out_shape == (8, 8, 3)
    p = Problem.synthesize(truth, A, 0.01)
    assert p.x0.shape == truth.shape


def test_inpainting_mask_and_fill():
    truth = np.full((32, 32), 0.5)
    A = operators.build("inpainting", truth.shape, missing=0.7, seed=1)
    observed = A.mask.astype(bool)
    assert 0.25 < observed.mean() < 0.35
    p = Problem.synthesize(truth, A, 0.0)
    assert np.allclose(p.x0, 0.5)  # holes filled from neighbours, not left at 0
    B = operators.build("inpainting", (4, 4), mask=np.eye(4, dtype=bool))
    assert B.params["missing"] == pytest.approx(0.75)


@pytest.mark.parametrize(
    "name, shape, params, match",
    [
        ("blur", (8, 8), {}, "unknown operator"),
        ("gaussian_blur", (8, 8), {"sigma": 1}, "unknown parameter"),
        ("gaussian_blur", (8, 8), {"blur_sigma": -1}, "blur_sigma must be"),
        ("gaussian_blur", (8, 8), {"kernel_size": 4}, "odd"),
        ("uniform_blur", (8, 8), {"size": 20}, "larger than"),
        ("super_resolution", (8, 8), {"factor": 5}, "factor must be one of 2, 3, 4"),
        ("super_resolution", (10, 9), {"factor": 2}, "multiples of 2"),
        ("inpainting", (8, 8), {"missing": 1.0}, r"missing must be .*>= 0 and < 1"),
        ("denoise", (8, 8, 4), {}, "shape must be"),
    ],
)
def test_bad_arguments(name, shape, params, match):
    with pytest.raises(ValueError, match=match):
        operators.build(name, shape, **params)


def test_problem_validation():
    A = operators.build("denoise", (8, 8))
    with pytest.raises(ValueError, match="y has shape"):
        Problem(A, np.zeros((8, 9)), 0.1)
    with pytest.raises(ValueError, match="noise_sigma"):
        Problem(A, np.zeros((8, 8)), -0.1)
    with pytest.raises(ValueError, match="NaN"):
        Problem(A, np.full((8, 8), np.nan), 0.1)
    with pytest.raises(ValueError, match="beta"):
        Problem(A, np.zeros((8, 8)), 0.1).prox_data(np.zeros((8, 8)), 0.0)
    with pytest.raises(ValueError, match="expected an array of shape"):
        Problem.synthesize(np.zeros((4, 4)), A, 0.1)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    truth = rng.random((16, 16))
    p = Problem.synthesize(truth, operators.build("uniform_blur", truth.shape, size=3), 0.05)
    x, d = rng.random(truth.shape), rng.standard_normal(truth.shape)
    eps = 1e-6
    fd = (p.data_fidelity(x + eps * d) - p.data_fidelity(x - eps * d)) / (2 * eps)
    assert fd == pytest.approx(np.vdot(p.grad_data(x), d), rel=1e-6)


def test_noiseless_problem_is_finite():
    truth = np.random.default_rng(0).random((16, 16))
    p = Problem.synthesize(truth, operators.build("gaussian_blur", truth.shape), 0.0)
    assert p.noise_sigma == 0.0
    assert np.isfinite(p.lipschitz) and np.isfinite(p.data_fidelity(p.x0))
