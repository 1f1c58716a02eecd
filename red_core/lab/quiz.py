r"""The "Quick check": seven questions on the source's content, with feedback per answer.

Each :class:`Question` holds its text, 3–4 answers, the index of the right one, one feedback
text per answer (why it is right or wrong), a takeaway shown once the question is answered,
and the app page that shows the topic live. The topics, in order: the two assumptions behind
the RED gradient, the cost per iteration, the step sizes, the kind of fixed point, the sign of
the score, deep denoisers' Jacobians and the explicit objective.

Texts are Markdown with ``$...$`` maths (KaTeX), ready for ``st.markdown``, alert boxes and
widget labels. Right feedback starts with "Correct.", wrong feedback with "Not quite:".

Examples
--------
>>> from red_core.lab import quiz
>>> quiz.check("cost", quiz.question("cost").correct)[0]
True
>>> quiz.score({"assumptions": 1, "cost": 0})
(1, 2, 7)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral

__all__ = ["QUESTIONS", "TAKEAWAY", "Question", "check", "index_of", "question", "score"]

_RIGHT, _WRONG = "Correct.", "Not quite:"


@dataclass(frozen=True)
class Question:
    """One multiple-choice question.

    Attributes
    ----------
    key : str
        Short stable identifier (widget keys and :func:`score` use it).
    text : str
        The question, Markdown with ``$...$`` maths.
    answers : tuple of str
        The 3–4 answers, in the order shown.
    correct : int
        Index of the right answer in ``answers``.
    feedback : tuple of str
        One distinct explanation per answer: why it is right or wrong.
    takeaway : str
        What to remember, shown once the question is answered.
    page : str
        The app page that shows the topic (``pages/<name>.py``).
    link : str
        The text of the link to ``page``.
    """

    key: str
    text: str
    answers: tuple[str, ...]
    correct: int
    feedback: tuple[str, ...]
    takeaway: str
    page: str
    link: str

    def __post_init__(self) -> None:
        if not 3 <= len(self.answers) <= 4:
            raise ValueError(f"question {self.key!r}: 3 or 4 answers, got {len(self.answers)}")
        if len(self.feedback) != len(self.answers):
            raise ValueError(f"question {self.key!r}: one feedback per answer")
        if len(set(self.feedback)) != len(self.feedback) or len(set(self.answers)) != len(
            self.answers
        ):
            raise ValueError(f"question {self.key!r}: answers and feedback must be distinct")
        valid_index = isinstance(self.correct, int) and not isinstance(self.correct, bool)
        if not valid_index or not 0 <= self.correct < len(self.answers):
            raise ValueError(f"question {self.key!r}: correct index {self.correct!r} is no answer")
        for index, text in enumerate(self.feedback):
            # the first word tells right from wrong, so the page can never contradict the data
            start = _RIGHT if index == self.correct else _WRONG
            if not text.startswith(start):
                raise ValueError(f"question {self.key!r}: feedback {index} must start {start!r}")


QUESTIONS: tuple[Question, ...] = (
    Question(
        key="assumptions",
        text=r"Under what conditions does the gradient of the RED regulariser "
        r"$\rho(x) = \tfrac12 x^\top (x - D(x))$ simplify to $x - D(x)$?",
        answers=(
            "When the denoiser is a CNN",
            "When the denoiser's Jacobian is symmetric and the denoiser is locally homogeneous",
            "When the denoiser is non-expansive",
            "Always, regardless of denoiser type",
        ),
        correct=1,
        feedback=(
            r"Not quite: being a CNN gives no such guarantee, quite the opposite. Deep "
            r"denoisers (DnCNN, DRUNet, SwinIR) generally have **non-symmetric Jacobians** "
            r"(Reehorst & Schniter, 2019), so $J(x)^\top x \neq D(x)$ and $x - D(x)$ is "
            r"generally not the gradient of any scalar function. What matters is a property "
            r"of the Jacobian $J(x)$ and of $D$, not the architecture.",
            r"Correct. The full gradient is "
            r"$\nabla\rho(x) = x - \tfrac12 D(x) - \tfrac12 J(x)^\top x$. **Jacobian "
            r"symmetry**, $J(x) = J(x)^\top$, gives $J(x)^\top x = J(x)\,x$; **local "
            r"homogeneity** of the denoiser, $D((1+\varepsilon)x) = (1+\varepsilon)D(x)$ "
            r"differentiated at $\varepsilon = 0$, gives $J(x)\,x = D(x)$. The two remaining "
            r"halves add up to $D(x)$, so $\nabla\rho(x) = x - D(x)$.",
            r"Not quite: non-expansiveness, $\lVert D(u) - D(v)\rVert \le \lVert u - v\rVert$, "
            r"is the condition under which **Plug-and-Play** iterations (PnP-PGD, PnP-ADMM) "
            r"converge. It bounds the size of the Jacobian, not its shape, so it is no gradient "
            r"identity: the linear denoiser $D(x) = \tfrac12 R x$ with $R$ a rotation is "
            r"non-expansive and homogeneous, yet $J = \tfrac12 R$ is not symmetric and "
            r"$\nabla\rho(x) = x - \tfrac14 (R + R^\top)\,x \neq x - D(x)$.",
            r"Not quite: it does not hold in general. The exact gradient is "
            r"$x - \tfrac12 D(x) - \tfrac12 J(x)^\top x$, and it reduces to $x - D(x)$ only "
            r"when $J(x)^\top x = D(x)$. The **median filter, TV, NLM** (data-dependent, "
            r"normalised weights) and **CNN** denoisers all break Jacobian symmetry; a linear "
            r"smoother with a symmetric matrix, such as a Gaussian filter, is the textbook case "
            r"where it holds.",
        ),
        takeaway=r"Two assumptions, on two objects: the Jacobian $J(x)$ is **symmetric** and "
        r"the denoiser $D$ is **locally homogeneous** $(J(x)\,x = D(x))$. Together they give "
        r"$J(x)^\top x = D(x)$, hence $\nabla\rho(x) = x - D(x)$.",
        page="pages/jacobian.py",
        link="Measure symmetry and homogeneity in the Jacobian lab",
    ),
    Question(
        key="cost",
        text=r"How much work does one iteration of RED gradient descent, "
        r"$x \leftarrow x - \mu\,(\nabla f(x) + \lambda (x - D(x)))$, take compared with one "
        r"of PnP-PGD, $x \leftarrow D(x - \mu \nabla f(x))$?",
        answers=(
            r"RED-GD takes more: it needs the Jacobian $J(x)$ as well as $D(x)$",
            r"The same: one gradient step $\nabla f$ and one denoiser call each",
            r"PnP-PGD takes more: it solves a proximal problem $\mathrm{prox}_{f/\beta}$ "
            r"every iteration",
            r"RED-GD takes less: it evaluates $\rho(x)$ instead of calling the denoiser",
        ),
        correct=1,
        feedback=(
            r"Not quite: that is the point of the RED gradient. The *exact* gradient "
            r"$x - \tfrac12 D(x) - \tfrac12 J(x)^\top x$ would need $J(x)^\top x$, which is "
            r"expensive; under the RED assumptions it is replaced by $x - D(x)$, which needs "
            r"only the one denoiser output $D(x)$.",
            r"Correct. RED-GD evaluates $\nabla f(x)$ once and $D(x)$ once; PnP-PGD evaluates "
            r"$\nabla f(x)$ once and $D$ once, at $x - \mu\nabla f(x)$. Identical **work** per "
            r"iteration; the wall time still depends on which denoiser runs and at which "
            r"$\sigma$, so measured milliseconds can differ.",
            r"Not quite: that is PnP-ADMM and PnP-HQS, which apply "
            r"$\mathrm{prox}_{f/\beta}(v) = (A^\top A/\sigma_e^2 + \beta I)^{-1}"
            r"(A^\top y/\sigma_e^2 + \beta v)$. PnP-PGD replaces the prox by one explicit "
            r"gradient step $x - \mu \nabla f(x)$.",
            r"Not quite: $\rho(x) = \tfrac12 x^\top (x - D(x))$ is built from $D(x)$, so "
            r"evaluating it calls the denoiser too, and the update uses $x - D(x)$ directly. "
            r"RED-GD calls $D$ once per iteration, exactly as PnP-PGD does.",
        ),
        takeaway=r"RED-GD and PnP-PGD do the same work per iteration: **one gradient step** "
        r"$\nabla f$ **and one denoiser call**. RED's explicit objective comes at no extra cost.",
        page="pages/compare.py",
        link="Count the calls and time them on the Compare page",
    ),
    Question(
        key="step",
        text=r"With $L_f = \lVert A^\top A\rVert / \sigma_e^2$ the Lipschitz constant of "
        r"$\nabla f$, which step sizes does the source give for RED-GD and for PnP-PGD?",
        answers=(
            r"$\mu < 2/(L_f + \lambda)$ for RED-GD and $\mu \le 1/L_f$ for PnP-PGD",
            r"$\mu \le 1/L_f$ for both: the denoiser does not change the condition",
            r"$\mu < 2/(L_f + \lambda)$ for both",
            r"Any $\mu > 0$: the denoiser pulls the iterate back, so neither can diverge",
        ),
        correct=0,
        feedback=(
            r"Correct. RED-GD is gradient descent on $E = f + \lambda\rho$; when the "
            r"eigenvalues of $J$ lie in $[0, 1]$, the RED gradient $\nabla f + \lambda (x - D(x))$ "
            r"is Lipschitz with constant at most $L_f + \lambda$, and gradient descent is stable "
            r"for $\mu < 2/(L_f + \lambda)$. PnP-PGD's step is a gradient step on $f$ alone, "
            r"then $D$: $\mu \le 1/L_f$.",
            r"Not quite: RED-GD's step also follows $\lambda (x - D(x))$, which adds up to "
            r"$\lambda$ to the Lipschitz constant. When $\lambda > L_f$, $\mu = 1/L_f$ exceeds "
            r"$2/(L_f + \lambda)$: in denoising $(A = I)$, along a direction that $D$ removes "
            r"$(J v = 0)$, one step multiplies the error by $1 - \mu (L_f + \lambda) < -1$, "
            r"and RED-GD diverges.",
            r"Not quite: PnP-PGD has no $\lambda$ in its update, "
            r"$x \leftarrow D(x - \mu \nabla f(x))$; the strength of its prior is set by the "
            r"denoiser's $\sigma$. Its condition, $\mu \le 1/L_f$, involves $f$ alone.",
            r"Not quite: the denoiser does not rescue a step that is too long. In denoising "
            r"$(A = I)$, along a direction that $D$ keeps ($J v = v$, as a smoother keeps flat "
            r"images), PnP-PGD multiplies the error by $|1 - \mu L_f| > 1$ once "
            r"$\mu > 2/L_f$; along a direction that $D$ removes $(J v = 0)$, RED-GD multiplies "
            r"it by $|1 - \mu (L_f + \lambda)| > 1$ once $\mu > 2/(L_f + \lambda)$.",
        ),
        takeaway=r"Step sizes: $\mu < 2/(L_f + \lambda)$ for RED-GD (gradient descent on $E$), "
        r"$\mu \le 1/L_f$ for PnP-PGD. A longer step makes RED-GD diverge.",
        page="pages/gradient_1d.py",
        link="Push the step past its bound on the 1-D gradient field",
    ),
    Question(
        key="fixed_point",
        text="When they converge, what kind of point do RED-GD and PnP-PGD reach?",
        answers=(
            r"RED-GD: a stationary point of $E$, $\nabla f(x^*) + \lambda (x^* - D(x^*)) = 0$; "
            r"PnP-PGD: an operator fixed point, $x^* = D(x^* - \mu \nabla f(x^*))$",
            r"Both: a minimiser of the same objective $E(x) = f(x) + \lambda\rho(x)$",
            r"Both: operator fixed points; neither has an objective",
            r"RED-GD: an operator fixed point; PnP-PGD: a stationary point of $E$",
        ),
        correct=0,
        feedback=(
            r"Correct. RED-GD stops moving where its correction vanishes, "
            r"$\nabla f(x^*) + \lambda (x^* - D(x^*)) = 0$: a stationary point of $E$ (when the "
            r"RED gradient is the gradient of $\rho$). PnP-PGD stops where "
            r"$x^* = D(x^* - \mu \nabla f(x^*))$: a fixed point of an operator, which minimises "
            r"an objective only when $D$ is a proximal operator.",
            r"Not quite: PnP-PGD's fixed point $x^* = D(x^* - \mu \nabla f(x^*))$ is not a "
            r"stationary point of $E$ and even depends on $\mu$. For a linear denoiser "
            r"$D(x) = Wx$ it solves $(I - W)\,x^* = -\mu W \nabla f(x^*)$, while RED's solves "
            r"$\lambda (I - W)\,x^* = -\nabla f(x^*)$.",
            r"Not quite: that is PnP's situation only. RED's fixed point satisfies "
            r"$\nabla f(x^*) + \lambda (x^* - D(x^*)) = 0$, a stationary point of the explicit "
            r"objective $E(x) = f(x) + \lambda \rho(x)$, and its stationarity residual "
            r"$\lVert \nabla f(x) + \lambda (x - D(x))\rVert$ measures how far an iterate is "
            r"from it.",
            r"Not quite: the other way round. PnP-PGD's update $x \leftarrow D(x - \mu\nabla "
            r"f(x))$ defines an operator whose fixed point it reaches; RED-GD descends $E$ and "
            r"reaches $\nabla f(x^*) + \lambda (x^* - D(x^*)) = 0$.",
        ),
        takeaway=r"RED-GD converges to a **stationary point of $E$**; PnP-PGD to an "
        r"**operator fixed point** $x^* = D(x^* - \mu\nabla f(x^*))$, which need not minimise "
        r"anything.",
        page="pages/compare.py",
        link="See both kinds of fixed point on the Compare page",
    ),
    Question(
        key="score_sign",
        text=r"Tweedie's formula gives, for the MMSE denoiser $D^*$ at noise level $\sigma$, "
        r"$x - D^*(x) = -\sigma^2 \nabla \log p_\sigma(x)$. Which way does a RED step on the "
        r"prior, $x \leftarrow x - \mu \lambda (x - D^*(x))$, move $x$?",
        answers=(
            r"Towards higher probability under $p_\sigma$",
            r"Towards lower probability under $p_\sigma$",
            r"Towards the observation $y$",
        ),
        correct=0,
        feedback=(
            r"Correct. Substituting Tweedie, $-\mu\lambda (x - D^*(x)) = "
            r"\mu \lambda \sigma^2 \nabla \log p_\sigma(x)$: the step is gradient **ascent** on "
            r"$\log p_\sigma$. The residual $x - D^*(x)$ points away from the likely images; "
            r"subtracting it moves the iterate back towards them.",
            r"Not quite: mind the sign. $x - D^*(x) = -\sigma^2 \nabla \log p_\sigma(x)$ points "
            r"*against* the score, and a descent step *subtracts* it, so the step adds "
            r"$\mu \lambda \sigma^2 \nabla \log p_\sigma(x)$ and climbs the (blurred) prior.",
            r"Not quite: $y$ enters only through the data term $\nabla f(x) = "
            r"A^\top (A x - y)/\sigma_e^2$. The prior step $-\mu\lambda (x - D^*(x)) = "
            r"\mu \lambda \sigma^2 \nabla \log p_\sigma(x)$ does not involve $y$: it climbs "
            r"$\log p_\sigma$.",
        ),
        takeaway=r"The RED gradient is the negative score, $x - D^*(x) = -\sigma^2 \nabla "
        r"\log p_\sigma(x)$: RED descent moves iterates **towards higher probability** under "
        r"the blurred prior $p_\sigma$.",
        page="pages/score.py",
        link="Watch RED climb a prior on the Score and Tweedie page",
    ),
    Question(
        key="deep_jacobians",
        text="Does a deep denoiser such as DnCNN or DRUNet satisfy RED's Jacobian symmetry "
        "assumption?",
        answers=(
            "Yes: trained with the MSE loss, it is the MMSE denoiser, whose Jacobian is "
            "symmetric",
            r"Rarely: its Jacobian is not symmetric (Reehorst & Schniter, 2019), so "
            r"$x - D(x)$ is generally not the gradient of any function",
            r"Yes, whenever it is non-expansive (Lipschitz constant at most 1)",
            r"It does not matter: local homogeneity alone makes $x - D(x)$ the gradient of "
            r"$\rho$",
        ),
        correct=1,
        feedback=(
            r"Not quite: the *exact* MMSE denoiser has the symmetric Jacobian "
            r"$\mathrm{Cov}[x \mid z]/\sigma^2$, but a trained network only approximates it, "
            r"and nothing in its architecture makes $J = J^\top$. Reehorst and Schniter (2019) "
            r"measured clearly non-symmetric Jacobians for deep denoisers.",
            r"Correct. A vector field is a gradient only if its Jacobian is symmetric; the "
            r"Jacobian of $x - D(x)$ is $I - J(x)$. With $J \neq J^\top$, RED may not minimise "
            r"$E$ and gradient-descent theory no longer guarantees convergence. Mitigations: "
            r"gradient-step denoisers $D = I - \nabla g$ (Hurault et al., 2022), symmetric "
            r"smoothers, or monitoring convergence empirically.",
            r"Not quite: non-expansiveness bounds the size of the Jacobian, "
            r"$\lVert J \rVert \le 1$, not its shape. $D(x) = \tfrac12 R x$ with $R$ a rotation "
            r"is non-expansive with the non-symmetric Jacobian $\tfrac12 R$.",
            r"Not quite: homogeneity gives $J(x)\,x = D(x)$, but the exact gradient "
            r"$x - \tfrac12 D(x) - \tfrac12 J(x)^\top x$ needs $J(x)^\top x$; without symmetry "
            r"$J(x)^\top x \neq J(x)\,x$. Both assumptions are needed.",
        ),
        takeaway=r"Deep denoisers rarely have symmetric Jacobians: the RED “gradient” is then "
        r"an approximation, and RED is used as an algorithm whose convergence is monitored.",
        page="pages/jacobian.py",
        link="Measure a CNN's symmetry error in the Jacobian lab",
    ),
    Question(
        key="objective",
        text="Which explicit objective does RED define, and when does RED-GD descend it "
        "exactly?",
        answers=(
            r"$E(x) = f(x) + \lambda \rho(x)$ with $\rho(x) = \tfrac12 x^\top (x - D(x))$; "
            r"exactly when $J$ is symmetric and $D$ is locally homogeneous",
            r"$f(x) + \lambda \lVert x - D(x)\rVert^2$, the squared denoiser residual; always",
            r"None: like PnP, RED has no explicit objective",
            r"$f(x) + g(x)$ where $D = \mathrm{prox}_g$; whenever $D$ is a proximal operator",
        ),
        correct=0,
        feedback=(
            r"Correct. RED builds $\rho(x) = \tfrac12 x^\top (x - D(x))$ from the denoiser and "
            r"minimises $E(x) = f(x) + \lambda\rho(x)$. Its update follows $\nabla f + "
            r"\lambda (x - D(x))$, the true $\nabla E$ under symmetry and homogeneity; "
            r"otherwise $E$ is monitored as an approximation.",
            r"Not quite: $\rho(x) = \tfrac12 x^\top (x - D(x))$ is an inner product of $x$ with "
            r"the residual, not its squared norm. The gradient of $\tfrac12 \lVert x - "
            r"D(x)\rVert^2$ is $(I - J(x))^\top (x - D(x))$, which needs the Jacobian.",
            r"Not quite: that is what RED fixes. It turns the denoiser into the explicit "
            r"regulariser $\rho(x) = \tfrac12 x^\top (x - D(x))$, so $E(x) = f(x) + "
            r"\lambda\rho(x)$ can be evaluated at every iterate to monitor convergence.",
            r"Not quite: that is the case where **PnP** has an objective (PnP-PGD is then "
            r"proximal gradient on $f + g$). RED needs no prox: its regulariser is "
            r"$\rho(x) = \tfrac12 x^\top (x - D(x))$, built from any denoiser.",
        ),
        takeaway=r"RED's explicit objective is $E(x) = f(x) + \lambda \cdot \tfrac12 x^\top "
        r"(x - D(x))$, exact as RED-GD's objective under Jacobian symmetry and local "
        r"homogeneity, and computable at every iterate.",
        page="pages/restore.py",
        link="Watch E(x) during a run on the Restore page",
    ),
)

#: The source's closing message, shown once every question is answered.
TAKEAWAY = (
    r"RED defines the explicit regulariser $\rho(x) = \tfrac12 x^\top (x - D(x))$ and its "
    r"gradient $\nabla\rho(x) = x - D(x)$ (when the Jacobian is symmetric and the denoiser "
    r"locally homogeneous). RED has the same per-iteration cost as PnP-PGD (one gradient step "
    r"and one denoiser call) but provides an explicit objective $E(x) = f(x) + \lambda\rho(x)$. "
    r"In practice the assumptions hold only approximately (exactly for linear symmetric "
    r"smoothers, far from it for deep denoisers), and RED is used as an effective algorithm, "
    r"with its convergence monitored, even when the exact conditions fail."
)

_BY_KEY = {q.key: i for i, q in enumerate(QUESTIONS)}
if len(_BY_KEY) != len(QUESTIONS):  # import-time guard: keys name widgets and answers
    raise ValueError("question keys must be unique")


def index_of(question_key_or_index: str | int) -> int:
    """The position in :data:`QUESTIONS` of a question given by key or index.

    Raises
    ------
    ValueError
        If it is neither a known key nor an integer index into :data:`QUESTIONS`.
    """
    if isinstance(question_key_or_index, str):
        if question_key_or_index not in _BY_KEY:
            raise ValueError(f"question: no question with key {question_key_or_index!r}")
        return _BY_KEY[question_key_or_index]
    # bool is an int subclass: True/False would silently pick questions 1/0
    if isinstance(question_key_or_index, bool) or not isinstance(question_key_or_index, Integral):
        raise ValueError(f"question must be a key or an index, got {question_key_or_index!r}")
    if not 0 <= question_key_or_index < len(QUESTIONS):
        raise ValueError(
            f"question index must be from 0 to {len(QUESTIONS) - 1}, got {question_key_or_index}"
        )
    return int(question_key_or_index)


def question(question_key_or_index: str | int) -> Question:
    """The :class:`Question` with this key or index (see :func:`index_of`)."""
    return QUESTIONS[index_of(question_key_or_index)]


def check(question_key_or_index: str | int, answer_index: int) -> tuple[bool, str]:
    """Grade one answer.

    Parameters
    ----------
    question_key_or_index : str or int
        The question's key or its index in :data:`QUESTIONS`.
    answer_index : int
        Index into the question's answers (0 to ``len(answers) - 1``).

    Returns
    -------
    correct : bool
        Whether the answer is the right one.
    feedback : str
        Markdown explanation of why this answer is right or wrong.

    Raises
    ------
    ValueError
        If the question is unknown, or ``answer_index`` is not an integer index into its
        answers (booleans and non-integral numbers included).
    """
    q = question(question_key_or_index)
    # bool is an int subclass: True/False would silently grade answers 1/0
    if isinstance(answer_index, bool) or not isinstance(answer_index, Integral):
        raise ValueError(
            f"answer_index must be an integer from 0 to {len(q.answers) - 1}, "
            f"got {answer_index!r}"
        )
    if not 0 <= answer_index < len(q.answers):
        raise ValueError(
            f"answer_index must be from 0 to {len(q.answers) - 1}, got {answer_index}"
        )
    index = int(answer_index)
    return index == q.correct, q.feedback[index]


def score(answers: Mapping[str | int, int | None]) -> tuple[int, int, int]:
    """Count right answers.

    Parameters
    ----------
    answers : mapping
        Question key (or index) to the chosen answer index; ``None`` means not answered.

    Returns
    -------
    right, answered, total : int
        Right answers, answered questions, and the number of questions.

    Raises
    ------
    ValueError
        If a question is unknown, named twice (by key and by index), or an answer is invalid.
    """
    seen: set[int] = set()
    right = 0
    for key, answer in answers.items():
        index = index_of(key)
        if index in seen:
            raise ValueError(f"question {QUESTIONS[index].key!r} answered twice")
        seen.add(index)
        if answer is None:
            continue
        right += check(index, answer)[0]
    answered = sum(1 for answer in answers.values() if answer is not None)
    return right, answered, len(QUESTIONS)
