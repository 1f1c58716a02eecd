"""Score and Tweedie: the RED gradient of the MMSE denoiser is a scaled negative score."""

import numpy as np
import streamlit as st

from red_core import glossary
from red_core.lab import plots, tweedie
from red_core.lab.tweedie import (
    FIELD_DENOISERS,
    MAX_COMPONENTS,
    arrow_segments,
    components_1d,
    curl_summary,
    field_denoiser,
    grid_2d,
    mixture_1d,
    outside_box,
    parse_points,
    plot_box,
    random_starts,
    red_field,
    tweedie_1d,
)
from red_core.theory.score import descend, preset
from ui import navigation, state

navigation.guard()

SCOPE = "score"
N_GRID_1D, N_CONTOUR, N_ARROWS = 1001, 150, 30
# Fixed widths in wrapping rows: a narrow screen gets fewer per row, never cut labels.
CONTROL, COMPONENT, FIGURE_1D, METRIC, PANEL = 210, 210, 290, 200, 440
FIELDS = tweedie.params()
ss = st.session_state


def component_keys(k: int) -> list[str]:
    return [f"gm1_{name}_{i}" for i in range(k) for name in ("mean", "std", "w")]


ONE_D_KEYS = ["gm1_preset", "gm1_k", "tweedie_sigma"]
TWO_D_KEYS = ["gm2_preset", "gm2_sigma", "field_denoiser", "rotation_strength", "n_starts",
              "descent_seed", "descent_step", "descent_n_steps", "custom_starts"]


def keep() -> None:
    """URL and kept values: every setting of the page (both sections, the components in use)."""
    state.keep(SCOPE, ONE_D_KEYS + component_keys(int(ss["gm1_k"])) + TWO_D_KEYS)


def widget(key: str, **kwargs):
    """The slider of ``FIELDS[key]`` (its label, range, step and help)."""
    p = FIELDS[key]
    return st.slider(p.label, p.low, p.high, step=p.step, key=key, help=p.help or None,
                     **kwargs)


# ---------------------------------------------------------------------- cached computations
@st.cache_data(max_entries=64, show_spinner=False)
def tweedie_1d_cached(means: tuple, stds: tuple, weights: tuple, sigma: float):
    gm = mixture_1d(means, stds, weights)
    box = plot_box(gm, n_std=3.5, pad=1.5)[0]
    return tweedie_1d(gm, sigma, np.linspace(box[0], box[1], N_GRID_1D))


@st.cache_data(max_entries=32, show_spinner=False)
def density_2d_cached(name: str, sigma: float):
    gm = preset(name)
    xs, ys, grid = grid_2d(plot_box(gm), N_CONTOUR)
    return xs, ys, gm.density(grid, sigma)


@st.cache_data(max_entries=32, show_spinner=False)
def field_2d_cached(name: str, sigma: float, kind: str, strength: float):
    gm = preset(name)
    box = plot_box(gm)
    xs, ys, grid = grid_2d(box, N_ARROWS)
    field = red_field(field_denoiser(gm, sigma, kind, strength))
    cell = (box[0, 1] - box[0, 0]) / (N_ARROWS - 1)
    arrows = arrow_segments(grid, -field(grid), max_length=0.9 * cell)
    return xs, ys, arrows, curl_summary(field, grid)


@st.cache_data(max_entries=32, show_spinner=False)
def descent_cached(name: str, sigma: float, kind: str, strength: float, n_starts: int,
                   seed: int, typed_starts: str, step: float, n_steps: int):
    gm = preset(name)
    box = plot_box(gm)
    starts = np.vstack([parse_points(typed_starts), random_starts(box, n_starts, seed)])
    paths = descend(field_denoiser(gm, sigma, kind, strength), starts, step, n_steps)
    return paths, outside_box(paths, box)


# ---------------------------------------------------------------------- 1-D mixture widgets
def load_preset_1d() -> None:
    """Set the component sliders from the chosen 1-D preset."""
    components = components_1d(preset(ss["gm1_preset"]))
    ss["gm1_k"] = len(components)
    for i, (mean, std, weight) in enumerate(components):
        ss[f"gm1_mean_{i}"] = round(mean, 3)
        ss[f"gm1_std_{i}"] = round(std, 3)
        ss[f"gm1_w_{i}"] = round(weight, 3)


# a hand-written link may name a preset without its components: the preset sets them
preset_only = "gm1_preset" in st.query_params and "gm1_mean_0" not in st.query_params
notices = state.init(SCOPE, FIELDS)
if preset_only and not any(n.startswith("gm1_preset=") for n in notices):
    load_preset_1d()

# ---------------------------------------------------------------------- page
st.title("Score and Tweedie")
if notices:
    st.caption(state.notice_text(notices))
st.markdown(
    "Add Gaussian noise of standard deviation $\\sigma$ to a signal $x \\sim p$: "
    "$z = x + n$, $n \\sim \\mathcal N(0, \\sigma^2 I)$. The noisy values follow the "
    "*blurred* prior $p_\\sigma = p * \\mathcal N(0, \\sigma^2 I)$, and the best denoiser in "
    "mean-square error, $D^*(z) = E[x \\mid z]$, obeys **Tweedie's formula**"
)
st.latex(r"\begin{aligned} D^*(z) &= z + \sigma^2\, \nabla \log p_\sigma(z) \\ "
         r"\Longrightarrow\quad x - D^*(x) &= -\sigma^2\, \nabla \log p_\sigma(x) \end{aligned}")
st.markdown(
    "So the RED gradient $x - D^*(x)$ of the MMSE denoiser is the *score* "
    "$\\nabla \\log p_\\sigma$ scaled by $-\\sigma^2$: RED descent "
    "$x \\leftarrow x - \\mu\\,(x - D^*(x))$ is gradient **ascent** on $\\log p_\\sigma$ with "
    "step $\\mu\\sigma^2$, climbing towards the likely signals. Its Jacobian "
    "$J = \\mathrm{Cov}[x \\mid z] / \\sigma^2$ is symmetric, so the MMSE denoiser meets "
    "RED's symmetry assumption exactly. Mixtures of Gaussians make all of this closed form."
)
st.caption("The priors here live on the real line (or the plane), not on pixels, so the "
           f"noise is shown as {glossary.label('score_sigma')}, not in ×1/255 as on the image "
           "pages.")
with st.container(horizontal=True):
    st.page_link("pages/home.py", label="RED in one page", icon=":material/menu_book:")
    st.page_link("pages/jacobian.py", label="Jacobian lab", icon=":material/grid_on:")


# ---- sections (fragments: a widget reruns only its own section)
@st.fragment
def one_d_section() -> None:
    """Shape a 1-D mixture prior, blur it, and check Tweedie on a grid."""
    st.header("1-D: shape a prior, blur it, denoise")
    with st.container(horizontal=True):
        p = FIELDS["gm1_preset"]
        st.selectbox(p.label, p.choices, key="gm1_preset", on_change=load_preset_1d,
                     help=p.help, width=CONTROL)
        p = FIELDS["gm1_k"]
        st.number_input(p.label, min_value=1, max_value=MAX_COMPONENTS, step=1, key="gm1_k",
                        help=p.help, width=CONTROL)
        sigma_1d = widget("tweedie_sigma", width=2 * CONTROL)

    n_components = int(ss["gm1_k"])
    means, stds, weights = [], [], []
    with st.container(horizontal=True):
        for i in range(n_components):
            with st.container(width=COMPONENT, gap="xsmall"):
                st.markdown(f"**Component {i + 1}**")
                means.append(widget(f"gm1_mean_{i}"))
                stds.append(widget(f"gm1_std_{i}"))
                weights.append(widget(f"gm1_w_{i}"))

    t1 = tweedie_1d_cached(tuple(means), tuple(stds), tuple(weights), float(sigma_1d))
    with st.container(horizontal=True):
        st.plotly_chart(plots.prior_blur_figure(t1.x, t1.prior, t1.blurred, sigma_1d),
                        key="fig_prior_blur", width=FIGURE_1D)
        st.plotly_chart(plots.mmse_1d_figure(t1.x, t1.mmse, sigma_1d),
                        key="fig_mmse_1d", width=FIGURE_1D)
        st.plotly_chart(plots.tweedie_residual_figure(t1.x, t1.red_gradient, t1.scaled_score),
                        key="fig_tweedie_residual", width=FIGURE_1D)

    with st.container(horizontal=True):
        st.metric("max |difference|", f"{t1.max_abs_difference:.1e}", width=METRIC,
                  help="max over the grid of |(x − D*(x)) − (−σ² ∇log p_σ(x))|; the two sides "
                       "are computed by independent formulas.")
        st.metric("modes of p", t1.modes_prior, width=METRIC)
        st.metric("modes of p_σ", t1.modes_blurred, width=METRIC,
                  help="Blurring merges modes: RED descent with D* climbs p_σ, not p.")
        st.metric("max slope of D*", f"{t1.max_slope:.2f}", width=METRIC,
                  help="D*'(x) = Var[x | z] / σ². Above 1 the MMSE denoiser is locally "
                       "expansive (between modes, where the posterior is bimodal).")
    st.caption(
        f"max |difference| = {t1.max_abs_difference:.1e}: the red curve x − D*(x) and the dashed "
        "−σ²∇log p_σ(x) coincide to round-off. Grow σ to watch p_σ lose modes and D* flatten "
        "into fewer plateaus."
    )
    keep()


@st.fragment
def two_d_section() -> None:
    """Contours, RED field, curl and descent trajectories of a 2-D mixture."""
    st.header("2-D: the RED field is a score field, unless the denoiser is not symmetric")
    with st.container(horizontal=True):
        p = FIELDS["gm2_preset"]
        preset_2d = st.selectbox(p.label, p.choices, key="gm2_preset", help=p.help,
                                 width=CONTROL)
        sigma_2d = widget("gm2_sigma", width=CONTROL)
        p = FIELDS["field_denoiser"]
        kind = st.radio(p.label, p.choices, format_func=FIELD_DENOISERS.get,
                        key="field_denoiser", help=p.help, width=CONTROL)
        strength = widget("rotation_strength", disabled=kind == "mmse", width=CONTROL)
        n_starts = widget("n_starts", width=CONTROL)
        p = FIELDS["descent_seed"]
        seed = st.number_input(p.label, int(p.low), int(p.high), step=1, key="descent_seed",
                               help=p.help, width=CONTROL)
        step = widget("descent_step", width=CONTROL)
        n_steps = widget("descent_n_steps", width=CONTROL)
    p = FIELDS["custom_starts"]
    typed_starts = st.text_input(p.label, key="custom_starts", help=p.help,
                                 placeholder="e.g. 0, 0; 1.5, -1")
    try:
        parse_points(typed_starts)
    except ValueError as error:
        st.warning(f"Start points ignored: {error}")
        typed_starts = ""

    strength = float(strength) if kind == "rotated" else 0.0
    xs, ys, density = density_2d_cached(preset_2d, float(sigma_2d))
    axs, ays, arrows, curl = field_2d_cached(preset_2d, float(sigma_2d), kind, strength)
    paths, escaped = descent_cached(preset_2d, float(sigma_2d), kind, strength, int(n_starts),
                                    int(seed), typed_starts, float(step), int(n_steps))

    st.plotly_chart(
        plots.score_field_figure(
            xs, ys, density, arrows, plot_box(preset(preset_2d)), paths, preset(preset_2d).means,
            title="p_σ, the field −(x − D(x)), RED descent",
        ),
        key="fig_score_field", width="stretch",
    )
    st.caption(f"Denoiser: {FIELD_DENOISERS[kind]}. Blue: the blurred prior p_σ; grey arrows: "
               "the RED field's descent direction −(x − D(x)); red: RED descent from the open "
               "circles to the dots; crosses: the component means.")
    with st.container(horizontal=True, gap="medium"):
        with st.container(width=PANEL):
            with st.container(horizontal=True):
                st.metric("mean |curl|", f"{curl.mean_abs_curl:.1e}", width=METRIC,
                          help="Mean over the arrow grid of |∂F₂/∂x₁ − ∂F₁/∂x₂| for the "
                               "RED field F(x) = x − D(x) (4th-order finite differences).")
                st.metric("mean |curl| / mean |div|", f"{curl.relative_curl:.1e}", width=METRIC,
                          help="Scale-free: ~1e-11 for a gradient field; for the rotated "
                               "denoiser it equals the strength s.")
            if curl.is_gradient:
                st.success(
                    "**Curl ≈ 0 (round-off): the RED field is a gradient field.** "
                    "Here x − D(x) = −σ²∇log p_σ(x), so RED descent minimises −σ² log p_σ and "
                    "every trajectory runs uphill towards a mode of p_σ.",
                    icon=":material/check_circle:",
                )
            else:
                st.error(
                    "**Curl clearly ≠ 0: the RED field is not the gradient of any function.** "
                    "Its Jacobian is not symmetric, so RED's \"gradient\" minimises no "
                    "objective. Assuming otherwise for deep denoisers is the common mistake "
                    "(Reehorst & Schniter 2019). The fixed points are the same, but "
                    "trajectories swirl around them and, with a large step or strength, can "
                    "circle or spiral away.",
                    icon=":material/warning:",
                )
            if escaped.any():
                st.warning(f"{int(escaped.sum())} of {escaped.size} trajectories ended outside "
                           "the plotted frame (diverging, or too few steps to come back).")
        with st.container(width=PANEL):
            st.plotly_chart(
                plots.curl_figure(axs, ays, curl.curl,
                                  max(float(np.max(np.abs(curl.divergence))),
                                      float(np.max(np.abs(curl.curl))))),
                key="fig_curl", width="stretch",
            )
            st.caption("Colour range ± max |div|: a white map means the curl is negligible "
                       "next to the field's own variation.")
    keep()


one_d_section()
two_d_section()
