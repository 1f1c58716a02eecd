"""1-D gradient field: the RED gradient x − D(x) of a 1-D signal, and RED descent on it."""

import streamlit as st

from red_core import denoisers, glossary, operators, signals
from red_core.lab import field1d, plots
from red_core.params import Param
from red_core.problem import MIN_NOISE_SIGMA
from ui import layout, navigation, state

navigation.guard()

ss = st.session_state
SCOPE = "gradient_1d"
DENOISERS_1D = tuple(name for name in denoisers.NAMES
                     if denoisers.describe(name)["supports_1d"] and denoisers.available(name))
FRAME_SECONDS = 0.75  # a frame costs this browser ~0.45-0.55 s to draw: slower, and frames pile up
DESCENT = "g1d_descent"  # session-state key of the descent being shown
UNIT = glossary.PIXEL_UNIT  # noise levels are shown in units of 1/255
WIDGET_WIDTH = 220  # px: controls wrap onto more rows on narrow screens instead of shrinking
WIDE_WIDTH = 270  # px: the longest denoiser label ("MMSE, Gaussian-mixture prior") fits
SEED_WIDTH = 130
EXPANDER_WIDTH = 250
STEP_CONTROL = f"{glossary.term('step_fraction').name} {glossary.term('step_fraction').symbol}"
BLUR_WEIGHT = operators.entry("gaussian_blur").red_weight(0.01)  # the image pages' default
LAM_HELP = (
    f"{glossary.help_text('lam')} The data term is f(x) = ‖x − y‖²/(2σₑ²). Here (A = I) the "
    f"default is {field1d.DESCENT_LAM_SIGMA2:g}: prior and data weigh the same. The image pages' "
    f"{BLUR_WEIGHT:.2g} (Gaussian blur, σₑ = 0.01) suits blur, where the data term leaves the "
    "blurred-away detail to the prior however small λ is; with A = I the data term holds every "
    f"sample at y, and at {BLUR_WEIGHT:.2g} RED's fixed point x = (y + λσₑ² D(x))/(1 + λσₑ²) "
    f"moves only {100 * BLUR_WEIGHT / (1 + BLUR_WEIGHT):.0f} % of the way to D(x).")


def sigma_param(key: str, default: float) -> Param:
    return Param(key, glossary.label(key), default, low=0.0, high=128.0, step=1.0,
                 unit=glossary.term(key).unit, help=glossary.help_text(key))


#: Every widget that changes the result, by widget key: typed URL values (``ui.state``).
FIELDS: dict[str, Param] = {
    "g1d_signal": Param("signal", glossary.label("signal"), "varying_noise", kind="choice",
                        choices=signals.SIGNALS, help=glossary.help_text("signal")),
    "g1d_denoiser": Param("denoiser", glossary.label("denoiser"), "gaussian", kind="choice",
                          choices=DENOISERS_1D),
    "g1d_noise": sigma_param("noise_sigma", 25.0),
    "g1d_link": Param("link_sigma", glossary.label("link_sigma"), True, kind="bool",
                      help=glossary.help_text("link_sigma")),
    "g1d_sigma_d": sigma_param("denoiser_sigma", 25.0),
    "g1d_n": Param("n", glossary.label("length"), 512, low=64, high=2048, step=64, kind="int",
                   help=glossary.help_text("length")),
    "g1d_seed": Param("seed", glossary.label("seed"), 0, low=0, high=9999, step=1, kind="int",
                      help=glossary.help_text("seed")),
    "g1d_lam": Param("lam_sigma2", glossary.label("lam"), field1d.DESCENT_LAM_SIGMA2, low=0.0,
                     high=100.0, step=0.1, help=LAM_HELP),
    "g1d_step": Param("step_fraction", glossary.label("step_fraction"),
                      field1d.DESCENT_STEP_FRACTION, low=0.05, high=3.0, step=0.05,
                      help=glossary.help_text("step_fraction")),
    "g1d_iters": Param("max_iter", glossary.label("iterations"), 150, low=10, high=500, step=10,
                       kind="int", help="RED-GD stops here at the latest (or when it converges)."),
}


@st.cache_data(max_entries=32, show_spinner=False)
def load_signal(signal: str, n: int, seed: int, noise_sigma: float):
    return signals.observe(signal, n, seed, noise_sigma)


@st.cache_data(max_entries=64, show_spinner=False)
def noisy_field(signal: str, n: int, seed: int, noise_sigma: float, denoiser: str,
                denoiser_sigma: float) -> field1d.FieldStats:
    clean, noisy = load_signal(signal, n, seed, noise_sigma)
    return field1d.gradient_field(clean, noisy, denoisers.build(denoiser, denoiser_sigma),
                                  noisy=signals.noisy_stretches(signal, n))


def widget(param: Param, key: str, **kwargs):
    """A slider or number input drawn from its Param (label, range, step, help)."""
    draw = st.number_input if kwargs.pop("number", False) else st.slider
    kwargs.setdefault("width", WIDGET_WIDTH)
    return draw(param.label, param.low, param.high, step=param.step, key=key, help=param.help,
                **kwargs)


def start_descent(settings, problem, denoiser: str, denoiser_sigma: float, params: dict,
                  iterations: int) -> None:
    denoiser_fn = denoisers.build(denoiser, denoiser_sigma)
    ss[DESCENT] = {"settings": settings, "denoiser": denoiser_fn,
                   "run": field1d.Descent(problem, denoiser_fn, max_iter=iterations, **params)}


def stop_descent() -> None:
    if DESCENT in ss:
        ss[DESCENT]["run"].stop()


def reset_descent() -> None:
    ss.pop(DESCENT, None)


notices = state.init(SCOPE, FIELDS)

st.title("1-D gradient field")
st.markdown(
    "A RED step moves every sample from $x$ towards the denoised $D(x)$, by the RED gradient "
    "$x - D(x)$ (the gradient of $\\rho(x) = \\tfrac12 x^\\top (x - D(x))$ when $D$ is locally "
    "homogeneous with a symmetric Jacobian, as the Gaussian filter is). It is **small where the "
    "signal is smooth** and **large where it has noise-like fluctuations**: the default signal's "
    "noise varies along it. **Descend** runs RED gradient descent on this denoising problem "
    "($A = I$, $y$ = the noisy signal): the arrows shrink as the signal settles."
)
with st.container(horizontal=True, gap="medium"):  # one formula per piece: they wrap, not overflow
    st.latex(r"\nabla\rho(x) = x - D(x)", width="content")
    st.latex(r"x_{k+1} = x_k - \mu\big(\nabla f(x_k) + \lambda\,(x_k - D(x_k))\big)",
             width="content")
    st.latex(r"f(x) = \frac{\|x - y\|^2}{2\sigma_e^2}", width="content")
if notices:
    st.caption(state.notice_text(notices))

if ss["g1d_link"]:  # the linked denoiser sigma follows the noise (before its slider is drawn)
    ss["g1d_sigma_d"] = ss["g1d_noise"]
with st.container(horizontal=True, gap="medium"):
    signal = st.selectbox(FIELDS["g1d_signal"].label, signals.SIGNALS, key="g1d_signal",
                          format_func=signals.label, help=FIELDS["g1d_signal"].help,
                          width=WIDGET_WIDTH)
    denoiser = st.selectbox(FIELDS["g1d_denoiser"].label, DENOISERS_1D, key="g1d_denoiser",
                            format_func=denoisers.label, width=WIDE_WIDTH)
    noise255 = widget(FIELDS["g1d_noise"], "g1d_noise", format="%g")
    with st.container(width=WIDGET_WIDTH, gap=None):
        link = st.checkbox(FIELDS["g1d_link"].label, key="g1d_link",
                           help=FIELDS["g1d_link"].help)
        sigma255 = widget(FIELDS["g1d_sigma_d"], "g1d_sigma_d", format="%g", disabled=link)
    n = widget(FIELDS["g1d_n"], "g1d_n")
    seed = int(widget(FIELDS["g1d_seed"], "g1d_seed", number=True, width=SEED_WIDTH))
    descent_box = st.expander("Descent parameters", width=EXPANDER_WIDTH)
    with descent_box:
        lam_sigma2 = widget(FIELDS["g1d_lam"], "g1d_lam", number=True)
        step_fraction = widget(FIELDS["g1d_step"], "g1d_step", number=True)
        iterations = widget(FIELDS["g1d_iters"], "g1d_iters")
state.keep(SCOPE, FIELDS)

noise_sigma, denoiser_sigma = noise255 / UNIT, sigma255 / UNIT
clean, noisy = load_signal(signal, n, seed, noise_sigma)
problem = field1d.denoising_problem(clean, noisy, noise_sigma)
params = field1d.descent_params(problem, lam_sigma2, step_fraction)
floor = "" if noise_sigma >= MIN_NOISE_SIGMA else f" (σₑ taken as {MIN_NOISE_SIGMA:g} in f)"
descent_box.caption(
    f"λ = {params['lam']:.4g} (λσₑ² = {lam_sigma2:g}), μ = {params['step']:.3g} "
    f"(= {step_fraction:.2f} × 2/(L_f + λ)), L_f = 1/σₑ² = {problem.lipschitz:.4g}{floor}."
)

# changing any control resets the animation
settings = (signal, n, seed, noise255, denoiser, sigma255, lam_sigma2, step_fraction, iterations)
if ss.get(DESCENT, {}).get("settings") != settings:
    ss.pop(DESCENT, None)
animating = DESCENT in ss and not ss[DESCENT]["run"].done

# The buttons live outside the fragment: a click is a full rerun, which interrupts a frame in
# progress and registers the fragment with (or without) its timer.
with st.container(horizontal=True, gap="small", vertical_alignment="center"):
    st.button("Descend", key="g1d_descend", type="primary", icon=":material/play_arrow:",
              on_click=start_descent,
              args=(settings, problem, denoiser, denoiser_sigma, params, iterations))
    st.button("Stop", key="g1d_stop", icon=":material/stop:", on_click=stop_descent,
              disabled=not animating)
    st.button("Reset", key="g1d_reset", icon=":material/restart_alt:", on_click=reset_descent,
              disabled=DESCENT not in ss)
    st.caption(f"**{signals.label(signal)}**: {signals.describe(signal)} "
               f"**{denoisers.label(denoiser)}**: {denoisers.describe(denoiser)['description']}",
               width="stretch")


def field_view():
    """The field figure and, once started, the descent: one time-budgeted frame per run."""
    entry = ss.get(DESCENT)
    if entry is None:
        stats = noisy_field(signal, n, seed, noise_sigma, denoiser, denoiser_sigma)
        x_name, legend = "x", "noisy x"
    else:
        run = entry["run"]
        run.advance_frame()
        stats = field1d.gradient_field(clean, run.x, entry["denoiser"],
                                       noisy=signals.noisy_stretches(signal, n))
        x_name = f"x_{run.iteration}"
        legend = f"iterate {x_name}"
    # Inline SVG, not a plotly chart: on a bare page the browser redraws it in ~45 ms against
    # ~240 ms for plotly (bench/browser_floor.py); a slider move here: 471 -> ~340 ms.
    with st.container(key="g1d_field_chart", gap=None):
        layout.svg_figure(plots.gradient_field_spec(stats, x_name=legend), "g1dfield",
                          "gradient-field.svg", key="g1d_dl_field")
    st.markdown(field1d.caption(stats, x_name))
    if entry is None:
        st.caption("Press **Descend** to run RED gradient descent from the noisy signal.")
        return
    status = field1d.status_text(run, step_fraction, STEP_CONTROL)
    st.markdown(f"**RED-GD**, iteration {run.iteration} of {iterations}: {status}")
    with st.container(key="g1d_descent_chart", gap=None):
        layout.svg_figure(plots.descent_spec(run.history), "g1ddescent", "red-descent.svg",
                          key="g1d_dl_descent")
    if animating and run.done:
        st.rerun()  # a full run stops the fragment's timer


# A timed fragment, not st.rerun(scope="fragment"): a fragment run that ends in a rerun
# leaves its old charts in the page (hidden, stale) until the chain ends; a timed run
# ends normally and they are cleared (measured: 2 charts per frame piled up otherwise).
st.fragment(field_view, run_every=FRAME_SECONDS if animating else None)()
st.page_link("pages/home.py", label="Back to RED in one page", icon=":material/arrow_back:")
