"""The race engine behind "Restore an image": problems, lanes, reports, snippet."""

import csv
import io
import os
import threading
import time

import numpy as np
import pytest

from helpers import DEGRADATION_CASES, degradation_case, problem_for
from red_core import images, operators
from red_core.lab import race


@pytest.fixture(scope="module")
def finished() -> race.Race:
    problem = problem_for(images.builtin("coins", 48), "gaussian_blur", 0.01, seed=2)
    r = race.Race(problem, {
        "RED": race.Contender("red-gd", "tv", 5 / 255, max_iter=8, tol=0),
        "PnP": race.Contender("pnp-pgd", "tv", 1 / 255, max_iter=6, tol=0),
    })
    while not r.done:
        r.advance(0.01)
    return r


def test_lanes_advance_together_and_finish(finished):
    assert finished.statuses() == {"RED": "max_iter", "PnP": "max_iter"}
    assert [h["iter"] for h in finished.histories()["RED"]] == list(range(9))
    assert [h["iter"] for h in finished.histories()["PnP"]] == list(range(7))
    assert all("x" not in h for h in finished.histories()["RED"])  # no per-iteration images


def test_summary_csv_and_cost_report(finished):
    rows = {r["run"]: r for r in finished.summary()}
    assert rows["RED"]["iterations"] == 8 and rows["PnP"]["iterations"] == 6
    assert rows["RED"]["psnr"] > race.degraded_psnr(finished.problem)
    assert rows["RED"]["best_psnr"] >= rows["RED"]["psnr"] - 1e-12
    assert rows["RED"]["health"] in ("ok", "peaked", "oscillating", "stalled")
    table = list(csv.DictReader(io.StringIO(finished.histories_csv())))
    assert len(table) == 9 + 7
    assert {r["run"] for r in table} == {"RED", "PnP"}
    cost = {r["run"]: r for r in race.cost_report(finished)}
    assert cost["RED"]["calls_per_iteration"] == 1.0
    assert cost["PnP"]["data_steps_per_iteration"] == 1.0
    assert cost["RED"]["step_ok"] and cost["PnP"]["step_ok"]
    assert cost["RED"]["fixed_point"] == "stationary" and cost["PnP"]["fixed_point"] == "operator"


def test_stop_marks_unfinished_runs():
    problem = problem_for(images.builtin("camera", 32), "denoise", 0.05)
    r = race.Race(problem, {"RED": race.Contender("red-fp", "gaussian", 0.05, max_iter=1000,
                                                  tol=0)})
    r.advance(0.0)
    r.stop()
    assert r.done and r.statuses() == {"RED": "stopped"}


def test_wait_done_returns_when_the_lanes_end_and_not_before():
    problem = problem_for(images.builtin("camera", 32), "denoise", 0.05)
    long = race.Race(problem, {"RED": race.Contender("red-fp", "gaussian", 0.05,
                                                     max_iter=100_000, tol=0)}).start()
    start = time.monotonic()
    assert long.wait_done(0.15) is False and 0.14 <= time.monotonic() - start < 2.0
    long.stop()
    assert long.wait_done(5.0) is True
    short = race.Race(problem, {"RED": race.Contender("red-fp", "gaussian", 0.05, max_iter=3,
                                                      tol=0)}).start()
    assert short.wait_done(30.0) is True and short.statuses() == {"RED": "max_iter"}


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities are Linux's")
def test_a_slow_denoisers_lane_runs_at_a_lower_priority_and_a_fast_one_does_not():
    problem = problem_for(images.builtin("camera", 32), "denoise", 0.05)
    slow = next(n for n in ("cnn_gs", "bm3d") if race.denoisers.available(n))
    assert race.denoisers.entry(slow).speed == "slow"
    r = race.Race(problem, {
        "fast": race.Contender("red-fp", "gaussian", 0.05, max_iter=100_000, tol=0),
        "slow": race.Contender("red-fp", slow, 0.05, max_iter=100_000, tol=0)}).start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(v.iteration for v in r.views().values()):
            time.sleep(0.01)
        fast_thread, slow_thread = r._threads
        own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert os.getpriority(os.PRIO_PROCESS, fast_thread.native_id) == own
        assert os.getpriority(os.PRIO_PROCESS, slow_thread.native_id) == race.SLOW_LANE_NICE
    finally:
        r.stop()
        r.wait(30)


@pytest.mark.parametrize("degradation", list(DEGRADATION_CASES))
def test_snippet_reproduces_the_run(degradation):
    truth = images.builtin("camera", 48)
    contenders = {"RED": race.Contender("red-fp", "tv", 5 / 255, max_iter=4, tol=0)}
    r = race.Race(problem_for(truth, degradation, 0.02, seed=5), contenders)
    while not r.done:
        r.advance(1.0)
    name, params = degradation_case(degradation)
    code = race.snippet("images.builtin('camera', size=48)", name, 0.02, 5, contenders, params)
    scope: dict = {}
    exec(compile(code, "snippet", "exec"), scope)  # noqa: S102 - our own generated code
    assert np.array_equal(scope["red"].x, r.current()["RED"])


def test_problem_helpers():
    img = images.builtin("astronaut", 50)
    sr = operators.entry("super_resolution")
    assert sr.prepare(img, {"factor": 3}).shape[:2] == (48, 48)
    p = problem_for(img, "super_resolution_x3", 0.01)
    assert race.degraded_view(p).shape == p.truth.shape
    assert sr.min_side(sr.resolve({"factor": 3})) == 24
    uniform = operators.entry("uniform_blur")
    assert uniform.min_side(uniform.resolve({"size": 21})) == 21
    with pytest.raises(ValueError, match="unknown operator"):
        problem_for(img, "sharpen", 0.01)


@pytest.mark.parametrize("name, kind", [("gradient_step_tv", "exact-gradient-step"),
                                        ("gaussian", "symmetric"), ("tv", "approximate"),
                                        ("median", "approximate"), ("bm3d", "not-measured"),
                                        ("cnn", "approximate"),
                                        ("cnn_gs", "exact-gradient-step")])
def test_objective_note(name, kind):
    note = race.objective_note(name, 10 / 255, images.builtin("camera", 48))
    assert note.kind == kind
    if kind == "approximate":
        assert note.symmetry_error > 1e-4 and "approximately" in note.text
        assert "±" in note.text and "24×24 crop" in note.text


def test_objective_note_when_the_denoiser_refuses_the_crop():
    """bm3d refuses images under 16 px: the note says so instead of failing the page."""
    note = race.objective_note("bm3d", 10 / 255, images.builtin("camera", 12), measure=True)
    assert note.kind == "approximate" and note.symmetry_error is None
    assert "not measured" in note.text and "16" in note.text


def test_gradient_step_race_objective_is_f_plus_lambda_g_and_decreases():
    problem = problem_for(images.builtin("camera", 48), "gaussian_blur", 0.01)
    r = race.Race(problem, {"RED": race.Contender("red-gd", "gradient_step_tv", 10 / 255,
                                                  max_iter=60, tol=0)})
    while not r.done:
        r.advance(1.0)
    objective = np.array([h["objective"] for h in r.histories()["RED"]])
    assert np.all(np.diff(objective) <= 1e-10 * abs(objective[0]))
    D = r.denoiser("RED")
    lam = r.view("RED").params["lam"]
    x = r.current()["RED"]
    assert objective[-1] == pytest.approx(problem.data_fidelity(x) + lam * D.potential(x))


@pytest.mark.skipif(not race.denoisers.available("bm3d"), reason="needs bm3d")
def test_a_slow_lane_calls_its_denoiser_in_a_low_priority_worker_process():
    """BM3D's calls run in a worker process (no GIL shared with the fast lanes), at
    ``offload.NICE``, give the same iterates as in the lane's own thread, and the worker is
    kept warm for the next race."""
    from red_core.lab import offload

    problem = problem_for(images.builtin("camera", 32), "denoise", 0.05)
    contenders = {"fast": race.Contender("red-fp", "gaussian", 0.05, max_iter=3, tol=0),
                  "slow": race.Contender("red-fp", "bm3d", 0.05, max_iter=2, tol=0)}
    r = race.Race(problem, contenders)
    slow = r._lanes["slow"].watched.D
    assert isinstance(slow, offload.Offloaded)
    assert not isinstance(r._lanes["fast"].watched.D, offload.Offloaded)
    worker = slow.worker_info()
    assert worker["pid"] != os.getpid() and worker["nice"] == offload.NICE
    assert r.start().wait(120) and r.statuses() == {"fast": "max_iter", "slow": "max_iter"}
    here = race.Race(problem, contenders, offload_slow=False)
    assert not isinstance(here._lanes["slow"].watched.D, offload.Offloaded)
    while not here.done:
        here.advance(1.0)
    assert np.array_equal(r.current()["slow"], here.current()["slow"])
    assert r.views()["slow"].calls == here.views()["slow"].calls
    again = race.Race(problem, contenders)  # the next race gets the same, warm, worker
    assert again._lanes["slow"].watched.D.worker_info()["pid"] == worker["pid"]
    again.stop()


@pytest.mark.skipif(not race.denoisers.available("bm3d"), reason="needs bm3d")
def test_stopping_a_slow_lane_ends_its_call_under_way():
    """Stop during a BM3D call: the worker computing it ends at once (no CPU spent on a
    result nobody will see), the lane says stopped."""
    from red_core.lab import offload

    problem = problem_for(images.builtin("camera", 256), "denoise", 0.05)
    r = race.Race(problem, {"slow": race.Contender("red-fp", "bm3d", 0.05, max_iter=50,
                                                   tol=0)})
    slow = r._lanes["slow"].watched.D
    slow.worker_info()
    worker = slow._worker
    r.start()
    deadline = time.monotonic() + 30
    while r.views()["slow"].busy is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert r.views()["slow"].busy is not None  # inside a BM3D call (seconds at 256²)
    r.stop()
    assert r.wait(10) and r.statuses() == {"slow": "stopped"}
    assert worker.process.exitcode == -9  # killed by stop(), not left computing
    assert worker not in offload._idle
    # ... and a fresh worker waits in its place, so the next slow lane does not start one
    spare = [w.process.pid for w in offload._idle if w.alive()]
    assert spare
    again = race.Race(problem, {"slow": race.Contender("red-fp", "bm3d", 0.05, max_iter=1)})
    assert again._lanes["slow"].watched.D.worker_info()["pid"] in spare
    again.stop()


def test_a_worker_runs_at_its_low_priority_from_its_start():
    """The parent lowers a worker's priority as it starts it: the worker's imports (~1 s of
    CPU on a spawn) do not compete with the fast lanes at full priority."""
    from red_core.lab import offload

    worker = offload._Worker()
    try:
        assert os.getpriority(os.PRIO_PROCESS, worker.process.pid) == offload.NICE
    finally:
        worker.kill()
def test_an_offloaded_denoiser_raises_what_the_worker_raised():
    from red_core import denoisers
    from red_core.lab import offload

    d = offload.Offloaded(denoisers.build("gaussian", 0.1))
    assert not offload.offloadable(d.local) and d.sigma == 0.1  # attributes are the local one's
    with pytest.raises(ValueError):
        d(np.zeros((4, 4, 4, 4, 4)))  # a 5-D array: the denoiser refuses it, in the worker
    x = np.random.default_rng(1).random((16, 16))
    assert np.array_equal(d(x), d.local(x))
    d.close()
    with pytest.raises(RuntimeError, match="closed"):
        d(x)
