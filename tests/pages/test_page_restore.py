"""AppTest for the "Restore an image" page: set-up, links, contenders, the race and its results."""

from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from helpers import APP, open_app, svg_charts
from red_core import glossary, images, operators
from red_core.lab import race, svgplot
from red_core.problem import make_problem

PAGE = "pages/restore.py"


def restore(**query) -> AppTest:
    return open_app(PAGE, query, timeout=120)


def race_to_the_end(at: AppTest, timeout: float = 120.0) -> None:
    """Click Run and rerun the script until the results are drawn (AppTest does not run the
    live fragment's timer: the lanes run in threads, each script run polls them)."""
    at.button(key="run").click().run()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert not at.exception, at.exception
        if any(s.value.endswith("Results") for s in at.subheader):
            return
        time.sleep(0.2)
        at.run()
    pytest.fail("the race did not finish")


def results(at: AppTest):
    return at.dataframe[0].value.set_index(glossary.column("run"))


def degraded_psnr(at: AppTest) -> float:
    metric = next(m for m in at.metric if m.label == glossary.label("degraded_psnr"))
    return float(metric.value.split()[0])


def test_defaults_render_with_two_linked_lanes():
    at = restore()
    assert at.selectbox(key="a_method").value == "red-fp"
    assert at.selectbox(key="b_method").value == "pnp-admm"
    assert at.toggle(key="a_link").value and at.toggle(key="b_link").value
    assert at.slider(key="a_sigma").disabled  # linked: the slider shows the suggestion
    assert at.query_params["a_method"] in ("red-fp", ["red-fp"])
    # Before any race, an empty SVG chart: the browser loads the charts' script before Run,
    # and the first frame's PSNR curve does not wait for it.
    assert {"markup": ""} in [json.loads(e.proto.json or "null") for e in at.get("bidi_component")]


def test_a_typed_lambda_survives_a_copied_link():
    """Issue 12 item 1: λ from the URL came back as text and crashed the race."""
    at = restore(size=64, a_lam=0.5, a_iters=5, b_iters=5)
    assert at.number_input(key="a_lam").value == pytest.approx(0.5)
    race_to_the_end(at)
    link = {k: v for k, v in at.query_params.items()}
    fresh = restore(**{k: v[0] if isinstance(v, list) else v for k, v in link.items()})
    assert fresh.number_input(key="a_lam").value == pytest.approx(0.5)
    race_to_the_end(fresh)


def test_motion_blur_link_round_trip_keeps_length_angle_and_degraded_psnr():
    at = restore(size=128)
    at.selectbox(key="degradation").set_value("motion_blur").run()
    at.slider(key="motion_blur.length").set_value(33.0)
    at.slider(key="motion_blur.angle").set_value(18.0).run()
    before = degraded_psnr(at)
    link = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert link["motion_blur.length"] == "33" and link["motion_blur.angle"] == "18"
    fresh = restore(**link)
    assert fresh.slider(key="motion_blur.length").value == 33.0
    assert fresh.slider(key="motion_blur.angle").value == 18.0
    assert degraded_psnr(fresh) == pytest.approx(before)


@pytest.mark.parametrize("name", operators.names())
def test_every_degradation_parameter_is_in_the_link(name):
    at = restore(size=64, degradation=name)
    widgets = operators.entry(name).widgets
    for p in widgets:
        assert f"{name}.{p.name}" in at.query_params


HOSTILE = ("some text", "nan", "-1", "1e308", "inf", "", "<script>alert(1)</script>", "0x10")


@pytest.mark.slow
@pytest.mark.parametrize("key", ["image", "size", "degradation", "noise_sigma", "seed", "lanes",
                                 "a_method", "a_denoiser", "a_link", "a_sigma", "a_lam",
                                 "a_iters", "a_tol", "b_beta", "b_step", "x_axis", "present",
                                 "gaussian_blur.blur_sigma"])
def test_hostile_url_values_fall_back_with_a_notice(key):
    for value in HOSTILE:
        at = restore(**{key: value})
        assert not at.exception, (key, value)
        assert any("Link settings not used" in c.value and key in c.value
                   for c in at.caption), (key, value)


def test_unknown_url_names_are_reported_not_fatal():
    at = restore(a_method="red-nonsense", wibble="1", b_denoiser="unet9000")
    assert at.selectbox(key="a_method").value == "red-fp"
    text = " ".join(c.value for c in at.caption)
    assert "a_method" in text and "wibble" in text and "b_denoiser" in text


def test_linked_sigma_follows_the_noise_and_the_algorithm():
    at = restore(size=64)
    low = at.slider(key="a_sigma").value
    at.slider(key="noise_sigma").set_value(25.0).run()
    assert at.slider(key="a_sigma").value > low
    at.selectbox(key="b_method").set_value("pnp-pgd").run()
    pgd = at.slider(key="b_sigma").value
    at.selectbox(key="b_method").set_value("pnp-admm").run()
    assert at.slider(key="b_sigma").value > pgd  # PnP-PGD wants a much lighter denoiser
    at.toggle(key="a_link").set_value(False).run()
    assert not at.slider(key="a_sigma").disabled


def test_four_contenders_race_and_report():
    at = restore(size=64, lanes=4, a_iters=6, b_iters=6, c_iters=6, d_iters=6)
    assert at.selectbox(key="c_method").value == "red-gd"
    assert at.selectbox(key="d_method").value == "pnp-pgd"
    race_to_the_end(at)
    table = results(at)
    assert len(table) == 4
    assert all(table[glossary.column("iterations")] == 6)


@pytest.mark.slow
@pytest.mark.parametrize("degradation", operators.names())
def test_default_contenders_beat_the_degraded_image_at_high_noise(degradation):
    """Issue 12 item 3: noise 0.1 (25.5/255) with the default contenders, on every degradation,
    ends above the degraded PSNR (σ_d linked, λ and steps at their defaults)."""
    at = restore(size=64, degradation=degradation, noise_sigma=25.5)
    race_to_the_end(at)
    table = results(at)
    assert (table[glossary.column("psnr")] > degraded_psnr(at)).all(), table


def test_diverging_parameters_are_explained():
    at = restore(size=64, a_method="red-gd", b_iters=5)
    at.number_input(key="a_step").set_value(0.01)  # far above the safe bound
    at.number_input(key="a_iters").set_value(200).run()
    race_to_the_end(at)
    assert results(at).iloc[0][glossary.column("status")] == "diverged"
    assert any("Lower μ" in e.value for e in at.error)


def test_a_denoiser_error_is_reported_as_an_error_not_divergence():
    """bm3d refuses images under 16 px: the lane ends 'error' with bm3d's own message."""
    problem = make_problem(images.builtin("camera", 12), "denoise", 0.05)
    r = race.Race(problem, {"a": race.Contender("red-fp", "bm3d", 0.05, max_iter=3)})
    r.advance(5.0)
    view = r.view("a")
    assert view.status == "error" and "16×16" in view.message and "diverged" not in view.message


def test_present_mode_folds_the_set_up():
    at = restore(size=64, present="true")
    assert at.toggle(key="present").value
    assert not any(s.value.startswith("1 · ") for s in at.subheader)
    assert [e.label for e in at.expander][:2] == ["The problem", "The contenders"]


def test_results_offer_every_download():
    at = restore(size=64, a_iters=5, b_iters=5)
    race_to_the_end(at)
    labels = {b.label for b in at.get("download_button")}
    assert {"A result (PNG)", "B result (PNG)", "Histories (CSV)", "Python snippet",
            "Race summary (PNG)", "Race summary (SVG)", "Curves (SVG)"} <= labels
    # the race's curves are inline SVG (no plotly chart in the race section): one PSNR curve
    # per lane, read back from the drawing
    charts = svg_charts(at)
    assert set(charts) == {"racepsnr", "racecurves"}
    psnr = svgplot.read_paths(charts["racepsnr"])
    assert {name.split(" ·")[0] for name in psnr} == {"A", "B"}


def test_cost_landscape_after_a_race():
    at = restore(size=64, a_iters=6, b_iters=6)
    race_to_the_end(at)
    at.select_slider(key="landscape_n").set_value(7)
    at.button(key="landscape").click().run()
    assert not at.exception, at.exception
    spec = at.get("plotly_chart")[-1].proto.spec
    assert "Objective around the final iterate of A" in spec and "contour" in spec


def test_app_path_exists():
    assert APP.endswith("app.py")
