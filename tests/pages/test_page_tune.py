"""AppTest for the "Tune" and "Leaderboard" pages: a sweep on the local Dask cluster fills the
heatmap / the board, a cell opens Restore with exactly its setting, Stop cancels."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from helpers import open_app
from red_core import denoisers, glossary, images, solvers, sweeps
from red_core.problem import make_problem

pytestmark = pytest.mark.slow  # each test starts (or reuses) the local cluster


def wait_done(at: AppTest, key: str, timeout: float = 240.0) -> None:
    """Rerun the page (AppTest does not run fragment timers) until its sweep is done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert not at.exception, at.exception
        if at.session_state[key]["sweep"].done:
            at.run()
            at.run()
            return
        time.sleep(0.3)
        at.run()
    pytest.fail("the sweep did not finish")


@pytest.fixture(scope="module", autouse=True)
def _cluster():
    yield
    sweeps.shutdown()


def test_a_3x3_sweep_fills_the_heatmap_and_opens_restore_with_the_best_cell():
    at = open_app("pages/tune.py", {"size": 64, "tune_n": 3, "tune_iters": 8}, timeout=240)
    assert at.selectbox(key="tune_x").value == "lam_scale"
    at.button(key="tune_run").click().run()
    wait_done(at, "tune_sweep")
    df = at.session_state["tune_sweep"]["sweep"].frame()
    assert len(df) == 9 and df["psnr"].notna().all()
    assert sorted(set(df["lam_scale"])) == [0.1, 1.0, 10.0]
    spec = at.get("plotly_chart")[0].proto.spec
    assert '"type":"heatmap"' in spec.replace(" ", "") and "best:" in spec
    best = df.loc[df["psnr"].idxmax()]
    # the cell equals solvers.run for that setting (the sweep engine's contract)
    problem = make_problem(images.builtin("camera", 64), "gaussian_blur", 2.5 / 255)
    sigma = best["denoiser_sigma"] / 255
    lam = best["lam_scale"] * solvers.default_params("red-fp", problem)["lam"]
    alone = solvers.run("red-fp", problem, denoisers.build("tv", sigma), max_iter=8,
                        tol=sweeps.DEFAULT_TOL, lam=lam)
    assert best["psnr"] == pytest.approx(alone.history[-1]["psnr"], abs=1e-9)

    at.button(key="tune_open_best").click().run()
    assert not at.exception, at.exception
    assert any(s.value == "Restore an image" for s in at.title)
    assert at.selectbox(key="a_method").value == "red-fp"
    assert not at.toggle(key="a_link").value
    assert at.slider(key="a_sigma").value == pytest.approx(best["denoiser_sigma"])
    assert at.number_input(key="a_lam").value == pytest.approx(lam * problem.sigma_eff**2)
    metric = next(m for m in at.metric if m.label == glossary.label("degraded_psnr"))
    assert metric.value == f"{best['degraded_psnr']:.2f} dB"


def test_a_family_sweep_offers_only_the_common_axes_and_stop_cancels():
    at = open_app("pages/tune.py", {"size": 64, "tune_method": "family:pnp", "tune_n": 12,
                                    "tune_iters": 200}, timeout=240)
    offered = at.selectbox(key="tune_x").options
    assert "lam_scale" not in offered and "beta_scale" not in offered  # PnP-PGD has no β
    at.button(key="tune_run").click().run()
    time.sleep(1.0)
    at.button(key="tune_stop").click().run()
    sweep = at.session_state["tune_sweep"]["sweep"]
    assert sweep.wait(30) and sweep.cancelled
    assert sweep.progress[0] < sweep.total == 3 * 12 * 12


def test_leaderboard_runs_every_algorithm_and_sorts_by_psnr():
    at = open_app("pages/leaderboard.py", {"size": 64, "lb_iters": 6}, timeout=240)
    at.button(key="lb_run").click().run()
    wait_done(at, "leaderboard_sweep")
    table = at.dataframe[0].value
    assert len(table) == len(solvers.names())
    psnr = table[glossary.column("psnr")].to_numpy()
    assert (psnr[:-1] >= psnr[1:]).all()
    assert set(table[glossary.column("method")]) == {solvers.entry(m).short
                                                     for m in solvers.names()}
    assert "Time to 99 % of best (s)" in table.columns
    spec = at.get("plotly_chart")[0].proto.spec
    assert "seconds of algorithm time" in spec
