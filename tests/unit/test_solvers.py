"""RED and PnP solvers: closed-form limits, identities between algorithms, the runner."""

import numpy as np
import pytest
from scipy.sparse.linalg import LinearOperator, cg
from skimage import data, transform

from red_core import denoisers, operators, solvers
from red_core.metrics import psnr
from red_core.solvers import Problem
from red_core.theory import regulariser as red


def _camera(n: int = 48) -> np.ndarray:
    return transform.resize(data.camera()[100:356, 150:406], (n, n), anti_aliasing=True)


@pytest.fixture(scope="module")
def blur_problem() -> Problem:
    truth = _camera(32)
    A = operators.build("gaussian_blur", truth.shape, blur_sigma=1.6)
    return Problem.synthesize(truth, A, 0.01, seed=0)


def _red_linear_solution(problem: Problem, W, lam: float) -> np.ndarray:
    """Solve (AᵀA/σ² + λ(I − W)) x = Aᵀy/σ² by conjugate gradients (W linear symmetric)."""
    shape, s2 = problem.shape, problem.sigma_eff**2

    def matvec(v):
        v = v.reshape(shape)
        return (problem.A.gram(v) / s2 + lam * (v - W(v))).ravel()

    n = int(np.prod(shape))
    rhs = (problem.A.adjoint(problem.y) / s2).ravel()
    x, info = cg(LinearOperator((n, n), matvec=matvec), rhs, rtol=1e-13, atol=0, maxiter=20000)
    assert info == 0
    return x.reshape(shape)


@pytest.mark.parametrize("method", ["red-gd", "red-fp", "red-admm"])
def test_red_converges_to_linear_solution(blur_problem, method):
    W = denoisers.build("gaussian", 0.05)
    assert W.linear and W.symmetric
    lam = solvers.default_params(method, blur_problem, W)["lam"]
    expected = _red_linear_solution(blur_problem, W, lam)
    result = solvers.run(method, blur_problem, W, max_iter=20000, tol=1e-13, stats=False)
    err = np.linalg.norm(result.x - expected) / np.linalg.norm(expected)
    assert err <= 1e-6, (result.status, result.iterations, err)


def test_red_gd_objective_decreases_monotonically(blur_problem):
    W = denoisers.build("gaussian", 0.05)
    result = solvers.run("red-gd", blur_problem, W, max_iter=300, tol=0)
    objective = np.array([h["objective"] for h in result.history])
    assert len(objective) == 301
    assert np.all(np.diff(objective) <= 1e-9 * abs(objective[0]))
    assert objective[-1] < objective[0]
    # The residual is the norm of the exact gradient of E for this linear symmetric W.
    assert result.history[-1]["residual"] < 0.5 * result.history[0]["residual"]


def _iterates(method, problem, D, n, **params):
    gen = solvers.iterate(method, problem, D, max_iter=n, stats=False, **params)
    return [rec["x"].copy() for rec in gen]


@pytest.mark.parametrize("name", ["tv", "median"])
def test_red_fp_equals_pnp_hqs_and_red_pg_with_L1(blur_problem, name):
    D = denoisers.build(name, 15 / 255)
    lam = 250.0
    fp = _iterates("red-fp", blur_problem, D, 8, lam=lam)
    hqs = _iterates("pnp-hqs", blur_problem, D, 8, beta=lam)
    pg = _iterates("red-pg", blur_problem, D, 8, lam=lam, L=1.0)
    assert len(fp) == len(hqs) == len(pg) == 9
    for a, b, c in zip(fp, hqs, pg, strict=True):
        assert np.array_equal(a, b)
        assert np.allclose(a, c, rtol=0, atol=1e-12)
    assert not np.allclose(fp[1], fp[-1])  # the iterates do move


def test_red_dpg_starts_at_L0_and_apg_differs(blur_problem):
    D = denoisers.build("tv", 15 / 255)
    dpg = _iterates("red-dpg", blur_problem, D, 3, lam=300.0, L0=1.0, Linf=1.0)
    fp = _iterates("red-fp", blur_problem, D, 3, lam=300.0)
    assert all(np.allclose(a, b, atol=1e-12) for a, b in zip(dpg, fp, strict=True))
    apg = _iterates("red-apg", blur_problem, D, 3, lam=300.0)
    assert np.allclose(apg[1], fp[1], atol=1e-12)  # no momentum on the first step
    assert not np.allclose(apg[3], fp[3], atol=1e-6)


ALL_DENOISERS = ["gaussian", "median", "tv", "wavelet", "bilateral", "nlm", "bm3d"]


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "bm3d" else n
                                  for n in ALL_DENOISERS])
def test_every_algorithm_improves_on_degraded_input(name):
    truth = _camera(48)
    problem = Problem.synthesize(
        truth, operators.build("gaussian_blur", truth.shape, blur_sigma=1.6), 0.01, seed=0
    )
    degraded = psnr(truth, problem.y)
    for method in solvers.METHODS:
        D = denoisers.build(name, solvers.default_denoiser_sigma(problem, method, name))
        iters = 15 if name == "bm3d" else 40  # bm3d costs ~0.1 s per call even at 48²
        result = solvers.run(method, problem, D, max_iter=iters, tol=1e-4, stats=False)
        final = result.history[-1]["psnr"]
        assert result.status in ("converged", "max_iter"), (method, result.message)
        assert final > degraded + 0.3, (method, name, final, degraded)


def test_statistics_accounting(blur_problem):
    D = denoisers.build("tv", 10 / 255)
    # PnP-PGD has no D(x_k): every statistic costs one extra call, counted apart.
    res = solvers.run("pnp-pgd", blur_problem, D, max_iter=5, tol=0)
    last = res.history[-1]
    assert last["iter"] == 5 and res.status == "max_iter"
    assert last["denoiser_calls"] == 5
    assert last["stats_denoiser_calls"] == 6
    # RED-FP reuses its own D(x_k): no extra call.
    res = solvers.run("red-fp", blur_problem, D, max_iter=5, tol=0)
    assert res.history[-1]["stats_denoiser_calls"] == 0
    assert res.history[-1]["denoiser_calls"] == 6  # D(x_0) .. D(x_5)
    # Switched off: no statistics, no extra calls.
    res = solvers.run("pnp-pgd", blur_problem, D, max_iter=5, tol=0, stats=False)
    assert all(h["objective"] is None for h in res.history)
    assert res.history[-1]["stats_denoiser_calls"] == 0
    # Every third iteration only (plus the first and the last).
    res = solvers.run("pnp-pgd", blur_problem, D, max_iter=7, tol=0, stats_every=3)
    have = [h["iter"] for h in res.history if h["objective"] is not None]
    assert have == [0, 3, 6, 7]


def test_history_keys_and_objective_definition(blur_problem):
    D = denoisers.build("gaussian", 0.05)
    res = solvers.run("red-fp", blur_problem, D, max_iter=3, tol=0)
    keys = {"iter", "psnr", "objective", "residual", "rel_change", "time", "denoiser_calls"}
    assert keys <= set(res.history[0])
    assert [h["iter"] for h in res.history] == [0, 1, 2, 3]
    times = [h["time"] for h in res.history]
    assert all(b >= a for a, b in zip(times, times[1:], strict=False))
    lam = res.params["lam"]
    Dx = D(res.x)
    assert res.history[-1]["objective"] == pytest.approx(
        red.objective(blur_problem, res.x, Dx, lam), rel=1e-12
    )
    assert res.history[-1]["residual"] == pytest.approx(
        red.fixed_point_residual(blur_problem, res.x, Dx, lam), rel=1e-12
    )


def test_divergence_is_detected_and_explained(blur_problem):
    D = denoisers.build("gaussian", 0.05)
    bound = solvers.safe_step(blur_problem, lam=400.0)
    res = solvers.run("red-gd", blur_problem, D, max_iter=2000, lam=400.0, step=20 * bound)
    assert res.status == "diverged"
    assert "Lower μ (step" in res.message
    assert np.all(np.isfinite(res.x))
    res = solvers.run("pnp-pgd", blur_problem, D, max_iter=2000, step=50 / blur_problem.lipschitz)
    assert res.status == "diverged" and "step" in res.message


def test_stop_and_converged_statuses(blur_problem):
    D = denoisers.build("gaussian", 0.05)
    res = solvers.run("red-fp", blur_problem, D, max_iter=500, tol=1e-6)
    assert res.status == "converged" and res.history[-1]["rel_change"] < 1e-6
    calls = iter(range(100))
    res = solvers.run("red-fp", blur_problem, D, max_iter=500, tol=0,
                      should_stop=lambda: next(calls) >= 3)
    assert res.status == "stopped" and res.iterations == 3


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda p, D: solvers.run("red-xx", p, D), "unknown method"),
        (lambda p, D: solvers.run("red-gd", p, D, beta=1.0), "unknown parameter"),
        (lambda p, D: solvers.run("red-gd", p, D, step=-1.0), "step must be"),
        (lambda p, D: solvers.run("pnp-admm", p, D, beta=float("nan")), "beta must be"),
        (lambda p, D: solvers.run("red-fp", p, D, max_iter=0), "max_iter"),
    ],
)
def test_bad_arguments(blur_problem, call, match):
    with pytest.raises(ValueError, match=match):
        call(blur_problem, denoisers.build("gaussian", 0.05))


def test_defaults_respect_step_bounds(blur_problem):
    D = denoisers.build("tv", 0.05)
    gd = solvers.default_params("red-gd", blur_problem, D)
    assert gd["step"] < solvers.safe_step(blur_problem, gd["lam"])
    pgd = solvers.default_params("pnp-pgd", blur_problem, D)
    assert pgd["step"] <= solvers.safe_step(blur_problem)
