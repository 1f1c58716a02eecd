"""AppTest checks of the "Jacobian lab" page (views/jacobian.py)."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from red_core import denoisers
from red_core.lab import jacobian_lab as lab

APP = str(Path(__file__).parents[2] / "app.py")
# every denoiser that accepts 1-D signals (BM3D is images-only)
ONE_D = [n for n in denoisers.NAMES
         if denoisers.describe(n)["supports_1d"] and denoisers.available(n)]


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=90)
    app.run()
    app.switch_page("pages/jacobian.py").run()
    assert not app.exception
    return app


def chart(app: AppTest, key: str) -> dict:
    """The plotly figure with widget/element key ``key``, parsed."""
    found = [c for c in app.get("plotly_chart") if key in c.proto.id]
    assert len(found) == 1, f"{len(found)} charts with key {key}"
    return json.loads(found[0].proto.spec)


def array(value) -> np.ndarray:
    """A plotly data array: nested lists, or {"dtype", "bdata", "shape"} (base64)."""
    if isinstance(value, dict):
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if shape:
            data = data.reshape([int(s) for s in str(shape).split(",")])
        return data
    return np.array(value, dtype=float)


def metric(app: AppTest, label: str) -> float:
    return float(next(m for m in app.metric if m.label == label).value)


def test_defaults_show_the_jacobian_of_nlm_on_a_1d_signal(at):
    assert at.title[0].value == "Jacobian lab"
    assert at.radio(key="jl_kind").value == "1-D signal"
    assert at.selectbox(key="jl_denoiser").value == "nlm"
    assert at.slider(key="jl_sigma").value == 25 and at.slider(key="jl_n").value == 64
    spec = chart(at, "jl_jacobian")
    J, antisym = (array(t["z"]) for t in spec["data"])
    assert J.shape == antisym.shape == (64, 64)
    np.testing.assert_allclose(antisym, J - J.T, atol=1e-5)  # float32 on the wire
    layout = spec["layout"]["coloraxis"]
    assert layout["cmin"] == -layout["cmax"] and layout["colorscale"]  # one scale, centred
    # NLM: clearly non-symmetric, and all three errors shown with their meaning
    assert metric(at, "Symmetry error e_J") > 1e-2
    assert metric(at, "Homogeneity error") > 0
    assert metric(at, "RED-gradient error") > 1e-2
    labels = [m.label for m in at.metric]
    assert "Local Lipschitz constant ‖J‖₂" in labels and "Eigenvalues of (J + Jᵀ)/2" in labels
    captions = " ".join(c.value for c in at.caption)
    assert "‖J − Jᵀ‖²_F / ‖J‖²_F" in captions and "J(x)x − D(x)" in captions
    # exact and RED gradients: two curves on one plot, x − D(x) of the noisy signal
    names = [t["name"] for t in chart(at, "jl_gradients")["data"]]
    assert names == ["exact ∇ρ(x) = x − D(x)/2 − J(x)ᵀx/2", "RED gradient x − D(x)"]
    # the survey and the curves wait for their toggles
    assert not at.dataframe
    assert not [c for c in at.get("plotly_chart") if "jl_survey_chart" in c.proto.id]
    assert any("DnCNN" in m.value and "SwinIR" in m.value for m in at.markdown)


def test_symmetry_error_is_round_off_only_for_the_gaussian(at):
    for name, low, high in [("gaussian", 0.0, 1e-8),  # linear and symmetric: round-off
                            ("median", 1e-2, np.inf),
                            ("tv", 1e-4, np.inf)]:
        at.selectbox(key="jl_denoiser").select(name).run()
        assert not at.exception
        value = metric(at, "Symmetry error e_J")
        assert low <= value <= high, (name, value)
        delta = next(m for m in at.metric if m.label == "Symmetry error e_J").delta
        assert delta == ("holds (round-off)" if name == "gaussian" else "fails")


def test_survey_table_lists_every_1d_denoiser(at):
    at.toggle(key="jl_survey").set_value(True).run()
    assert not at.exception
    table = at.dataframe[0].value
    import red_core.structured_denoisers  # noqa: F401  (page registers them too)
    page_labels = set(table["denoiser"])
    assert len(table) == len(ONE_D) == len(page_labels)
    assert "BM3D" not in page_labels
    assert {"Gaussian filter", "Median filter", "Symmetric NLM (Sinkhorn)",
            "Gradient-step TV"} <= page_labels
    by_label = table.set_index("denoiser")
    for symmetric in ("Gaussian filter", "Symmetric NLM (Sinkhorn)", "Gradient-step TV"):
        assert by_label.loc[symmetric, "symmetry e_J"] < 1e-8, symmetric
    for not_symmetric in ("Median filter", "Total variation (TV)", "Non-local means (NLM)",
                          "Bilateral filter"):
        assert by_label.loc[not_symmetric, "symmetry e_J"] > 1e-5, not_symmetric
    bars = chart(at, "jl_survey_chart")
    assert bars["layout"]["yaxis"]["type"] == "log"
    assert [t["name"] for t in bars["data"]] == list(lab.ERRORS.values())
    assert all(len(array(t["y"]) if isinstance(t["y"], dict) else t["y"]) == len(ONE_D)
               for t in bars["data"])


def test_curves_over_sigma_for_the_selected_denoisers(at):
    at.multiselect(key="jl_curve_denoisers").set_value(["gaussian", "median"]).run()
    at.toggle(key="jl_curves").set_value(True).run()
    assert not at.exception
    spec = chart(at, "jl_curve_chart")
    assert len(spec["data"]) == 2 * len(lab.ERRORS)
    sigmas = array(spec["data"][0]["x"])
    np.testing.assert_allclose(sigmas, lab.SIGMAS_255)
    gaussian_symmetry = array(spec["data"][0]["customdata"])
    assert np.all(gaussian_symmetry < 1e-8)


def test_image_crop_and_moving_it(at):
    at.selectbox(key="jl_denoiser").select("median").run()
    at.radio(key="jl_kind").set_value("image crop").run()
    assert not at.exception
    assert at.selectbox(key="jl_image").value == "camera"
    assert at.slider(key="jl_crop").value == 16
    top, left = at.slider(key="jl_top").value, at.slider(key="jl_left").value
    assert (top, left) == (120, 120)  # centred in the 256 × 256 camera image
    picker = chart(at, "jl_pick")
    rect = picker["layout"]["shapes"][0]
    assert (rect["x0"], rect["y0"], rect["x1"]) == (left - 0.5, top - 0.5, left + 15.5)
    J_before = array(chart(at, "jl_jacobian")["data"][0]["z"])
    assert J_before.shape == (256, 256)
    assert len(chart(at, "jl_gradients")["data"]) == 3  # exact, RED, difference

    at.slider(key="jl_top").set_value(30).run()
    at.slider(key="jl_left").set_value(200).run()
    assert not at.exception
    rect = chart(at, "jl_pick")["layout"]["shapes"][0]
    assert (rect["x0"], rect["y0"]) == (199.5, 29.5)
    assert not np.array_equal(array(chart(at, "jl_jacobian")["data"][0]["z"]), J_before)

    # a bigger crop at the border: the position is clamped into the image, no error
    at.slider(key="jl_left").set_value(240).run()
    at.slider(key="jl_crop").set_value(32).run()
    assert not at.exception
    assert at.slider(key="jl_left").value == 224
    J = array(chart(at, "jl_jacobian")["data"][0]["z"])
    assert J.shape == (256, 256)  # 1024 × 1024 pooled by 4 for display
    assert any("4 × 4 block" in c.value for c in at.caption)


def test_gaussian_on_a_crop_is_symmetric_and_bm3d_is_opt_in(at):
    at.selectbox(key="jl_denoiser").select("gaussian").run()
    at.radio(key="jl_kind").set_value("image crop").run()
    assert not at.exception
    assert metric(at, "Symmetry error e_J") <= 1e-8
    assert metric(at, "RED-gradient error") <= 1e-8
    assert at.checkbox(key="jl_bm3d").value is False
    at.slider(key="jl_crop").set_value(8).run()
    assert at.checkbox(key="jl_bm3d").disabled  # bm3d crashes on 8 × 8 inputs
