"""RED vs PnP: the source's comparison, measured on the last race (2 to 4 lanes)."""

from __future__ import annotations

import streamlit as st

from red_core import denoisers, glossary, images, operators, solvers
from red_core.lab import plots, race
from ui import navigation, state

navigation.guard()

SCOPE = "compare"
DEFAULT_NOISE_255, DEFAULT_SIZE, DEFAULT_ITERATIONS = 5, 128, 60
ss = st.session_state


@st.cache_resource(max_entries=1, show_spinner="Running a quick default race…")
def default_race() -> race.Race:
    """A small shared race: camera 128², Gaussian blur, noise 5/255, RED-GD vs PnP-PGD with TV
    at their suggested σ_d, both residuals with RED-GD's λ."""
    problem = race.make_problem(images.builtin("camera", DEFAULT_SIZE), "gaussian_blur",
                                DEFAULT_NOISE_255 / 255)
    contenders = {
        label: race.Contender(method, "tv", solvers.default_denoiser_sigma(problem, method, "tv"),
                              max_iter=DEFAULT_ITERATIONS)
        for label, method in (("A", "red-gd"), ("B", "pnp-pgd"))
    }
    lam = solvers.default_params("red-gd", problem)["lam"]
    r = race.Race(problem, contenders, objective_lam=lam)
    r.start().wait()
    return r


def data_step(method: str) -> str:
    """How the data term enters an iteration of ``method``: a gradient or a prox."""
    return "gradient ∇f" if solvers.entry(method).step_bound is not None else "prox of f"


def sigma_255(sigma: float) -> str:
    return f"{sigma * glossary.PIXEL_UNIT:.3g}"


def column(key: str, title: str, fmt: str | None = None) -> dict:
    """A table column titled ``title`` (short, so the table fits a narrow screen) whose hover
    help gives the glossary's full name, unit and meaning of ``key``."""
    help_ = f"{glossary.label(key)}: {glossary.help_text(key)}".rstrip(": ")
    if fmt is None:
        return st.column_config.TextColumn(title, help=help_)
    return st.column_config.NumberColumn(title, help=help_, format=fmt)


def why_times_differ(rows: list[dict], views: dict[str, race.LaneView]) -> str:
    """Why identical work takes different times here, from the measured rows (2 to 4 lanes)."""
    total = {r["run"]: r["ms_per_iteration"] or 0.0 for r in rows}
    fast, slow = min(total, key=total.get), max(total, key=total.get)
    den_share = sum((r["denoiser_ms_per_call"] or 0.0) * (r["calls_per_iteration"] or 0.0)
                    for r in rows) / (sum(total.values()) or 1.0)
    lanes = [views[r["run"]].contender for r in rows]
    reasons = []
    names = {c.denoiser for c in lanes}
    if len(names) > 1:
        reasons.append("the lanes call different denoisers ("
                       + ", ".join(denoisers.label(n) for n in sorted(names))
                       + "), and one call of each costs a different time")
    sigmas = {c.denoiser_sigma for c in lanes}
    if len(sigmas) > 1:
        reasons.append("their σ_d differ (" + ", ".join(
            f"{sigma_255(s)}/255" for s in sorted(sigmas)) + "): a denoiser's time per call "
            "depends on its σ_d (TV, for one, iterates longer at a larger σ_d)")
    steps = {data_step(c.method) for c in lanes}
    if len(steps) > 1:
        reasons.append("some take a gradient ∇f (one product with AᵀA) and others a prox of f "
                       "(an FFT solve, or conjugate gradients): the grey part of the bars")
    if not reasons:
        reasons.append("the same denoiser at the same σ_d and the same kind of data step: the "
                       "rest is measurement noise (other work on the machine, cache effects)")
    return (
        f"Identical work is not identical time: an iteration took {total[fast]:.1f} ms in "
        f"lane {fast} and {total[slow]:.1f} ms in lane {slow} "
        f"(×{total[slow] / (total[fast] or 1.0):.1f}), {den_share:.0%} of it inside the "
        "denoiser. "
        "The times differ because " + "; ".join(reasons) + ". The source's claim is about the "
        "work, which is what scales with the image and the denoiser you choose."
    )


notices = state.init(SCOPE, {})
st.title("RED vs PnP: cost and guarantees")
if notices:
    st.caption(state.notice_text(notices))
st.markdown(
    "The source compares RED gradient descent with PnP proximal gradient: **the same work per "
    "iteration** (one data-term step and one denoiser call), but different guarantees and "
    "different kinds of fixed point. Here every claim is measured on the last race of "
    "*Restore an image* (2 to 4 lanes, any mix of RED and PnP), or on a quick default race if "
    "there is none."
)

r = ss.get("race")
if not isinstance(r, race.Race) or not r.done or len(r.labels) < 2:
    running = isinstance(r, race.Race) and not r.done
    st.info(("Your race on *Restore an image* is still running: showing a quick default race "
             "until it finishes. " if running else
             "No finished race of two or more lanes in this session yet: showing a quick "
             "default race. ")
            + f"RED-GD vs PnP-PGD with {denoisers.label('tv')} on camera {DEFAULT_SIZE}², "
            f"Gaussian blur, noise σₑ = {DEFAULT_NOISE_255}/255, {DEFAULT_ITERATIONS} "
            "iterations. Run your own on *Restore an image*.")
    st.page_link("pages/restore.py", label="Restore an image", icon=":material/image:")
    r = default_race()
else:
    st.caption("A link to this page opens the quick default race: your race lives in this "
               "session only.")

views = r.views()
rows = race.cost_report(r)
if len(rows) < 2:
    st.warning("The last race stopped before two of its lanes made an iteration: run it longer.")
    st.stop()
# "A · RED-FP": Restore's lanes are letters, shown as capitals as there
name = {row["run"]: plots.lane_name(row["run"].upper() if len(row["run"]) == 1 else row["run"],
                                    row["method"]) for row in rows}
try:
    degradation = operators.entry(r.problem.A.name).label
except ValueError:
    degradation = r.problem.A.name
h, w = r.problem.shape[:2]
st.caption(f"{len(rows)} lanes on a {h} × {w} image; {degradation}, noise "
           f"σₑ = {sigma_255(r.problem.noise_sigma)}/255 (L_f = {r.problem.lipschitz:.4g}).")

# ---- work and time
st.subheader("Work per iteration: identical")
st.markdown(
    "What the source's table calls *identical cost per iteration* is identical **work**: every "
    "algorithm here makes **one denoiser call** and **one data-term step** per iteration. "
    "Counted on this race (statistics such as the objective excluded):"
)
st.dataframe(
    [{"lane": name[row["run"]], "calls": row["calls_per_iteration"],
      "steps": row["data_steps_per_iteration"], "data_step": data_step(row["method"])}
     for row in rows],
    hide_index=True, width="stretch", key="compare_work",
    column_config={
        "lane": column("run", "Lane"),
        "calls": column("calls_per_iteration", "D calls / it.", "%.2f"),
        "steps": column("data_steps_per_iteration", "f steps / it.", "%.2f"),
        "data_step": column("data_step", "Data step"),
    })

st.subheader("Time per iteration: measured, and not identical")
st.markdown(why_times_differ(rows, views))
st.dataframe(
    [{"lane": name[row["run"]], "denoiser": denoisers.label(views[row["run"]].contender.denoiser),
      "sigma": views[row["run"]].contender.denoiser_sigma * glossary.PIXEL_UNIT,
      "per_call": row["denoiser_ms_per_call"], "other": row["overhead_ms_per_iteration"]}
     for row in rows],
    hide_index=True, width="stretch", key="compare_time",
    column_config={
        "lane": column("run", "Lane"),
        "denoiser": column("denoiser", "Denoiser"),
        "sigma": column("denoiser_sigma", "σ_d (×1/255)", "%.3g"),
        "per_call": column("denoiser_ms_per_call", "ms / call", "%.2f"),
        "other": column("overhead_ms_per_iteration", "other ms", "%.2f"),
    })
st.plotly_chart(plots.cost_figure(rows), key="cost_bars", width="stretch")
st.caption("ms / call: one denoiser call; other ms: the rest of an iteration (the data-term "
           "step and the vector updates). In the bars, blue is the denoiser and grey the rest; "
           f"{min(r['iterations'] for r in rows)} to {max(r['iterations'] for r in rows)} "
           "iterations per lane; hover a bar for its work.")

# ---- step sizes
st.subheader("Step size against its bound")
lines = []
for row in rows:
    if row["step"] is None:
        lines.append(f"- **{name[row['run']]}** :grey-badge[no step size] {row['step_rule']}.")
    else:
        badge = ":green-badge[met]" if row["step_ok"] else ":red-badge[not met]"
        lines.append(
            f"- **{name[row['run']]}** {badge} {row['step_rule']}: μ = {row['step']:.4g}, "
            f"bound = {row['step_bound']:.4g} (μ / bound = {row['step'] / row['step_bound']:.2f})."
        )
st.markdown("\n".join(lines))
st.caption(f"L_f = ‖AᵀA‖/σₑ² = {r.problem.lipschitz:.4g} on this problem. "
           + glossary.help_text("step_bound"))

# ---- fixed points
st.subheader("What kind of fixed point each reached")
res, rel = glossary.term("residual"), glossary.term("rel_change")
lam_text = (f"one λσₑ² = {r.objective_lam * r.problem.sigma_eff ** 2:.3g} "
            f"(λ = {r.objective_lam:.4g}) for every lane" if r.objective_lam is not None
            else "each lane's own λ (PnP: its equivalent weight, β or 1/μ)")
st.markdown(
    "RED looks for a **stationary point of the objective** E(x) = f(x) + λρ(x): its "
    f"**{res.name}** {res.symbol} goes to zero. PnP looks for an **operator fixed point** "
    "x = T(x) (PnP-PGD: T(x) = D(x − μ∇f(x))): its "
    f"**{rel.name}** {rel.symbol} goes to zero, but that point need not be stationary for any "
    f"E. Both quantities, for every lane, with {lam_text} in E:"
)
st.dataframe(
    [{"lane": name[row["run"]], "seeks": row["fixed_point"],
      "residual": row["stationarity_residual"], "ratio": row["stationarity_ratio"],
      "rel_change": row["rel_change"], "status": row["status"]} for row in rows],
    hide_index=True, width="stretch", key="compare_fixed_points",
    column_config={
        "lane": column("run", "Lane"),
        "seeks": column("fixed_point", "Seeks"),
        "residual": column("residual", "Stationarity", "%.3g"),
        "ratio": column("stationarity_ratio", "÷ first", "%.2g"),
        "rel_change": column("rel_change", "Rel. change", "%.2g"),
        "status": column("status", "Status"),
    })
st.caption(f"Stationarity: the {res.name} at the last iterate; ÷ first: over its first value; "
           f"Rel. change: the {rel.name} of the last iteration. Hover a column title for its "
           "definition.")
curves = plots.convergence_figure(
    {k: v.history for k, v in views.items()},
    labels={row["run"]: name[row["run"]] for row in rows},
    methods={k: v.contender.method for k, v in views.items()},
    panels=("residual", "rel_change"), columns=1, height=640)
# legend below the panels: above them, 3 or 4 lanes wrap onto the first panel's title
curves.update_layout(legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.1,
                             "yanchor": "top"}, margin={"b": 90})
st.plotly_chart(curves, key="compare_curves", width="stretch")

# ---- the source's table
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
    "| cost per iteration | one gradient step + one denoiser call | identical work (the "
    "measured time differs, see above) |\n"
)
st.info(
    "**Recommendation (from the source).** Use PnP-ADMM when the data-fidelity prox has a fast "
    "closed form (Fourier operators such as the blurs here); use RED-GD when you want an explicit "
    "objective to monitor and the Jacobian-symmetry assumption roughly holds (linear denoisers, "
    "NLM) — check it on the Jacobian lab."
)
st.page_link("pages/jacobian.py", label="Measure Jacobian symmetry", icon=":material/grid_on:")

state.keep(SCOPE, [])
