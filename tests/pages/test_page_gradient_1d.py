"""AppTest checks of the "1-D gradient field" page (views/gradient_1d.py)."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from red_core import denoisers, signals

APP = str(Path(__file__).parents[2] / "app.py")
ONE_D = [d for d in denoisers.NAMES if denoisers.describe(d)["supports_1d"]]


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30)
    app.run()
    app.switch_page("pages/gradient_1d.py").run()
    assert not app.exception
    return app


def specs(app: AppTest) -> dict[str, dict]:
    """The page's plotly figures by key (``field_chart``, ``descent_chart``), parsed."""
    found = {}
    for chart in app.get("plotly_chart"):
        key = next(k for k in ("field_chart", "descent_chart") if k in chart.proto.id)
        found[key] = json.loads(chart.proto.spec)
    return found


def values(array) -> np.ndarray:
    """A plotly data array: a list, or {"dtype", "bdata"} (base64 typed array)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.array([np.nan if v is None else v for v in array], dtype=float)


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t.get("name", "") == name)


def text(app: AppTest) -> str:
    return "\n".join(m.value for m in [*app.markdown, *app.caption])


def test_defaults_show_the_static_field_of_the_noisy_signal(at):
    assert at.title[0].value == "1-D gradient field"
    assert list(specs(at)) == ["field_chart"]  # no descent until asked
    spec = specs(at)["field_chart"]
    clean = signals.make("piecewise_constant", 512, 0)
    noisy = signals.noisy(clean, 0.1, 0)
    np.testing.assert_allclose(values(trace(spec, "clean")["y"]), clean)
    np.testing.assert_allclose(values(trace(spec, "noisy x")["y"]), noisy)
    arrows = values(trace(spec, "RED step −(x − D(x))")["y"]).reshape(-1, 3)
    np.testing.assert_allclose(arrows[:, 0], noisy)  # arrows start at x ...
    np.testing.assert_allclose(arrows[:, 1], values(trace(spec, "D(x)")["y"]))  # ... end at D(x)
    page = text(at)
    assert "Mean |x − D(x)|" in page and "ratio" in page and "ρ(x)" in page and "PSNR" in page
    assert at.selectbox(key="denoiser").value == "gaussian"
    sigma = at.slider(key="denoiser_sigma")
    assert sigma.disabled and sigma.value == at.slider(key="noise_sigma").value == 0.1
    assert any("\\nabla\\rho(x) = x - D(x)" in latex.value for latex in at.latex)


def test_moving_the_noise_sigma_changes_the_figure_and_the_linked_denoiser_sigma(at):
    before = at.get("plotly_chart")[0].proto.spec
    at.slider(key="noise_sigma").set_value(0.2).run()
    assert not at.exception
    assert at.get("plotly_chart")[0].proto.spec != before
    assert at.slider(key="denoiser_sigma").value == 0.2


def test_unlinking_lets_the_denoiser_sigma_differ(at):
    at.checkbox(key="link_sigma").uncheck().run()
    assert not at.slider(key="denoiser_sigma").disabled
    at.slider(key="denoiser_sigma").set_value(0.03).run()
    linked_spec = at.get("plotly_chart")[0].proto.spec
    at.slider(key="noise_sigma").set_value(0.2).run()
    assert not at.exception
    assert at.slider(key="denoiser_sigma").value == 0.03
    assert at.get("plotly_chart")[0].proto.spec != linked_spec
    # linking again snaps the denoiser sigma back to the noise sigma
    at.checkbox(key="link_sigma").check().run()
    assert at.slider(key="denoiser_sigma").value == 0.2


@pytest.mark.parametrize("name", ONE_D)
def test_every_1d_denoiser_renders(at, name):
    at.selectbox(key="denoiser").select(name).run()
    assert not at.exception
    assert "Mean |x − D(x)|" in text(at)
    assert at.selectbox(key="denoiser").value == name


def test_every_signal_renders_and_n_2048_works(at):
    for name in signals.SIGNALS:
        at.selectbox(key="signal").select(name).run()
        assert not at.exception, name
        words = "where the signal bends most" if name in ("chirp", "bumps") else "jump"
        assert words in text(at), name
    at.slider(key="n").set_value(2048).run()
    assert not at.exception
    spec = specs(at)["field_chart"]
    assert values(trace(spec, "D(x)")["y"]).size == 2048


def test_only_1d_denoisers_are_offered(at):
    offered = at.selectbox(key="denoiser").options
    assert len(offered) == len(ONE_D) and "BM3D" not in " ".join(offered)


def test_descend_draws_the_objective_and_any_control_resets_it(at):
    # AppTest never fires the fragment's timer: every run advances one chunk of iterations
    # (the browser test checks the live animation)
    at.button(key="descend").click().run()
    assert not at.exception
    figs = specs(at)
    assert set(figs) == {"field_chart", "descent_chart"}
    objective = values(figs["descent_chart"]["data"][0]["y"])
    assert objective.size == 2 and objective[1] < objective[0]  # E(x) goes down
    assert "iterate x_1" in [t.get("name") for t in figs["field_chart"]["data"]]
    assert "iteration 1 of 150: running" in text(at)
    at.run()
    assert "iteration 2 of 150: running" in text(at)
    assert np.all(np.diff(values(specs(at)["descent_chart"]["data"][0]["y"])) < 0)
    at.button(key="descend_stop").click().run()
    assert not at.exception
    assert "iteration 2 of 150: stopped after 2 iterations" in text(at)
    at.run()
    assert "iteration 2 of 150: stopped" in text(at)  # a stopped run stays where it was
    at.slider(key="noise_sigma").set_value(0.12).run()
    assert list(specs(at)) == ["field_chart"]
    at.button(key="descend").click().run()
    assert "descent_chart" in specs(at)
    at.button(key="descend_reset").click().run()
    assert list(specs(at)) == ["field_chart"]


def test_a_descent_runs_to_convergence(at):
    at.button(key="descend").click().run()
    for _ in range(40):
        if "running" not in text(at):
            break
        at.run()
    assert not at.exception
    assert "converged after" in text(at)
    arrows = values(trace(specs(at)["field_chart"], "RED step −(x − D(x))")["y"]).reshape(-1, 3)
    noisy = signals.noisy(signals.make("piecewise_constant", 512, 0), 0.1, 0)
    assert not np.allclose(arrows[:, 0], noisy)  # the field is now the iterate's ...
    at.button(key="descend_reset").click().run()
    start = values(trace(specs(at)["field_chart"], "RED step −(x − D(x))")["y"]).reshape(-1, 3)
    np.testing.assert_allclose(start[:, 0], noisy)
    length = np.abs(arrows[:, 1] - arrows[:, 0]).mean()
    assert length < 0.7 * np.abs(start[:, 1] - start[:, 0]).mean()  # ... and its arrows shrank
