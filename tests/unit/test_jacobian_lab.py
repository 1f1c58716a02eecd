"""Unit tests of red_core.jacobian_lab (the Jacobian lab page's computations)."""

import math
import re

import numpy as np
import pytest

from red_core import denoisers, images, signals
from red_core.lab import jacobian_lab as lab
from red_core.theory import diagnostics
from ui.events import picked_point

SIGMA = 25 / 255


@pytest.fixture(scope="module")
def signal_spec() -> lab.InputSpec:
    return lab.InputSpec("signal", "piecewise_constant", 32)


# --------------------------------------------------------------------------- inputs


def test_signal_input_is_the_seeded_noisy_test_signal(signal_spec):
    x = lab.make_input(signal_spec)
    clean = signals.make("piecewise_constant", 32, 0)
    np.testing.assert_array_equal(x, signals.noisy(clean, SIGMA, 0))
    assert signal_spec.unknowns == 32


def test_crop_input_is_a_noisy_crop_of_the_grey_picker_image():
    spec = lab.InputSpec("crop", "camera", 8, top=10, left=20, noise=0.0)
    image = lab.picker_image("camera")
    np.testing.assert_array_equal(lab.make_input(spec), image[10:18, 20:28])
    assert spec.unknowns == 64
    noisy = lab.make_input(lab.InputSpec("crop", "camera", 8, top=10, left=20, noise=0.1))
    assert 0.05 < np.std(noisy - image[10:18, 20:28]) < 0.15


def test_picker_image_is_grey_and_a_fresh_copy():
    colour = lab.picker_image("astronaut")
    assert colour.ndim == 2 and colour.shape == images.builtin("astronaut", 256).shape[:2]
    colour[0, 0] = -1.0  # writable, and the cached image is not touched
    assert lab.picker_image("astronaut")[0, 0] >= 0
    assert lab.crop_limits("camera", 16) == (240, 240)


@pytest.mark.parametrize("spec, message", [
    (lab.InputSpec("volume", "camera", 8), "kind must be one of"),
    (lab.InputSpec("signal", "chirp", 16), r"signal length n must be an integer in \[32, 256\]"),
    (lab.InputSpec("crop", "camera", 64), r"crop side must be an integer in \[8, 32\]"),
    (lab.InputSpec("crop", "camera", 16, top=250), "does not fit"),
])
def test_bad_inputs_are_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        lab.make_input(spec)


def test_centre_to_origin_centres_and_clamps():
    assert lab.centre_to_origin(100, 50, 16, (256, 200)) == (92, 42)
    assert lab.centre_to_origin(2.4, 3.6, 16, (256, 200)) == (0, 0)
    assert lab.centre_to_origin(255, 199, 16, (256, 200)) == (240, 184)
    with pytest.raises(ValueError, match="does not fit"):
        lab.centre_to_origin(0, 0, 32, (20, 100))


def test_picked_point_reads_a_plotly_selection_event():
    event = {"selection": {"points": [{"x": 12, "y": 30, "curve_number": 1}],
                           "point_indices": [7], "box": [], "lasso": []}}
    assert picked_point(event) == (30.0, 12.0)
    assert picked_point({"selection": {"points": []}}) is None
    assert picked_point(None) is None
    assert picked_point({}) is None


def test_denoisers_for_skips_bm3d_and_image_only_denoisers():
    one_d = lab.denoisers_for("signal")
    crops = lab.denoisers_for("crop")
    assert "bm3d" not in one_d and "bm3d" not in crops
    assert {"gaussian", "median", "tv", "nlm"} <= set(one_d)
    expected = [n for n in denoisers.names()
                if n != "bm3d" and denoisers.available(n) and denoisers.describe(n)["supports_1d"]]
    assert one_d == expected
    assert lab.denoisers_for("signal", ["bm3d", "median"]) == ["median"]
    with pytest.raises(ValueError, match="kind must be one of"):
        lab.denoisers_for("volume")


# --------------------------------------------------------------------------- analysis


@pytest.mark.parametrize("name", ["gaussian", "median", "nlm"])
def test_analyse_matches_the_diagnostics_report(name, signal_spec):
    x = lab.make_input(signal_spec)
    result = lab.analyse(denoisers.build(name, SIGMA), x)
    expected = diagnostics.report(denoisers.build(name, SIGMA), x)
    for field in ("symmetry", "homogeneity", "gradient", "lipschitz", "eig_min", "eig_max"):
        assert getattr(result.report, field) == pytest.approx(getattr(expected, field),
                                                              rel=1e-9, abs=1e-30), field
    assert result.report.name == name and result.report.sigma == SIGMA
    assert result.report.unknowns == 32
    assert result.report.denoiser_calls == 2 * 32 + 5
    np.testing.assert_allclose(result.jacobian, diagnostics.jacobian(denoisers.build(name, SIGMA),
                                                                     x))


def test_analyse_gradients_follow_the_formulas(signal_spec):
    x = lab.make_input(signal_spec)
    D = denoisers.build("median", SIGMA)
    result = lab.analyse(D, x)
    J = result.jacobian
    np.testing.assert_allclose(result.denoised, D(x))
    np.testing.assert_allclose(result.red_gradient, x - D(x))
    np.testing.assert_allclose(result.exact_gradient, x - D(x) / 2 - J.T @ x / 2)
    np.testing.assert_allclose(result.antisymmetric, J - J.T)
    # median: clearly non-symmetric, so the two gradients differ
    assert result.report.symmetry > 0.1
    assert np.linalg.norm(result.exact_gradient - result.red_gradient) > 0.01


def test_gaussian_analysis_is_symmetric_to_round_off_on_a_crop():
    x = lab.make_input(lab.InputSpec("crop", "camera", 8, top=100, left=100))
    result = lab.analyse(denoisers.build("gaussian", SIGMA), x)
    assert result.jacobian.shape == (64, 64)
    assert result.report.symmetry < 1e-20
    assert np.max(np.abs(result.antisymmetric)) < 1e-9
    np.testing.assert_allclose(result.exact_gradient, result.red_gradient, atol=1e-9)
    assert result.exact_gradient.shape == (8, 8)


def test_probe_report_measures_symmetry_and_homogeneity_only(signal_spec):
    x = lab.make_input(signal_spec)
    gaussian, stderr = lab.probe_report(denoisers.build("gaussian", SIGMA), x, n_probes=6)
    assert 0 <= stderr < 1e-12
    assert gaussian.symmetry < 1e-12 and gaussian.homogeneity < 1e-12
    assert math.isnan(gaussian.gradient) and math.isnan(gaussian.lipschitz)
    assert math.isnan(gaussian.eig_min) and math.isnan(gaussian.eig_max)
    assert gaussian.denoiser_calls == 2 * 6 + 3
    median, stderr = lab.probe_report(denoisers.build("median", SIGMA), x, n_probes=6)
    assert median.symmetry > 0.1 and 0 < stderr < median.symmetry


def test_pool_extreme_keeps_the_signed_largest_entry_per_block():
    M = np.arange(16.0).reshape(4, 4)
    same, k = lab.pool_extreme(M, max_side=4)
    assert k == 1 and same is M
    M[0, 1] = -100.0
    pooled, k = lab.pool_extreme(M, max_side=2)
    assert k == 2
    np.testing.assert_array_equal(pooled, [[-100.0, 7.0], [13.0, 15.0]])
    odd, k = lab.pool_extreme(np.ones((5, 5)), max_side=2)  # padded with zeros
    assert k == 3 and odd.shape == (2, 2) and np.all(odd == 1.0)
    big, k = lab.pool_extreme(np.eye(1024), max_side=256)
    assert k == 4 and big.shape == (256, 256) and np.all(np.diag(big) == 1.0)
    with pytest.raises(ValueError, match="2-D"):
        lab.pool_extreme(np.ones(3))
    with pytest.raises(ValueError, match="max_side"):
        lab.pool_extreme(M, max_side=0)


def test_survey_rows_label_and_keep_nan(signal_spec):
    x = lab.make_input(signal_spec)
    records = [lab.analyse(denoisers.build("gaussian", SIGMA), x).report.as_dict(),
               lab.probe_report(denoisers.build("median", SIGMA), x, n_probes=4)[0].as_dict()]
    rows = lab.survey_rows(records, {"gaussian": "my Gaussian"})
    # a given label, else the registry's: never the bare name
    assert [r["denoiser"] for r in rows] == ["my Gaussian", "Median filter"]
    assert [r["name"] for r in rows] == ["gaussian", "median"]
    assert rows[0]["symmetric_by_design"] and rows[0]["linear"]
    assert not rows[1]["symmetric_by_design"]
    assert set(lab.ERRORS) <= set(rows[0])
    assert math.isnan(rows[1]["gradient"]) and math.isnan(rows[1]["eig_min"])
    assert rows[0]["symmetry"] < 1e-20
    assert rows[0]["eig_min"] <= rows[0]["eig_max"] and rows[0]["lipschitz_J"] > 0
    assert rows[0]["denoiser_calls"] > 0
    # snake_case keys a page can label from the glossary
    assert all(re.fullmatch(r"[a-z_J]+", key) for key in rows[0])


def test_page_params_defaults_are_valid_and_hostile_values_are_not():
    params = lab.params()
    assert params["denoiser"].default == "nlm" and params["kind"].choices == lab.KINDS
    assert "bm3d" not in params["denoiser"].choices  # its full Jacobian takes minutes
    assert params["denoiser_sigma"].label == "Denoiser σ_d (×1/255)"
    assert params["noise_sigma"].label == "Noise σₑ (×1/255)"
    for key, p in params.items():
        assert p.parse_text(str(p.default)) == p.default, key
        for bad in ("abc", "nan", "-1", "1e308", "no_such_name"):
            assert p.parse_text(bad) is None, (key, bad)
    assert params["n"].parse_text("300") is None and params["size"].parse_text("33") is None


def test_slow_denoisers_are_the_registry_s():
    assert lab.is_slow("bm3d") and lab.is_slow("cnn_gs")
    assert not lab.is_slow("nlm") and not lab.is_slow("cnn")

