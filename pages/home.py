"""RED in one page: what the lab does, then the theory of RED with links to where it is live."""

import streamlit as st

from red_core import denoisers, glossary
from ui import navigation, state

navigation.guard()

SCOPE = "home"
CARD = 290  # px: the cards wrap onto new rows on a narrow screen instead of cutting their links

GRADIENT_1D = "pages/gradient_1d.py"
RESTORE = "pages/restore.py"
COMPARE = "pages/compare.py"
JACOBIAN = "pages/jacobian.py"
SCORE = "pages/score.py"
QUIZ = "pages/quiz.py"
TUNE = "pages/tune.py"
LEADERBOARD = "pages/leaderboard.py"

LAB_PAGES = (
    (RESTORE, "Restore an image", ":material/image:",
     "Race RED against Plug-and-Play on the same blurred, noisy or masked image."),
    (GRADIENT_1D, "1-D gradient field", ":material/show_chart:",
     "See where the RED gradient x − D(x) pushes a noisy 1-D signal."),
    (JACOBIAN, "Jacobian lab", ":material/grid_on:",
     "Measure Jacobian symmetry and homogeneity of real denoisers."),
    (COMPARE, "RED vs PnP: cost and guarantees", ":material/balance:",
     "Same work per iteration, different guarantees: counted, timed and compared."),
    (SCORE, "Score and Tweedie", ":material/scatter_plot:",
     "Check x − D(x) = −σ²∇log p_σ(x) against an exact prior."),
    (TUNE, "Tune", ":material/tune:",
     "Sweep λ and σ_d on Dask: which setting is best for your problem, and how sensitive?"),
    (LEADERBOARD, "Leaderboard", ":material/leaderboard:",
     "All nine algorithms on one problem: PSNR against seconds, sorted."),
    (QUIZ, "Quick check", ":material/quiz:",
     "Test yourself: assumptions, cost, step sizes, fixed points, the score."),
)


def markdown_table(header: tuple[str, ...], *rows: tuple[str, ...]) -> str:
    """A Markdown table (cells may hold ``$...$`` maths, never a ``|``)."""
    lines = [header, ("---",) * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def see_live(page: str, label: str) -> None:
    """A link at the end of a section to the page where the section can be seen live."""
    st.page_link(page, label=f"See it live: {label}", icon=":material/play_circle:")


notices = state.init(SCOPE, {})  # no settings: a link's stray values are named, then dropped
st.title("RED in one page")
if notices:
    st.caption(state.notice_text(notices))
st.markdown(
    "#### Watch RED and Plug-and-Play restore images side by side, and measure when RED's "
    "theory holds."
)
st.caption(
    "*Regularization by Denoising* (RED) turns any image denoiser into an explicit "
    "regulariser. This page is the whole theory on one screen per idea; every section "
    "links to the lab page where you can see it happen."
)

with st.container(horizontal=True):
    for path, title, icon, blurb in LAB_PAGES:
        with st.container(border=True, width=CARD):
            st.page_link(path, label=title, icon=icon)
            st.caption(blurb)

# ---- 1. The problem
st.header("1 · The problem and the data term", divider="gray")
left, right = st.columns(2, gap="large")
with left:
    st.markdown(
        "We observe a degraded image $y$ of an unknown image $x$ (pixel values in $[0, 1]$): "
        "$A$ is linear (identity, blur, blur + decimation, or a mask) and the noise "
        "$e \\sim \\mathcal{N}(0, \\sigma_e^2 I)$ is white Gaussian:"
    )
    st.latex(r"y = A x + e")
    st.markdown(
        "A **denoiser** $D_\\sigma(x)$ is tuned for white Gaussian noise of standard deviation "
        "$\\sigma$ (the *denoiser sigma*, distinct from $\\sigma_e$); its Jacobian is "
        "$J(x) = \\partial D(x) / \\partial x$."
    )
    st.caption(
        f"On the lab pages the denoiser sigma is called σ_d, and every noise level, σₑ and σ_d, "
        f"is shown in grey levels of an 8-bit image: {glossary.term('noise_sigma').unit}."
    )
with right:
    st.markdown("The **data term** measures how well $x$ explains $y$:")
    st.latex(r"f(x) = \frac{\lVert A x - y \rVert^2}{2 \sigma_e^2}")
    st.markdown("Its gradient, and the Lipschitz constant $L_f$ of that gradient:")
    st.latex(r"\begin{aligned} \nabla f(x) &= \frac{A^\top (A x - y)}{\sigma_e^2} \\[4pt] "
             r"L_f &= \frac{\lVert A^\top A \rVert}{\sigma_e^2} \end{aligned}")

# ---- 2. The regulariser and its exact gradient
st.header("2 · The RED regulariser", divider="gray")
st.markdown(
    "Plug-and-Play uses a denoiser inside an algorithm but, in general, minimises no explicit "
    "objective. RED (Romano, Elad & Milanfar, 2017) builds an explicit penalty **from the "
    "denoiser itself**: it is small when $x$ is close to its own denoised version."
)
st.latex(r"\rho(x) = \tfrac12\, x^\top \bigl(x - D(x)\bigr)")
st.markdown("Its **exact gradient** involves the denoiser's Jacobian:")
st.latex(r"\nabla \rho(x) = x - \tfrac12 D(x) - \tfrac12 J(x)^\top x")
with st.expander("Derivation (product rule)"):
    st.markdown("Split $\\rho$ into a quadratic and a cross term:")
    st.latex(r"\rho(x) = \tfrac12\, x^\top x - \tfrac12\, x^\top D(x)")
    st.markdown(
        "The quadratic gives $\\nabla(\\tfrac12 x^\\top x) = x$. For the cross term, the "
        "product rule on $x^\\top D(x) = \\sum_j x_j D_j(x)$ gives, component by component,"
    )
    st.latex(r"\begin{aligned}\frac{\partial}{\partial x_i} \sum_j x_j D_j(x) &= D_i(x) "
             r"+ \sum_j x_j\, \frac{\partial D_j}{\partial x_i}(x) \\ "
             r"&= D_i(x) + \bigl(J(x)^\top x\bigr)_i \end{aligned}")
    st.markdown("so $\\nabla\\bigl(x^\\top D(x)\\bigr) = D(x) + J(x)^\\top x$, and halving it:")
    st.latex(r"\nabla \rho(x) = x - \tfrac12 D(x) - \tfrac12 J(x)^\top x")

# ---- 3. The two assumptions
st.header("3 · Two assumptions on the denoiser", divider="gray")
homogeneity, symmetry = st.columns([3, 2], gap="medium")
with homogeneity.container(border=True):
    st.markdown(
        "**Local homogeneity**: scaling the input slightly scales the output; for small "
        "$\\varepsilon$,"
    )
    st.latex(r"D\bigl((1+\varepsilon)x\bigr) = (1+\varepsilon)\, D(x)")
    st.latex(r"\Longleftrightarrow\quad J(x)\, x = D(x)")
    st.caption(r"Differentiate both sides with respect to $\varepsilon$ at $\varepsilon = 0$.")
with symmetry.container(border=True):
    st.markdown("**Jacobian symmetry**: the denoiser's Jacobian equals its transpose.")
    st.latex(r"J(x) = J(x)^\top")
    st.caption("True for linear smoothers with a symmetric matrix (e.g. a Gaussian filter).")
see_live(JACOBIAN, "measure both on real denoisers in the Jacobian lab")

# ---- 4. The theorem
st.header("4 · The RED gradient", divider="gray")
st.markdown(
    "**Theorem.** If $D$ is locally homogeneous and has a symmetric Jacobian, the gradient of "
    "the regulariser is simply the **denoiser residual**, and no Jacobian is needed: one "
    "denoiser call gives the gradient."
)
st.latex(r"\nabla \rho(x) = x - D(x)")
with st.container(border=True):
    st.markdown("**Proof.** Symmetry, then homogeneity, turn the Jacobian term into $D(x)$:")
    st.latex(r"J(x)^\top x \overset{\text{sym.}}{=} J(x)\, x \overset{\text{hom.}}{=} D(x)")
    st.markdown("so, in the exact gradient,")
    st.latex(r"\nabla \rho(x) = x - \tfrac12 D(x) - \tfrac12 D(x) = x - D(x)")
see_live(GRADIENT_1D, "the RED gradient field of a 1-D signal")

# ---- 5. Objective and update rule
st.header("5 · The objective and the RED-GD update", divider="gray")
st.markdown(
    "RED solves an explicit variational problem, so fixed points are stationary points of a "
    "well-defined objective and standard optimisation theory applies:"
)
st.latex(r"E(x) = f(x) + \lambda\, \rho(x)")
st.markdown("Gradient descent on $E$ with the RED gradient (**RED-GD**):")
st.latex(r"x \;\leftarrow\; x - \mu \Bigl(\nabla f(x) + \lambda \bigl(x - D(x)\bigr)\Bigr)")
data_step, prior_step = st.columns(2, gap="large")
with data_step.container(border=True):
    st.markdown("**Data-consistency correction** $-\\mu\\, \\nabla f(x)$")
    st.caption("Moves x towards agreeing with the measurements y.")
with prior_step.container(border=True):
    st.markdown("**Denoiser-residual correction** $-\\mu\\lambda\\,\\bigl(x - D(x)\\bigr)$")
    st.caption("Moves x towards the denoiser output D(x).")
st.info(
    "**Intuition.** The denoiser residual $x - D(x)$ points *from the clean-image manifold "
    "towards* $x$; subtracting it pushes the iterate back towards the manifold.",
    icon=":material/lightbulb:",
)
see_live(RESTORE, "RED-GD and friends restoring an image")

# ---- 6. Score interpretation
st.header("6 · The score interpretation (Tweedie)", divider="gray")
st.markdown(
    "For $z = x + n$, $n \\sim \\mathcal{N}(0, \\sigma^2 I)$, the MMSE denoiser obeys "
    "**Tweedie's formula**, where $p_\\sigma = p * \\mathcal{N}(0, \\sigma^2 I)$ is the prior "
    "blurred by the noise:"
)
st.latex(r"D^*(z) = \mathbb{E}[x \mid z] = z + \sigma^2\, \nabla \log p_\sigma(z)")
st.markdown("Hence the MMSE denoiser's RED gradient is proportional to the **negative score**:")
st.latex(r"x - D^*(x) = -\sigma^2\, \nabla \log p_\sigma(x)")
st.info(
    "RED descent moves iterates towards **higher probability** under $p_\\sigma$. The MMSE "
    "Jacobian $\\operatorname{Cov}[x \\mid z] / \\sigma^2$ is symmetric, so the exact MMSE "
    "denoiser meets the symmetry assumption; homogeneity still fails in general.",
    icon=":material/lightbulb:",
)
see_live(SCORE, "Tweedie checked against an exact Gaussian-mixture prior")

# ---- 7. Algorithms
st.header("7 · Algorithms: one denoiser call per iteration", divider="gray")
st.markdown(markdown_table(
    ("algorithm", "update"),
    ("**RED-GD** (steepest descent)",
     r"$x \leftarrow x - \mu\bigl(\nabla f(x) + \lambda (x - D(x))\bigr)$, safe step "
     r"$\mu < 2/(L_f + \lambda)$ when the eigenvalues of $J$ lie in $[0, 1]$"),
    ("**RED-FP** (fixed point)",
     r"solve $(A^\top A/\sigma_e^2 + \lambda I)\, x_{k+1} = A^\top y/\sigma_e^2 "
     r"+ \lambda D(x_k)$"),
    ("**RED-ADMM**",
     r"$x \leftarrow \arg\min_x f(x) + \tfrac{\beta}{2}\lVert x - v + u\rVert^2$; "
     r"$v \leftarrow \bigl(\lambda D(v) + \beta(x + u)\bigr)/(\lambda + \beta)$ (one or "
     r"more inner steps); $u \leftarrow u + x - v$"),
    ("**RED-PG** (Reehorst & Schniter 2019)",
     r"$x_k = \arg\min_x f(x) + \tfrac{\lambda L}{2}\lVert x - v_{k-1}\rVert^2$; "
     r"$v_k = \tfrac1L D(x_k) + (1 - \tfrac1L)\, x_k$, fixed $L$ ($L = 1$ is RED-FP)"),
    ("**RED-DPG**",
     r"RED-PG with $L_k = \bigl(1/L_\infty + (1/L_0 - 1/L_\infty)/\sqrt{k+1}\bigr)^{-1}$ "
     r"(Reehorst & Schniter suggest $L_0 = 0.2$, $L_\infty = 2$; the lab defaults to "
     r"$L_0 = 0.5$, which never diverged in our measurements)"),
    ("**RED-APG**",
     r"RED-PG with FISTA momentum: $t_{k+1} = \bigl(1 + \sqrt{1 + 4 t_k^2}\bigr)/2$, "
     r"$z = x_k + \tfrac{t_k - 1}{t_{k+1}}(x_k - x_{k-1})$, "
     r"$v_k = \tfrac1L D(z) + (1 - \tfrac1L)\, z$"),
    ("**PnP-PGD**", r"$x \leftarrow D\bigl(x - \mu \nabla f(x)\bigr)$, $\mu \le 1/L_f$"),
    ("**PnP-ADMM**",
     r"$x \leftarrow \operatorname{prox}_{f/\beta}(v - u)$; $v \leftarrow D(x + u)$; "
     r"$u \leftarrow u + x - v$"),
    ("**PnP-HQS**",
     r"$x \leftarrow \operatorname{prox}_{f/\beta}(z)$; $z \leftarrow D(x)$ (identical "
     r"iterates to RED-FP when $\beta = \lambda$)"),
))
st.markdown("The data-term proximal operator used by the PnP methods has a closed form:")
st.latex(r"\operatorname{prox}_{f/\beta}(v) = "
         r"\Bigl(\frac{A^\top A}{\sigma_e^2} + \beta I\Bigr)^{-1}"
         r"\Bigl(\frac{A^\top y}{\sigma_e^2} + \beta v\Bigr)")
st.caption(
    "By FFT for circular blur and denoising, element-wise for masks, FFT closed form (Zhao et "
    "al. 2016) or conjugate gradients for blur + decimation."
)
see_live(RESTORE, "run any of these on an image, with denoiser calls counted")
see_live(LEADERBOARD, "all nine on one problem, PSNR against seconds")

# ---- 8. RED vs PnP
st.header("8 · RED vs PnP-PGD", divider="gray")
st.markdown(markdown_table(
    ("property", "PnP-PGD", "RED-GD"),
    ("explicit objective", r"only if $D$ is a proximal operator",
     r"yes, $E(x)$ (exact when $J$ is symmetric and $D$ homogeneous)"),
    ("convergence guarantee", r"$D$ (or its averaged form) non-expansive",
     r"convexity of $E$ / gradient-descent theory"),
    ("fixed point type",
     r"$x^* = D\bigl(x^* - \mu \nabla f(x^*)\bigr)$, an operator fixed point",
     r"$\nabla f(x^*) + \lambda\bigl(x^* - D(x^*)\bigr) = 0$, a stationary point of $E$"),
    ("step size", r"$\mu \le 1/L_f$", r"$\mu < 2/(L_f + \lambda)$"),
    ("cost per iteration", "one gradient step + one denoiser call",
     "**identical** work (the measured time differs with the denoiser and its σ_d)"),
))
st.success(
    "**Practical recommendation.** Use **PnP-ADMM** when the data-fidelity subproblem has a fast "
    "closed-form solver (Fourier operators). Use **RED-GD** when you want an explicit objective "
    "for monitoring and the Jacobian symmetry assumption is approximately satisfied (linear "
    "denoisers, NLM).",
    icon=":material/recommend:",
)
see_live(COMPARE, "RED vs PnP: cost and guarantees")

# ---- 9. Common mistake
st.header("9 · Common mistake: deep denoisers", divider="gray")
st.warning(
    "**Mistake:** assuming that a DnCNN, DRUNet or SwinIR denoiser satisfies the Jacobian "
    "symmetry condition. Most deep denoisers have **non-symmetric Jacobians**, so\n"
    "- the RED \"gradient\" $x - D(x)$ is generally **not the gradient of anything**;\n"
    "- the algorithm may not be minimising the RED objective $E(x)$;\n"
    "- convergence is not guaranteed by standard gradient-descent theory.",
    icon=":material/warning:",
)
st.markdown("**Mitigations**")
mitigations = st.container(horizontal=True)
with mitigations.container(border=True, width=CARD):
    st.markdown("**Symmetric denoisers by construction**")
    st.caption(
        "Linear symmetric smoothers: a Gaussian filter, or NLM with frozen weights made "
        "doubly stochastic by Sinkhorn balancing (Milanfar 2013)."
    )
with mitigations.container(border=True, width=CARD):
    st.markdown("**Gradient-step denoisers**")
    st.caption(
        r"$D = I - \nabla g$ with an explicit potential $g$ (Hurault et al. 2022): then "
        r"$x - D(x) = \nabla g(x)$ exactly and RED minimises the explicit $f + \lambda g$. "
        rf"The lab has one: the **{denoisers.label('cnn_gs')}**, "
        r"$g(x) = \tfrac12\lVert x - N(x)\rVert^2$ for a "
        r"small network $N$ trained here."
    )
with mitigations.container(border=True, width=CARD):
    st.markdown("**Monitor convergence**")
    st.caption(
        r"Accept the approximation and watch the objective $E(x)$, the stationarity "
        r"residual $\lVert \nabla f(x) + \lambda (x - D(x)) \rVert$ and the relative change "
        r"$\lVert x_k - x_{k-1} \rVert / \lVert x_{k-1} \rVert$ empirically."
    )
see_live(JACOBIAN, "e_J of every denoiser, trained CNNs included")

# ---- 10. History
st.header("10 · Historical note", divider="gray")
st.markdown(
    "**Romano, Elad and Milanfar** introduced RED in *SIAM Journal on Imaging Sciences* "
    "(2017) as a principled way to turn any denoiser into a regulariser, with the explicit "
    "objective that Plug-and-Play lacked. **Reehorst and Schniter** (*IEEE Transactions on "
    "Computational Imaging*, 2019) showed that the Jacobian symmetry assumption rarely holds "
    "for deep denoisers, so the RED \"gradient\" is generally not the gradient of any scalar "
    "function. RED remains an effective algorithm when its convergence is monitored."
)

st.divider()
st.markdown("**Ready?** Test yourself on RED in seven questions.")
st.page_link(QUIZ, label="Take the quick check", icon=":material/quiz:")

state.keep(SCOPE, [])
