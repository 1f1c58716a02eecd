"""Tests of red_core.tweedie: grid evaluations of Tweedie's identity, curl and geometry."""

import numpy as np
import pytest
from scipy import integrate

from red_core.lab.tweedie import (
    FIELD_DENOISERS,
    arrow_segments,
    components_1d,
    count_modes,
    curl_summary,
    divergence_2d,
    field_denoiser,
    grid_2d,
    mixture_1d,
    outside_box,
    parse_points,
    plot_box,
    random_starts,
    red_field,
    tweedie_1d,
)
from red_core.theory.score import GaussianMixture, nonsymmetric_field_denoiser, preset, preset_names

GRID = np.linspace(-15.0, 15.0, 3001)


# ---------------------------------------------------------------------- 1-D
def test_mixture_1d_round_trips_through_components_1d():
    gm = mixture_1d([-1.0, 2.0, 0.5], [0.3, 0.8, 1.2], [2.0, 1.0, 1.0])
    assert gm.dim == 1
    np.testing.assert_allclose(gm.covariances[:, 0, 0], [0.09, 0.64, 1.44])
    np.testing.assert_allclose(components_1d(gm), [(-1.0, 0.3, 0.5), (2.0, 0.8, 0.25),
                                                   (0.5, 1.2, 0.25)])


@pytest.mark.parametrize("name", preset_names(1))
def test_components_1d_rebuild_the_preset(name):
    gm = preset(name)
    rebuilt = mixture_1d(*zip(*components_1d(gm), strict=True))
    x = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(rebuilt.density(x, 0.3), gm.density(x, 0.3), rtol=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.0, 1.0], [0.5], [1.0, 1.0]), "one value per component"),
        (([], [], []), "non-empty"),
        (([0.0], [0.0], [1.0]), "stds must be finite and > 0"),
        (([0.0], [-1.0], [1.0]), "stds must be finite and > 0"),
        (([0.0], [1.0], [-1.0]), "weights must be positive"),
    ],
)
def test_mixture_1d_rejects_bad_components(args, message):
    with pytest.raises(ValueError, match=message):
        mixture_1d(*args)


def test_components_1d_needs_a_1d_mixture():
    with pytest.raises(ValueError, match="1-D mixture"):
        components_1d(preset("ring of 5"))


def test_count_modes():
    x = np.linspace(-4, 4, 401)
    assert count_modes(-x) == 1  # score of N(0, 1)
    bimodal = mixture_1d([-2.0, 2.0], [0.5, 0.5], [1.0, 1.0])
    assert count_modes(bimodal.score(x, 0.0)) == 2
    assert count_modes(np.ones(5)) == 0
    assert count_modes([1.0, 0.0, -1.0]) == 1  # a zero exactly on the grid counts once


@pytest.mark.parametrize("sigma", [0.01, 0.3, 1.5])
@pytest.mark.parametrize("name", preset_names(1))
def test_tweedie_1d_sides_agree_to_round_off(name, sigma):
    gm = preset(name)
    t = tweedie_1d(gm, sigma, GRID)
    assert t.max_abs_difference < 1e-12
    assert t.max_abs_difference == pytest.approx(np.max(np.abs(t.red_gradient - t.scaled_score)))
    np.testing.assert_allclose(t.mmse, gm.mmse(GRID, sigma))
    np.testing.assert_allclose(t.red_gradient, GRID - t.mmse)
    # both densities integrate to one on the (wide) grid
    assert integrate.trapezoid(t.prior, GRID) == pytest.approx(1.0, abs=1e-6)
    assert integrate.trapezoid(t.blurred, GRID) == pytest.approx(1.0, abs=1e-6)


def test_tweedie_1d_single_gaussian_is_a_wiener_filter():
    # D*(x) = m + v/(v + σ²)(x − m): slope v/(v + σ²), one mode, p_σ = N(m, v + σ²)
    mean, var, sigma = 0.7, 0.5, 0.6
    t = tweedie_1d(mixture_1d([mean], [np.sqrt(var)], [1.0]), sigma, GRID)
    gain = var / (var + sigma**2)
    np.testing.assert_allclose(t.mmse, mean + gain * (GRID - mean), atol=1e-12)
    assert t.max_slope == pytest.approx(gain, rel=1e-12)
    assert t.modes_prior == t.modes_blurred == 1
    total = var + sigma**2
    np.testing.assert_allclose(
        t.blurred, np.exp(-((GRID - mean) ** 2) / (2 * total)) / np.sqrt(2 * np.pi * total)
    )


def test_tweedie_1d_blurring_merges_modes_and_makes_d_expansive():
    gm = mixture_1d([-1.0, 1.0], [0.2, 0.2], [1.0, 1.0])
    sharp = tweedie_1d(gm, 0.3, GRID)
    assert sharp.modes_prior == sharp.modes_blurred == 2
    assert sharp.max_slope > 1.0  # between the modes the posterior is bimodal
    blurred = tweedie_1d(gm, 1.5, GRID)
    assert blurred.modes_prior == 2 and blurred.modes_blurred == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sigma": 0.0}, "sigma must be a finite number > 0"),
        ({"sigma": np.nan}, "sigma must be a finite number > 0"),
        ({"x": np.array([1.0, 0.0])}, "increasing"),
        ({"x": np.zeros((3, 2))}, "increasing"),
    ],
)
def test_tweedie_1d_rejects_bad_input(kwargs, message):
    args = {"gm": preset("two bumps"), "sigma": 0.5, "x": GRID} | kwargs
    with pytest.raises(ValueError, match=message):
        tweedie_1d(**args)
    with pytest.raises(ValueError, match="1-D mixture"):
        tweedie_1d(preset("crescent"), 0.5, GRID)


# ---------------------------------------------------------------------- geometry
@pytest.mark.parametrize("name", preset_names())
def test_plot_box_contains_the_means_with_margin(name):
    gm = preset(name)
    box = plot_box(gm, n_std=3.0, pad=0.5)
    assert box.shape == (gm.dim, 2)
    assert np.all(gm.means >= box[:, 0] + 0.5) and np.all(gm.means <= box[:, 1] - 0.5)
    widths = box[:, 1] - box[:, 0]
    np.testing.assert_allclose(widths, widths.max())
    assert not np.allclose(np.diff(plot_box(preset("crossed ellipses"), square=False)), widths[0])


def test_plot_box_rejects_negative_sizes():
    with pytest.raises(ValueError, match=">= 0"):
        plot_box(preset("two bumps"), n_std=-1.0)


def test_grid_2d_layout_is_row_y_column_x():
    xs, ys, pts = grid_2d([[0.0, 1.0], [-2.0, 2.0]], 5)
    assert pts.shape == (5, 5, 2)
    np.testing.assert_allclose(pts[2, 4], [xs[4], ys[2]])
    np.testing.assert_allclose(ys, np.linspace(-2, 2, 5))
    with pytest.raises(ValueError, match="box"):
        grid_2d([[1.0, 0.0], [0.0, 1.0]], 5)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        grid_2d([[0.0, 1.0], [0.0, 1.0]], 1)


def test_random_starts_in_box_and_reproducible():
    box = np.array([[-1.0, 3.0], [10.0, 11.0]])
    a = random_starts(box, 200, 7)
    assert a.shape == (200, 2)
    assert np.all(a >= box[:, 0]) and np.all(a <= box[:, 1])
    np.testing.assert_array_equal(a, random_starts(box, 200, 7))
    assert not np.array_equal(a, random_starts(box, 200, 8))
    assert random_starts(box, 0, 0).shape == (0, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", np.zeros((0, 2))),
        ("  ;  ", np.zeros((0, 2))),
        ("0, 0", [[0.0, 0.0]]),
        ("(1.5, -1); -2 3;\n.5,1e-1", [[1.5, -1.0], [-2.0, 3.0], [0.5, 0.1]]),
    ],
)
def test_parse_points(text, expected):
    np.testing.assert_allclose(parse_points(text), np.reshape(expected, (-1, 2)))


@pytest.mark.parametrize("text", ["1", "1, 2, 3", "a, b", "1,, 2"])
def test_parse_points_names_the_bad_piece(text):
    with pytest.raises(ValueError, match="could not read"):
        parse_points(text)


def test_outside_box():
    box = np.array([[0.0, 1.0], [0.0, 1.0]])
    paths = np.zeros((3, 3, 2))
    paths[-1] = [[0.5, 0.5], [2.0, 0.5], [0.5, -1e9]]
    np.testing.assert_array_equal(outside_box(paths, box), [False, True, True])


def test_arrow_segments_geometry():
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    vec = np.array([[1.0, 0.0], [0.0, 0.5], [0.0, 0.0]])
    xs, ys = arrow_segments(pts, vec, max_length=0.2, quantile=1.0, head=0.5, head_angle=30)
    assert xs.shape == ys.shape == (21,)
    seg = np.stack([xs, ys], axis=1).reshape(3, 7, 2)
    assert np.all(np.isnan(seg[:, [2, 6]]))
    np.testing.assert_allclose(seg[:, 0], pts)  # tails
    np.testing.assert_allclose(seg[:, 1] - pts, [[0.2, 0.0], [0.0, 0.1], [0.0, 0.0]])
    np.testing.assert_allclose(seg[:, 4], seg[:, 1])  # the head meets at the tip
    # barbs: half the arrow long, 30° either side of the reversed direction
    barb = seg[0, 3] - seg[0, 1]
    assert np.linalg.norm(barb) == pytest.approx(0.1)
    assert np.degrees(np.arccos(-barb[0] / 0.1)) == pytest.approx(30.0)
    assert seg[0, 3, 1] * seg[0, 5, 1] < 0  # one barb on each side


def test_arrow_segments_clip_long_vectors_at_the_quantile():
    pts = np.zeros((10, 2))
    vec = np.stack([np.arange(1.0, 11.0), np.zeros(10)], axis=1)
    xs, _ = arrow_segments(pts, vec, max_length=1.0, quantile=0.5)
    lengths = xs.reshape(10, 7)[:, 1]
    assert lengths.max() == pytest.approx(1.0)
    assert np.sum(lengths == 1.0) == 5
    np.testing.assert_allclose(lengths[:4], np.arange(1.0, 5.0) / 5.5)
    xs, ys = arrow_segments(pts, np.zeros((10, 2)), max_length=1.0)  # zero field
    assert np.all(np.nan_to_num(xs) == 0.0) and np.all(np.nan_to_num(ys) == 0.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vectors": np.zeros((3, 2))}, "same shape"),
        ({"max_length": 0.0}, "max_length"),
        ({"quantile": 0.0}, "quantile"),
    ],
)
def test_arrow_segments_rejects_bad_input(kwargs, message):
    args = {"points": np.zeros((2, 2)), "vectors": np.ones((2, 2)), "max_length": 1.0} | kwargs
    with pytest.raises(ValueError, match=message):
        arrow_segments(**args)


# ---------------------------------------------------------------------- 2-D fields
def test_field_denoiser_kinds():
    gm = preset("ring of 5")
    x = gm.sample(20, 1)
    np.testing.assert_array_equal(field_denoiser(gm, 0.4, "mmse")(x), gm.mmse(x, 0.4))
    np.testing.assert_allclose(field_denoiser(gm, 0.4, "rotated", 0.7)(x),
                               nonsymmetric_field_denoiser(gm, 0.4, 0.7)(x))
    np.testing.assert_allclose(red_field(gm.denoiser(0.4))(x), -0.16 * gm.score(x, 0.4),
                               atol=1e-12)
    assert set(FIELD_DENOISERS) == {"mmse", "rotated"}
    with pytest.raises(ValueError, match="allowed: mmse, rotated"):
        field_denoiser(gm, 0.4, "bm3d")


def test_divergence_and_curl_of_a_linear_field():
    a = np.array([[0.3, -1.2], [0.5, 2.0]])
    pts = np.random.default_rng(0).normal(size=(15, 2))
    summary = curl_summary(lambda x: x @ a.T, pts)
    np.testing.assert_allclose(divergence_2d(lambda x: x @ a.T, pts), np.trace(a), rtol=1e-9)
    np.testing.assert_allclose(summary.curl, a[1, 0] - a[0, 1], rtol=1e-9)
    assert summary.relative_curl == pytest.approx(1.7 / 2.3, rel=1e-9)
    assert not summary.is_gradient


@pytest.mark.parametrize("sigma", [0.1, 0.5, 1.5])
@pytest.mark.parametrize("name", preset_names(2))
def test_mmse_field_is_a_gradient_field_and_the_rotated_one_is_not(name, sigma):
    gm = preset(name)
    _, _, grid = grid_2d(plot_box(gm), 12)
    mmse = curl_summary(red_field(field_denoiser(gm, sigma, "mmse")), grid)
    assert mmse.curl.shape == grid.shape[:2]
    assert mmse.is_gradient and mmse.relative_curl < 1e-8
    assert mmse.mean_abs_divergence > 0.1
    rotated = curl_summary(red_field(field_denoiser(gm, sigma, "rotated", 0.8)), grid)
    assert not rotated.is_gradient
    # curl = −s · div point by point for the rotated MMSE field, and div is unchanged
    assert rotated.relative_curl == pytest.approx(0.8, rel=1e-6)
    np.testing.assert_allclose(rotated.divergence, mmse.divergence, rtol=1e-6, atol=1e-9)
    assert curl_summary(red_field(field_denoiser(gm, sigma, "rotated", 0.0)), grid).is_gradient


def test_curl_summary_of_a_zero_field():
    summary = curl_summary(lambda x: np.zeros_like(x), np.zeros((4, 2)))
    assert summary.relative_curl == 0.0 and summary.is_gradient


def test_red_field_of_a_gaussian_prior_points_away_from_the_mean():
    gm = GaussianMixture([1.0], [[1.0, -1.0]], [0.5])
    x = np.array([[3.0, -1.0], [1.0, 2.0]])
    field = red_field(gm.denoiser(0.5))(x)
    # x − D*(x) = σ²/(v + σ²) (x − m) for an isotropic Gaussian
    np.testing.assert_allclose(field, 0.25 / 0.75 * (x - gm.means[0]))


@pytest.mark.parametrize("text, message", [
    ("; ".join(["1, 1"] * 41), "at most 40"),
    ("1e999, 0", "too far out"),
    ("0, -2000", "too far out"),
])
def test_parse_points_refuses_too_many_or_too_far_points(text, message):
    with pytest.raises(ValueError, match=message):
        parse_points(text)
    assert parse_points("; ".join(["1, 1"] * 40)).shape == (40, 2)


def test_page_params_defaults_are_valid_and_hostile_values_are_not():
    from red_core.lab import tweedie

    params = tweedie.params()
    first = components_1d(preset(preset_names(1)[0]))
    assert params["gm1_k"].default == len(first)
    assert params["gm1_mean_1"].default == pytest.approx(first[1][0])
    assert params["gm1_mean_3"].default == tweedie.EXTRA_COMPONENTS[3][0]
    for key, p in params.items():
        assert p.name == key
        if p.kind != "object":
            assert p.parse_text(str(p.default)) == p.default, key
            for bad in ("abc", "nan", "1e308", "no_such_name"):
                assert p.parse_text(bad) is None, (key, bad)
    assert params["gm2_preset"].choices == preset_names(2)
    assert params["tweedie_sigma"].unit == "units of x"  # a toy prior, not pixels
