"""The home page in a real browser: formulas typeset by KaTeX, tables, links."""

from __future__ import annotations

import layout_checks
import pytest

from browser_utils import assert_no_exception, open_page, screenshot

MAIN = "[data-testid='stMain']"


def _assert_maths_typeset(page) -> None:
    """Every formula went through KaTeX: no raw ``$...$`` or ``\\command`` left in the text."""
    main = page.locator(MAIN)
    assert main.locator(".katex").count() > 0, "no KaTeX output on the page"
    assert main.locator(".katex-error").count() == 0, "KaTeX could not parse a formula"
    text = main.inner_text()
    for raw in ("$$", "\\frac", "\\nabla", "\\top", "\\rho", "\\lambda"):
        assert raw not in text, f"raw LaTeX {raw!r} is visible on the page"


def _assert_app_navigation(page) -> None:
    """The sidebar is app.py's st.navigation (page titles), not a bare page script's."""
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "RED in one page" in nav and "Quick check" in nav, f"unexpected navigation: {nav!r}"


@pytest.mark.browser
def test_home_page_renders_formulas_and_tables(page, app_server):
    open_page(page, app_server, "/")  # the home page is the first screen a newcomer sees
    assert_no_exception(page)
    _assert_app_navigation(page)
    main = page.locator(MAIN)
    assert main.locator("h1").first.inner_text().strip() == "RED in one page"
    _assert_maths_typeset(page)
    assert main.locator("table").count() == 2, "the algorithms and comparison tables"
    # formulas inside the table cells are typeset too
    assert main.locator("table .katex").count() >= 15
    assert main.locator("[data-testid='stPageLink']").count() >= 12
    assert screenshot(page, "theory-home").stat().st_size > 0


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 800])
def test_home_page_fits_the_screen(page, app_server, width):
    layout_checks.set_width(page, width)
    open_page(page, app_server, "/")
    assert_no_exception(page)
    main = page.locator(MAIN)
    assert main.locator("[data-testid='stPageLink']").count() >= 12
    # the derivation's formulas count too: open it
    main.get_by_text("Derivation (product rule)").click()
    main.locator("[data-testid='stExpanderDetails'] .katex").first.wait_for()
    layout_checks.assert_fits(page)
    screenshot(page, f"theory-home-{width}px")
