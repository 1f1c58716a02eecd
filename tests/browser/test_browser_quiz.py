"""The quick check in a real browser: answered by a click, feedback typeset."""

from __future__ import annotations

import pytest

from browser_utils import assert_no_exception, open_page, screenshot, wait_idle

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
def test_quiz_answered_right_in_the_browser(page, app_server):
    # Reached the way a reader does: from the link at the end of the home page.
    open_page(page, app_server, "/")
    main = page.locator(MAIN)
    main.get_by_role("link", name="Take the quick check").click()
    page.wait_for_url("**/quiz")
    wait_idle(page)
    assert_no_exception(page)
    _assert_app_navigation(page)
    assert "Under what conditions" in main.inner_text()

    main.get_by_text("When the denoiser Jacobian is symmetric and locally homogeneous").click()
    wait_idle(page)
    main.get_by_role("button", name="Check").click()
    wait_idle(page)
    assert_no_exception(page)

    success = main.locator("[data-testid='stAlertContentSuccess']")
    success.wait_for()
    assert "Correct." in success.inner_text()
    assert success.locator(".katex").count() >= 4, "the gradient in the feedback is typeset"
    assert main.locator("[data-testid='stAlertContentError']").count() == 0
    assert "Key takeaway" in main.inner_text()
    main.get_by_text("Why each answer is right or wrong").click()
    details = main.locator("[data-testid='stExpanderDetails']")
    details.wait_for()
    assert details.locator(".katex").count() >= 10, "all four explanations, typeset"
    assert details.inner_text().count("Not quite") == 3
    _assert_maths_typeset(page)
    assert screenshot(page, "theory-quiz").stat().st_size > 0
