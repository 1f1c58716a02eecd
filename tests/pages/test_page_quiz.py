"""The "Quick check" page and red_core.lab.quiz."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from red_core.lab import quiz
from red_core.theory import regulariser as red

APP = str(Path(__file__).parents[2] / "app.py")
OTHER_PAGES = {"gradient_1d", "restore", "compare", "jacobian", "score", "quiz"}


def _compact(text: str) -> str:
    """LaTeX without spaces and spacing commands, for robust substring checks."""
    return re.sub(r"\\[,;!]|\s", "", text)


# ---- red_core.quiz -----------------------------------------------------------------------


def test_quiz_data_is_consistent():
    assert "x - D(x)" in quiz.QUESTION
    assert len(quiz.ANSWERS) == len(quiz.FEEDBACK) == 4
    assert len(set(quiz.FEEDBACK)) == 4, "every answer needs its own explanation"
    assert "symmetric" in quiz.ANSWERS[quiz.CORRECT_INDEX]
    assert "homogeneous" in quiz.ANSWERS[quiz.CORRECT_INDEX]


def test_check_right_answer_explains_the_full_gradient():
    correct, feedback = quiz.check(quiz.CORRECT_INDEX)
    assert correct is True
    compact = _compact(feedback)
    assert r"x-\tfrac12D(x)-\tfrac12J(x)^\topx" in compact  # the full gradient
    assert r"J(x)^\topx=J(x)x" in compact  # symmetry
    assert r"J(x)x=D(x)" in compact  # homogeneity


@pytest.mark.parametrize(
    ("index", "must_mention"),
    [
        (0, ("non-symmetric", "DnCNN")),
        (2, ("Plug-and-Play", "converge")),
        (3, ("median", "TV", "NLM", "CNN")),
    ],
)
def test_check_wrong_answers_say_why(index, must_mention):
    correct, feedback = quiz.check(index)
    assert correct is False
    for word in must_mention:
        assert word in feedback
    assert not feedback.startswith("Correct")


def test_check_accepts_numpy_integers():
    assert quiz.check(np.int64(quiz.CORRECT_INDEX))[0] is True


@pytest.mark.parametrize("bad", [-1, 4, 1.0, "1", None, True])
def test_check_rejects_what_is_not_an_answer_index(bad):
    with pytest.raises(ValueError, match="answer_index"):
        quiz.check(bad)


def test_non_expansive_counterexample_in_feedback_holds():
    """The wrong-answer feedback claims D(x) = R x / 2 (R a rotation) is non-expansive and
    homogeneous yet ∇ρ(x) = x − (R + Rᵀ) x / 4 ≠ x − D(x): check it numerically."""
    theta = 0.7
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    jacobian = 0.5 * rotation
    x = np.array([0.3, -1.2])
    assert np.linalg.norm(jacobian, 2) <= 1  # non-expansive

    def rho(v):
        return red.regulariser(v, jacobian @ v)

    eps = 1e-6
    numeric = np.array([(rho(x + eps * e) - rho(x - eps * e)) / (2 * eps) for e in np.eye(2)])
    exact = red.exact_gradient(x, jacobian @ x, lambda v: jacobian.T @ v)
    np.testing.assert_allclose(numeric, exact, atol=1e-8)
    np.testing.assert_allclose(exact, x - 0.25 * (rotation + rotation.T) @ x, atol=1e-12)
    assert np.linalg.norm(exact - red.red_gradient(x, jacobian @ x)) > 0.1


# ---- quiz page ---------------------------------------------------------------------------


@pytest.fixture
def quiz_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("pages/quiz.py").run()
    assert not at.exception
    return at


def _answer(at: AppTest, index: int | None) -> AppTest:
    if index is not None:
        at.radio(key="quiz_answer").set_value(index).run()
    return at.button(key="quiz_check").click().run()


def test_quiz_shows_question_and_four_answers_unanswered(quiz_page):
    radio = quiz_page.radio(key="quiz_answer")
    assert radio.value is None
    assert radio.options == list(quiz.ANSWERS)
    assert any("$x - D(x)$" in m.value for m in quiz_page.markdown)
    assert not quiz_page.success and not quiz_page.error


def test_quiz_check_without_answer_prompts_gently(quiz_page):
    _answer(quiz_page, None)
    assert not quiz_page.exception
    assert not quiz_page.success and not quiz_page.error
    assert "Pick one of the four answers" in quiz_page.info[0].value


def test_quiz_right_and_wrong_answers_give_different_feedback(quiz_page):
    _answer(quiz_page, 0)
    assert not quiz_page.exception
    assert not quiz_page.success
    wrong = quiz_page.error[0].value
    assert wrong == quiz.FEEDBACK[0]

    _answer(quiz_page, quiz.CORRECT_INDEX)
    assert not quiz_page.error
    right = quiz_page.success[0].value
    assert right == quiz.FEEDBACK[quiz.CORRECT_INDEX] != wrong
    assert any("Key takeaway" in box.value for box in quiz_page.info)
    assert "jacobian" in {link.proto.page for link in quiz_page.page_link}


@pytest.mark.parametrize("index", [2, 3])
def test_quiz_each_wrong_answer_has_its_own_error(quiz_page, index):
    _answer(quiz_page, index)
    assert [box.value for box in quiz_page.error] == [quiz.FEEDBACK[index]]
