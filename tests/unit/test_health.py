"""Run health: peaked, oscillating and stalled flags, on constructed histories and real runs."""

from __future__ import annotations

import numpy as np
import pytest

from red_core import denoisers, images, solvers
from red_core.problem import make_problem
from red_core.solvers import health


def rows(psnr, rel=0.01, cycle=None):
    out = []
    for k, p in enumerate(psnr):
        out.append({"iter": k, "psnr": p, "rel_change": None if k == 0 else rel,
                    "cycle_ratio": cycle, "cycle_period": 2 if cycle is not None else None})
    return out


def test_a_healthy_run_has_no_flag():
    h = health.assess(rows([20, 24, 26, 27, 27.5, 27.7, 27.8, 27.85, 27.87, 27.88], rel=None))
    assert h.flags == () and h.flag == "ok" and h.text == ""
    assert h.best_iter == 9 and h.best_psnr == pytest.approx(27.88)


def test_peaked_names_the_best_iterate_and_the_parameter():
    h = health.assess(rows([20, 25, 29.4, 29.0, 28.2, 27.5, 26.8, 26.3]), "red-fp")
    assert h.flags == ("peaked",)
    assert h.best_iter == 2 and h.drop == pytest.approx(3.1)
    assert "raise λ" in h.text and "iteration 2" in h.text
    pnp = health.assess(rows([20, 25, 29.4, 28.0]), "pnp-admm")
    assert "σ_d" in pnp.text and "λ" not in pnp.text


def test_a_small_drop_is_not_a_peak():
    assert "peaked" not in health.assess(rows([20, 25, 29.4, 29.0])).flags  # 0.4 dB


def test_psnr_two_cycle_is_oscillating():
    psnr = [25, 28, 30.0] + [30.78, 30.83] * 6
    h = health.assess(rows(psnr, rel=0.02), "pnp-admm")
    assert h.flags[0] == "oscillating" and h.period == 2
    assert "σ_d" in h.text or "β" in h.text


def test_iterate_cycle_from_the_runner_ratio_is_oscillating():
    psnr = [25, 27, 28, 28.5, 28.4, 28.6, 28.45, 28.58, 28.47, 28.57, 28.46, 28.56]
    h = health.assess(rows(psnr, rel=0.05, cycle=0.01), "red-gd")
    assert h.flag == "oscillating" and "lower the step μ" in h.text


def test_a_tiny_cycle_with_a_flat_psnr_is_stalled_not_oscillating():
    psnr = [20, 25, 27] + [27.80, 27.81] * 6
    h = health.assess(rows(psnr, rel=2e-3, cycle=0.01), "red-fp", tol=1e-4)
    assert h.flags == ("stalled",) and "tolerance" in h.text


def test_stalled_needs_a_relative_change_above_the_tolerance():
    flat = [20, 25] + [27.0] * 10
    assert health.assess(rows(flat, rel=2e-3), tol=1e-4).flags == ("stalled",)
    assert health.assess(rows(flat, rel=1e-5), tol=1e-4).flags == ()


def test_unknown_flag_is_refused():
    with pytest.raises(ValueError, match="flag must be one of"):
        health.advice("sleepy", "red-fp")


def test_runner_records_the_cycle_ratio_of_a_real_two_cycle():
    """PnP-PGD with a step far above 1/L_f on a linear D: the iterates alternate."""

    class Flip:
        sigma = 0.0

        def __call__(self, x):
            return -x  # D = −I: x_{k+1} = −x_k − μ∇f(x_k) flips sign every step

    truth = images.builtin("camera", 32)
    problem = make_problem(truth, "denoise", 0.05)
    result = solvers.run("pnp-pgd", problem, Flip(), max_iter=12, tol=0, stats=False,
                         step=1e-12)
    ratios = [h["cycle_ratio"] for h in result.history if h["cycle_ratio"] is not None]
    assert ratios and max(ratios) < 1e-6
    assert {h["cycle_period"] for h in result.history if h["cycle_period"]} == {2}
    assert health.assess(result.history, "pnp-pgd").flag == "oscillating"


def test_red_fp_with_a_weak_prior_at_high_noise_is_flagged_not_silent():
    """The issue's case: a prior too weak for the noise peaks early; the flag says so."""
    problem = make_problem(images.builtin("camera", 64), "motion_blur", 0.1)
    D = denoisers.build("tv", 0.1)
    result = solvers.run("red-fp", problem, D, max_iter=40, lam=0.04 / 0.1**2)
    h = health.assess(result.history, "red-fp")
    finals = [r["psnr"] for r in result.history]
    assert h.best_psnr == pytest.approx(max(finals))
    if h.drop >= health.PEAK_DROP_DB:
        assert "peaked" in h.flags
    assert np.isfinite(h.best_psnr)
