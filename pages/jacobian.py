"""Jacobian lab: is RED's gradient x − D(x) the gradient of anything? J, J − Jᵀ, the errors."""

import streamlit as st

from red_core import denoisers, glossary, images, signals
from red_core.lab import jacobian_lab as lab
from red_core.lab import plots
from red_core.params import Param
from ui import navigation, state
from ui.events import picked_point

navigation.guard()

SCOPE = "jacobian"
KIND_LABELS = {"signal": "1-D signal", "crop": "image crop"}
CURVE_DEFAULTS = ("gaussian", "median", "tv", "nlm", "symmetric_nlm", "gradient_step_tv")
ROUND_OFF = 1e-8  # errors below this are finite-difference round-off
BM3D_PROBES = 16
WIDGET = 290  # px: fixed widget widths wrap onto new rows on a narrow screen instead of cutting
ss = st.session_state

_P = lab.params()
FIELDS: dict[str, Param] = {
    "jl_kind": _P["kind"], "jl_denoiser": _P["denoiser"], "jl_sigma": _P["denoiser_sigma"],
    "jl_signal": _P["signal"], "jl_n": _P["n"], "jl_noise": _P["noise_sigma"],
    "jl_image": _P["image"], "jl_crop": _P["size"], "jl_top": _P["top"], "jl_left": _P["left"],
    "jl_survey": Param("survey", "Survey every denoiser", False, kind="bool"),
    "jl_slow": Param("slow", "Include the slow denoisers", False, kind="bool"),
    "jl_curves": Param("curves", "Compute the curves", False, kind="bool"),
    # the multiselect's value as text ("gaussian,median"): a Param holds one value, not a list
    "jl_curve_set": Param("curve_set", "Denoisers of the curves", ",".join(CURVE_DEFAULTS),
                          kind="object"),
}
SIGNAL_KEYS = ("jl_signal", "jl_n")
CROP_KEYS = ("jl_image", "jl_crop", "jl_top", "jl_left", "jl_slow")


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
    point = picked_point(ss.get("jl_pick"))
    if point is not None:
        shape = lab.picker_image(ss.get("jl_image", "camera")).shape
        size = ss.get("jl_crop", lab.DEFAULT_CROP)
        ss["jl_top"], ss["jl_left"] = lab.centre_to_origin(*point, size, shape)


def keep_curve_set() -> None:
    """The multiselect changed: its text mirror (what the URL holds) follows."""
    ss["jl_curve_set"] = ",".join(ss.get("jl_curve_denoisers", []))


def error_metric(title: str, value: float, meaning: str) -> None:
    """One error as a metric, green when it is at round-off (the assumption holds)."""
    holds = value <= ROUND_OFF
    with st.container(width=WIDGET - 10):
        st.metric(title, f"{value:.2e}", "holds (round-off)" if holds else "fails",
                  delta_color="green" if holds else "red", delta_arrow="off", border=True)
        st.caption(meaning)


def plain_metric(title: str, value: str, meaning: str) -> None:
    with st.container(width=WIDGET - 10):
        st.metric(title, value, border=True)
        st.caption(meaning)


notices = state.init(SCOPE, FIELDS)
kind = ss["jl_kind"]
choices = lab.denoisers_for(kind)
if ss["jl_denoiser"] not in choices:  # an image-only denoiser (a CNN) on a 1-D signal
    moved = label(ss["jl_denoiser"])
    ss["jl_denoiser"] = _P["denoiser"].default
    notices.append(f"{moved} works on images only: {label(ss['jl_denoiser'])} on the 1-D signal")
wanted = [n for n in str(ss["jl_curve_set"]).split(",") if n]
if any(n not in lab.denoisers_for("crop") for n in wanted):
    notices.append(f"jl_curve_set={ss['jl_curve_set']!r} (denoisers of the curves: names of "
                   "the list below, separated by commas)")
    wanted = list(CURVE_DEFAULTS)
    ss["jl_curve_set"] = ",".join(wanted)

st.title("Jacobian lab")
if notices:
    st.caption(state.notice_text(notices))
st.markdown(
    "RED replaces the gradient of its regulariser $\\rho(x) = \\tfrac12 x^\\top(x - D(x))$ by "
    "the denoiser residual $x - D(x)$. That is exact only when the denoiser's Jacobian "
    "$J(x) = \\partial D(x)/\\partial x$ is **symmetric** and $D$ is **locally homogeneous**; "
    "otherwise the exact gradient keeps a $J(x)^\\top x$ term:"
)
st.latex(r"\begin{aligned}\nabla\rho(x) &= x - \tfrac12 D(x) - \tfrac12 J(x)^\top x \\ "
         r"&= x - D(x) \quad \text{when } J = J^\top \text{ and } J(x)\,x = D(x)\end{aligned}")
st.markdown(
    "This page builds $J(x)$ column by column from central differences of $D$, "
    "$J v \\approx (D(x + \\varepsilon v) - D(x - \\varepsilon v))/2\\varepsilon$ with "
    "$\\varepsilon = 10^{-3}\\|x\\|/\\sqrt n$ ($2n$ denoiser calls), on a small input, and "
    "measures how far each assumption is from holding."
)
st.page_link("pages/home.py", label="Back to RED in one page", icon=":material/arrow_back:")

# ---- controls (fixed widths in wrapping rows: nothing is cut on a narrow screen)
with st.container(horizontal=True, gap="small"):
    st.radio(FIELDS["jl_kind"].label, lab.KINDS, key="jl_kind", horizontal=True,
             format_func=KIND_LABELS.get, help=FIELDS["jl_kind"].help, width=WIDGET)
    with st.container(width=WIDGET, gap="xsmall"):
        denoiser = st.selectbox(FIELDS["jl_denoiser"].label, choices, key="jl_denoiser",
                                format_func=label, help=FIELDS["jl_denoiser"].help)
        st.caption(denoisers.describe(denoiser)["description"]
                   + (" A slow denoiser: its Jacobian takes seconds on a small crop, up to a "
                      "minute at 32 × 32." if lab.is_slow(denoiser) else ""))
    sigma255 = st.slider(FIELDS["jl_sigma"].label, 1, 75, key="jl_sigma", width=WIDGET,
                         help=FIELDS["jl_sigma"].help)

if kind == "signal":
    with st.container(horizontal=True, gap="small"):
        with st.container(width=WIDGET, gap="xsmall"):
            signal = st.selectbox(FIELDS["jl_signal"].label, signals.SIGNALS, key="jl_signal",
                                  format_func=signals.label)
            st.caption(signals.describe(signal))
        n = st.slider(FIELDS["jl_n"].label, *lab.N_RANGE, step=8, key="jl_n", width=WIDGET,
                      help=FIELDS["jl_n"].help)
        noise255 = st.slider(FIELDS["jl_noise"].label, 0, 75, key="jl_noise", width=WIDGET,
                             help=FIELDS["jl_noise"].help)
    spec = lab.InputSpec("signal", signal, n, noise=noise255 / 255)
    st.caption("The Jacobian is taken at the noisy signal (noise seed 0), where RED starts.")
else:
    with st.container(horizontal=True, gap="small"):
        with st.container(width=WIDGET):
            image = st.selectbox(FIELDS["jl_image"].label, images.BUILTIN, key="jl_image",
                                 format_func=str.capitalize, help=FIELDS["jl_image"].help)
            size = st.slider(FIELDS["jl_crop"].label, *lab.CROP_RANGE, key="jl_crop",
                             help=f"{FIELDS['jl_crop'].help} ({lab.CROP_RANGE[1] ** 2} "
                                  "unknowns at most).")
            noise255 = st.slider(FIELDS["jl_noise"].label, 0, 75, key="jl_noise",
                                 help=FIELDS["jl_noise"].help)
            max_top, max_left = lab.crop_limits(image, size)
            for key, high in (("jl_top", max_top), ("jl_left", max_left)):
                # a smaller image or a larger crop may leave the old position outside
                ss[key] = min(ss.get(key, high // 2), high)
            top = st.slider(FIELDS["jl_top"].label, 0, max_top, key="jl_top")
            left = st.slider(FIELDS["jl_left"].label, 0, max_left, key="jl_left")
            st.caption("Click on the image to centre the crop there, or use the sliders. "
                       "Colour images are reduced to grey, so every row and column of J is one "
                       "pixel.")
        spec = lab.InputSpec("crop", image, size, top, left, noise=noise255 / 255)
        st.plotly_chart(plots.crop_picker_figure(lab.picker_image(image), top, left, size),
                        key="jl_pick", on_select=pick_crop, selection_mode="points",
                        width=440)

unit = "sample" if kind == "signal" else "pixel"
with st.spinner(f"Building the {spec.unknowns} × {spec.unknowns} Jacobian "
                f"({2 * spec.unknowns} denoiser calls)…"):
    result = analysis(denoiser, sigma255, spec)
report = result.report

# ---- the Jacobian
st.subheader(f"The Jacobian of {label(denoiser)} at σ_d = {sigma255}/255")
J_shown, block = lab.pool_extreme(result.jacobian)
A_shown, _ = lab.pool_extreme(result.antisymmetric)
st.plotly_chart(plots.jacobian_figure(J_shown, A_shown, step=block, unit=unit),
                key="jl_jacobian", width="stretch")
st.caption(
    "Left J(x) = ∂D(x)/∂x, right J − Jᵀ (zero when J is symmetric). "
    + ("" if block == 1 else f"Each cell shows the largest-magnitude entry of a {block} × {block} "
       "block. ")
    + ("Pixels are numbered row by row (C order): a pixel's vertical neighbours are "
       f"{spec.size} columns away. " if kind == "crop" else "")
    + f"Measured in {report.seconds:.2f} s with {report.denoiser_calls} denoiser calls; both "
    "panels share one colour scale, so a pale J − Jᵀ next to a strong J is a symmetric Jacobian."
)

with st.container(horizontal=True, gap="small"):
    error_metric(glossary.label("symmetry"), report.symmetry,
                 "‖J − Jᵀ‖²_F / ‖J‖²_F: zero when J = Jᵀ, i.e. when x − D(x) is, near x, the "
                 "gradient of some scalar function.")
    error_metric(glossary.label("homogeneity"), report.homogeneity,
                 "‖J(x)x − D(x)‖² / ‖D(x)‖²: zero when D((1+ε)x) = (1+ε)D(x) for small ε "
                 "(a property of D).")
    error_metric(glossary.label("gradient"), report.gradient,
                 "‖∇ρ − (x − D(x))‖ / ‖∇ρ‖: how wrong x − D(x) is as the gradient of "
                 "ρ(x) = ½xᵀ(x − D(x)).")
    plain_metric("Local Lipschitz constant ‖J‖₂", f"{report.lipschitz:.3f}",
                 glossary.help_text("lipschitz_J"))
    plain_metric("Eigenvalues of (J + Jᵀ)/2", f"{report.eig_min:.2f} … {report.eig_max:.2f}",
                 "From λ_min to λ_max. " + glossary.help_text("eig_sym")
                 + " (ρ locally convex when J is symmetric).")
    curvature = 1 - report.eig_min
    plain_metric("RED-GD step μ < 2 / (L_f + c λ)", f"c = {curvature:.2f}",
                 "c = 1 − λ_min: the RED field's Jacobian λ(I − J) has eigenvalues up to "
                 "λ(1 − λ_min), so the safe step is 2/(L_f + λ(1 − λ_min)): "
                 + ("the usual 2/(L_f + λ) is safe here (λ_min ≥ 0)."
                    if report.eig_min >= -ROUND_OFF else
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
cnn, cnn_gs = label("cnn"), label("cnn_gs")
st.header("The common mistake, measured")
st.markdown(
    "It is tempting to assume that a good denoiser has a symmetric Jacobian. Deep denoisers "
    "such as **DnCNN, DRUNet and SwinIR do not** (Reehorst & Schniter 2019): $x - D(x)$ is "
    "then generally *not the gradient of any function*, RED may not be minimising its "
    f"objective, and gradient-descent theory no longer guarantees convergence. A trained "
    f"network of our own shows it, measured here on an image crop: the **{cnn}** (a residual "
    "U-Net this project trained) has a clearly non-zero $e_J$, and so do median, TV, NLM, "
    f"bilateral (and BM3D). Its twin, the **{cnn_gs}** $D = I - \\nabla g$ with "
    "$g(x) = \\tfrac12\\|x - N(x)\\|^2$, is symmetric by construction. Symmetry is the "
    "condition for $x - D(x)$ to be a gradient of *something*; with homogeneity as well, "
    "that something is $\\rho$."
)
names = lab.denoisers_for(kind)
slow_names = [n for n in names if lab.is_slow(n)]
bm3d_ok = kind == "crop" and denoisers.available("bm3d")
if bm3d_ok:
    slow_names.append("bm3d")
run_survey = st.toggle(
    "Survey every denoiser at this σ_d on this input (a full Jacobian each: about 2 s on a 1-D "
    "signal, 5 s on a 16 × 16 crop)", key="jl_survey")
include_slow = False
if kind == "crop" and slow_names:
    include_slow = st.checkbox(
        f"Include the slow denoisers ({', '.join(label(n) for n in slow_names)}): "
        f"{cnn_gs} with a full Jacobian (about 2 s on 16 × 16, 40 s on 32 × 32), BM3D with "
        f"{BM3D_PROBES} random probes of the symmetry and the homogeneity only "
        f"({2 * BM3D_PROBES + 3} calls of about 1 s each; crops of at least "
        f"{lab.BM3D_MIN_SIDE} pixels)", key="jl_slow")
surveyed = [n for n in names if include_slow or not lab.is_slow(n)]
if run_survey:
    with_bm3d = include_slow and bm3d_ok and size >= lab.BM3D_MIN_SIDE
    with st.spinner(f"Measuring {len(surveyed) + with_bm3d} denoisers (full Jacobians of "
                    f"{spec.unknowns} unknowns)…"):
        reports = [report.as_dict() if name == denoiser else diagnose(name, sigma255, spec)
                   for name in surveyed]
        bm3d_stderr = None
        if with_bm3d:
            bm3d, bm3d_stderr = diagnose_bm3d(sigma255, spec)
            reports.append(bm3d)
    rows = lab.survey_rows(reports)
    for row in rows:  # ✓ as on the bars: the table stays narrow without a column of its own
        row["denoiser"] = ("✓ " if row["symmetric_by_design"] else "") + row["denoiser"]
    number = "%.1e"
    st.dataframe(
        rows, key="jl_table", hide_index=True, width="stretch",
        column_order=("denoiser", "symmetry", "homogeneity", "gradient", "lipschitz_J"),
        column_config={
            "denoiser": st.column_config.TextColumn(
                "Denoiser", help="✓: " + glossary.help_text("symmetric_by_design")),
            "symmetry": st.column_config.NumberColumn(
                glossary.term("symmetry").symbol, format=number,
                help=glossary.label("symmetry") + ": " + glossary.help_text("symmetry")),
            "homogeneity": st.column_config.NumberColumn(
                "Homog.", format=number,
                help=glossary.label("homogeneity") + ": " + glossary.help_text("homogeneity")),
            "gradient": st.column_config.NumberColumn(
                "∇ error", format=number,
                help=glossary.label("gradient") + ": " + glossary.help_text("gradient")),
            "lipschitz_J": st.column_config.NumberColumn(
                glossary.term("lipschitz_J").symbol, format="%.2f",
                help=glossary.label("lipschitz_J") + ": " + glossary.help_text("lipschitz_J")),
        })
    st.caption(
        f"{len(rows)} denoisers, {sum(r['denoiser_calls'] for r in rows)} denoiser calls, "
        f"{sum(r['seconds'] for r in rows):.1f} s of measuring (cached: a second look is "
        "free). ✓ = Jacobian symmetric by construction; hover a column title for its meaning.")
    st.plotly_chart(plots.survey_figure([dict(r, label=label(r["name"])) for r in reports],
                                        lab.ERRORS, round_off=ROUND_OFF),
                    key="jl_survey_chart", width="stretch")
    measured = {r["name"]: r for r in reports}
    if {"cnn", "cnn_gs"} <= set(measured):
        st.info(
            f"**Two trained CNNs, measured on this input:** the {cnn} has "
            f"e_J = {measured['cnn']['symmetry']:.2g}; the {cnn_gs} has "
            f"e_J = {measured['cnn_gs']['symmetry']:.1e}, round-off: its Jacobian is the "
            "symmetric I − ∇²g, so RED with it minimises f + λg (on *Restore an image* its "
            "objective curve decreases monotonically).")
    st.caption(
        "Errors below 1e-20 are drawn at 1e-20 (the exact value is in the table and on hover). "
        + ("The 1-D survey skips the image-only denoisers (BM3D and the CNNs). "
           if kind == "signal" else "")
        + ("Slow denoisers left out: tick the box above to add them. "
           if kind == "crop" and slow_names and not include_slow else "")
        + (f"BM3D skipped: it needs a crop of at least {lab.BM3D_MIN_SIDE} pixels. "
           if include_slow and bm3d_ok and size < lab.BM3D_MIN_SIDE else "")
        + (f"BM3D: e_J = {reports[-1]['symmetry']:.2f} ± {bm3d_stderr:.2f} is a "
           f"{BM3D_PROBES}-probe estimate (± one jackknife standard error); its gradient error "
           "and spectrum need the full Jacobian and are not measured. "
           if bm3d_stderr is not None else ""))
else:
    st.caption("Survey off: switch it on to measure every denoiser on this input.")

st.subheader("Errors against the denoiser σ_d")
if "jl_curve_denoisers" not in ss:  # first visit, a link, or back from another page
    ss["jl_curve_denoisers"] = wanted
ss["jl_curve_denoisers"] = [n for n in ss["jl_curve_denoisers"] if n in surveyed]
curve_names = st.multiselect("Denoisers", surveyed, key="jl_curve_denoisers",
                             format_func=label, on_change=keep_curve_set)
keep_curve_set()
if st.toggle(f"Compute the curves (σ_d ∈ {{{', '.join(map(str, lab.SIGMAS_255))}}}/255: "
             f"{len(lab.SIGMAS_255)} full Jacobians per denoiser, a few seconds)",
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
    "stationarity residual $\\|\\nabla f(x) + \\lambda(x - D(x))\\|$ and the relative change "
    "$\\|x_k - x_{k-1}\\|/\\|x_{k-1}\\|$, as the Restore page does."
)
st.page_link("pages/restore.py", label="Restore an image: monitor RED's convergence",
             icon=":material/image:")

state.keep(SCOPE, [k for k in FIELDS
                   if k not in (CROP_KEYS if kind == "signal" else SIGNAL_KEYS)])
