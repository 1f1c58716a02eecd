"""Jacobian lab: is RED's gradient x − D(x) the gradient of anything? J, J − Jᵀ, the errors."""

import streamlit as st

from red_core import denoisers, images, signals
from red_core.lab import jacobian_lab as lab
from red_core.lab import plots
from ui import navigation

navigation.guard()

try:  # registers symmetric_nlm, gradient_step_tv, mmse_gmm if red_core.denoisers does not yet
    import red_core.structured_denoisers  # noqa: F401
except ImportError:
    pass

KINDS = {"1-D signal": "signal", "image crop": "crop"}
CURVE_DEFAULTS = ("gaussian", "median", "tv", "nlm", "symmetric_nlm", "gradient_step_tv")
ROUND_OFF = 1e-8  # errors below this are finite-difference round-off
BM3D_PROBES = 16


def label(name: str) -> str:
    return denoisers.label(name)


@st.cache_data(max_entries=12, show_spinner=False)
def analysis(name: str, sigma255: int, spec: lab.InputSpec) -> lab.Analysis:
    """Full Jacobian and everything derived from it (J is up to 8 MB: few entries)."""
    return lab.analyse(denoisers.build(name, sigma255 / 255), lab.make_input(spec))


@st.cache_data(max_entries=2048, show_spinner=False)
def diagnose(name: str, sigma255: int, spec: lab.InputSpec) -> dict:
    """The scalar diagnostics only (small): the survey and the curves."""
    return lab.analyse(denoisers.build(name, sigma255 / 255), lab.make_input(spec)).report.as_dict()


@st.cache_data(max_entries=16, show_spinner=False)
def diagnose_bm3d(sigma255: int, spec: lab.InputSpec) -> tuple[dict, float]:
    D = denoisers.build("bm3d", sigma255 / 255)
    report, stderr = lab.probe_report(D, lab.make_input(spec), n_probes=BM3D_PROBES)
    return report.as_dict(), stderr


def pick_crop() -> None:
    """A click on the image: centre the crop there (runs before the script, so the sliders
    below show the new position)."""
    point = lab.picked_point(st.session_state.get("jl_pick"))
    if point is not None:
        shape = lab.picker_image(st.session_state.get("jl_image", "camera")).shape
        size = st.session_state.get("jl_crop", 16)
        st.session_state["jl_top"], st.session_state["jl_left"] = lab.centre_to_origin(
            *point, size, shape)


def error_metric(column, title: str, value: float, meaning: str) -> None:
    """One error as a metric, green when it is at round-off (the assumption holds)."""
    holds = value <= ROUND_OFF
    column.metric(title, f"{value:.2e}", "holds (round-off)" if holds else "fails",
                  delta_color="green" if holds else "red", delta_arrow="off", border=True)
    column.caption(meaning)


st.title("Jacobian lab")
st.markdown(
    "RED replaces the gradient of its regulariser $\\rho(x) = \\tfrac12 x^\\top(x - D(x))$ by "
    "the residual $x - D(x)$. That is exact only when the denoiser's Jacobian "
    "$J(x) = \\partial D(x)/\\partial x$ is **symmetric** and $D$ is **locally homogeneous**; "
    "otherwise the exact gradient keeps a $J(x)^\\top x$ term:"
)
st.latex(r"\nabla\rho(x) = x - \tfrac12 D(x) - \tfrac12 J(x)^\top x"
         r"\quad\xrightarrow{\;J = J^\top,\;\; J(x)\,x = D(x)\;}\quad x - D(x)")
st.markdown(
    "This page builds $J(x)$ column by column from central differences of $D$ "
    "($J v \\approx (D(x + \\varepsilon v) - D(x - \\varepsilon v))/2\\varepsilon$, "
    "$\\varepsilon = 10^{-3}\\|x\\|/\\sqrt n$; $2n$ denoiser calls) on a small input, and "
    "measures how far each assumption is from holding."
)
st.page_link("pages/home.py", label="Back to RED in one page", icon=":material/arrow_back:")

# ---- controls
top_row = st.columns(3)
with top_row[2]:
    kind = KINDS[st.radio("Input", list(KINDS), key="jl_kind", horizontal=True)]
choices = lab.denoisers_for(kind)
with top_row[0]:
    denoiser = st.selectbox("Denoiser", choices, index=choices.index("nlm"), key="jl_denoiser",
                            format_func=label)
    st.caption(denoisers.describe(denoiser)["description"])
with top_row[1]:
    sigma255 = st.slider("Denoiser σ (/255)", 1, 75, 25, key="jl_sigma")

if kind == "signal":
    cols = st.columns(3)
    signal = cols[0].selectbox("Signal", signals.SIGNALS, key="jl_signal",
                               format_func=lambda s: s.replace("_", " ").capitalize())
    n = cols[1].slider("Length n", *lab.N_RANGE, 64, step=8, key="jl_n",
                       help="J is n × n and costs 2n denoiser calls.")
    noise255 = cols[2].slider("Noise added (/255)", 0, 75, 25, key="jl_noise")
    spec = lab.InputSpec("signal", signal, n, noise=noise255 / 255)
    st.caption(f"{signals.describe(signal)} The Jacobian is taken at the noisy signal "
               f"(noise seed 0), where RED starts.")
else:
    controls, picker = st.columns([1, 2], gap="medium")
    with controls:
        image = st.selectbox("Image", images.BUILTIN, key="jl_image")
        size = st.slider("Crop size", *lab.CROP_RANGE, 16, key="jl_crop",
                         help=f"J is size² × size²: {lab.CROP_RANGE[1] ** 2} unknowns at most.")
        noise255 = st.slider("Noise added (/255)", 0, 75, 25, key="jl_noise")
        max_top, max_left = lab.crop_limits(image, size)
        for key, high in (("jl_top", max_top), ("jl_left", max_left)):
            # a smaller image or a larger crop may leave the old position outside
            st.session_state[key] = min(st.session_state.get(key, high // 2), high)
        top = st.slider("Crop top row", 0, max_top, key="jl_top")
        left = st.slider("Crop left column", 0, max_left, key="jl_left")
        st.caption("Click on the image to centre the crop there, or use the sliders. Colour "
                   "images are reduced to grey, so every row and column of J is one pixel.")
    spec = lab.InputSpec("crop", image, size, top, left, noise=noise255 / 255)
    with picker:
        st.plotly_chart(plots.crop_picker_figure(lab.picker_image(image), top, left, size),
                        key="jl_pick", on_select=pick_crop, selection_mode="points",
                        width="stretch")

unit = "sample" if kind == "signal" else "pixel"
with st.spinner(f"Building the {spec.unknowns} × {spec.unknowns} Jacobian "
                f"({2 * spec.unknowns} denoiser calls)…"):
    result = analysis(denoiser, sigma255, spec)
report = result.report

# ---- the Jacobian
st.subheader(f"The Jacobian of {label(denoiser)} at σ = {sigma255}/255")
J_shown, block = lab.pool_extreme(result.jacobian)
A_shown, _ = lab.pool_extreme(result.antisymmetric)
st.plotly_chart(plots.jacobian_figure(J_shown, A_shown, step=block, unit=unit),
                key="jl_jacobian", width="stretch")
st.caption(
    ("" if block == 1 else f"Each cell shows the largest-magnitude entry of a {block} × {block} "
     "block. ")
    + ("Pixels are numbered row by row (C order): a pixel's vertical neighbours are "
       f"{spec.size} columns away. " if kind == "crop" else "")
    + f"Measured in {report.seconds:.2f} s with {report.denoiser_calls} denoiser calls; both "
    "panels share one colour scale, so a pale J − Jᵀ next to a strong J is a symmetric Jacobian."
)

errors = st.columns(3)
error_metric(errors[0], "Symmetry error e_J", report.symmetry,
             "‖J − Jᵀ‖²_F / ‖J‖²_F: zero when J = Jᵀ, i.e. when x − D(x) is, near x, the "
             "gradient of some scalar function.")
error_metric(errors[1], "Homogeneity error", report.homogeneity,
             "‖J(x)x − D(x)‖² / ‖D(x)‖²: zero when D((1+ε)x) = (1+ε)D(x) for small ε.")
error_metric(errors[2], "RED-gradient error", report.gradient,
             "‖∇ρ − (x − D(x))‖ / ‖∇ρ‖: how wrong x − D(x) is as the gradient of "
             "ρ(x) = ½xᵀ(x − D(x)).")

spectrum = st.columns(3)
spectrum[0].metric("Local Lipschitz constant ‖J‖₂", f"{report.lipschitz:.3f}", border=True)
spectrum[0].caption("Largest gain of D on a small perturbation of x; at most 1 means D is "
                    "locally non-expansive (what PnP's convergence proofs ask).")
spectrum[1].metric("Eigenvalues of (J + Jᵀ)/2", f"[{report.eig_min:.3f}, {report.eig_max:.3f}]",
                   border=True)
spectrum[1].caption("RED-GD's safe step assumes them in [0, 1]; λ_max ≤ 1 makes x − D(x) "
                    "locally monotone (ρ locally convex when J is symmetric).")
curvature = 1 - report.eig_min
spectrum[2].metric("RED-GD step μ < 2 / (L_f + c λ)", f"c = {curvature:.2f}", border=True)
spectrum[2].caption(
    "c = 1 − λ_min: the RED field's Jacobian λ(I − J) has eigenvalues up to λ(1 − λ_min), "
    "so the safe step is 2/(L_f + λ(1 − λ_min)): "
    + ("the usual 2/(L_f + λ) is safe here (λ_min ≥ 0)." if report.eig_min >= -ROUND_OFF else
       f"{curvature:.2f} > 1, so the usual 2/(L_f + λ) is too long here.")
    + " Exact for symmetric J only.")

st.subheader("Exact gradient against the RED gradient")
if kind == "signal":
    st.plotly_chart(plots.gradients_1d_figure(result.exact_gradient, result.red_gradient),
                    key="jl_gradients", width="stretch")
else:
    st.plotly_chart(plots.gradients_2d_figure(result.exact_gradient, result.red_gradient),
                    key="jl_gradients", width="stretch")
st.caption("Where the two differ, a RED step does not descend ρ: the difference is "
           "(D(x) − J(x)ᵀx)/2, zero for a symmetric, homogeneous denoiser.")

# ---- the survey
st.header("The common mistake, measured")
st.markdown(
    "It is tempting to assume that a good denoiser has a symmetric Jacobian. Deep denoisers "
    "such as **DnCNN, DRUNet and SwinIR do not** (Reehorst & Schniter 2019): $x - D(x)$ is "
    "then generally *not the gradient of any function*, RED may not be minimising its "
    "objective, and gradient-descent theory no longer guarantees convergence. A trained "
    "network of our own shows it, measured here on the current input: **cnn** (a residual U-Net "
    "this project trained) has a clearly non-zero $e_J$, and so do median, TV, NLM, bilateral "
    "(and BM3D). Its gradient-step twin **cnn_gs**, $D = I - \\nabla g$ with "
    "$g(x) = \\tfrac12\\|x - N(x)\\|^2$, is symmetric by construction. Symmetry is the "
    "condition for $x - D(x)$ to be a gradient of *something*; with homogeneity as well, "
    "that something is $\\rho$."
)
run_survey = st.toggle("Survey every denoiser at this σ on this input (a full Jacobian each: "
                       "about 2 s on a 1-D signal, 5 to 10 s on a 16 × 16 crop)", value=False,
                       key="jl_survey")
names = lab.denoisers_for(kind)
include_bm3d = False
if kind == "crop" and denoisers.available("bm3d"):
    include_bm3d = st.checkbox(
        f"Include BM3D (slow: symmetry from {BM3D_PROBES} random probes and homogeneity only, "
        f"{2 * BM3D_PROBES + 3} calls of about 1 s each)", value=False, key="jl_bm3d",
        disabled=size < lab.BM3D_MIN_SIDE,
        help=f"Needs a crop of at least {lab.BM3D_MIN_SIDE} pixels. Its full Jacobian would "
             "take 2n + 4 calls: about 7 minutes on a 16 × 16 crop.")
if run_survey:
    with st.spinner(f"Measuring {len(names) + include_bm3d} denoisers (full Jacobians of "
                    f"{spec.unknowns} unknowns)…"):
        reports = [report.as_dict() if name == denoiser else diagnose(name, sigma255, spec)
                   for name in names]
        bm3d_stderr = None
        if include_bm3d and size >= lab.BM3D_MIN_SIDE:
            bm3d, bm3d_stderr = diagnose_bm3d(sigma255, spec)
            reports.append(bm3d)
    rows = lab.survey_rows(reports, denoisers.LABELS)
    number = st.column_config.NumberColumn(format="%.2e")
    st.dataframe(rows, key="jl_table", hide_index=True, width="stretch",
                 column_config={**{k: number for k in lab.ERRORS.values()},
                                "‖J‖₂": st.column_config.NumberColumn(format="%.3f"),
                                "seconds": st.column_config.NumberColumn(format="%.2f")})
    st.plotly_chart(plots.survey_figure([dict(r, label=label(r["name"])) for r in reports],
                                        lab.ERRORS, round_off=ROUND_OFF),
                    key="jl_survey_chart", width="stretch")
    measured = {r["name"]: r for r in reports}
    if {"cnn", "cnn_gs"} <= set(measured):
        st.info(
            f"**Two trained CNNs, measured on this input:** the plain CNN has "
            f"e_J = {measured['cnn']['symmetry']:.2g}; the gradient-step CNN has "
            f"e_J = {measured['cnn_gs']['symmetry']:.1e}, round-off: its Jacobian is the "
            "symmetric I − ∇²g, so RED with it minimises f + λg (on *Restore an image* its "
            "objective curve decreases monotonically).")
    st.caption(
        "Errors below 1e-20 are drawn at 1e-20 (the exact value is in the table and on hover). "
        + ("The 1-D survey skips BM3D (images only). " if kind == "signal" else "")
        + (f"BM3D: e_J = {reports[-1]['symmetry']:.2f} ± {bm3d_stderr:.2f} is a "
           f"{BM3D_PROBES}-probe estimate (± one jackknife standard error); its gradient error "
           "and spectrum need the full Jacobian and are not measured. "
           if bm3d_stderr is not None else ""))
else:
    st.caption("Survey off: switch it on to measure every denoiser on this input.")

st.subheader("Errors against the denoiser σ")
defaults = [name for name in CURVE_DEFAULTS if name in names]
curve_names = st.multiselect("Denoisers", names, default=defaults, key="jl_curve_denoisers",
                             format_func=label)
if st.toggle(f"Compute the curves (σ ∈ {{{', '.join(map(str, lab.SIGMAS_255))}}}/255: "
             f"{len(lab.SIGMAS_255)} full Jacobians per denoiser, a few seconds)", value=False,
             key="jl_curves"):
    with st.spinner(f"Measuring {len(curve_names)} denoisers at {len(lab.SIGMAS_255)} noise "
                    "levels…"):
        curves = {label(name): [diagnose(name, s, spec) for s in lab.SIGMAS_255]
                  for name in curve_names}
    st.plotly_chart(plots.error_sigma_figure(curves, lab.ERRORS), key="jl_curve_chart",
                    width="stretch")
    st.caption("Solid lines: Jacobian symmetric by construction; dashed: not. Values below "
               "1e-20 (round-off, or exactly 0) are drawn at 1e-20, where several lines overlap.")

st.header("Mitigations named by the source")
st.markdown(
    "- **Denoisers with a symmetric Jacobian by construction.** Linear symmetric smoothers "
    "(the *Gaussian filter*), and *symmetric NLM*: NLM weights computed once from a guide, "
    "frozen, and made symmetric and doubly stochastic by Sinkhorn balancing (Milanfar 2013), "
    "so $D(x) = Wx$ with $W = W^\\top$. Both score $e_J$ at round-off above, next to median, "
    "TV, NLM and bilateral, which do not. The exact *MMSE* denoiser of a Gaussian-mixture "
    "prior is symmetric too (its Jacobian is a posterior covariance), though not homogeneous. "
    "For deep networks the source points to architectural constraints (e.g. spectral "
    "normalisation).\n"
    "- **Gradient-step denoisers** $D = I - \\nabla g$ with an explicit potential $g$ "
    "(Hurault et al. 2022; here *gradient-step TV*, $g$ a smoothed total variation): "
    "$J = I - \\nabla^2 g$ is symmetric, and $x - D(x) = \\nabla g(x)$ exactly, so RED "
    "minimises the explicit $f + \\lambda g$. Its RED-gradient error above is not zero because "
    "$g \\neq \\rho$ (it is not homogeneous), and that does not matter: the field is still a "
    "true gradient.\n"
    "- **Accept the approximation and monitor convergence** empirically: the objective, the "
    "fixed-point residual $\\|\\nabla f(x) + \\lambda(x - D(x))\\|$ and the relative change, "
    "as the Restore page does."
)
st.page_link("pages/restore.py", label="Restore an image: monitor RED's convergence",
             icon=":material/image:")
