"""The "Quick check" page: every question's data, feedback per answer, the score, Start again.

Grading and the numerical checks of the feedback's claims are in tests/unit/test_quiz.py.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from helpers import open_app
from red_core.lab import quiz
from ui import navigation

ROOT = Path(__file__).parents[2]
APP = str(ROOT / "app.py")
KEYS = tuple(q.key for q in quiz.QUESTIONS)
TOPICS = {"assumptions", "cost", "step", "fixed_point", "score_sign", "deep_jacobians"}


def _compact(text: str) -> str:
    """LaTeX without spaces and spacing commands, for robust substring checks."""
    return re.sub(r"\\[,;!]|\s", "", text)


def _wrong(q: quiz.Question) -> int:
    return next(i for i in range(len(q.answers)) if i != q.correct)


# ---- the data of every question ----------------------------------------------------------


def test_six_to_eight_questions_cover_the_sources_topics():
    assert 6 <= len(quiz.QUESTIONS) <= 8
    assert len(set(KEYS)) == len(KEYS)
    assert TOPICS <= set(KEYS)


@pytest.mark.parametrize("q", quiz.QUESTIONS, ids=KEYS)
def test_question_data_is_consistent(q):
    assert re.fullmatch(r"[a-z_]+", q.key)
    assert 3 <= len(q.answers) <= 4
    assert len(q.feedback) == len(q.answers)
    assert 0 <= q.correct < len(q.answers)
    assert len(set(q.answers)) == len(q.answers)
    assert len(set(q.feedback)) == len(q.feedback), "every answer needs its own explanation"
    assert q.feedback[q.correct].startswith("Correct.")
    for index, why in enumerate(q.feedback):
        if index != q.correct:
            assert why.startswith("Not quite:") and len(why) > 80, (q.key, index)
    assert q.takeaway and q.link
    assert q.page in {p.path for p in navigation.PAGES} and (ROOT / q.page).exists()
    for text in (q.text, q.takeaway, *q.answers, *q.feedback):
        assert text.count("$") % 2 == 0, f"unbalanced $ in {text!r}"  # KaTeX pairs
        assert "$$" not in text
    assert any("$" in why for why in q.feedback), "feedback explains with maths"


def test_questions_say_what_the_source_says():
    assumptions = quiz.question("assumptions")
    right = assumptions.answers[assumptions.correct]
    assert "Jacobian is symmetric" in right and "denoiser is locally homogeneous" in right
    full = _compact(assumptions.feedback[assumptions.correct])
    assert r"x-\tfrac12D(x)-\tfrac12J(x)^\topx" in full and r"J(x)x=D(x)" in full

    cost = quiz.question("cost")
    assert "one denoiser call" in cost.answers[cost.correct]

    step = quiz.question("step")
    assert _compact(step.answers[step.correct]) == _compact(
        r"$\mu < 2/(L_f + \lambda)$ for RED-GD and $\mu \le 1/L_f$ for PnP-PGD")

    fixed = quiz.question("fixed_point")
    assert re.search("RED-GD: a stationary point.*PnP-PGD: an operator fixed point",
                     fixed.answers[fixed.correct])

    score = quiz.question("score_sign")
    assert r"-\sigma^2\nabla\logp_\sigma(x)" in _compact(score.text)
    assert "higher probability" in score.answers[score.correct]

    deep = quiz.question("deep_jacobians")
    assert "Reehorst & Schniter, 2019" in deep.answers[deep.correct]


# ---- the page ----------------------------------------------------------------------------


@pytest.fixture
def quiz_page() -> AppTest:
    return open_app("pages/quiz.py")


def _radio(at: AppTest, q: quiz.Question):
    return at.radio(key=f"quiz_q_{q.key}")


def _check_button(at: AppTest, q: quiz.Question):
    return at.button(key=f"quiz_check_{q.key}")


def _answer(at: AppTest, q: quiz.Question, index: int | None) -> AppTest:
    if index is not None:
        _radio(at, q).set_value(index).run()
    _check_button(at, q).click().run()
    assert not at.exception
    return at


def _start_again(at: AppTest) -> AppTest:
    at.button(key="quiz_restart").click().run()
    assert not at.exception
    return at


def _score_lines(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if re.search(r"of \d+ right", m.value)]


def _shown_text(at: AppTest) -> str:
    """Every Markdown, alert and expander label on the page, joined."""
    parts = [m.value for m in at.markdown]
    for kind in (at.success, at.error, at.info):
        parts += [box.value for box in kind]
    parts += [e.label for e in at.expander]
    return "\n".join(parts)


def test_page_title_and_all_questions_unanswered(quiz_page):
    assert quiz_page.title[0].value == "Quick check"
    assert [r.key for r in quiz_page.radio] == [f"quiz_q_{key}" for key in KEYS]
    for q in quiz.QUESTIONS:
        radio = _radio(quiz_page, q)
        assert radio.value is None and not radio.disabled
        assert radio.options == list(q.answers)
        assert any(q.text in m.value for m in quiz_page.markdown)
    assert _score_lines(quiz_page)[0] == f"**0 of {len(KEYS)} right** · 0 of {len(KEYS)} answered"
    assert {link.proto.page for link in quiz_page.page_link} >= {
        "jacobian", "compare", "score", "gradient_1d"}


def test_explanations_are_hidden_before_answering(quiz_page):
    shown = _shown_text(quiz_page)
    assert not quiz_page.success and not quiz_page.error and not quiz_page.expander
    assert "Takeaway" not in shown and "Key takeaway" not in shown
    for q in quiz.QUESTIONS:
        for why in q.feedback:
            assert why not in shown, f"{q.key}: feedback visible before answering"
        assert q.takeaway not in shown


@pytest.mark.parametrize("q", quiz.QUESTIONS, ids=KEYS)
def test_every_answer_shows_its_own_feedback_then_the_explanation(quiz_page, q):
    for index, why in enumerate(q.feedback):
        _answer(quiz_page, q, index)
        if index == q.correct:
            assert [box.value for box in quiz_page.success] == [why]
            assert not quiz_page.error
        else:
            assert [box.value for box in quiz_page.error] == [why]
            assert not quiz_page.success
        radio = _radio(quiz_page, q)
        assert radio.disabled and radio.value == index  # one try: the answer is locked
        assert all(b.key != f"quiz_check_{q.key}" for b in quiz_page.button)
        # the explanation of this question, and of no other, is shown now
        assert [e.label for e in quiz_page.expander] == ["Why each answer is right or wrong"]
        explained = "\n".join(m.value for m in quiz_page.expander[0].markdown)
        for text, other in zip(q.answers, q.feedback, strict=True):
            assert text in explained and other in explained
        assert any(q.takeaway in box.value for box in quiz_page.info)
        for other in quiz.QUESTIONS:
            if other is not q:
                assert not any(w in _shown_text(quiz_page) for w in other.feedback)
        _start_again(quiz_page)


def test_check_without_an_answer_prompts_gently(quiz_page):
    q = quiz.QUESTIONS[3]
    _answer(quiz_page, q, None)
    assert not quiz_page.success and not quiz_page.error and not quiz_page.expander
    assert [box.value for box in quiz_page.info] == [
        "Pick one of the answers first, then press **Check**."]
    assert not _radio(quiz_page, q).disabled
    _radio(quiz_page, q).set_value(q.correct).run()
    assert not quiz_page.info  # the prompt goes once an answer is picked
    _check_button(quiz_page, q).click().run()
    assert quiz_page.success[0].value == q.feedback[q.correct]


def test_score_counts_right_answers(quiz_page):
    total = len(quiz.QUESTIONS)
    right = 0
    for number, q in enumerate(quiz.QUESTIONS):
        picked = q.correct if number % 2 == 0 else _wrong(q)
        right += picked == q.correct
        _answer(quiz_page, q, picked)
        expected = f"**{right} of {total} right** · {number + 1} of {total} answered"
        assert _score_lines(quiz_page) == [expected, expected]  # above and below the questions
        assert len(quiz_page.expander) == number + 1
    assert right == (total + 1) // 2
    assert len(quiz_page.success) == right and len(quiz_page.error) == total - right
    assert any(quiz.TAKEAWAY in box.value for box in quiz_page.info)  # all answered


def test_start_again_resets_everything(quiz_page):
    first, second = quiz.QUESTIONS[:2]
    _answer(quiz_page, first, first.correct)
    _radio(quiz_page, second).set_value(_wrong(second)).run()  # picked, not checked
    _start_again(quiz_page)
    total = len(quiz.QUESTIONS)
    assert _score_lines(quiz_page)[0] == f"**0 of {total} right** · 0 of {total} answered"
    assert not quiz_page.success and not quiz_page.error and not quiz_page.expander
    for q in quiz.QUESTIONS:
        assert _radio(quiz_page, q).value is None and not _radio(quiz_page, q).disabled
    _answer(quiz_page, first, _wrong(first))  # and the question can be answered afresh
    assert quiz_page.error[0].value == first.feedback[_wrong(first)]


def test_answers_survive_a_visit_to_another_page(quiz_page):
    q = quiz.QUESTIONS[0]
    _answer(quiz_page, q, _wrong(q))
    quiz_page.switch_page("pages/home.py").run()
    quiz_page.switch_page("pages/quiz.py").run()
    assert not quiz_page.exception
    radio = _radio(quiz_page, q)
    assert radio.value == _wrong(q) and radio.disabled
    assert quiz_page.error[0].value == q.feedback[_wrong(q)]
    assert _score_lines(quiz_page)[0].startswith(f"**0 of {len(KEYS)} right** · 1 of")


def test_any_sequence_of_clicks_keeps_the_page_and_the_score_consistent(quiz_page):
    """A seeded random walk of picks, checks and restarts against a model of the answers."""
    rng = random.Random(12)
    model: dict[str, int] = {}
    total = len(quiz.QUESTIONS)
    for _ in range(40):
        q = rng.choice(quiz.QUESTIONS)
        action = rng.random()
        if action < 0.08:
            _start_again(quiz_page)
            model.clear()
        elif q.key in model:  # answered: its radio is locked and it has no Check
            assert _radio(quiz_page, q).disabled
            continue
        elif action < 0.55:
            _radio(quiz_page, q).set_value(rng.randrange(len(q.answers))).run()
        else:
            picked = _radio(quiz_page, q).value
            _check_button(quiz_page, q).click().run()
            if picked is not None:
                model[q.key] = picked
        assert not quiz_page.exception
        right, answered, _ = quiz.score(model)
        assert _score_lines(quiz_page)[0] == (
            f"**{right} of {total} right** · {answered} of {total} answered")
        assert len(quiz_page.expander) == answered
