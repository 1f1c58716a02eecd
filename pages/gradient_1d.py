"""1-D gradient field: the RED gradient x − D(x) of a 1-D signal, and RED descent on it."""

import streamlit as st

from red_core import denoisers, signals
from red_core.lab import field1d, plots
from ui import navigation

navigation.guard()

DENOISERS_1D = [name for name in denoisers.NAMES
                if denoisers.describe(name)["supports_1d"] and denoisers.available(name)]
FRAME_SECONDS = 0.34  # at most ~3 redraws per second while descending
DESCENT = "g1d_descent"  # session-state key of the descent being shown


@st.cache_data(max_entries=32, show_spinner=False)
def load_signal(signal: str, n: int, seed: int, noise_sigma: float):
    clean = signals.make(signal, n, seed)
    return clean, signals.noisy(clean, noise_sigma, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def noisy_field(signal: str, n: int, seed: int, noise_sigma: float, denoiser: str,
                denoiser_sigma: float) -> field1d.FieldStats:
    clean, noisy = load_signal(signal, n, seed, noise_sigma)
    return field1d.gradient_field(clean, noisy, denoisers.build(denoiser, denoiser_sigma))


def caption(stats: field1d.FieldStats, x_name: str) -> str:
    region = (f"within {field1d.JUMP_WIDTH} samples of a jump" if stats.region == "jumps" else
              f"where the signal bends most (no jumps: the "
              f"{field1d.CURVATURE_FRACTION:.0%} largest |Δ² clean|)")
    return (
        f"**Mean |x − D(x)|**: {stats.mean_smooth:.4f} on smooth stretches, "
        f"{stats.mean_rough:.4f} {region} (ratio **{stats.ratio:.2f}**; mean noise "
        f"|x − clean| {stats.mean_noise:.4f}). **ρ(x)** = {stats.rho:.4g}. "
        f"**PSNR** of {x_name} {stats.psnr_x:.2f} dB, of D(x) {stats.psnr_denoised:.2f} dB.  \n"
        + field1d.summary(stats)
    )


st.title("1-D gradient field")
st.markdown(
    "A RED step moves every sample of the signal from $x$ towards the denoised $D(x)$, by the "
    "RED gradient $x - D(x)$: the gradient of the regulariser "
    "$\\rho(x) = \\tfrac12 x^\\top (x - D(x))$ when $D$ is locally homogeneous with a symmetric "
    "Jacobian (exactly so for the Gaussian filter). Move the noise level and the denoiser and "
    "see where the field is large: small where the signal is smooth and the denoiser changes "
    "little, large where the denoiser makes big corrections. **Descend** runs RED gradient "
    "descent on this denoising problem ($A = I$, $y$ = the noisy signal) and the arrows shrink "
    "as the signal settles."
)
st.latex(r"\nabla\rho(x) = x - D(x), \qquad "
         r"x_{k+1} = x_k - \mu\big(\nabla f(x_k) + \lambda\,(x_k - D(x_k))\big), \quad "
         r"f(x) = \frac{\|x - y\|^2}{2\sigma_e^2}")
st.page_link("pages/home.py", label="Back to RED in one page", icon=":material/arrow_back:")

controls, view = st.columns([1, 3], gap="medium")
with controls:
    signal = st.selectbox("Signal", signals.SIGNALS, key="signal",
                          format_func=lambda s: s.replace("_", " ").capitalize())
    st.caption(signals.describe(signal))
    n = st.slider("Length n", 64, 2048, 512, step=64, key="n")
    seed = int(st.number_input("Seed", 0, 9999, 0, step=1, key="seed"))
    noise_sigma = st.slider("Noise σₑ", 0.0, 0.5, 0.1, step=0.005, format="%.3f",
                            key="noise_sigma")
    denoiser = st.selectbox("Denoiser", DENOISERS_1D, key="denoiser",
                            index=DENOISERS_1D.index("gaussian"),
                            format_func=denoisers.label)
    st.caption(denoisers.describe(denoiser)["description"])
    link = st.checkbox("Denoiser σ = noise σₑ", value=True, key="link_sigma")
    if link or "denoiser_sigma" not in st.session_state:
        st.session_state["denoiser_sigma"] = noise_sigma
    denoiser_sigma = st.slider("Denoiser σ", 0.0, 0.5, step=0.005, format="%.3f",
                               key="denoiser_sigma", disabled=link)
    with st.expander("Descent parameters"):
        lam_sigma2 = st.number_input(
            "λ·σₑ²", 0.0, 100.0, field1d.DESCENT_LAM_SIGMA2, step=0.1, key="lam_sigma2",
            help="Weight of the regulariser relative to the data term. The lab-wide default "
                 "0.04 hardly moves a 1-D signal; 1 weighs both terms the same.")
        step_fraction = st.number_input(
            "Step μ / (2 / (L_f + λ))", 0.05, 3.0, field1d.DESCENT_STEP_FRACTION, step=0.05,
            key="step_fraction",
            help="0.5 is μ = 1/(L_f + λ), no overshoot; below 1 is the safe range of gradient "
                 "descent when the eigenvalues of the denoiser's Jacobian lie in [0, 1].")
        iterations = st.slider("Iterations", 10, 500, 150, step=10, key="iterations")

clean, noisy = load_signal(signal, n, seed, noise_sigma)
problem = field1d.denoising_problem(clean, noisy, noise_sigma)
params = field1d.descent_params(problem, lam_sigma2, step_fraction)
with controls:
    st.caption(f"λ = {params['lam']:.4g}, μ = {params['step']:.3g}, L_f = {problem.lipschitz:.4g}")

# changing any control resets the animation
settings = (signal, n, seed, noise_sigma, denoiser, denoiser_sigma, lam_sigma2, step_fraction,
            iterations)
if st.session_state.get(DESCENT, {}).get("settings") != settings:
    st.session_state.pop(DESCENT, None)
animating = DESCENT in st.session_state and not st.session_state[DESCENT]["run"].done


def field_view():
    """The field figure and, once started, the descent: one chunk of iterations per run."""
    buttons = st.columns([1, 1, 1, 3])
    if buttons[0].button("Descend", key="descend", type="primary", icon=":material/play_arrow:"):
        denoiser_fn = denoisers.build(denoiser, denoiser_sigma)
        st.session_state[DESCENT] = {
            "settings": settings, "denoiser": denoiser_fn,
            "run": field1d.Descent(problem, denoiser_fn, max_iter=iterations, **params),
        }
        st.rerun()  # a full run starts the fragment's timer
    state = st.session_state.get(DESCENT)
    if buttons[1].button("Stop", key="descend_stop", icon=":material/stop:") and state:
        state["run"].stop()
    if buttons[2].button("Reset", key="descend_reset", icon=":material/restart_alt:"):
        st.session_state.pop(DESCENT, None)
        state = None

    if state is None:
        stats = noisy_field(signal, n, seed, noise_sigma, denoiser, denoiser_sigma)
        x_name, legend = "x", "noisy x"
    else:
        run = state["run"]
        run.advance_frame()
        stats = field1d.gradient_field(clean, run.x, state["denoiser"])
        x_name = f"x_{run.iteration}"
        legend = f"iterate {x_name}"
    st.plotly_chart(plots.gradient_field_figure(stats, x_name=legend), key="field_chart",
                    width="stretch")
    st.markdown(caption(stats, x_name))
    if state is None:
        st.caption("Press **Descend** to run RED gradient descent from the noisy signal.")
    else:
        status = "running…" if not run.done else run.message or run.status
        st.markdown(f"**RED-GD**, iteration {run.iteration} of {iterations}: {status}")
        st.plotly_chart(plots.descent_figure(run.history), key="descent_chart",
                        width="stretch")
    if animating and (state is None or run.done):
        st.rerun()  # a full run stops the fragment's timer


with view:
    # A timed fragment, not st.rerun(scope="fragment"): a fragment run that ends in a rerun
    # leaves its old charts in the page (hidden, stale) until the chain ends; a timed run
    # ends normally and they are cleared (measured: 2 charts per frame piled up otherwise).
    st.fragment(field_view, run_every=FRAME_SECONDS if animating else None)()
