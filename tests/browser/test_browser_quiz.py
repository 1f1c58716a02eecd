"""The quick check in a real browser: two answers (one right, one wrong), feedback typeset by
KaTeX, the running score, and no widget label cut at 800 px."""

from __future__ import annotations

import pytest

from browser_utils import assert_no_exception, open_page, screenshot, wait_idle
from red_core.lab import quiz

MAIN = "[data-testid='stMain']"
TOTAL = len(quiz.QUESTIONS)
TYPESET_JS = f"""() => document.querySelector("{MAIN} .katex") !== null
    && !document.querySelector("{MAIN} [data-testid='stSkeleton']")"""
# Elements whose text must fit: radio options, buttons, page links, alerts, the title.
CUT_LABELS_JS = f"""() => {{
    const main = document.querySelector("{MAIN}");
    const right = main.getBoundingClientRect().right;
    const selectors = ["label[data-testid='stRadioOption']", "[data-testid='stBaseButton-primary']",
        "[data-testid='stBaseButton-secondary']", "[data-testid='stPageLink-NavLink']",
        "[data-testid='stAlertContainer']", "h1"];
    const cut = [];
    for (const el of main.querySelectorAll(selectors.join(","))) {{
        const box = el.getBoundingClientRect();
        if (box.width === 0) continue;
        if (el.scrollWidth > el.clientWidth + 1 || box.right > right + 1)
            cut.push([el.innerText.slice(0, 60), el.scrollWidth, el.clientWidth,
                      Math.round(box.right), Math.round(right)]);
    }}
    if (main.scrollWidth > main.clientWidth + 1)
        cut.push(["main scrolls sideways", main.scrollWidth, main.clientWidth]);
    return cut;
}}"""


def _typeset(page) -> None:
    """Wait until KaTeX has replaced the placeholders of every formula."""
    page.wait_for_function(TYPESET_JS)


def _box(page, q: quiz.Question):
    return page.locator(f".st-key-quiz_box_{q.key}")


def _answer(page, q: quiz.Question, index: int) -> None:
    box = _box(page, q)
    box.locator("label[data-testid='stRadioOption']").nth(index).click()
    wait_idle(page)
    box.get_by_role("button", name="Check").click()
    wait_idle(page)
    _typeset(page)
    assert_no_exception(page)


def _assert_maths_typeset(page) -> None:
    """Every formula went through KaTeX: no raw ``$...$`` or ``\\command`` left in the text."""
    main = page.locator(MAIN)
    assert main.locator(".katex").count() > 0, "no KaTeX output on the page"
    assert main.locator(".katex-error").count() == 0, "KaTeX could not parse a formula"
    text = main.inner_text()
    for raw in ("$", "\\frac", "\\nabla", "\\top", "\\rho", "\\lambda", "\\mu"):
        assert raw not in text, f"raw LaTeX {raw!r} is visible on the page"


def _wrong(q: quiz.Question) -> int:
    return next(i for i in range(len(q.answers)) if i != q.correct)


@pytest.mark.browser
def test_quiz_one_right_one_wrong_in_the_browser(page, app_server):
    # Reached the way a reader does: from the link at the end of the home page.
    open_page(page, app_server, "/")
    main = page.locator(MAIN)
    main.get_by_role("link", name="Take the quick check").click()
    page.wait_for_url("**/quiz")
    wait_idle(page)
    _typeset(page)
    assert_no_exception(page)
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "RED in one page" in nav and "Quick check" in nav, f"unexpected navigation: {nav!r}"
    assert main.locator("h1").first.inner_text() == "Quick check"
    assert f"0 of {TOTAL} right" in main.inner_text()
    assert main.locator("[data-testid='stExpander']").count() == 0, "explanations before answers"

    first, second, third = quiz.QUESTIONS[:3]
    _answer(page, first, first.correct)
    success = _box(page, first).locator("[data-testid='stAlertContentSuccess']")
    feedback = success.locator("[data-testid='stMarkdownContainer']").inner_text()
    assert feedback.startswith("Correct."), feedback
    assert success.locator(".katex").count() >= 4, "the gradient in the feedback is typeset"

    _answer(page, second, _wrong(second))
    error = _box(page, second).locator("[data-testid='stAlertContentError']")
    feedback = error.locator("[data-testid='stMarkdownContainer']").inner_text()
    assert feedback.startswith("Not quite:"), feedback
    assert error.locator(".katex").count() >= 1, "the wrong answer's feedback is typeset"
    assert main.locator("[data-testid='stAlertContentSuccess']").count() == 1
    assert main.locator("[data-testid='stAlertContentError']").count() == 1

    text = main.inner_text()
    assert f"1 of {TOTAL} right · 2 of {TOTAL} answered" in text
    # answered questions are explained; the next one is not
    assert _box(page, third).locator("[data-testid='stExpander']").count() == 0
    assert _box(page, third).locator("[data-testid='stAlertContainer']").count() == 0
    assert _box(page, first).locator("input[type='radio']:disabled").count() == len(first.answers)

    _box(page, first).get_by_text("Why each answer is right or wrong").click()
    details = _box(page, first).locator("[data-testid='stExpanderDetails']")
    details.wait_for()
    assert details.locator(".katex").count() >= 10, "all four explanations, typeset"
    assert details.inner_text().count("Not quite") == len(first.answers) - 1
    _assert_maths_typeset(page)
    assert_no_exception(page)
    assert screenshot(page, "quiz-answered").stat().st_size > 0

    page.get_by_role("button", name="Start again").click()
    wait_idle(page)
    assert_no_exception(page)
    assert f"0 of {TOTAL} right · 0 of {TOTAL} answered" in main.inner_text()
    assert main.locator("[data-testid='stAlertContentError']").count() == 0


@pytest.mark.browser
def test_quiz_labels_fit_at_800_px(page, app_server):
    page.set_viewport_size({"width": 800, "height": 900})
    open_page(page, app_server, "/quiz")
    _typeset(page)
    assert_no_exception(page)
    step = quiz.question("step")
    _answer(page, step, _wrong(step))  # an error box and an explanation at this width too
    _box(page, step).get_by_text("Why each answer is right or wrong").click()
    _box(page, step).locator("[data-testid='stExpanderDetails']").wait_for()
    _typeset(page)
    assert page.locator(f"{MAIN} label[data-testid='stRadioOption']").count() == sum(
        len(q.answers) for q in quiz.QUESTIONS)
    cut = page.evaluate(CUT_LABELS_JS)
    assert cut == [], f"labels cut at 800 px: {cut}"
    _assert_maths_typeset(page)
    assert screenshot(page, "quiz-800px").stat().st_size > 0
