"""AppTest checks of the "Jacobian lab" page (pages/jacobian.py)."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from helpers import open_app
from red_core import denoisers
from red_core.lab import jacobian_lab as lab

APP = str(Path(__file__).parents[2] / "app.py")
PAGE = "pages/jacobian.py"
# every denoiser that accepts 1-D signals (BM3D and the CNNs are images-only)
ONE_D = [n for n in denoisers.names()
         if denoisers.describe(n)["supports_1d"] and denoisers.available(n)]
#: URL values a copied, edited or hostile link may carry for any key.
HOSTILE = ("abc", "nan", "-1", "1e308", "no_such_name")
NOTICE = "Link settings not used"
#: Every URL key of the page (its widgets and toggles).
KEYS = ("jl_kind", "jl_denoiser", "jl_sigma", "jl_signal", "jl_n", "jl_noise", "jl_image",
        "jl_crop", "jl_top", "jl_left", "jl_survey", "jl_slow", "jl_curves", "jl_curve_set")


def open_page(query: dict[str, str] | None = None) -> AppTest:
    """The page as a fresh browser session opening a link with ``query`` would show it."""
    return open_app(PAGE, query, timeout=90, check=False)


@pytest.fixture
def at() -> AppTest:
    app = open_page()
    assert not app.exception
    return app


def notice(app: AppTest) -> str:
    return " ".join(c.value for c in app.caption if c.value.startswith(NOTICE))


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
    assert at.radio(key="jl_kind").value == "signal"
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
    page_labels = set(table["denoiser"])
    assert len(table) == len(ONE_D) == len(page_labels)
    assert "BM3D" not in page_labels
    # labels, never registry names; ✓ marks the Jacobians symmetric by construction
    assert {"✓ Gaussian filter", "Median filter", "✓ Symmetric NLM (Sinkhorn)",
            "✓ Gradient-step TV"} <= page_labels
    assert not page_labels & set(ONE_D)
    by_label = table.set_index("denoiser")
    for symmetric in ("✓ Gaussian filter", "✓ Symmetric NLM (Sinkhorn)", "✓ Gradient-step TV"):
        assert by_label.loc[symmetric, "symmetry"] < 1e-8, symmetric
    for not_symmetric in ("Median filter", "Total variation (TV)", "Non-local means (NLM)",
                          "Bilateral filter"):
        assert by_label.loc[not_symmetric, "symmetry"] > 1e-5, not_symmetric
    # a narrow table: five columns shown, titled from the glossary
    proto = at.dataframe[0].proto
    assert list(proto.column_order) == ["denoiser", "symmetry", "homogeneity", "gradient",
                                        "lipschitz_J"]
    shown = json.loads(proto.columns)
    assert shown["_index"]["hidden"] is True
    assert shown["symmetry"]["label"] == "e_J"
    assert "‖J − Jᵀ‖²_F / ‖J‖²_F" in shown["symmetry"]["help"]
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


@pytest.mark.slow
def test_image_crop_and_moving_it(at):
    at.selectbox(key="jl_denoiser").select("median").run()
    at.radio(key="jl_kind").set_value("crop").run()
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


@pytest.mark.slow
def test_gaussian_on_a_crop_is_symmetric_and_slow_denoisers_are_opt_in(at):
    at.selectbox(key="jl_denoiser").select("gaussian").run()
    at.radio(key="jl_kind").set_value("crop").run()
    at.slider(key="jl_crop").set_value(8).run()
    assert not at.exception
    assert metric(at, "Symmetry error e_J") <= 1e-8
    assert metric(at, "RED-gradient error") <= 1e-8
    assert at.checkbox(key="jl_slow").value is False
    slow = [n for n in lab.denoisers_for("crop") if lab.is_slow(n)]
    assert slow == ["cnn_gs"]  # the registry's slow denoisers the full Jacobian can afford
    at.toggle(key="jl_survey").set_value(True).run()
    assert not at.exception
    names = set(at.dataframe[0].value["name"])
    assert "cnn" in names and not names & {"cnn_gs", "bm3d"}  # slow ones wait for the box
    assert any("Slow denoisers left out" in c.value for c in at.caption)
    at.checkbox(key="jl_slow").check().run()
    assert not at.exception
    names = set(at.dataframe[0].value["name"])
    assert "cnn_gs" in names and "bm3d" not in names  # BM3D needs a 16-pixel crop
    assert any("BM3D skipped" in c.value for c in at.caption)


# --------------------------------------------------------------------------- words and units


def visible_text(app: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "subheader", "header", "info")
             for e in app.get(kind)]
    parts += [w.label for kind in ("slider", "selectbox", "toggle", "checkbox", "radio",
                                   "multiselect") for w in app.get(kind)]
    parts += [m.label for m in app.metric]
    return " ".join(parts)


def test_one_vocabulary_labels_and_units(at):
    at.radio(key="jl_kind").set_value("crop").run()
    text = visible_text(at)
    assert "fixed-point residual" not in text.lower()
    assert "stationarity residual" in text and "relative change" in text
    assert at.slider(key="jl_sigma").label == "Denoiser σ_d (×1/255)"
    assert at.slider(key="jl_noise").label == "Noise σₑ (×1/255)"
    # registry names (lower case) never show: labels do ("CNN (trained here)", "TV")
    assert not re.findall(r"\b(?:cnn_gs|cnn|nlm|tv|bm3d|gaussian|symmetric_nlm)\b", text)
    options = at.selectbox(key="jl_denoiser").options
    assert "Non-local means (NLM)" in options and "Gradient-step CNN" in options
    assert not set(options) & set(lab.denoisers_for("crop"))


# --------------------------------------------------------------------------- links


@pytest.mark.slow
def test_a_copied_link_reopens_the_same_setup(at):
    at.radio(key="jl_kind").set_value("crop").run()
    at.selectbox(key="jl_denoiser").select("tv").run()
    at.slider(key="jl_sigma").set_value(10).run()
    at.selectbox(key="jl_image").select("coins").run()
    at.slider(key="jl_crop").set_value(12).run()
    at.slider(key="jl_noise").set_value(5).run()
    at.slider(key="jl_top").set_value(30).run()
    at.slider(key="jl_left").set_value(40).run()
    at.multiselect(key="jl_curve_denoisers").set_value(["gaussian", "tv"]).run()
    assert not at.exception
    link = dict(at.query_params)
    assert link["jl_sigma"] == "10" and link["jl_curve_set"] == "gaussian,tv"
    values = {w.key: w.value for kind in ("radio", "selectbox", "slider", "toggle",
                                          "checkbox", "multiselect") for w in at.get(kind)}

    again = open_page(link)
    assert not again.exception and not notice(again)
    assert {w.key: w.value for kind in ("radio", "selectbox", "slider", "toggle", "checkbox",
                                        "multiselect") for w in again.get(kind)} == values
    J = array(chart(at, "jl_jacobian")["data"][0]["z"])
    np.testing.assert_array_equal(array(chart(again, "jl_jacobian")["data"][0]["z"]), J)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_link_values_fall_back_to_the_defaults_with_a_notice(value):
    app = open_page({key: value for key in KEYS})
    assert not app.exception
    text = notice(app)
    for key in KEYS:
        assert f"{key}=" in text, (key, text)
    assert app.radio(key="jl_kind").value == "signal"
    assert app.selectbox(key="jl_denoiser").value == "nlm"
    assert app.slider(key="jl_sigma").value == 25 and app.slider(key="jl_n").value == 64
    assert app.multiselect(key="jl_curve_denoisers").value == [
        n for n in ("gaussian", "median", "tv", "nlm", "symmetric_nlm", "gradient_step_tv")]
    assert dict(app.query_params)["jl_sigma"] == "25"  # the link is rewritten with defaults


def test_an_image_only_denoiser_in_a_signal_link_falls_back_with_a_notice():
    app = open_page({"jl_kind": "signal", "jl_denoiser": "cnn", "jl_sigma": "30"})
    assert not app.exception
    assert "CNN (trained here) works on images only" in notice(app)
    assert app.selectbox(key="jl_denoiser").value == "nlm"
    assert app.slider(key="jl_sigma").value == 30  # the good values of the link are kept
