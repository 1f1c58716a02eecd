"""red_core.lab.quiz: grading, scoring, and the claims its feedback makes, checked numerically."""

from __future__ import annotations

import numpy as np
import pytest

from red_core import denoisers, operators, solvers
from red_core.lab import quiz
from red_core.theory import regulariser as red
from red_core.theory.score import GaussianMixture

KEYS = tuple(q.key for q in quiz.QUESTIONS)


def _wrong(q: quiz.Question) -> int:
    return next(i for i in range(len(q.answers)) if i != q.correct)


# ---- check -------------------------------------------------------------------------------


@pytest.mark.parametrize("q", quiz.QUESTIONS, ids=KEYS)
def test_check_by_key_and_by_index_agree(q):
    position = KEYS.index(q.key)
    for answer in range(len(q.answers)):
        by_key = quiz.check(q.key, answer)
        assert by_key == quiz.check(position, answer)
        assert by_key == (answer == q.correct, q.feedback[answer])


def test_check_accepts_numpy_integers():
    q = quiz.QUESTIONS[2]
    assert quiz.check(np.int64(2), np.int32(q.correct))[0] is True


@pytest.mark.parametrize("bad", [-1, 4, 1.0, "1", None, True, False, 2.5])
def test_check_rejects_what_is_not_an_answer_index(bad):
    with pytest.raises(ValueError, match="answer_index"):
        quiz.check("assumptions", bad)


def test_check_rejects_an_index_past_a_three_answer_question():
    three = next(q for q in quiz.QUESTIONS if len(q.answers) == 3)
    with pytest.raises(ValueError, match="answer_index"):
        quiz.check(three.key, 3)


@pytest.mark.parametrize("bad", ["nope", "", -1, len(quiz.QUESTIONS), True, 1.0, None])
def test_check_rejects_unknown_questions(bad):
    with pytest.raises(ValueError, match="question"):
        quiz.check(bad, 0)


# ---- score -------------------------------------------------------------------------------


def test_score_counts_right_and_answered():
    total = len(quiz.QUESTIONS)
    assert quiz.score({}) == (0, 0, total)
    assert quiz.score({q.key: q.correct for q in quiz.QUESTIONS}) == (total, total, total)
    assert quiz.score({q.key: _wrong(q) for q in quiz.QUESTIONS}) == (0, total, total)
    first, second, third = quiz.QUESTIONS[:3]
    mixed = {first.key: first.correct, second.key: _wrong(second), third.key: None}
    assert quiz.score(mixed) == (1, 2, total)
    assert quiz.score({0: first.correct, 1: second.correct}) == (2, 2, total)


@pytest.mark.parametrize(
    "bad",
    [{"nope": 0}, {"assumptions": 9}, {"assumptions": True}, {"assumptions": 1, 0: 1}],
    ids=["unknown question", "bad answer", "bool answer", "named twice"],
)
def test_score_rejects_invalid_answers(bad):
    with pytest.raises(ValueError):
        quiz.score(bad)


# ---- the data ----------------------------------------------------------------------------


def _question(**changes) -> quiz.Question:
    base = dict(key="k", text="t", answers=("a", "b", "c"), correct=0,
                feedback=("Correct. a", "Not quite: b", "Not quite: c"), takeaway="x",
                page="pages/home.py", link="home")
    return quiz.Question(**{**base, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        dict(answers=("a", "b"), feedback=("Correct. a", "Not quite: b")),
        dict(feedback=("Correct. a", "Not quite: b")),
        dict(feedback=("Correct. a", "Not quite: b", "Not quite: b")),
        dict(answers=("a", "a", "c")),
        dict(correct=3),
        dict(correct=True),
        dict(feedback=("Not quite: a", "Correct. b", "Not quite: c")),
    ],
    ids=["two answers", "feedback missing", "feedback repeated", "answer repeated",
         "correct out of range", "correct bool", "feedback sign swapped"],
)
def test_question_rejects_inconsistent_data(changes):
    _question()  # the base is valid
    with pytest.raises(ValueError):
        _question(**changes)


def test_assumptions_question_names_what_each_property_belongs_to():
    q = quiz.question("assumptions")
    right = q.answers[q.correct]
    assert "Jacobian is symmetric" in right and "denoiser is locally homogeneous" in right
    every_text = [q.text, q.takeaway, quiz.TAKEAWAY, *q.answers, *q.feedback]
    for other in quiz.QUESTIONS:
        every_text += [other.text, other.takeaway, *other.answers, *other.feedback]
    for text in every_text:  # homogeneity is a property of D, never of the Jacobian
        assert "Jacobian is symmetric and locally homogeneous" not in text
        assert "Jacobian symmetric and locally homogeneous" not in text


# ---- the feedback's claims, measured -----------------------------------------------------


def test_non_expansive_counterexample_holds():
    """D(x) = R x / 2 (R a rotation) is non-expansive and homogeneous, yet
    ∇ρ(x) = x − (R + Rᵀ) x / 4 ≠ x − D(x)."""
    theta = 0.7
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    jacobian = 0.5 * rotation
    x = np.array([0.3, -1.2])
    assert np.linalg.norm(jacobian, 2) <= 1  # non-expansive
    assert not np.allclose(jacobian, jacobian.T)

    def rho(v):
        return red.regulariser(v, jacobian @ v)

    eps = 1e-6
    numeric = np.array([(rho(x + eps * e) - rho(x - eps * e)) / (2 * eps) for e in np.eye(2)])
    exact = red.exact_gradient(x, jacobian @ x, lambda v: jacobian.T @ v)
    np.testing.assert_allclose(numeric, exact, atol=1e-8)
    np.testing.assert_allclose(exact, x - 0.25 * (rotation + rotation.T) @ x, atol=1e-12)
    assert np.linalg.norm(exact - red.red_gradient(x, jacobian @ x)) > 0.1


def test_symmetric_homogeneous_denoiser_gives_the_red_gradient():
    """The right answer to "assumptions": a symmetric linear W (homogeneous) gives x − Wx."""
    rng = np.random.default_rng(1)
    basis, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    W = basis @ np.diag(rng.uniform(0, 1, 6)) @ basis.T
    x = rng.standard_normal(6)
    exact = red.exact_gradient(x, W @ x, lambda v: W.T @ v)
    np.testing.assert_allclose(exact, red.red_gradient(x, W @ x), atol=1e-12)


def test_cost_one_denoiser_call_and_one_data_step_per_iteration():
    truth = np.random.default_rng(0).random((24, 24))
    problem = solvers.Problem.synthesize(truth, operators.build("gaussian_blur", truth.shape), 0.02)
    for method in ("red-gd", "pnp-pgd"):
        history = solvers.run(method, problem, denoisers.build("gaussian", 0.05), max_iter=6,
                              tol=0, stats=False).history
        calls = np.diff([rec["denoiser_calls"] for rec in history])
        steps = np.diff([rec["data_steps"] for rec in history])
        assert calls.tolist() == [1] * 6 and steps.tolist() == [1] * 6, method


def _linear_denoising(n: int = 8, sigma_e: float = 0.1, seed: int = 0):
    """A = I, f = ‖x − y‖²/(2σₑ²), and a symmetric linear smoother W with eigenvalues in [0, 1],
    including 0 (a direction it removes) and 1 (a direction it keeps)."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eigs = np.linspace(0.0, 1.0, n)
    W = basis @ np.diag(eigs) @ basis.T
    y = rng.standard_normal(n)
    L_f = 1.0 / sigma_e**2

    def grad_f(x):
        return (x - y) * L_f

    return W, y, L_f, grad_f


def _red_gd(W, y, grad_f, lam, mu, n_iter=300):
    x = np.zeros_like(y)  # not y: in denoising y is PnP's fixed point along what W keeps
    for _ in range(n_iter):
        x = x - mu * (grad_f(x) + lam * (x - W @ x))
    return x


def _pnp_pgd(W, y, grad_f, mu, n_iter=300):
    x = np.zeros_like(y)
    for _ in range(n_iter):
        x = W @ (x - mu * grad_f(x))
    return x


def test_step_sizes_of_the_feedback():
    W, y, L_f, grad_f = _linear_denoising()
    lam = 3.0 * L_f  # λ > L_f: 1/L_f exceeds 2/(L_f + λ)
    assert 1.0 / L_f > 2.0 / (L_f + lam)
    stationary = np.linalg.solve(L_f * np.eye(len(y)) + lam * (np.eye(len(y)) - W), L_f * y)
    safe = _red_gd(W, y, grad_f, lam, 0.95 * 2.0 / (L_f + lam))
    np.testing.assert_allclose(safe, stationary, atol=1e-6)
    assert np.linalg.norm(_red_gd(W, y, grad_f, lam, 1.0 / L_f)) > 1e6  # diverges
    assert np.linalg.norm(_red_gd(W, y, grad_f, lam, 1.05 * 2.0 / (L_f + lam))) > 1e3
    # PnP-PGD: μ ≤ 1/L_f is fine; μ > 2/L_f diverges along the direction W keeps
    assert np.all(np.isfinite(_pnp_pgd(W, y, grad_f, 1.0 / L_f)))
    assert np.linalg.norm(_pnp_pgd(W, y, grad_f, 2.1 / L_f)) > 1e3


def test_fixed_points_differ_and_pnp_depends_on_the_step():
    W, y, L_f, grad_f = _linear_denoising()
    lam = 0.5 * L_f
    eye = np.eye(len(y))
    red_point = _red_gd(W, y, grad_f, lam, 0.9 * 2.0 / (L_f + lam), n_iter=2000)
    np.testing.assert_allclose(grad_f(red_point) + lam * (red_point - W @ red_point), 0,
                               atol=1e-8)  # a stationary point of E
    pnp = {}
    for mu in (0.5 / L_f, 1.0 / L_f):
        x = _pnp_pgd(W, y, grad_f, mu, n_iter=2000)
        np.testing.assert_allclose(x, W @ (x - mu * grad_f(x)), atol=1e-10)  # operator f.p.
        np.testing.assert_allclose((eye - W) @ x, -mu * W @ grad_f(x), atol=1e-10)
        pnp[mu] = x
        assert np.linalg.norm(grad_f(x) + lam * (x - W @ x)) > 1.0  # not RED's point
    first, second = pnp.values()
    assert np.linalg.norm(first - second) > 1e-3


def test_score_sign_red_step_climbs_the_blurred_prior():
    gm = GaussianMixture([0.3, 0.7], [[-1.0, 0.5], [1.5, -0.5]],
                         [np.diag([0.2, 0.5]), np.array([[0.4, 0.1], [0.1, 0.3]])])
    sigma = 0.4
    x = np.array([[0.2, 1.3], [-2.0, -1.0], [2.5, 0.4]])
    residual = x - gm.mmse(x, sigma)
    np.testing.assert_allclose(residual, -sigma**2 * gm.score(x, sigma), atol=1e-10)  # Tweedie
    stepped = x - 0.05 * residual
    assert np.all(gm.log_density(stepped, sigma) > gm.log_density(x, sigma))


def test_mmse_jacobian_is_symmetric_and_cnn_is_not():
    gm = GaussianMixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.5]],
                         [np.eye(2) * 0.3, np.array([[0.5, 0.2], [0.2, 0.2]])])
    J = np.asarray(gm.jacobian_mmse(np.array([[0.3, -0.2]]), 0.5)).reshape(2, 2)
    np.testing.assert_allclose(J, J.T, atol=1e-12)
    assert denoisers.entry("cnn").symmetric is False
    assert denoisers.entry("gaussian").symmetric is True
