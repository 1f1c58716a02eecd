"""RED vs PnP: the source's comparison, measured on the user's current setting."""

from __future__ import annotations

import streamlit as st

from red_core import images, solvers
from red_core.lab import plots, race
from ui import navigation

navigation.guard()

ss = st.session_state

st.title("RED vs PnP: cost and guarantees")
st.markdown(
    "The source compares RED gradient descent with PnP proximal gradient: **the same cost per "
    "iteration** (one data-term step and one denoiser call), but different guarantees and "
    "different kinds of fixed point. Here every claim is measured on the last race of "
    "*Restore an image* (or on a quick default race if you have not run one)."
)


@st.cache_resource(max_entries=2, show_spinner="Running a quick default race…")
def default_race() -> race.Race:
    """A small shared race (camera 128², Gaussian blur, RED-GD vs PnP-PGD, TV)."""
    problem = race.make_problem(images.builtin("camera", 128), "gaussian_blur", 0.01)
    sigma = {m: solvers.default_denoiser_sigma(problem, m, "tv") for m in ("red-gd", "pnp-pgd")}
    contenders = {
        "RED": race.Contender("red-gd", "tv", sigma["red-gd"], max_iter=60),
        "PnP": race.Contender("pnp-pgd", "tv", sigma["pnp-pgd"], max_iter=60),
    }
    lam = solvers.default_params("red-gd", problem)["lam"]
    r = race.Race(problem, contenders, objective_lam=lam)
    while not r.done:
        r.advance(10.0)
    return r


r: race.Race | None = ss.get("race")
if r is None or not r.done or len(r.lanes) < 2:
    st.info("No finished race yet in this session: showing RED-GD vs PnP-PGD on camera 128² "
            "with TV. Run your own on the *Restore an image* page.")
    st.page_link("pages/restore.py", label="Restore an image", icon=":material/image:")
    r = default_race()

rows = race.cost_report(r)
if len(rows) < 2:
    st.warning("The last race stopped before both runs made an iteration: run it longer.")
    st.stop()

st.subheader("Cost per iteration: identical")
cols = st.columns(len(rows))
for col, row in zip(cols, rows, strict=True):
    with col:
        st.markdown(f"#### {row['run']}: `{row['method']}`")
        a, b = st.columns(2)
        a.metric("denoiser calls / iteration", f"{row['denoiser calls / iteration']:.2f}")
        b.metric("data-term steps / iteration", f"{row['data steps / iteration']:.2f}")
        a.metric("ms / iteration", f"{row['ms / iteration']:.2f}")
        b.metric("denoiser ms / call", f"{row['denoiser ms / call']:.2f}")
        st.caption(f"Overhead besides the denoiser: {row['overhead ms / iteration']:.2f} ms per "
                   f"iteration over {row['iterations']} iterations.")
st.plotly_chart(plots.cost_figure(rows), key="cost_bars", width="stretch")

st.subheader("Step size against its bound")
for row in rows:
    c1, c2 = st.columns([1, 3])
    c1.markdown(f"**{row['run']}** `{row['method']}`")
    if row["step"] is None:
        c2.markdown(f":grey-badge[no step size] {row['step rule']}.")
    else:
        badge = ":green-badge[met]" if row["step rule met"] else ":red-badge[not met]"
        c2.markdown(
            f"{badge} {row['step rule']}: μ = {row['step']:.4g}, bound = {row['step bound']:.4g} "
            f"(L_f = {row['L_f']:.4g}; ratio μ / bound = {row['step'] / row['step bound']:.2f})."
        )

st.subheader("What kind of fixed point each reached")
st.markdown(
    "RED looks for a **stationary point of the objective** E(x) = f(x) + λρ(x): its residual "
    "‖∇f(x) + λ(x − D(x))‖ goes to zero. PnP looks for an **operator fixed point** x = T(x) "
    "(PnP-PGD: T(x) = D(x − μ∇f(x))): its relative change ‖xₖ₊₁ − xₖ‖/‖xₖ‖ goes to zero, "
    "but that point need not be stationary for any E. Both residuals, for both runs, with one "
    f"λ = {r.lanes['RED'].params.get('lam', float('nan')):.4g} in E:"
)
table = [{
    "run": row["run"], "method": row["method"], "seeks": row["fixed point sought"],
    "stationarity residual ‖∇f + λ(x − D(x))‖": row["stationarity residual"],
    "… relative to the start": row["stationarity residual / first"],
    "fixed-point residual ‖xₖ₊₁ − xₖ‖/‖xₖ‖": row["fixed-point residual"],
    "status": row["status"],
} for row in rows]
st.dataframe(table, width="stretch", hide_index=True)
st.plotly_chart(plots.convergence_figure(r.histories(), labels={
    k: f"{k}: {lane.contender.method}" for k, lane in r.lanes.items()},
    methods={k: lane.contender.method for k, lane in r.lanes.items()}), key="compare_curves",
    width="stretch")

st.subheader("The source's table")
st.markdown(
    "| property | PnP-PGD | RED-GD |\n|---|---|---|\n"
    "| explicit objective | only if D is a proximal operator | yes, E(x) (exact when J is "
    "symmetric and D homogeneous) |\n"
    "| convergence guarantee | D (or its averaged form) non-expansive | convexity of E / "
    "gradient-descent theory |\n"
    "| fixed point | x\\* = D(x\\* − μ∇f(x\\*)), an operator fixed point | ∇f(x\\*) + "
    "λ(x\\* − D(x\\*)) = 0, a stationary point of E |\n"
    "| step size | μ ≤ 1 / L_f | μ < 2 / (L_f + λ) |\n"
    "| cost per iteration | one gradient step + one denoiser call | identical |\n"
)
st.info(
    "**Recommendation (from the source).** Use PnP-ADMM when the data-fidelity prox has a fast "
    "closed form (Fourier operators such as the blurs here); use RED-GD when you want an explicit "
    "objective to monitor and the Jacobian-symmetry assumption roughly holds (linear denoisers, "
    "NLM) — check it on the Jacobian lab."
)
st.page_link("pages/jacobian.py", label="Measure Jacobian symmetry", icon=":material/grid_on:")
