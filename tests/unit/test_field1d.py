"""The RED gradient field of 1-D signals (red_core.field1d) and its figures (plots section)."""

import json
import re
import threading
import time

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


def varying(n=512, sigma=25 / 255, seed=0, name="gaussian", denoiser_sigma=None):
    """The page's default: the varying-noise signal and the field of a denoiser tuned to σₑ."""
    clean, x = signals.observe("varying_noise", n, seed, sigma)
    D = denoisers.build(name, sigma if denoiser_sigma is None else denoiser_sigma)
    return field1d.gradient_field(clean, x, D, noisy=signals.noisy_stretches("varying_noise", n))


def shaft_segments(fig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample index, tail and tip of every arrow shaft of a field figure (its path shape)."""
    path = fig.layout.shapes[-1].path
    rows = re.findall(r"M([^,]+),([^L]+)L([^,]+),([^M]+)", path)
    index, tails, index2, tips = (np.array(col, dtype=float) for col in zip(*rows, strict=True))
    np.testing.assert_array_equal(index, index2)  # vertical segments
    return index, tails, tips


NAN_OR_INF = re.compile(r"\b(nan|inf)\b", re.IGNORECASE)


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


# --------------------------------------------------------------------------- varying noise


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("noise", [5, 25, 50, 100])
def test_the_field_is_large_on_the_noisy_stretches_and_small_on_the_quiet_ones(noise, seed):
    """The source's point at the page's defaults (Gaussian filter, σ_d = σₑ): ratio ≥ 3."""
    stats = varying(sigma=noise / 255, seed=seed)
    assert stats.region == "noisy" and stats.region_label == "on the noisy stretches"
    np.testing.assert_array_equal(stats.rough, signals.noisy_stretches("varying_noise", 512))
    assert stats.ratio == pytest.approx(stats.mean_rough / stats.mean_smooth)
    assert stats.ratio >= 3
    assert "larger on the noisy stretches" in field1d.summary(stats)


@pytest.mark.parametrize("name", ["gaussian", "median", "tv", "wavelet", "bilateral",
                                  "gradient_step_tv"])
def test_smoothing_denoisers_all_show_the_contrast(name):
    assert varying(name=name).ratio >= 3


def test_the_ratio_follows_the_noise_contrast_for_a_linear_smoother():
    """For the Gaussian filter x − D(x) = (I − G)(clean) + (I − G)(noise): on a smooth clean
    signal the field is the filtered noise, so the ratio tracks the noise levels' ratio."""
    stats = varying(n=2048, sigma=0.1)
    assert 0.7 * signals.NOISE_CONTRAST < stats.ratio < 1.3 * signals.NOISE_CONTRAST


def test_a_noisy_mask_that_does_not_split_the_signal_is_ignored():
    clean, _ = piecewise()
    for mask in (np.zeros(clean.size, bool), np.ones(clean.size, bool), None):
        rough, region = field1d.rough_mask(clean, noisy=mask)
        assert region == "jumps"
        np.testing.assert_array_equal(rough, signals.jump_mask(clean, field1d.JUMP_WIDTH))
    with pytest.raises(ValueError, match="noisy has shape"):
        field1d.rough_mask(clean, noisy=np.zeros(3, bool))


# --------------------------------------------------------------------------- captions


def test_caption_reads_the_numbers_of_the_defaults():
    stats = varying()
    text = field1d.caption(stats, "x")
    assert f"ratio **{stats.ratio:.2f}×**" in text
    assert f"{stats.mean_smooth:.4f} on the quiet (smooth) stretches" in text
    assert f"{stats.mean_rough:.4f} on the noisy stretches" in text
    assert f"PSNR** of x {stats.psnr_x:.2f} dB" in text
    assert not NAN_OR_INF.search(text)


def test_no_noise_captions_have_no_nan_or_inf():
    clean = signals.make("varying_noise", 512)
    # σₑ = 0 and σ_d linked to it: the denoiser is the identity, the field is zero
    linked = field1d.gradient_field(clean, clean, denoisers.build("gaussian", 0.0),
                                    noisy=signals.noisy_stretches("varying_noise", 512))
    assert np.isnan(linked.ratio) and linked.psnr_x == np.inf
    text = field1d.caption(linked, "x")
    assert not NAN_OR_INF.search(text), text
    assert "ratio **—**" in text and "exact" in text and "No noise" in text
    # σₑ = 0 with a real denoiser: the field is the denoiser's own bias
    biased = field1d.gradient_field(clean, clean, denoisers.build("gaussian", 0.1))
    text = field1d.caption(biased, "x")
    assert not NAN_OR_INF.search(text), text
    assert "denoiser's own bias" in text and "PSNR** of x exact" in text


def test_a_field_that_vanishes_on_the_smooth_stretches_reads_without_inf():
    clean, _ = piecewise()
    mask = signals.jump_mask(clean, field1d.JUMP_WIDTH)
    stats = field1d.gradient_field(clean, clean, lambda v: v - 0.1 * mask)
    text = field1d.caption(stats)
    assert stats.ratio == np.inf and not NAN_OR_INF.search(text), text
    assert "no field on the smooth stretches" in text


def test_formatters():
    assert field1d.format_ratio(5.678) == "5.68×"
    assert field1d.format_ratio(float("nan")) == "—"
    assert field1d.format_ratio(float("inf")).startswith("—")
    assert field1d.format_psnr(24.314) == "24.31 dB"
    assert field1d.format_psnr(float("inf")).startswith("exact")
    assert field1d.format_psnr(float("nan")) == "—"


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


def test_animation_frames_double_the_iteration_count():
    _, problem, D = descent()
    run = field1d.Descent(problem, D, max_iter=500, tol=0.0, **field1d.descent_params(problem))
    seen = [run.iteration]
    while run.advance_frame(seconds=60.0):  # a budget this large never cuts a frame short
        seen.append(run.iteration)
    seen.append(run.iteration)
    first = field1d.FIRST_CHUNK
    assert seen == [0, first, 2 * first, 4 * first, 8 * first, 16 * first, 32 * first, 500]


def test_a_frame_ends_when_its_time_budget_is_spent():
    _, problem, D = descent()

    def slow(v):  # 20 ms per call: a budget of 50 ms holds a few iterations, never 8
        time.sleep(0.02)
        return D(v)

    run = field1d.Descent(problem, slow, max_iter=500, tol=0.0,
                          **field1d.descent_params(problem))
    run.advance_frame(seconds=0.05)
    assert 1 <= run.iteration < field1d.FIRST_CHUNK
    before = run.iteration
    run.advance_for(0.0)  # no budget: exactly one iteration
    assert run.iteration == before + 1
    run.advance_for(60.0, max_iterations=3)
    assert run.iteration == before + 4
    with pytest.raises(ValueError, match="seconds"):
        run.advance_for(float("nan"))


def test_descent_stops_at_max_iter_or_when_asked():
    run, _, _ = descent(max_iter=7)
    while run.advance(3):
        pass
    assert run.status == "max_iter" and run.iteration == 7
    run, _, _ = descent()
    run.advance(2)
    run.stop()
    assert run.status == "stopped" and run.done and not run.advance(5) and run.iteration == 2


def test_stop_from_another_thread_while_an_iteration_runs():
    """The page's Stop callback can run on a new script thread while the old one is inside the
    runner's next(): stop() must wait for that iteration, not raise "generator already
    executing", and no record may arrive after it (the CI failure of 2026-12-01)."""
    _, problem, D = descent()
    entered, release = threading.Event(), threading.Event()

    def slow(v):
        entered.set()
        release.wait(5)
        return D(v)

    run = field1d.Descent(problem, slow, max_iter=500, tol=0.0,
                          **field1d.descent_params(problem))
    stepping = threading.Thread(target=run.advance_for, args=(60.0,))
    stepping.start()
    assert entered.wait(5)  # the stepping thread is inside the denoiser, hence inside next()
    errors: list[BaseException] = []

    def stop():
        try:
            run.stop()
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever stop() raises
            errors.append(exc)

    stopper = threading.Thread(target=stop)
    stopper.start()
    time.sleep(0.05)
    assert stopper.is_alive()  # stop() waits for the iteration in progress
    release.set()
    stopper.join(5)
    stepping.join(5)
    assert not errors and not stepping.is_alive() and not stopper.is_alive()
    assert run.status == "stopped" and run.done
    stopped_at = run.iteration
    assert not run.advance(5) and run.iteration == stopped_at


def test_a_diverging_descent_keeps_its_last_finite_iterate():
    run, _, _ = descent(name="gaussian", step_fraction=3.0, max_iter=500)
    while run.advance(50):
        pass
    assert run.status == "diverged"
    assert np.all(np.isfinite(run.x)) and np.abs(run.x).max() <= 1e3


def test_status_text_names_the_pages_control_when_the_descent_diverges():
    run, _, _ = descent(name="gaussian", step_fraction=2.5, max_iter=500)
    assert field1d.status_text(run, 2.5) == "running…"
    while run.advance(50):
        pass
    text = field1d.status_text(run, 2.5, control="step fraction")
    assert run.status == "diverged" and "(step, now" in run.message  # the runner names μ ...
    assert "Lower the step fraction (now 2.50" in text  # ... the page its own control
    assert f"diverged at iteration {run.iteration}" in text
    done, _, _ = descent(max_iter=5)
    while done.advance(5):
        pass
    text = field1d.status_text(done, 0.5)
    assert done.status == "max_iter" and text.startswith("max_iter: the limit of 5 iterations")
    assert "stopped" not in text  # the runner's "stopped after max_iter" is not the Stop button
    converged, _, _ = descent()
    while converged.advance(50):
        pass
    assert field1d.status_text(converged, 0.5) == converged.message  # "converged after ..."
    converged.stop()  # a finished run stays as it ended
    stopped, _, _ = descent()
    stopped.advance(3)
    stopped.stop()
    assert field1d.status_text(stopped, 0.5) == "stopped after 3 iterations"


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
    assert names[:4] == ["clean", "noisy x", "D(x)",
                         "RED step −(x − D(x))"]  # arrowheads drawn over D(x)
    assert names[4:7] == ["|x − D(x)|", stats.region_label, "local mean"]
    np.testing.assert_array_equal(fig.data[6].y, stats.local_mean)
    assert all(t.legend == "legend2" for t in fig.data[4:])  # the bottom panel's own legend
    assert [n for n in names if n.startswith("mean")] == [
        f"mean smooth stretches: {stats.mean_smooth:.3g}",
        f"mean {stats.region_label}: {stats.mean_rough:.3g}",
    ]
    # the bottom legend sits under the bottom panel (outside the plot, the margin grows to fit
    # its rows on a narrow screen) instead of over the top panel
    assert fig.layout.legend2.y < 0 and fig.layout.legend2.yanchor == "top"
    # the shafts: one SVG path from x[i] to D(x)[i] at every sample, not a trace per sample
    index, tails, tips = shaft_segments(fig)
    np.testing.assert_array_equal(index, np.arange(300))
    np.testing.assert_allclose(tails, x, rtol=1e-4)
    np.testing.assert_allclose(tips, stats.denoised, rtol=1e-4)
    assert all(t.yaxis == "y2" for t in fig.data[4:]) and fig.layout.xaxis.matches == "x2"
    rough = np.array(fig.data[5].y, dtype=float)  # the rough samples' field, gaps elsewhere
    np.testing.assert_array_equal(np.isfinite(rough), stats.rough)
    np.testing.assert_array_equal(rough[stats.rough], stats.magnitude[stats.rough])
    assert not any(t.mode == "markers" and len(t.x) > 128 for t in fig.data)  # light to draw
    edges = np.flatnonzero(np.diff(np.concatenate([[0], stats.rough.astype(int), [0]])) == 1)
    expected_shapes = 2 * len(edges) if len(edges) <= plots.MAX_SHADED_RUNS else 0
    assert len(fig.layout.shapes) == expected_shapes + 1
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
    # panel titles above the panels (not y-axis titles in the gap between them)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["RED objective E(x) (log scale)", "PSNR (dB)"]
    assert [a.x for a in fig.layout.annotations] == [fig.layout.xaxis.domain[0],
                                                     fig.layout.xaxis2.domain[0]]


def test_the_varying_noise_figure_shades_the_noisy_stretches():
    stats = varying()
    fig = plots.gradient_field_figure(stats)
    go.Figure(fig.to_dict())
    names = [t.name for t in fig.data]
    assert "on the noisy stretches" in names
    assert f"mean quiet (smooth) stretches: {stats.mean_smooth:.3g}" in names
    assert len(fig.layout.shapes) == 5  # two noisy stretches shaded in both panels, the shafts
