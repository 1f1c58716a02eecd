"""Score and Tweedie: the RED gradient of the MMSE denoiser is a scaled negative score."""

import numpy as np
import streamlit as st

from red_core.lab import plots
from red_core.lab.tweedie import (
    FIELD_DENOISERS,
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
from red_core.theory.score import descend, preset, preset_names
from ui import navigation

navigation.guard()

MAX_COMPONENTS = 4
#: Slider values of a component that no preset sets (mean, std, weight).
EXTRA_COMPONENTS = [(-1.5, 0.3, 0.6), (1.5, 0.5, 0.4), (0.0, 0.4, 0.3), (3.0, 0.3, 0.3)]
N_GRID_1D, N_CONTOUR, N_ARROWS = 1001, 150, 30


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
    components = components_1d(preset(st.session_state["gm1_preset"]))
    st.session_state["gm1_k"] = len(components)
    for i, (mean, std, weight) in enumerate(components):
        st.session_state[f"gm1_mean_{i}"] = round(mean, 3)
        st.session_state[f"gm1_std_{i}"] = round(std, 3)
        st.session_state[f"gm1_w_{i}"] = round(weight, 3)


if "gm1_preset" not in st.session_state:
    st.session_state["gm1_preset"] = preset_names(1)[0]
    load_preset_1d()

# ---------------------------------------------------------------------- page
st.title("Score and Tweedie")
st.markdown(
    "Add Gaussian noise of standard deviation $\\sigma$ to a signal $x \\sim p$: "
    "$z = x + n$, $n \\sim \\mathcal N(0, \\sigma^2 I)$. The noisy values follow the "
    "*blurred* prior $p_\\sigma = p * \\mathcal N(0, \\sigma^2 I)$, and the best denoiser in "
    "mean-square error, $D^*(z) = E[x \\mid z]$, obeys **Tweedie's formula**"
)
st.latex(r"D^*(z) = z + \sigma^2\, \nabla \log p_\sigma(z)"
         r"\qquad\Longrightarrow\qquad x - D^*(x) = -\sigma^2\, \nabla \log p_\sigma(x).")
st.markdown(
    "So the RED gradient $x - D^*(x)$ of the MMSE denoiser is the *score* "
    "$\\nabla \\log p_\\sigma$ scaled by $-\\sigma^2$: RED descent "
    "$x \\leftarrow x - \\mu\\,(x - D^*(x))$ is gradient **ascent** on $\\log p_\\sigma$ with "
    "step $\\mu\\sigma^2$, climbing towards the likely signals. Its Jacobian "
    "$J = \\mathrm{Cov}[x \\mid z] / \\sigma^2$ is symmetric, so the MMSE denoiser meets "
    "RED's symmetry assumption exactly. Mixtures of Gaussians make all of this closed form."
)
links = st.columns(2)
links[0].page_link("pages/home.py", label="RED in one page", icon=":material/menu_book:")
links[1].page_link("pages/jacobian.py", label="Jacobian lab", icon=":material/grid_on:")

# ---- sections (fragments: a widget reruns only its own section)
@st.fragment
def one_d_section() -> None:
    """Shape a 1-D mixture prior, blur it, and check Tweedie on a grid."""
    st.header("1-D: shape a prior, blur it, denoise")
    controls = st.columns([1, 1, 2])
    controls[0].selectbox("Start from a preset", preset_names(1), key="gm1_preset",
                          on_change=load_preset_1d)
    controls[1].number_input("Components", min_value=1, max_value=MAX_COMPONENTS, step=1,
                             key="gm1_k")
    sigma_1d = controls[2].slider("Noise σ", 0.01, 1.5, 0.5, 0.01, key="tweedie_sigma",
                                  help="Standard deviation of the noise the MMSE denoiser removes.")

    n_components = int(st.session_state["gm1_k"])
    component_columns = st.columns(MAX_COMPONENTS)
    means, stds, weights = [], [], []
    for i in range(n_components):
        for name, value in zip(("mean", "std", "w"), EXTRA_COMPONENTS[i], strict=True):
            st.session_state.setdefault(f"gm1_{name}_{i}", value)
        with component_columns[i]:
            st.markdown(f"**Component {i + 1}**")
            means.append(st.slider("mean", -4.0, 4.0, step=0.1, key=f"gm1_mean_{i}"))
            stds.append(st.slider("width (std)", 0.05, 2.0, step=0.05, key=f"gm1_std_{i}"))
            weights.append(st.slider("weight", 0.05, 1.0, step=0.05, key=f"gm1_w_{i}"))

    t1 = tweedie_1d_cached(tuple(means), tuple(stds), tuple(weights), float(sigma_1d))
    figures = st.columns(3)
    figures[0].plotly_chart(plots.prior_blur_figure(t1.x, t1.prior, t1.blurred, sigma_1d),
                            key="fig_prior_blur", width="stretch")
    figures[1].plotly_chart(plots.mmse_1d_figure(t1.x, t1.mmse, sigma_1d),
                            key="fig_mmse_1d", width="stretch")
    figures[2].plotly_chart(plots.tweedie_residual_figure(t1.x, t1.red_gradient, t1.scaled_score),
                            key="fig_tweedie_residual", width="stretch")

    metrics = st.columns(4)
    metrics[0].metric("max |difference|", f"{t1.max_abs_difference:.1e}",
                      help="max over the grid of |(x − D*(x)) − (−σ² ∇log p_σ(x))|; the two sides "
                           "are computed by independent formulas.")
    metrics[1].metric("modes of p", t1.modes_prior)
    metrics[2].metric("modes of p_σ", t1.modes_blurred,
                      help="Blurring merges modes: RED descent with D* climbs p_σ, not p.")
    metrics[3].metric("max slope of D*", f"{t1.max_slope:.2f}",
                      help="D*'(x) = Var[x | z] / σ². Above 1 the MMSE denoiser is locally "
                           "expansive (between modes, where the posterior is bimodal).")
    st.caption(
        f"max |difference| = {t1.max_abs_difference:.1e}: the red curve x − D*(x) and the dashed "
        "−σ²∇log p_σ(x) coincide to round-off. Grow σ to watch p_σ lose modes and D* flatten "
        "into fewer plateaus."
    )


@st.fragment
def two_d_section() -> None:
    """Contours, RED field, curl and descent trajectories of a 2-D mixture."""
    st.header("2-D: the RED field is a score field, unless the denoiser is not symmetric")
    row = st.columns(4)
    preset_2d = row[0].selectbox("2-D prior", preset_names(2), key="gm2_preset")
    sigma_2d = row[1].slider("Noise σ", 0.05, 1.5, 0.4, 0.05, key="gm2_sigma")
    kind = row[2].radio("Denoiser", list(FIELD_DENOISERS), format_func=FIELD_DENOISERS.get,
                        key="field_denoiser")
    strength = row[3].slider(
        "Rotation strength s", 0.0, 2.0, 1.0, 0.1, key="rotation_strength",
        disabled=kind == "mmse",
        help="D(x) = D*(x) + s·R₉₀(x − D*(x)): same fixed points, non-symmetric Jacobian.",
    )
    row = st.columns(4)
    n_starts = row[0].slider("Random starts", 0, 40, 12, key="n_starts")
    seed = row[1].number_input("Seed", 0, 10_000, 0, key="descent_seed")
    step = row[2].slider("Step μ", 0.05, 1.0, 0.5, 0.05, key="descent_step")
    n_steps = row[3].slider("Steps", 5, 150, 60, 5, key="descent_n_steps")
    typed_starts = st.text_input("Your own start points (x₁, x₂; …)", "", key="custom_starts",
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

    left, right = st.columns([3, 2])
    left.plotly_chart(
        plots.score_field_figure(
            xs, ys, density, arrows, plot_box(preset(preset_2d)), paths, preset(preset_2d).means,
            title=f"p_σ, field −(x − D(x)) and RED descent: {FIELD_DENOISERS[kind]} denoiser",
        ),
        key="fig_score_field", width="stretch",
    )
    with right:
        metric_cols = st.columns(2)
        metric_cols[0].metric("mean |curl|", f"{curl.mean_abs_curl:.1e}",
                              help="Mean over the arrow grid of |∂F₂/∂x₁ − ∂F₁/∂x₂| for the "
                                   "RED field F(x) = x − D(x) (4th-order finite differences).")
        metric_cols[1].metric("mean |curl| / mean |div|", f"{curl.relative_curl:.1e}",
                              help="Scale-free: ~1e-11 for a gradient field; for the rotated "
                                   "denoiser it equals the strength s.")
        if curl.is_gradient:
            st.success(
                "**Curl ≈ 0 (round-off): the RED field is a gradient field.** "
                "Here x − D(x) = −σ²∇log p_σ(x), so RED descent minimises −σ² log p_σ and every "
                "trajectory runs uphill towards a mode of p_σ.",
                icon=":material/check_circle:",
            )
        else:
            st.error(
                "**Curl clearly ≠ 0: the RED field is not the gradient of any function.** "
                "Its Jacobian is not symmetric, so RED's \"gradient\" minimises no objective. "
                "Assuming otherwise for deep denoisers is the common mistake (Reehorst & Schniter "
                "2019). The fixed points are the same, but trajectories swirl around them and, "
                "with a large step or strength, can circle or spiral away.",
                icon=":material/warning:",
            )
        if escaped.any():
            st.warning(f"{int(escaped.sum())} of {escaped.size} trajectories ended outside the "
                       "plotted frame (diverging, or too few steps to come back).")
        st.plotly_chart(
            plots.curl_figure(axs, ays, curl.curl, max(float(np.max(np.abs(curl.divergence))),
                                                       float(np.max(np.abs(curl.curl))))),
            key="fig_curl", width="stretch",
        )
        st.caption("Colour range ± max |div|: a white map means the curl is negligible next to "
                   "the field's own variation.")


one_d_section()
two_d_section()
