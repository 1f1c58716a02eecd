"""AppTest checks of the "Score and Tweedie" page (pages/score.py)."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from helpers import open_app
from red_core.lab import tweedie
from red_core.theory.score import preset, preset_names

APP = str(Path(__file__).parents[2] / "app.py")
PAGE = "pages/score.py"
#: URL values a copied, edited or hostile link may carry for any key.
HOSTILE = ("abc", "nan", "-1", "1e308", "no_such_name")
NOTICE = "Link settings not used"
#: The page's URL keys that hold a number or a choice (custom_starts is free text).
CHECKED_KEYS = tuple(k for k in tweedie.params() if k != "custom_starts")


def open_page(query: dict[str, str] | None = None) -> AppTest:
    """The page as a fresh session opening a link with ``query`` shows it."""
    return open_app(PAGE, query, check=False)


@pytest.fixture
def at() -> AppTest:
    app = open_page()
    assert not app.exception
    return app


def notice(app: AppTest) -> str:
    return " ".join(c.value for c in app.caption if c.value.startswith(NOTICE))


def widget_values(app: AppTest) -> dict:
    return {w.key: w.value for kind in ("selectbox", "slider", "number_input", "radio",
                                        "text_input") for w in app.get(kind)}


def charts(app: AppTest) -> dict[str, dict]:
    """The page's plotly figures by widget key (``fig_...``), as parsed JSON specs."""
    found = {}
    for chart in app.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        match = re.search(r"fig_\w+", chart.proto.id)
        assert match, chart.proto.id
        found[match.group(0)] = spec
    return found


def values(array) -> np.ndarray:
    """A plotly data array: a list, or {"dtype", "bdata"} (base64 typed array)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.array([np.nan if v is None else v for v in array], dtype=float)


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t.get("name", "").startswith(name))


def metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_page_runs_with_defaults(at):
    figs = charts(at)
    assert set(figs) == {"fig_prior_blur", "fig_mmse_1d", "fig_tweedie_residual",
                         "fig_score_field", "fig_curl"}
    assert at.title[0].value == "Score and Tweedie"
    assert any("Tweedie" in m.value for m in at.markdown)
    # the two sides of Tweedie's identity are drawn, one dashed
    residual = figs["fig_tweedie_residual"]
    red, score = trace(residual, "x − D*"), trace(residual, "−σ²")
    assert score["line"]["dash"] == "dash"
    np.testing.assert_allclose(values(red["y"]), values(score["y"]), atol=1e-10)
    # the 2-D figure has contours, arrows and trajectories starting from 12 random points
    field = figs["fig_score_field"]
    assert field["data"][0]["type"] == "contour"
    assert np.isnan(values(trace(field, "−(x − D(x))")["x"])).sum() == 2 * 30 * 30
    assert values(trace(field, "start")["x"]).size == 12


def test_max_difference_is_round_off(at):
    shown = metric(at, "max |difference|")
    assert float(shown) < 1e-10
    assert any(f"max |difference| = {shown}" in c.value for c in at.caption)


def test_sigma_changes_the_1d_figures(at):
    before = charts(at)
    at.slider(key="tweedie_sigma").set_value(1.2).run()
    assert not at.exception
    after = charts(at)
    for key in ("fig_prior_blur", "fig_mmse_1d", "fig_tweedie_residual"):
        assert after[key] != before[key], key
    blurred_before = values(trace(before["fig_prior_blur"], "p_σ")["y"])
    blurred_after = values(trace(after["fig_prior_blur"], "p_σ")["y"])
    assert blurred_after.max() < blurred_before.max()  # more blur, lower peaks
    assert float(metric(at, "max |difference|")) < 1e-10
    assert after["fig_score_field"] == before["fig_score_field"]  # 2-D section untouched


def test_preset_and_components_drive_the_sliders(at):
    assert at.number_input(key="gm1_k").value == 2
    at.selectbox(key="gm1_preset").select("three modes").run()
    assert not at.exception
    assert at.number_input(key="gm1_k").value == 3
    assert at.slider(key="gm1_mean_0").value == pytest.approx(-3.0)
    assert at.slider(key="gm1_std_1").value == pytest.approx(0.7)
    assert metric(at, "modes of p") == "3"
    at.number_input(key="gm1_k").set_value(4).run()
    assert not at.exception
    assert at.slider(key="gm1_w_3").value > 0
    at.number_input(key="gm1_k").set_value(1).run()
    assert [s.key for s in at.slider if s.key.startswith("gm1_mean")] == ["gm1_mean_0"]
    assert metric(at, "modes of p") == "1"
    before = charts(at)["fig_prior_blur"]
    at.slider(key="gm1_mean_0").set_value(2.0).run()
    prior = trace(charts(at)["fig_prior_blur"], "prior")
    assert charts(at)["fig_prior_blur"] != before
    peak = values(prior["x"])[np.argmax(values(prior["y"]))]
    assert peak == pytest.approx(2.0, abs=0.05)


def curl_value(app: AppTest) -> float:
    return float(metric(app, "mean |curl|"))


def test_curl_is_round_off_for_mmse_and_clear_for_the_rotated_denoiser(at):
    assert at.radio(key="field_denoiser").value == "mmse"
    assert curl_value(at) < 1e-6
    assert float(metric(at, "mean |curl| / mean |div|")) < 1e-6
    assert at.success and "gradient field" in at.success[0].value and not at.error
    assert at.slider(key="rotation_strength").disabled

    at.radio(key="field_denoiser").set_value("rotated").run()
    assert not at.exception
    assert curl_value(at) > 0.1
    assert float(metric(at, "mean |curl| / mean |div|")) == pytest.approx(1.0, rel=1e-4)
    assert at.error and "not the gradient of any function" in at.error[0].value
    assert not at.success

    at.slider(key="rotation_strength").set_value(0.5).run()
    assert float(metric(at, "mean |curl| / mean |div|")) == pytest.approx(0.5, rel=1e-4)
    at.slider(key="rotation_strength").set_value(0.0).run()
    assert curl_value(at) < 1e-6 and at.success


@pytest.mark.parametrize("name", preset_names(2))
@pytest.mark.parametrize("kind", ["mmse", "rotated"])
def test_every_2d_preset_renders(at, name, kind):
    at.selectbox(key="gm2_preset").select(name).run()
    at.radio(key="field_denoiser").set_value(kind).run()
    assert not at.exception
    field = charts(at)["fig_score_field"]
    means = trace(field, "component means")
    assert values(means["x"]).size == len(preset(name).means)
    ends = np.stack([values(trace(field, "end")["x"]), values(trace(field, "end")["y"])], 1)
    assert np.all(np.isfinite(ends))
    assert (curl_value(at) < 1e-6) == (kind == "mmse")


def test_descent_reaches_the_modes_and_typed_starts_are_used(at):
    at.slider(key="n_starts").set_value(0)
    at.text_input(key="custom_starts").input("0.3, 0.2; -2.5, 2.5").run()
    assert not at.exception and not at.warning
    field = charts(at)["fig_score_field"]
    np.testing.assert_allclose(values(trace(field, "start")["x"]), [0.3, -2.5])
    at.slider(key="descent_n_steps").set_value(150).run()
    field = charts(at)["fig_score_field"]
    ends = np.stack([values(trace(field, "end")["x"]), values(trace(field, "end")["y"])], 1)
    means = np.stack([values(trace(field, "component means")["x"]),
                      values(trace(field, "component means")["y"])], 1)
    # every end point sits near a component mean (the modes of p_σ for the ring at σ = 0.4)
    gaps = np.linalg.norm(ends[:, None] - means[None], axis=-1).min(axis=1)
    assert np.all(gaps < 0.3)


def test_bad_typed_starts_warn_and_are_ignored(at):
    at.text_input(key="custom_starts").input("1, 2, 3").run()
    assert not at.exception
    assert at.warning and "could not read" in at.warning[0].value
    assert values(trace(charts(at)["fig_score_field"], "start")["x"]).size == 12


# --------------------------------------------------------------------------- links and words


def test_a_copied_link_reopens_the_same_setup(at):
    at.selectbox(key="gm1_preset").select("three modes").run()
    at.slider(key="gm1_mean_1").set_value(0.5).run()
    at.slider(key="tweedie_sigma").set_value(0.8).run()
    at.selectbox(key="gm2_preset").select("crescent").run()
    at.radio(key="field_denoiser").set_value("rotated").run()
    at.slider(key="rotation_strength").set_value(0.5).run()
    at.slider(key="n_starts").set_value(5).run()
    at.number_input(key="descent_seed").set_value(7).run()
    at.slider(key="descent_step").set_value(0.3).run()
    at.slider(key="descent_n_steps").set_value(40).run()
    at.text_input(key="custom_starts").input("0.3, 0.2; -1, 1").run()
    assert not at.exception
    link = dict(at.query_params)
    assert link["gm1_k"] == "3" and link["gm1_mean_1"] == "0.5" and "gm1_mean_3" not in link
    before = widget_values(at)

    again = open_page(link)
    assert not again.exception and not notice(again)
    assert widget_values(again) == before
    assert charts(again)["fig_score_field"] == charts(at)["fig_score_field"]
    assert charts(again)["fig_prior_blur"] == charts(at)["fig_prior_blur"]


def test_a_link_naming_only_a_preset_loads_its_components():
    app = open_page({"gm1_preset": "three modes"})
    assert not app.exception
    assert app.number_input(key="gm1_k").value == 3
    assert app.slider(key="gm1_mean_0").value == pytest.approx(-3.0)
    assert metric(app, "modes of p") == "3"


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_link_values_fall_back_to_the_defaults_with_a_notice(value):
    app = open_page({key: value for key in (*CHECKED_KEYS, "custom_starts")})
    assert not app.exception
    text = notice(app)
    params = tweedie.params()
    bad = [k for k in CHECKED_KEYS if params[k].parse_text(value) is None]
    assert len(bad) >= len(CHECKED_KEYS) - 4  # only "-1" is a fine mean
    for key in CHECKED_KEYS:
        assert (f"{key}=" in text) == (key in bad), (key, text)
    # free text: kept in the box, and the page says why its points are not used
    assert app.text_input(key="custom_starts").value == value
    assert any("Start points ignored" in w.value for w in app.warning)
    defaults = {k: p.default for k, p in tweedie.params().items()}
    assert app.selectbox(key="gm1_preset").value == defaults["gm1_preset"]
    assert app.slider(key="tweedie_sigma").value == defaults["tweedie_sigma"]
    assert app.slider(key="n_starts").value == defaults["n_starts"]
    assert app.radio(key="field_denoiser").value == "mmse"
    assert values(trace(charts(app)["fig_score_field"], "start")["x"]).size == 12


def test_too_many_or_far_typed_points_are_refused(at):
    at.text_input(key="custom_starts").input("; ".join(["1, 1"] * 60)).run()
    assert not at.exception and "at most" in at.warning[0].value
    at.text_input(key="custom_starts").input("1e300, 0").run()
    assert not at.exception and "too far out" in at.warning[0].value


def test_noise_is_labelled_in_the_units_of_the_toy_prior(at):
    assert at.slider(key="tweedie_sigma").label == "Noise σ (units of x)"
    assert at.slider(key="gm2_sigma").label == "Noise σ (units of x)"
    assert any("not in ×1/255" in c.value for c in at.caption)
    axis = charts(at)["fig_tweedie_residual"]["layout"]["yaxis"]["title"]["text"]
    assert axis == "x − D*(x)"  # never "residual" alone
