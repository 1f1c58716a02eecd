"""A deep link opened first on a fresh server still runs app.py's navigation.

With the page scripts in a folder named ``pages/``, Streamlit runs a deep-linked page script on
its own (legacy multipage mode) until app.py has run once; the scripts live in ``views/``.
"""

import pytest

from browser_utils import StreamlitServer, artifact_path, assert_no_exception, open_page


@pytest.mark.browser
def test_first_request_deep_link_has_the_navigation(browser):
    server = StreamlitServer("app.py", log_path=artifact_path("deeplink-server", ".log"))
    url = server.start()
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        open_page(page, url, "/score")  # the very first request this server sees
        assert_no_exception(page)
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "Score and Tweedie" in nav and "RED in one page" in nav, nav
        assert "RED Lab" in page.locator("[data-testid='stSidebarContent']").inner_text()
        context.close()
    finally:
        server.stop()
