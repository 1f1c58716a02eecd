"""Several browser sessions race at once on one server, each with its own settings from the URL,
and each gets exactly (to 1e-9) the PSNRs its race gives alone.

Streamlit runs every session's script in a thread of one process, and every lane of every race
in a thread of its own: with 3 sessions × 4 lanes, 12 lane threads compute at once while the
sessions draw their live frames. "Alone" is the page's own "Python snippet" download executed
here: it rebuilds the problem from the built-in image and runs each lane with
``solvers.run`` — so the test also checks that the snippet reproduces the race. The full-size
version (6 sessions × 4 lanes, with the server's memory per session) is
``bench/memory_per_session.py``; ``REDLAB_CONCURRENT_SESSIONS=6`` runs it here.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import threading
from pathlib import Path

import pytest

from browser_utils import CHROMIUM_ARGS, CHROMIUM_PATH, IDLE_SELECTOR, artifact_path

ITERS = 12


def _lanes(**settings: str) -> str:
    """A query string with four lanes of ``ITERS`` iterations and the given settings."""
    query = {"lanes": "4", **{f"{lane}_iters": str(ITERS) for lane in "abcd"}, **settings}
    return "&".join(f"{k}={v}" for k, v in query.items())


#: Different images, degradations, noise, seeds, algorithms, denoisers, linked and unlinked σ_d;
#: the first and the fourth share a setup (one cached Problem on the server for both).
SESSIONS = [
    "image=coins&size=64&noise_sigma=5&seed=1&" + _lanes(a_method="red-admm"),
    "image=camera&size=64&degradation=motion_blur&motion_blur.length=9&" + _lanes(
        a_method="red-gd", b_method="pnp-pgd", c_denoiser="gaussian", d_method="pnp-hqs"),
    "image=moon&size=64&degradation=inpainting&seed=3&" + _lanes(
        a_method="red-apg", b_method="pnp-hqs", b_denoiser="median", a_link="false",
        a_sigma="7.5", c_tol="0"),
    "image=coins&size=64&noise_sigma=5&seed=1&" + _lanes(a_method="red-admm"),
    "image=text&size=64&degradation=uniform_blur&noise_sigma=10&" + _lanes(
        a_method="red-pg", b_method="pnp-admm", b_link="false", b_sigma="30", d_denoiser="wavelet"),
    "image=grass&size=64&degradation=super_resolution&" + _lanes(
        a_method="red-dpg", c_method="pnp-hqs", d_denoiser="bilateral"),
]


async def settle(page) -> None:
    """Idle twice, 300 ms apart (a rerun asked by the last frame may not have started yet)."""
    await page.wait_for_selector(IDLE_SELECTOR)
    await page.wait_for_timeout(300)
    await page.wait_for_selector(IDLE_SELECTOR)


async def download_text(page, button: str, attempts: int = 3) -> str:
    """The text a download button serves; asked again when a rerun cancelled the download
    (its file belongs to the run that drew the button)."""
    from playwright.async_api import Error as PlaywrightError

    for attempt in range(attempts):
        try:
            async with page.expect_download() as info:
                await page.get_by_role("button", name=button).click()
            download = await info.value
            return Path(await download.path()).read_text(encoding="utf-8")
        except PlaywrightError:
            if attempt == attempts - 1:
                raise
            await settle(page)
    raise AssertionError("unreachable")


async def race_in_browser(browser, base_url: str, query: str, ready: asyncio.Barrier,
                          index: int) -> dict:
    """Open /restore?query in a new context, press Run once every session is ready, wait for
    the results and return the histories CSV, the Python snippet and the result captions."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900},
                                        accept_downloads=True)
    context.set_default_timeout(300_000)
    page = await context.new_page()
    try:
        await page.goto(f"{base_url}/restore?{query}", timeout=120_000)
        await page.wait_for_selector(IDLE_SELECTOR)
        await ready.wait()  # every session has its page: all press Run together
        await page.get_by_role("button", name="Run").click()
        await page.get_by_text("4 · Results").wait_for()
        await settle(page)
        out = {"query": query}
        for key, button in (("csv", "Histories (CSV)"), ("snippet", "Python snippet")):
            out[key] = await download_text(page, button)
        out["captions"] = await page.locator(
            "[data-testid='stImageCaption']").all_text_contents()
        out["exceptions"] = await page.locator("[data-testid='stException']").count()
        await page.screenshot(path=str(artifact_path(f"concurrency-session-{index}")))
        return out
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


def psnr_histories(csv_text: str) -> dict[str, tuple[str, list[float]]]:
    """{lane: (method, PSNR per iteration)} from the page's "Histories (CSV)"."""
    out: dict[str, tuple[str, list[float]]] = {}
    for row in csv.DictReader(io.StringIO(csv_text)):
        method, values = out.setdefault(row["run"], (row["method"], []))
        values.append(float(row["psnr"]))
    return out


def solo_runs(snippet: str) -> dict[str, object]:
    """Execute the page's snippet (its prints silenced): {lane: solvers.Result}."""
    scope: dict = {"print": lambda *args, **kwargs: None}
    exec(compile(snippet, "race.py", "exec"), scope)  # noqa: S102 - the app's generated code
    return {lane: scope[lane] for lane in "abcd" if lane in scope}


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_concurrent_sessions_each_get_their_solo_result(app_server):
    if not Path(CHROMIUM_PATH).exists():
        pytest.skip(f"{CHROMIUM_PATH} is missing: browser tests need Debian's chromium")
    n = int(os.environ.get("REDLAB_CONCURRENT_SESSIONS", "3"))
    queries = SESSIONS[:n] if n <= len(SESSIONS) else [SESSIONS[i % len(SESSIONS)]
                                                       for i in range(n)]
    results: list = []
    # Playwright's async API in a thread of its own (the session's sync browser fixture may
    # already own an event loop in this one).
    worker = threading.Thread(target=lambda: results.append(
        asyncio.run(race_all(app_server, queries))))
    worker.start()
    worker.join(timeout=840)
    assert results, "the concurrent sessions did not finish (see the server log)"
    for got in results[0]:
        query = got["query"]
        assert got["exceptions"] == 0, query
        have = psnr_histories(got["csv"])
        want = solo_runs(got["snippet"])
        assert set(have) == set(want) == set("abcd"), (query, set(have), set(want))
        for lane, alone in want.items():
            method, psnrs = have[lane]
            assert method == alone.method, (query, lane)
            assert psnrs == pytest.approx([h["psnr"] for h in alone.history], abs=1e-9), \
                (query, lane)
            caption = next(c for c in got["captions"] if c.startswith(f"{lane.upper()} · "))
            assert f"PSNR {alone.history[-1]['psnr']:.2f} dB · {alone.status}" in caption, \
                (query, caption)
        # The settings of the URL reached the race (the snippet says what ran).
        for item in query.split("&"):
            key, value = item.split("=")
            if key.endswith("_method"):
                assert f"solvers.run({value!r}" in got["snippet"], (query, key)
            if key.endswith("_denoiser"):
                assert f"denoisers.build({value!r}" in got["snippet"], (query, key)
