"""Many lanes and many users at once: nothing is shared by accident, a slow lane holds nobody back.

Streamlit runs every browser session's script in its own thread of one process, and every race
runs each of its lanes in a thread of its own (:meth:`red_core.lab.race.Race.start`). The
"Restore an image" page shares one read-only :class:`~red_core.problem.Problem` between the
sessions that ask for the same setup (``st.cache_resource``) and keeps everything else per
session. These tests check, from the library side, that solvers never write into a Problem, that
races whose lanes run in threads — many races at once — give exactly the iterates of solo
:func:`red_core.solvers.run` calls, and that a slow denoiser in one lane neither holds back the
other lane nor hides that it is working (on the page too, through AppTest). The same check with
real browser sessions is ``tests/browser/test_browser_concurrency.py``.
"""

from __future__ import annotations

import ast
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import open_app, problem_for
from red_core import denoisers, images, solvers
from red_core.lab import race

REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- the shared Problem


def _arrays(obj, seen=None) -> dict[str, np.ndarray]:
    """Every ndarray reachable through the attributes of a Problem and its operator."""
    seen = set() if seen is None else seen
    found = {}
    for name, value in vars(obj).items():
        if isinstance(value, np.ndarray):
            found[f"{type(obj).__name__}.{name}"] = value
        elif hasattr(value, "__dict__") and id(value) not in seen and not callable(value):
            seen.add(id(value))
            found.update(_arrays(value, seen))
    return found


@pytest.mark.timeout(120)
@pytest.mark.parametrize("degradation", ["gaussian_blur", "super_resolution_x2", "inpainting"])
def test_solvers_never_write_into_a_shared_problem(degradation):
    """The page shares one Problem between sessions: its arrays must never change. They are
    made read-only, so any in-place write raises (and would end the run as 'diverged')."""
    problem = problem_for(images.builtin("coins", 32), degradation, 0.02)
    arrays = _arrays(problem)
    assert {"Problem.truth", "Problem.y", "Problem.x0", "Problem._aty"} <= set(arrays)
    before = {k: v.copy() for k, v in arrays.items()}
    for value in arrays.values():
        value.flags.writeable = False
    for method in solvers.METHODS:
        sigma = solvers.default_denoiser_sigma(problem, method, "tv")
        result = solvers.run(method, problem, denoisers.build("tv", sigma), max_iter=3)
        assert result.status != "diverged", (method, result.message)
    after = _arrays(problem)
    for key, value in arrays.items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    # No array attribute is rebound either: the blur's inverse-filter cache is one tuple
    # ((α, β), filter), so a thread can never pair one (α, β) with another's filter.
    rebound = {k for k in arrays if after.get(k) is not arrays[k]}
    assert not rebound, rebound


# --------------------------------------------------------------------------- lanes in threads

CONTENDER_SETS = [
    {"RED": race.Contender("red-fp", "tv", 5 / 255, max_iter=12, tol=0),
     "PnP": race.Contender("pnp-admm", "tv", 25 / 255, max_iter=12, tol=0)},
    {"RED": race.Contender("red-admm", "gaussian", 4 / 255, {"lam": 50.0}, max_iter=12, tol=0),
     "PnP": race.Contender("pnp-hqs", "median", 12 / 255, max_iter=12, tol=0)},
    {"RED": race.Contender("red-gd", "wavelet", 6 / 255, max_iter=12, tol=0),
     "PnP": race.Contender("pnp-pgd", "tv", 2 / 255, max_iter=12, tol=0)},
    {"RED": race.Contender("red-apg", "symmetric_nlm", 8 / 255, max_iter=8, tol=0),
     "PnP": race.Contender("pnp-admm", "nlm", 20 / 255, {"beta": 900.0}, max_iter=8, tol=0),
     "GD": race.Contender("red-gd", "tv", 5 / 255, max_iter=8, tol=0),
     "HQS": race.Contender("pnp-hqs", "tv", 15 / 255, max_iter=8, tol=0)},
]


def solo(problem, c: race.Contender, lam: float | None) -> solvers.Result:
    """The lane run alone, as the page's "Python snippet" runs it."""
    return solvers.run(c.method, problem, denoisers.build(c.denoiser, c.denoiser_sigma),
                       max_iter=c.max_iter, tol=c.tol, objective_lam=lam, **c.params)


def assert_lane_is_solo(view: race.LaneView, alone: solvers.Result) -> None:
    """Same iterates, PSNRs, status; the statistics equal wherever the lane evaluated them."""
    assert view.status == alone.status, (view.label, view.message)
    np.testing.assert_array_equal(view.x, alone.x, err_msg=view.label)
    assert [h["psnr"] for h in view.history] == [h["psnr"] for h in alone.history]
    assert [h["rel_change"] for h in view.history] == [h["rel_change"] for h in alone.history]
    for got, want in zip(view.history, alone.history, strict=True):
        if got["objective"] is not None:
            assert got["objective"] == want["objective"], (view.label, got["iter"])
            assert got["residual"] == want["residual"], (view.label, got["iter"])
    assert view.history[-1]["objective"] is not None  # the last record always has them


@pytest.mark.timeout(300)
def test_races_with_lane_threads_match_solo_runs():
    """Eight races at once (as sessions on one server), every lane in a thread of its own, on
    one shared Problem: each lane gives exactly the iterates of its solo ``solvers.run``."""
    problem = problem_for(images.builtin("camera", 48), "gaussian_blur", 0.02)
    lam = solvers.default_params("red-fp", problem)["lam"]
    alone = [{k: solo(problem, c, lam) for k, c in cs.items()} for cs in CONTENDER_SETS]
    races = [race.Race(problem, CONTENDER_SETS[i % len(CONTENDER_SETS)], objective_lam=lam)
             for i in range(2 * len(CONTENDER_SETS))]
    for r in races:
        r.start()
    for r in races:
        assert r.wait(240), r.statuses()
    threads = {t.name for t in threading.enumerate()}
    assert not any(name.startswith("race-lane") for name in threads), threads  # all ended
    for i, r in enumerate(races):
        for label, view in r.views().items():
            assert_lane_is_solo(view, alone[i % len(CONTENDER_SETS)][label])


def test_statistics_are_thinned_only_where_they_cost_a_denoiser_call():
    problem = problem_for(images.builtin("coins", 32), "gaussian_blur", 0.02)
    r = race.Race(problem, CONTENDER_SETS[0])
    while not r.done:
        r.advance(1.0)
    every = race.STATS_EVERY_EXTRA_CALL
    red, pnp = r.histories()["RED"], r.histories()["PnP"]
    assert all(h["objective"] is not None for h in red)  # RED-FP hands D(x) over: free
    assert red[-1]["stats_denoiser_calls"] == 0
    kept = [h["iter"] for h in pnp if h["objective"] is not None]
    assert kept == sorted({*range(0, 13, every), 12}), kept
    assert pnp[-1]["stats_denoiser_calls"] == len(kept)
    full = race.Race(problem, CONTENDER_SETS[0], stats_every=1)
    while not full.done:
        full.advance(1.0)
    assert all(h["objective"] is not None for h in full.histories()["PnP"])


def test_stop_and_advance_from_another_thread_while_a_race_advances(monkeypatch):
    """Streamlit starts a session's new run (fast reruns) while its previous run may still be
    inside ``Race.advance`` in another thread: a Stop click (``stop()``) or another
    ``advance()`` then meets a race that is mid-iteration. Neither may raise ("generator
    already executing"); the stop wins."""
    real_build = denoisers.build

    def slow_build(name, sigma, **params):
        inner = real_build(name, sigma, **params)

        def slow(x):
            time.sleep(0.02)  # a slow denoiser call, outside the interpreter lock
            return inner(x)

        slow.sigma = inner.sigma
        return slow

    monkeypatch.setattr(denoisers, "build", slow_build)
    problem = problem_for(images.builtin("coins", 32), "gaussian_blur", 0.02)
    r = race.Race(problem, {
        "RED": race.Contender("red-fp", "gaussian", 0.02, max_iter=5000, tol=0),
        "PnP": race.Contender("pnp-admm", "gaussian", 0.05, max_iter=5000, tol=0),
    })
    errors: list = []

    def advance() -> None:
        try:
            r.advance(30.0)
        except Exception as error:  # reported in the test's thread
            errors.append(error)

    first = threading.Thread(target=advance)
    first.start()
    time.sleep(0.3)
    try:
        r.advance(0.05)  # another caller, while the first still advances
        r.stop()  # the Stop button's callback
    finally:
        first.join(timeout=60)
    assert not first.is_alive()
    assert not errors, errors
    assert r.done and set(r.statuses().values()) == {"stopped"}
    iters = {label: h[-1]["iter"] for label, h in r.histories().items()}
    assert 0 < min(iters.values()) < 5000
    r.advance(1.0)  # a stopped race stays stopped
    assert {label: h[-1]["iter"] for label, h in r.histories().items()} == iters


def test_a_race_keeps_no_per_iteration_images():
    problem = problem_for(images.builtin("coins", 32), "denoise", 0.05)
    r = race.Race(problem, CONTENDER_SETS[0])
    r.start().wait(60)
    for history in r.histories().values():
        for record in history:
            for key, value in record.items():
                assert np.size(value) < problem.truth.size // 4, key


def test_page_caches_are_bounded():
    """Every st.cache_data / st.cache_resource of the pages and ui helpers has max_entries, and
    no hashed argument is an array (hashing a 512² image each rerun, per session, is slow)."""
    found = 0
    for path in sorted([*(REPO / "pages").glob("*.py"), *(REPO / "ui").glob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                name = ast.unparse(deco.func if isinstance(deco, ast.Call) else deco)
                if name not in ("st.cache_data", "st.cache_resource"):
                    continue
                found += 1
                keywords = {k.arg for k in getattr(deco, "keywords", [])}
                assert "max_entries" in keywords, f"{path.name}:{node.name} is unbounded"
                for arg in node.args.args:
                    hint = ast.unparse(arg.annotation) if arg.annotation else ""
                    if not arg.arg.startswith("_"):
                        assert "ndarray" not in hint and "Problem" not in hint, \
                            f"{path.name}:{node.name}({arg.arg})"
    assert found >= 4


# --------------------------------------------------------------------------- a slow lane

SLOW = "slow_fake"
SLOW_SECONDS = 0.5  # per call: like BM3D at 256² on a fast machine


def _slow_factory(sigma: float):
    def apply(x: np.ndarray) -> np.ndarray:
        time.sleep(SLOW_SECONDS)  # outside the interpreter lock, like BM3D's C code
        return x.copy()

    return apply


@pytest.fixture
def slow_denoiser():
    """A denoiser that sleeps 0.5 s per call, registered for the test only."""
    denoisers.register(denoisers.DenoiserSpec(
        SLOW, "Slow stand-in", _slow_factory, colour="#777777",
        sigma_factor={"red": 1.0, "pnp-split": 1.0, "pnp-pgd": 1.0},
        description="Sleeps 0.5 s per call (tests only).", speed="slow"))
    try:
        yield SLOW
    finally:
        denoisers.unregister(SLOW)


@pytest.mark.timeout(180)
def test_a_slow_lane_never_holds_back_a_fast_one(slow_denoiser):
    problem = problem_for(images.builtin("camera", 64), "gaussian_blur", 0.01)
    fast = race.Contender("red-fp", "tv", 5 / 255, max_iter=30, tol=0)
    r = race.Race(problem, {"fast": fast,
                            "slow": race.Contender("pnp-admm", slow_denoiser, 0.05,
                                                   max_iter=1000, tol=0)})
    r.start()
    try:
        deadline = time.monotonic() + 120
        while not r.view("fast").done and time.monotonic() < deadline:
            time.sleep(0.02)
        views = r.views()
        # The fast lane made all its iterations while the slow one made a handful (in lockstep
        # the slow one would have made as many: 0.5 s per call bounds it, not the fast lane).
        assert views["fast"].status == "max_iter" and views["fast"].iteration == 30
        assert views["slow"].status == "running"
        assert views["slow"].iteration <= 10, views["slow"].iteration
        assert_lane_is_solo(views["fast"], solo(problem, fast, None))
        # The slow lane says it is inside a denoiser call, and which one.
        for _ in range(100):
            v = r.view("slow")
            if v.busy is not None and v.busy > 0.1:
                break
            time.sleep(0.02)
        assert v.busy is not None and 0.1 < v.busy < SLOW_SECONDS + 5
        assert v.calls >= 1
    finally:
        r.stop()
    # Stopped inside a call: the lane has ended, it no longer says it is working (the call
    # finishes in the background and is dropped).
    assert r.view("slow").done and r.view("slow").busy is None
    assert r.wait(10)  # the lane thread ends after its current call
    assert r.statuses() == {"fast": "max_iter", "slow": "stopped"}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_page_shows_the_slow_lane_working_while_the_other_finishes(slow_denoiser):
    """On "Restore an image" (AppTest: each ``run()`` draws the live view once, as the
    fragment's timer would): lane B inside a 0.5 s call says "denoiser call N for T s", and lane
    A finishes its iterations meanwhile."""
    at = open_app("pages/restore.py", timeout=120)
    at.selectbox(key="size").set_value(64).run()
    at.selectbox(key="b_denoiser").set_value(slow_denoiser).run()
    at.number_input(key="a_iters").set_value(25)
    at.number_input(key="b_iters").set_value(500)
    at.number_input(key="b_tol").set_value(0.0)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    r = at.session_state["race"]
    deadline = time.monotonic() + 120
    while not r.view("a").done and time.monotonic() < deadline:
        time.sleep(0.02)
    b_when_a_ended = r.view("b").iteration
    assert b_when_a_ended <= 10, b_when_a_ended  # in lockstep B would have made ~25
    busy = re.compile(r"^\W*B · .* · running · denoiser call (\d+) for (\d+\.\d) s$")
    seen = None
    try:
        for _ in range(40):
            time.sleep(0.15)
            at.run()
            captions = [c for image in at.image for c in image.captions]
            seen = next((m for m in map(busy.match, captions) if m), None)
            if seen:
                break
        assert seen, captions
        assert int(seen.group(1)) >= 1 and float(seen.group(2)) >= 0.2
        assert r.wait(0) is False  # B still running ...
        at.run()
        captions = [c.strip("*") for image in at.image for c in image.captions]
        a = next(c for c in captions if c.startswith("A · "))
        assert "iteration 25 · " in a and a.endswith("max_iter"), captions
        assert r.view("b").status == "running"
    finally:
        r.stop()
        r.wait(10)
