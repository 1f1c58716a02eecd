"""Parameters at their edges: every run ends with finite values, or says it diverged.

The property checked everywhere (:func:`check`): a run either finishes (``converged`` or
``max_iter``) with a finite result and finite numbers in its history, or ends with status
``diverged`` and a message saying what to lower, its result still the last *finite* iterate.
No run hangs (``pytest.mark.timeout``) and none returns NaN silently. Parameter values that make
no sense are refused up front with a ``ValueError`` that names the parameter.
"""

from __future__ import annotations

import functools
import math
from numbers import Number

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DEGRADATION_CASES, problem_for
from red_core import denoisers, images, solvers
from red_core.lab import race

SIDE = 24  # the smallest side every degradation accepts (super-resolution ×3 needs 24)
#: Denoisers cheap enough for hundreds of runs (bm3d gets its own, short test).
FAST = tuple(d for d in ("gaussian", "median", "tv", "wavelet", "gradient_step_tv", "mmse_gmm")
             if d in denoisers.names())
ALL_BUT_BM3D = tuple(d for d in denoisers.names() if d != "bm3d" and denoisers.available(d))
PROX_RED = ("red-fp", "red-pg", "red-dpg", "red-apg")  # λL weighs their data-term prox


@functools.cache
def problem(degradation: str = "gaussian_blur", noise_sigma: float = 0.02, side: int = SIDE,
            image: str = "camera", seed: int = 0) -> solvers.Problem:
    """A tiny problem (cached: solvers never modify a Problem, see test_concurrency.py)."""
    return problem_for(images.builtin(image, side), degradation, noise_sigma, seed=seed)


def _numbers(value) -> list[float]:
    """The numbers in a history value (scalars, sequences or arrays of them)."""
    if value is None or isinstance(value, (str, bool)):
        return []
    if isinstance(value, Number):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    array = np.asarray(value)
    return array.astype(float).ravel().tolist() if array.dtype.kind in "biuf" else []


def check(result: solvers.Result, where: str = "") -> None:
    """Finite values, or status ``diverged`` with a message; never NaN silently."""
    label = f"{where} {result.method}: {result.status} ({result.message})"
    assert result.status in ("converged", "max_iter", "diverged"), label
    assert np.isfinite(result.x).all(), f"non-finite result: {label}"
    assert result.history, label
    # The record that detected the divergence may hold an infinite change: every other is finite.
    records = result.history[:-1] if result.status == "diverged" else result.history
    for record in records:
        bad = {k: v for k, v in record.items() if not all(map(math.isfinite, _numbers(v)))
               and not (k == "psnr" and v == math.inf)}  # +inf: exact (noiseless denoising)
        assert not bad, f"non-finite history at iteration {record['iter']}: {bad}; {label}"
    if result.status == "diverged":
        assert "diverged" in result.message and "Lower" in result.message, label
    else:
        assert result.history[-1]["psnr"] is not None, label


def run(method: str, p: solvers.Problem, denoiser: str = "gaussian", sigma: float | None = None,
        max_iter: int = 5, tol: float = 1e-4, **params) -> solvers.Result:
    if sigma is None:
        sigma = solvers.default_denoiser_sigma(p, method, denoiser)
    return solvers.run(method, p, denoisers.build(denoiser, sigma), max_iter=max_iter, tol=tol,
                       **params)


# --------------------------------------------------------------------------- one edge at a time


@pytest.mark.timeout(60)
@pytest.mark.parametrize("degradation", list(DEGRADATION_CASES))
def test_noiseless_observation(degradation):
    """σ_e = 0: f uses σ_e = 0.001 (so λ = 4·10⁴) and every method still finishes."""
    p = problem(degradation, 0.0)
    assert p.sigma_eff == pytest.approx(1e-3)
    for method in solvers.METHODS:
        check(run(method, p, "gaussian"), degradation)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("degradation", list(DEGRADATION_CASES))
def test_identity_denoiser(degradation):
    """Denoiser σ = 0 is the identity: RED has no prior, PnP-ADMM/HQS get β = 10⁶."""
    p = problem(degradation)
    for method in solvers.METHODS:
        result = run(method, p, "tv", sigma=0.0)
        check(result, degradation)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", ["red-gd", "red-admm"])
def test_lambda_zero_switches_the_prior_off(method):
    result = run(method, problem(), "tv", lam=0.0)
    check(result)
    assert result.params["lam"] == 0.0


@pytest.mark.parametrize("method", PROX_RED)
def test_lambda_zero_is_refused_by_the_proximal_methods(method):
    with pytest.raises(ValueError, match=r"lam must be a finite number > 0"):
        run(method, problem(), "tv", lam=0.0)
    # The race page builds its runs through Race: the error must come at construction (the
    # page shows it), not later inside the live fragment (a traceback).
    with pytest.raises(ValueError, match=r"lam must be a finite number > 0"):
        race.Race(problem(), {"RED": race.Contender(method, "tv", 0.02, {"lam": 0.0})})


@pytest.mark.parametrize(("method", "params", "message"), [
    ("pnp-admm", {"beta": 0.0}, "beta must be a finite number > 0"),
    ("red-gd", {"step": 0.0}, "step must be a finite number > 0"),
    ("pnp-pgd", {"step": -1.0}, "step must be a finite number > 0"),
    ("red-admm", {"beta": float("inf")}, "beta must be a finite number > 0"),
    ("red-admm", {"inner": 1e9}, "inner must be .* <= 50"),  # 10⁹ denoiser calls would hang
    ("red-pg", {"L": float("nan")}, "L must be a finite number > 0"),
    ("red-fp", {"lam": "a lot"}, "lam must be a finite number"),
])
def test_nonsense_parameters_are_refused_when_the_race_is_built(method, params, message):
    with pytest.raises(ValueError, match=message):
        race.Race(problem(), {"RED": race.Contender(method, "gaussian", 0.02, params)})
    with pytest.raises(ValueError, match=message):
        run(method, problem(), **params)


def test_a_race_needs_at_least_one_iteration():
    with pytest.raises(ValueError, match="max_iter must be at least 1"):
        race.Race(problem(), {"RED": race.Contender("red-fp", "gaussian", 0.02, max_iter=0)})


@pytest.mark.timeout(120)
@pytest.mark.parametrize("method", ["red-admm", "pnp-admm", "pnp-hqs"])
@pytest.mark.parametrize("beta", [1e12, 1e-12])
def test_beta_huge_or_tiny(method, beta):
    """β = 10¹² pins x to the splitting variable; β = 10⁻¹² trusts the data alone (its null
    space is undetermined for super-resolution and inpainting): finite or diverged, never NaN."""
    for degradation in DEGRADATION_CASES:
        check(run(method, problem(degradation), "gaussian", max_iter=10, beta=beta),
              f"{degradation} β={beta:g}")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("lam", [1e-12, 1e12])
@pytest.mark.parametrize("method", solvers.RED_METHODS)
def test_lambda_huge_or_tiny(method, lam):
    for degradation in ("gaussian_blur", "super_resolution_x2", "inpainting"):
        check(run(method, problem(degradation), "gaussian", max_iter=10, lam=lam), degradation)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", ["red-gd", "pnp-pgd"])
def test_step_far_above_its_bound_diverges_with_advice(method):
    p = problem()
    lam = solvers.default_params(method, p).get("lam")
    step = 100 * solvers.safe_step(p, lam)
    result = run(method, p, "gaussian", max_iter=200, tol=0, step=step)
    check(result)
    assert result.status == "diverged", result.message
    assert f"Lower μ (step, now {step:.4g})" in result.message
    assert result.iterations < 200


@pytest.mark.timeout(60)
def test_one_iteration():
    p = problem()
    for method in solvers.METHODS:
        result = run(method, p, "tv", max_iter=1, tol=0)
        check(result)
        assert result.status == "max_iter"
        assert [h["iter"] for h in result.history] == [0, 1]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("method", ["red-fp", "pnp-admm"])
def test_five_thousand_iterations(method):
    """tol = 0 never stops early: exactly 5000 iterations, one record each, all finite."""
    p = problem("denoise", side=16)
    result = run(method, p, "gaussian", max_iter=5000, tol=0)
    check(result)
    assert result.status == "max_iter"
    assert result.iterations == 5000 and len(result.history) == 5001


# --------------------------------------------------------------------------- every combination


@pytest.mark.timeout(180)
@pytest.mark.parametrize("degradation", list(DEGRADATION_CASES))
@pytest.mark.parametrize("method", list(solvers.METHODS))
def test_every_method_denoiser_and_degradation_at_defaults(method, degradation):
    """Defaults everywhere (suggested denoiser σ, default parameters): nothing diverges."""
    p = problem(degradation)
    for name in ALL_BUT_BM3D:
        result = run(method, p, name, max_iter=5)
        check(result, f"{degradation} {name}")
        assert result.status != "diverged", (name, result.message)


@pytest.mark.timeout(120)
@pytest.mark.skipif(not denoisers.available("bm3d"), reason="the bm3d package is not installed")
@pytest.mark.parametrize("method", ["red-fp", "pnp-admm"])
def test_bm3d_on_a_tiny_image(method):
    result = run(method, problem(), "bm3d", max_iter=2)
    check(result)
    assert result.status != "diverged"


@pytest.mark.parametrize("name", ["tv", "bilateral"])
def test_denoisers_for_a_vanishing_sigma(name):
    """A denoiser tuned for a (positive) vanishing noise level should be (close to) the
    identity; the page never asks for one (its slider starts at 0.5/255)."""
    x = images.builtin("camera", SIDE)
    for sigma in (5e-324, 1e-310, 1e-200):
        assert np.allclose(denoisers.build(name, sigma)(x), x, atol=1e-6), sigma


# --------------------------------------------------------------------------- random combinations

LOG_RANGE = {"lam": (-12, 12), "step": (-12, 12), "beta": (-12, 12),
             "L": (-3, 3), "L0": (-3, 3), "Linf": (-3, 3)}


@st.composite
def setups(draw):
    method = draw(st.sampled_from(list(solvers.METHODS)))
    params = {}
    for name in (p.name for p in solvers.entry(method).params):
        if name == "inner":
            if draw(st.booleans()):
                params["inner"] = draw(st.integers(1, 3))
        elif draw(st.booleans()):  # override (10^u over many orders of magnitude) or default
            low, high = LOG_RANGE[name]
            params[name] = 10.0 ** draw(st.floats(low, high))
    return {
        "method": method,
        "denoiser": draw(st.sampled_from(FAST)),
        "degradation": draw(st.sampled_from(list(DEGRADATION_CASES))),
        "noise_sigma": draw(st.floats(0.0, 0.3)),
        "sigma": draw(st.floats(0.0, 60 / 255)),  # subnormals too: see the vanishing-σ test
        "image": draw(st.sampled_from(["camera", "coins", "astronaut"])),
        "side": draw(st.sampled_from([24, 32])),
        "seed": draw(st.integers(0, 3)),
        "max_iter": draw(st.integers(1, 30)),
        "tol": draw(st.sampled_from([0.0, 1e-4, 1e-2])),
        "params": params,
    }


@pytest.mark.timeout(300)
@settings(max_examples=60, deadline=None)
@given(setups())
def test_random_combinations_end_finite_or_diverged(setup):
    p = problem(setup["degradation"], round(setup["noise_sigma"], 3), setup["side"],
                setup["image"], setup["seed"])
    result = solvers.run(
        setup["method"], p, denoisers.build(setup["denoiser"], setup["sigma"]),
        max_iter=setup["max_iter"], tol=setup["tol"], **setup["params"],
    )
    check(result, str(setup))
    if result.status != "diverged":
        assert result.iterations <= setup["max_iter"]
