"""The "Quick check" question: when does the RED gradient simplify to x − D(x)?

The exact gradient of the RED regulariser ρ(x) = ½ xᵀ(x − D(x)) is

    ∇ρ(x) = x − ½ D(x) − ½ J(x)ᵀ x,

and it equals the *RED gradient* x − D(x) exactly when J(x)ᵀ x = D(x), which Jacobian
symmetry (J = Jᵀ) and local homogeneity (J(x) x = D(x)) together guarantee.

Texts are Markdown with ``$...$`` maths (KaTeX), ready for ``st.markdown`` and alert boxes.
"""

from __future__ import annotations

from numbers import Integral

QUESTION = r"Under what conditions does the RED gradient simplify to $x - D(x)$?"

ANSWERS: tuple[str, ...] = (
    "When the denoiser is a CNN",
    "When the denoiser Jacobian is symmetric and locally homogeneous",
    "When the denoiser is non-expansive",
    "Always, regardless of denoiser type",
)

CORRECT_INDEX = 1

FEEDBACK: tuple[str, ...] = (
    # 0: a CNN
    r"Not quite: being a CNN gives no such guarantee, quite the opposite. Deep denoisers "
    r"(DnCNN, DRUNet, SwinIR) generally have **non-symmetric Jacobians** "
    r"(Reehorst & Schniter, 2019), so $J(x)^\top x \neq D(x)$ and $x - D(x)$ is generally not "
    r"the gradient of any scalar function. What matters is a property of the Jacobian "
    r"$J(x)$, not the architecture.",
    # 1: symmetric and locally homogeneous (correct)
    r"Correct. The full gradient is $\nabla\rho(x) = x - \tfrac12 D(x) - \tfrac12 J(x)^\top x$. "
    r"**Jacobian symmetry**, $J(x) = J(x)^\top$, gives $J(x)^\top x = J(x)\,x$; **local "
    r"homogeneity**, $D((1+\varepsilon)x) = (1+\varepsilon)D(x)$ differentiated at "
    r"$\varepsilon = 0$, gives $J(x)\,x = D(x)$. The two remaining halves add up to $D(x)$, "
    r"so $\nabla\rho(x) = x - D(x)$.",
    # 2: non-expansive
    r"Not quite: non-expansiveness, $\lVert D(u) - D(v)\rVert \le \lVert u - v\rVert$, is the "
    r"condition under which **Plug-and-Play** iterations (PnP-PGD, PnP-ADMM) converge. It bounds "
    r"the size of the Jacobian, not its shape, so it is no gradient identity: the linear "
    r"denoiser $D(x) = \tfrac12 R x$ with $R$ a rotation is non-expansive and homogeneous, yet "
    r"$J = \tfrac12 R$ is not symmetric and $\nabla\rho(x) = x - \tfrac14 (R + R^\top)\,x "
    r"\neq x - D(x)$.",
    # 3: always
    r"Not quite: it does not hold in general. The exact gradient is "
    r"$x - \tfrac12 D(x) - \tfrac12 J(x)^\top x$, and it reduces to $x - D(x)$ only when "
    r"$J(x)^\top x = D(x)$. The **median filter, TV, NLM** (data-dependent, normalised weights) "
    r"and **CNN** denoisers all break Jacobian symmetry; a linear smoother with a symmetric "
    r"matrix, such as a Gaussian filter, is the textbook case where it holds.",
)

TAKEAWAY = (
    r"RED defines the explicit regulariser $\rho(x) = \tfrac12 x^\top (x - D(x))$ and its "
    r"gradient $\nabla\rho(x) = x - D(x)$ (under Jacobian symmetry and local homogeneity). "
    r"RED has the same per-iteration cost as PnP-PGD (one gradient step and one denoiser call) "
    r"but provides an explicit objective $E(x) = f(x) + \lambda\rho(x)$. In practice the "
    r"assumptions hold only approximately (exactly for linear symmetric smoothers, far from it "
    r"for deep denoisers), and RED is used as an effective algorithm, with its convergence "
    r"monitored, even when the exact conditions fail."
)


def check(answer_index: int) -> tuple[bool, str]:
    """Grade one answer to :data:`QUESTION`.

    Parameters
    ----------
    answer_index : int
        Index into :data:`ANSWERS` (0 to ``len(ANSWERS) - 1``).

    Returns
    -------
    correct : bool
        Whether the answer is the right one (:data:`CORRECT_INDEX`).
    feedback : str
        Markdown explanation of why this answer is right or wrong.

    Raises
    ------
    ValueError
        If ``answer_index`` is not an integer index into :data:`ANSWERS`.
    """
    # bool is an int subclass: True/False would silently grade answers 1/0
    if isinstance(answer_index, bool) or not isinstance(answer_index, Integral):
        raise ValueError(
            f"answer_index must be an integer from 0 to {len(ANSWERS) - 1}, "
            f"got {answer_index!r}"
        )
    if not 0 <= answer_index < len(ANSWERS):
        raise ValueError(
            f"answer_index must be from 0 to {len(ANSWERS) - 1}, got {answer_index}"
        )
    index = int(answer_index)
    return index == CORRECT_INDEX, FEEDBACK[index]
