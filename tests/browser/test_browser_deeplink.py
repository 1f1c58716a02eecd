"""A deep link opened first on a fresh server shows its page, with the app's navigation.

The page scripts live in ``pages/`` next to ``app.py``. Streamlit 1.67 then treats the app as an
old-style multipage app until the first ``st.navigation`` call of the process, so the very first
request of a fresh server for ``/restore`` runs ``pages/restore.py`` on its own; the page's
``navigation.guard()`` registers the navigation and reruns through ``app.py``. Each case starts
its own server so that its link is that server's first request.
"""

from __future__ import annotations

import pytest

from browser_utils import StreamlitServer, artifact_path, assert_no_exception, open_page
from ui.navigation import PAGES

#: url path, query string, a text the page shows, a query value that must survive
CASES = {
    "": ("", "RED in one page", None),
    "gradient_1d": ("?g1d_seed=3", "1-D gradient field", "g1d_seed=3"),
    "restore": ("?size=64&degradation=motion_blur&motion_blur.length=33", "Restore an image",
                "motion_blur.length=33"),
    "compare": ("", "RED vs PnP", None),
    "tune": ("?tune_n=4&size=64", "Tune", "tune_n=4"),
    "leaderboard": ("?lb_iters=30", "Leaderboard", "lb_iters=30"),
    "jacobian": ("", "Jacobian lab", None),
    "score": ("", "Score and Tweedie", None),
    "quiz": ("", "Quick check", None),
}


def test_every_page_has_a_case():
    paths = {"" if p.default else p.path.removeprefix("pages/").removesuffix(".py")
             for p in PAGES}
    assert paths == set(CASES)


@pytest.mark.browser
@pytest.mark.parametrize("path", list(CASES))
def test_first_request_deep_link_shows_its_page_with_the_navigation(browser, path):
    query, text, kept = CASES[path]
    server = StreamlitServer("app.py", log_path=artifact_path(f"deeplink-{path or 'home'}",
                                                              ".log"))
    url = server.start()
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        open_page(page, url, f"/{path}{query}")  # the very first request this server sees
        page.wait_for_timeout(500)
        assert_no_exception(page)
        body = page.locator("body").inner_text()
        assert "Page not found" not in body
        assert text in page.locator("[data-testid='stMain'] h1").first.inner_text()
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "RED in one page" in nav and "Quick check" in nav, nav
        assert "RED Lab" in page.locator("[data-testid='stSidebarContent']").inner_text()
        if kept is not None:
            assert kept in page.url, page.url
        context.close()
    finally:
        server.stop()
