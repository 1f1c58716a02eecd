"""AppTest for the "Restore an image" and "RED vs PnP" pages."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parents[2] / "app.py")


def _restore(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    at.switch_page("pages/restore.py").run()
    assert not at.exception, at.exception
    return at


def _race_to_the_end(at: AppTest, max_runs: int = 60) -> None:
    at.button(key="run").click().run()
    for _ in range(max_runs):  # AppTest does not rerun fragments: one chunk per script run
        assert not at.exception, at.exception
        if any(s.value.endswith("Results") for s in at.subheader):
            return
        at.run()
    pytest.fail("the race did not finish")


def test_defaults_render():
    at = _restore()
    assert at.selectbox(key="red_method").value == "red-fp"
    assert at.selectbox(key="pnp_method").value == "pnp-admm"
    assert any("PSNR of the degraded image" in m.label for m in at.metric)
    assert at.query_params["red_method"] in ("red-fp", ["red-fp"])


@pytest.mark.parametrize("degradation", ["gaussian_blur", "super_resolution_x2", "inpainting"])
def test_short_race_beats_the_degraded_image(degradation):
    at = _restore()
    at.selectbox(key="image").set_value("coins")
    at.selectbox(key="size").set_value(64)
    at.selectbox(key="degradation").set_value(degradation)
    at.number_input(key="red_iters").set_value(15)
    at.number_input(key="pnp_iters").set_value(15).run()
    degraded = float(next(m.value for m in at.metric
                          if m.label == "PSNR of the degraded image").split()[0])
    _race_to_the_end(at)
    table = at.dataframe[0].value
    assert list(table.index) == ["RED", "PnP"]
    for run in ("RED", "PnP"):
        assert table.loc[run, "PSNR (dB)"] > degraded, (run, table.loc[run, "PSNR (dB)"], degraded)
        assert table.loc[run, "status"] in ("converged", "max_iter")
    labels = {b.label for b in at.get("download_button")}
    assert {"RED result (PNG)", "PnP result (PNG)", "Histories (CSV)",
            "Python snippet"} <= labels
    spec = at.get("plotly_chart")[0].proto.spec
    assert "PSNR" in spec and "RED objective" in spec


def test_url_parameters_restore_the_setup():
    at = _restore(image="moon", size=128, degradation="motion_blur", noise_sigma=0.02,
                  red_method="red-admm", pnp_method="pnp-hqs", pnp_denoiser="nlm",
                  red_sigma=7.5)
    assert at.selectbox(key="image").value == "moon"
    assert at.selectbox(key="size").value == 128
    assert at.selectbox(key="degradation").value == "motion_blur"
    assert at.slider(key="noise_sigma").value == pytest.approx(0.02)
    assert at.selectbox(key="red_method").value == "red-admm"
    assert at.selectbox(key="pnp_method").value == "pnp-hqs"
    assert at.selectbox(key="pnp_denoiser").value == "nlm"
    assert at.slider(key="red_sigma").value == pytest.approx(7.5)


def test_bad_url_parameters_are_reported_not_fatal():
    at = _restore(red_method="red-nonsense", size="huge")
    assert at.selectbox(key="red_method").value == "red-fp"
    assert any("red_method" in w.value and "size" in w.value for w in at.warning)


def test_diverging_parameters_are_explained():
    at = _restore()
    at.selectbox(key="size").set_value(64)
    at.selectbox(key="red_method").set_value("red-gd").run()
    at.number_input(key="red_step").set_value(0.01)  # 50× the safe bound
    at.number_input(key="red_iters").set_value(200)
    at.number_input(key="pnp_iters").set_value(5).run()
    _race_to_the_end(at)
    assert at.dataframe[0].value.loc["RED", "status"] == "diverged"
    assert any("Lower step" in e.value for e in at.error)


def test_compare_page_measures_the_last_race():
    at = _restore()
    at.selectbox(key="size").set_value(64)
    at.selectbox(key="red_method").set_value("red-gd")
    at.selectbox(key="pnp_method").set_value("pnp-pgd")
    at.number_input(key="red_iters").set_value(10)
    at.number_input(key="pnp_iters").set_value(10).run()
    _race_to_the_end(at)
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["denoiser calls / iteration"] == "1.00"
    assert values["data-term steps / iteration"] == "1.00"
    badges = [m.value for m in at.markdown if "badge[" in m.value]
    assert len(badges) == 2 and all(":green-badge[met]" in b for b in badges)


def test_compare_page_without_a_race_runs_its_own():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1


def test_cost_landscape_after_a_race():
    at = _restore(size=64, red_iters=10, pnp_iters=10)
    _race_to_the_end(at)
    at.select_slider(key="landscape_n").set_value(7)
    at.button(key="landscape").click().run()
    assert not at.exception, at.exception
    spec = at.get("plotly_chart")[-1].proto.spec
    assert "Objective around the final RED iterate" in spec and "contour" in spec
