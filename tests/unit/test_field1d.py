"""The RED gradient field of 1-D signals (red_core.field1d) and its figures (plots section)."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from red_core import denoisers, signals
from red_core.lab import field1d, plots
from red_core.metrics import psnr

ONE_D = [d for d in denoisers.NAMES if denoisers.describe(d)["supports_1d"]]
#: Denoisers acting on each sample alone: they do not see the jumps.
POINTWISE = {"mmse_gmm"}


def piecewise(n=256, sigma=0.05, seed=0):
    clean = signals.make("piecewise_constant", n, seed)
    return clean, signals.noisy(clean, sigma, seed)


# --------------------------------------------------------------------------- exact cases


def test_identity_denoiser_gives_a_zero_field():
    clean, x = piecewise()
    stats = field1d.gradient_field(clean, x, lambda v: v.copy())
    assert not stats.gradient.any() and not stats.magnitude.any()
    assert stats.rho == 0.0 and stats.mean_smooth == 0.0 and stats.mean_rough == 0.0
    assert np.isnan(stats.ratio)
    assert stats.psnr_x == stats.psnr_denoised == pytest.approx(psnr(clean, x))
    assert "unchanged" in field1d.summary(stats)


def test_a_known_linear_denoiser_gives_exact_numbers():
    clean, x = piecewise(n=128)
    stats = field1d.gradient_field(clean, x, lambda v: 0.5 * v)
    np.testing.assert_allclose(stats.gradient, 0.5 * x)
    np.testing.assert_allclose(stats.denoised, 0.5 * x)
    mask = signals.jump_mask(clean, field1d.JUMP_WIDTH)
    np.testing.assert_array_equal(stats.rough, mask)
    assert stats.region == "jumps" and stats.region_label == "near a jump"
    assert stats.mean_smooth == pytest.approx(np.mean(np.abs(0.5 * x[~mask])))
    assert stats.mean_rough == pytest.approx(np.mean(np.abs(0.5 * x[mask])))
    assert stats.ratio == pytest.approx(stats.mean_rough / stats.mean_smooth)
    assert stats.rho == pytest.approx(0.25 * x @ x)  # ½ xᵀ(x − x/2)
    window = 2 * field1d.JUMP_WIDTH + 1
    np.testing.assert_allclose(stats.local_mean[3:-3],
                               np.convolve(np.abs(0.5 * x), np.ones(window) / window, "valid"))
    assert stats.mean_noise == pytest.approx(np.mean(np.abs(x - clean)))
    assert stats.psnr_denoised == pytest.approx(psnr(clean, 0.5 * x))


def test_a_field_living_only_near_the_jumps_has_an_infinite_ratio():
    clean, _ = piecewise()
    mask = signals.jump_mask(clean, field1d.JUMP_WIDTH)
    stats = field1d.gradient_field(clean, clean, lambda v: v - 0.1 * mask)
    assert stats.mean_smooth == 0.0 and stats.mean_rough == pytest.approx(0.1)
    assert stats.ratio == np.inf
    assert stats.psnr_x == np.inf
    assert "vanishes on the smooth stretches" in field1d.summary(stats)


# --------------------------------------------------------------------------- the observation


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", ["gaussian", "wavelet"])
def test_blurring_denoisers_correct_most_near_the_jumps_at_noise_0_05(name, seed):
    clean, x = piecewise(n=512, sigma=0.05, seed=seed)
    stats = field1d.gradient_field(clean, x, denoisers.build(name, 0.05))
    assert stats.mean_rough > 1.15 * stats.mean_smooth
    assert "most **near a jump**" in field1d.summary(stats)


@pytest.mark.parametrize("name", [d for d in ONE_D if d not in POINTWISE])
def test_on_the_clean_signal_every_field_is_small_on_smooth_stretches(name):
    """The source's observation without noise: D barely changes the smooth stretches."""
    clean, _ = piecewise(n=512, sigma=0.0)
    stats = field1d.gradient_field(clean, clean, denoisers.build(name, 0.05))
    if stats.magnitude.any():  # the median filter keeps a step signal exactly
        assert stats.ratio > 2.5


def test_noise_makes_the_field_large_everywhere():
    """With noise, most of the field on smooth stretches is the noise the denoiser removes."""
    clean, x = piecewise(n=512, sigma=0.1)
    D = denoisers.build("tv", 0.1)
    noisy = field1d.gradient_field(clean, x, D)
    without = field1d.gradient_field(clean, clean, D)
    assert noisy.mean_smooth > 10 * without.mean_smooth
    assert 0.4 * noisy.mean_noise < noisy.mean_smooth < noisy.mean_noise


# --------------------------------------------------------------------------- masks


def test_rough_mask_is_the_jump_mask_or_the_most_bent_samples():
    clean, _ = piecewise()
    mask, region = field1d.rough_mask(clean)
    assert region == "jumps"
    np.testing.assert_array_equal(mask, signals.jump_mask(clean, field1d.JUMP_WIDTH))
    chirp = signals.make("chirp", 512)
    mask, region = field1d.rough_mask(chirp)
    assert region == "curvature"
    assert mask.mean() == pytest.approx(field1d.CURVATURE_FRACTION, abs=0.01)
    # the chirp's frequency rises: its strongest bends are in its second half
    assert mask[256:].sum() > 3 * mask[:256].sum()


def test_curvature_mask_marks_nothing_on_a_line_and_the_kink_of_a_polyline():
    line = np.linspace(0.1, 0.9, 50)
    assert not field1d.curvature_mask(line).any()
    kink = np.concatenate([np.linspace(0, 1, 25), np.linspace(1, 0, 26)[1:]])
    assert np.flatnonzero(field1d.curvature_mask(kink)).tolist() == [24]
    with pytest.raises(ValueError, match="fraction"):
        field1d.curvature_mask(line, 1.0)


def test_bad_inputs_are_refused_with_clear_messages():
    clean, x = piecewise()
    with pytest.raises(ValueError, match="shape"):
        field1d.gradient_field(clean, x[:-1], lambda v: v)
    with pytest.raises(ValueError, match="1-D signal"):
        field1d.gradient_field(np.zeros((4, 4)), np.zeros((4, 4)), lambda v: v)
    with pytest.raises(ValueError, match="D\\(x\\) has shape"):
        field1d.gradient_field(clean, x, lambda v: v[:-1])
    with pytest.raises(ValueError, match="finite"):
        field1d.gradient_field(clean, np.full_like(x, np.nan), lambda v: v)


# --------------------------------------------------------------------------- descent


def descent(name="gaussian", max_iter=150, n=256, **kw):
    clean, x = piecewise(n=n, sigma=0.1)
    problem = field1d.denoising_problem(clean, x, 0.1)
    D = denoisers.build(name, 0.1)
    return field1d.Descent(problem, D, max_iter=max_iter,
                           **field1d.descent_params(problem, **kw)), problem, D


def test_descent_params_follow_the_safe_step_rule():
    _, problem, _ = descent()
    params = field1d.descent_params(problem, lam_sigma2=2.0, step_fraction=0.5)
    assert params["lam"] == pytest.approx(2.0 / 0.1**2)
    assert params["step"] == pytest.approx(0.5 * 2.0 / (1 / 0.1**2 + params["lam"]))
    with pytest.raises(ValueError, match="step_fraction"):
        field1d.descent_params(problem, step_fraction=0.0)
    with pytest.raises(ValueError, match="lam_sigma2"):
        field1d.descent_params(problem, lam_sigma2=-1.0)


def test_denoising_problem_is_the_identity_problem():
    clean, x = piecewise()
    problem = field1d.denoising_problem(clean, x, 0.05)
    np.testing.assert_array_equal(problem.y, x)
    np.testing.assert_array_equal(problem.x0, x)
    assert problem.A.name == "denoise" and problem.lipschitz == pytest.approx(1 / 0.05**2)


def test_descent_advances_in_chunks_and_shrinks_the_field():
    run, problem, D = descent()
    assert run.iteration == 0 and [h["iter"] for h in run.history] == [0]
    assert run.advance(5) and run.iteration == 5
    assert [h["iter"] for h in run.history] == list(range(6))
    while run.advance(20):
        pass
    assert run.status == "converged" and run.done and "converged" in run.message
    objective = [h["objective"] for h in run.history]
    # Gaussian filter: linear and symmetric, E is a convex quadratic and descends monotonically
    assert all(b <= a + 1e-9 for a, b in zip(objective, objective[1:], strict=False))
    start = field1d.gradient_field(problem.truth, problem.y, D)
    end = field1d.gradient_field(problem.truth, run.x, D)
    assert end.magnitude.mean() < 0.7 * start.magnitude.mean()  # the arrows shrink
    assert end.psnr_x > start.psnr_x + 2
    assert "x" not in run.history[-1]


def test_animation_frames_show_the_first_iterations_one_by_one():
    _, problem, D = descent()
    run = field1d.Descent(problem, D, max_iter=500, tol=0.0, **field1d.descent_params(problem))
    seen = [run.iteration]
    while run.advance_frame():
        seen.append(run.iteration)
    seen.append(run.iteration)
    assert seen[:9] == list(range(9)) and seen[9:12] == [10, 12, 15]
    assert seen[-1] == 500 and len(seen) < 40


def test_descent_stops_at_max_iter_or_when_asked():
    run, _, _ = descent(max_iter=7)
    while run.advance(3):
        pass
    assert run.status == "max_iter" and run.iteration == 7
    run, _, _ = descent()
    run.advance(2)
    run.stop()
    assert run.status == "stopped" and run.done and not run.advance(5) and run.iteration == 2


def test_a_diverging_descent_keeps_its_last_finite_iterate():
    run, _, _ = descent(name="gaussian", step_fraction=3.0, max_iter=500)
    while run.advance(50):
        pass
    assert run.status == "diverged"
    assert np.all(np.isfinite(run.x)) and np.abs(run.x).max() <= 1e3


# --------------------------------------------------------------------------- figures


def test_arrows_go_from_x_to_the_denoised_signal():
    x = np.array([0.2, 0.5, 0.5, 0.9])
    dx = np.array([0.4, 0.3, 0.5, 0.8])
    shafts, heads = plots.gradient_arrows(x, dx, max_heads=10)
    segments = np.reshape(shafts["y"], (4, 3))
    np.testing.assert_array_equal(segments[:, 0], x)  # tail at x
    np.testing.assert_array_equal(segments[:, 1], dx)  # tip at D(x)
    assert np.isnan(segments[:, 2]).all()  # a gap after every arrow
    np.testing.assert_array_equal(np.reshape(shafts["x"], (4, 3))[:, :2],
                                  [[i, i] for i in range(4)])
    # heads sit on D(x) and point the way the sample moves; zero-length arrows get none
    assert heads["x"].tolist() == [0, 1, 3]
    np.testing.assert_array_equal(heads["y"], dx[[0, 1, 3]])
    assert heads["symbol"].tolist() == ["triangle-up", "triangle-down", "triangle-down"]


def test_arrowheads_are_subsampled_for_long_signals():
    x = np.zeros(2048)
    _, heads = plots.gradient_arrows(x, x + 1.0, max_heads=128)
    assert len(heads["x"]) == 128 and np.all(np.diff(heads["x"]) == 16)
    _, heads = plots.gradient_arrows(x, x + 0.001, max_heads=128, min_length=0.01)
    assert len(heads["x"]) == 0


@pytest.mark.parametrize("name", ["piecewise_constant", "chirp"])
def test_field_figure_has_the_expected_traces(name):
    clean = signals.make(name, 300)
    x = signals.noisy(clean, 0.1)
    stats = field1d.gradient_field(clean, x, denoisers.build("gaussian", 0.1))
    fig = plots.gradient_field_figure(stats, x_name="noisy x")
    go.Figure(fig.to_dict())  # the unvalidated build is a valid figure
    names = [t.name for t in fig.data]
    assert names[:5] == ["clean", "RED step −(x − D(x))", "noisy x", "D(x)",
                         "RED step −(x − D(x))"]  # arrowheads drawn over D(x)
    assert names[5:8] == ["|x − D(x)|", stats.region_label, "local mean"]
    np.testing.assert_array_equal(fig.data[7].y, stats.local_mean)
    assert all(t.legend == "legend2" for t in fig.data[5:])  # the bottom panel's own legend
    assert [n for n in names if n.startswith("mean")] == [
        f"mean smooth stretches: {stats.mean_smooth:.3g}",
        f"mean {stats.region_label}: {stats.mean_rough:.3g}",
    ]
    shafts = fig.data[1]
    np.testing.assert_array_equal(np.reshape(shafts.y, (300, 3))[:, :2],
                                  np.column_stack([x, stats.denoised]))
    assert all(t.yaxis == "y2" for t in fig.data[5:]) and fig.layout.xaxis.matches == "x2"
    assert len(fig.data[6].x) == stats.rough.sum()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], stats.rough.astype(int), [0]])) == 1)
    expected_shapes = 2 * len(edges) if len(edges) <= plots.MAX_SHADED_RUNS else 0
    assert len(fig.layout.shapes) == expected_shapes
    spec = json.loads(fig.to_json())
    assert spec["layout"]["template"]["layout"]["font"]["size"] == 13  # the lab's template


def test_descent_figure_draws_objective_and_psnr_per_iteration():
    run, _, _ = descent(max_iter=40)
    run.advance(10)
    fig = plots.descent_figure(run.history)
    go.Figure(fig.to_dict())
    assert list(fig.data[0].x) == list(range(11)) == list(fig.data[1].x)
    assert fig.data[0].y[0] == pytest.approx(run.history[0]["objective"])
    assert fig.data[1].y[-1] == pytest.approx(run.history[-1]["psnr"])
    assert fig.layout.yaxis.type == "log" and fig.data[1].yaxis == "y2"
