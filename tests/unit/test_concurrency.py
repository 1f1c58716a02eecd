"""Many users at once: sessions share nothing by accident and each gets its own result.

Streamlit runs every browser session's script in its own thread of one process. The "Restore an
image" page shares one read-only :class:`~red_core.solvers.Problem` between the sessions that ask
for the same setup (``st.cache_resource``) and keeps everything else per session
(``st.session_state``). These tests check that sharing from the library side (solvers never
write into a Problem; races in threads match races alone) and from the browser side: several
sessions race on the same server at the same time, each with its own settings from the URL, and
each must get exactly (to 1e-9) the PSNRs the same race gives in this process, alone.
"""

from __future__ import annotations

import ast
import asyncio
import csv
import io
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from browser_utils import CHROMIUM_ARGS, CHROMIUM_PATH, IDLE_SELECTOR, artifact_path
from helpers import problem_for
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


def _race(problem: solvers.Problem, contenders: dict[str, race.Contender]) -> dict[str, list]:
    r = race.Race(problem, contenders)
    while not r.done:
        r.advance(0.01)  # small chunks: many thread switches between iterations
    return {k: [h["psnr"] for h in v] for k, v in r.histories().items()}


CONTENDER_SETS = [
    {"RED": race.Contender("red-fp", "tv", 5 / 255, max_iter=12, tol=0),
     "PnP": race.Contender("pnp-admm", "tv", 25 / 255, max_iter=12, tol=0)},
    {"RED": race.Contender("red-admm", "gaussian", 4 / 255, {"lam": 50.0}, max_iter=12, tol=0),
     "PnP": race.Contender("pnp-hqs", "median", 12 / 255, max_iter=12, tol=0)},
    {"RED": race.Contender("red-gd", "wavelet", 6 / 255, max_iter=12, tol=0),
     "PnP": race.Contender("pnp-pgd", "tv", 2 / 255, max_iter=12, tol=0)},
    {"RED": race.Contender("red-apg", "symmetric_nlm", 8 / 255, max_iter=8, tol=0),
     "PnP": race.Contender("pnp-admm", "nlm", 20 / 255, {"beta": 900.0}, max_iter=8, tol=0)},
]


@pytest.mark.timeout(180)
def test_races_in_threads_match_races_alone():
    """Races in threads on one shared Problem (as sessions on one server) give exactly the
    results of the same races run one after the other."""
    problem = problem_for(images.builtin("camera", 48), "gaussian_blur", 0.02)
    alone = [_race(problem, c) for c in CONTENDER_SETS]
    together: list = [None] * (2 * len(CONTENDER_SETS))
    errors: list = []

    def work(i: int) -> None:
        try:
            together[i] = _race(problem, CONTENDER_SETS[i % len(CONTENDER_SETS)])
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(together))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=150)
    assert not errors, errors
    for i, result in enumerate(together):
        assert result == alone[i % len(CONTENDER_SETS)], i


def test_stop_and_advance_from_another_thread_while_a_race_advances(monkeypatch):
    """Streamlit starts a session's new run (fast reruns) while its previous run may still be
    inside ``Race.advance`` in another thread: a Stop click (``stop()``) or the next tick of
    the live fragment (``advance()``) then meets a race that is mid-iteration. Neither may
    raise ("generator already executing"); the stop wins."""
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
        r.advance(0.05)  # the next tick, while the first run still advances
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
    while not r.done:
        r.advance(1.0)
    for history in r.histories().values():
        for record in history:
            for key, value in record.items():
                assert np.size(value) < problem.truth.size // 4, key


def test_page_caches_are_bounded():
    """Every st.cache_data / st.cache_resource in the pages has max_entries, and no hashed
    argument is an array (hashing a 512² image each rerun, per session, is slow)."""
    found = 0
    for path in sorted((REPO / "views").glob("*.py")):
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
                        assert "ndarray" not in hint, f"{path.name}:{node.name}({arg.arg})"
    assert found >= 4


# --------------------------------------------------------------------------- in the browser

#: Sessions racing at the same time (different images, degradations, algorithms, denoisers,
#: seeds); the first and the last share a setup, and so one cached Problem on the server.
SESSIONS = [
    "image=coins&size=64&red_iters=20&pnp_iters=20&noise_sigma=0.02&red_method=red-admm",
    "image=camera&size=64&degradation=motion_blur&red_method=red-gd&pnp_method=pnp-pgd"
    "&red_iters=25&pnp_iters=25",
    "image=moon&size=64&degradation=inpainting&seed=3&red_method=red-apg&pnp_method=pnp-hqs"
    "&pnp_denoiser=gaussian&red_sigma=7.5&red_iters=15&pnp_iters=15",
    "image=coins&size=64&red_iters=20&pnp_iters=20&noise_sigma=0.02&red_method=red-admm",
]


def page_defaults() -> dict:
    """The page's DEFAULTS (read from views/restore.py without running it)."""
    tree = ast.parse((REPO / "views" / "restore.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "DEFAULTS":
            return ast.literal_eval(node.value)
    raise AssertionError("pages/restore.py has no DEFAULTS dict")


def expected_race(query: str) -> race.Race:
    """The race the page runs for ``query``, run here alone (same defaults as the page)."""
    setup = page_defaults()
    for item in query.split("&"):
        key, value = item.split("=")
        default = setup[key]
        setup[key] = type(default)(float(value)) if isinstance(default, int | float) else value
    problem = problem_for(images.builtin(setup["image"], setup["size"]),
                                setup["degradation"], setup["noise_sigma"], setup["seed"])
    contenders = {
        label: race.Contender(setup[f"{side}_method"], setup[f"{side}_denoiser"],
                              setup[f"{side}_sigma"] / 255, {}, setup[f"{side}_iters"],
                              setup[f"{side}_tol"])
        for label, side in (("RED", "red"), ("PnP", "pnp"))
    }
    lam = solvers.default_params(setup["red_method"], problem)["lam"]
    r = race.Race(problem, contenders, objective_lam=lam)
    while not r.done:
        r.advance(10.0)
    return r


async def race_in_browser(browser, base_url: str, query: str, ready: asyncio.Barrier,
                          index: int) -> dict:
    """Open /restore?query in a new context, press Run once every session is ready, wait for
    the results and return the CSV of the histories and the result captions."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000},
                                        accept_downloads=True)
    context.set_default_timeout(240_000)
    page = await context.new_page()
    try:
        await page.goto(f"{base_url}/restore?{query}", timeout=120_000)
        await page.wait_for_selector(IDLE_SELECTOR)
        await ready.wait()  # every session has its page: all press Run together
        await page.get_by_role("button", name="Run").click()
        await page.get_by_text("4 · Results").wait_for()
        await page.wait_for_selector(IDLE_SELECTOR)
        async with page.expect_download() as info:
            await page.get_by_role("button", name="Histories (CSV)").click()
        download = await info.value
        text = Path(await download.path()).read_text(encoding="utf-8")
        captions = await page.locator("[data-testid='stImageCaption']").all_text_contents()
        exceptions = await page.locator("[data-testid='stException']").count()
        await page.screenshot(path=str(artifact_path(f"concurrency-session-{index}")))
        return {"csv": text, "captions": captions, "exceptions": exceptions}
    finally:
        await context.close()


async def race_all(base_url: str, queries: list[str]) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                   args=CHROMIUM_ARGS)
        try:
            ready = asyncio.Barrier(len(queries))
            return await asyncio.gather(*(race_in_browser(browser, base_url, q, ready, i)
                                          for i, q in enumerate(queries)))
        finally:
            await browser.close()


def last_psnrs(csv_text: str) -> dict[str, tuple[str, float]]:
    """{run: (method, PSNR of its last record)} from the page's "Histories (CSV)"."""
    out = {}
    for row in csv.DictReader(io.StringIO(csv_text)):
        if row["psnr"]:
            out[row["run"]] = (row["method"], float(row["psnr"]))
    return out


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_concurrent_sessions_each_get_their_own_result(app_server):
    if not Path(CHROMIUM_PATH).exists():
        pytest.skip(f"{CHROMIUM_PATH} is missing: browser tests need Debian's chromium")
    results: list = []
    # Playwright's async API in a thread of its own (the session's sync browser fixture may
    # already own an event loop in this one).
    worker = threading.Thread(target=lambda: results.append(
        asyncio.run(race_all(app_server, SESSIONS))))
    worker.start()
    worker.join(timeout=560)
    assert results, "the concurrent sessions did not finish (see the server log)"
    for query, got in zip(SESSIONS, results[0], strict=True):
        assert got["exceptions"] == 0, query
        expected = expected_race(query)
        want = {label: (lane.contender.method, lane.history[-1]["psnr"])
                for label, lane in expected.lanes.items()}
        have = last_psnrs(got["csv"])
        assert set(have) == {"RED", "PnP"}, (query, have)
        for label in ("RED", "PnP"):
            assert have[label][0] == want[label][0], (query, label)
            assert have[label][1] == pytest.approx(want[label][1], abs=1e-9), (query, label)
            caption = next(c for c in got["captions"] if c.startswith(f"{label} ·"))
            assert f"PSNR {want[label][1]:.2f} dB" in caption, (query, caption)
