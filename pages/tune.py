"""Tune: sweep two parameters of an algorithm on the Restore page's problem, on Dask, live."""

from __future__ import annotations

import numpy as np
import streamlit as st

from red_core import denoisers, solvers, sweeps
from red_core.lab import plots
from red_core.params import Param
from ui import events, layout, navigation, restore_link, state, sweeping
from ui import problem as problem_setup

navigation.guard()

ss = st.session_state
if ss.pop("_switch_to", None):  # "Open in Restore" (a callback cannot switch pages)
    st.switch_page("pages/restore.py")
SCOPE = "tune"
KEY = "tune_sweep"  # session key of this page's sweep
FRAME_SECONDS = 0.7
DENOISERS = tuple(n for n in denoisers.names() if n != "mmse_gmm" and denoisers.available(n))
FAMILIES = {"family:red": "All RED methods", "family:pnp": "All PnP methods"}
#: The axes a page offers: label, default range, log spacing, which methods have it.
AXES = {
    "lam_scale": ("λ × its default", (0.1, 10.0), True, "lam"),
    "sigma_scale": ("σ_d × the suggested one", (0.25, 4.0), True, None),
    "denoiser_sigma": ("σ_d (×1/255)", (1.0, 40.0), True, None),
    "beta_scale": ("β × its default", (0.1, 10.0), True, "beta"),
    "step_scale": ("μ × its default", (0.1, 1.5), False, "step"),
    "max_iter": ("max iterations", (5.0, 100.0), True, None),
}
TWINS = {"sigma_scale", "denoiser_sigma"}  # the same parameter: never both axes
FIELDS = {
    **problem_setup.fields(),
    "tune_method": Param("method", "Algorithm", "red-fp", kind="choice",
                         choices=(*solvers.names(), *FAMILIES)),
    "tune_denoiser": Param("denoiser", "Denoiser", "tv", kind="choice", choices=DENOISERS),
    "tune_x": Param("x", "Axis across", "lam_scale", kind="choice", choices=tuple(AXES)),
    "tune_y": Param("y", "Axis down", "sigma_scale", kind="choice", choices=tuple(AXES)),
    "tune_n": Param("n", "Grid", 5, kind="int", low=3, high=12),
    "tune_iters": Param("max_iter", "Max iterations", 30, kind="int", low=1, high=500),
}
for _axis, (_, (_lo, _hi), _, _) in AXES.items():
    FIELDS[f"tune_{_axis}_lo"] = Param("lo", "from", _lo, low=1e-3, high=1e3)
    FIELDS[f"tune_{_axis}_hi"] = Param("hi", "to", _hi, low=1e-3, high=1e3)

notices = state.init(SCOPE, FIELDS)
sweeping.warm_up()

st.title("Tune")
st.markdown(
    "Which λ and which denoiser σ_d are best for *this* problem — and how sensitive is the "
    "result? Pick an algorithm and two axes: every cell of the grid is one full run, spread "
    "over the Dask workers, and the heatmap of the final PSNR fills in as cells finish. "
    "Click a cell to open it in **Restore an image**."
)
if notices:
    st.caption(state.notice_text(notices))

with st.expander("The problem (shared with *Restore an image*)", expanded=True):
    chosen = problem_setup.setup_widgets(show_images=False)
    st.caption(f"Degraded PSNR {chosen.degraded_psnr:.2f} dB · "
               f"{chosen.problem.shape[1]}×{chosen.problem.shape[0]}")


def method_label(m: str) -> str:
    return FAMILIES[m] if m in FAMILIES else f"{solvers.entry(m).short} · {solvers.entry(m).label}"


def methods_of(choice: str) -> tuple[str, ...]:
    return solvers.names(choice.split(":")[1]) if choice in FAMILIES else (choice,)


def axes_for(methods: tuple[str, ...]) -> list[str]:
    """Axes every chosen method has (λ for RED only, β and μ where the method has them)."""
    def has(m: str, param: str | None) -> bool:
        return param is None or param in {p.name for p in solvers.entry(m).params}
    return [a for a, (_, _, _, param) in AXES.items() if all(has(m, param) for m in methods)]


c1, c2, c3 = st.columns([1.6, 1.2, 1])
c1.selectbox("Algorithm", (*solvers.names(), *FAMILIES), key="tune_method",
             format_func=method_label, help="One method, or every method of a family side by "
                                            "side (only the axes they all have).")
c2.selectbox("Denoiser", DENOISERS, key="tune_denoiser", format_func=denoisers.label)
c3.number_input("Max iterations", 1, 500, key="tune_iters", step=10,
                help="Per cell; every cell is a full run at the defaults but for the axes.")
methods = methods_of(ss["tune_method"])
offered = axes_for(methods)
if ss["tune_x"] not in offered:
    ss["tune_x"] = offered[0]
down = [a for a in offered if a != ss["tune_x"] and {a, ss["tune_x"]} != TWINS]
if ss["tune_y"] not in down:
    ss["tune_y"] = down[0]
a1, a2, a3 = st.columns([1.3, 1.3, 1])
a1.selectbox("Axis across", offered, key="tune_x", format_func=lambda a: AXES[a][0])
a2.selectbox("Axis down", down, key="tune_y", format_func=lambda a: AXES[a][0],
             help="σ_d × suggested and σ_d in /255 are one parameter: only one of them.")
a3.slider("Grid (cells per axis)", 3, 12, key="tune_n")
x_axis, y_axis = ss["tune_x"], ss["tune_y"]
r1, r2 = st.columns(2)
for col, axis in ((r1, x_axis), (r2, y_axis)):
    with col:
        lo, hi = st.columns(2)
        lo.number_input(f"{AXES[axis][0]}: from", 1e-3, 1e3, key=f"tune_{axis}_lo", format="%g")
        hi.number_input("to", 1e-3, 1e3, key=f"tune_{axis}_hi", format="%g")
state.keep(SCOPE, [*problem_setup.url_keys(), "tune_method", "tune_denoiser", "tune_x", "tune_y",
                   "tune_n", "tune_iters", f"tune_{x_axis}_lo", f"tune_{x_axis}_hi",
                   f"tune_{y_axis}_lo", f"tune_{y_axis}_hi"])


def grid(axis: str) -> list[float]:
    lo, hi = sorted((float(ss[f"tune_{axis}_lo"]), float(ss[f"tune_{axis}_hi"])))
    n = int(ss["tune_n"])
    values = np.geomspace(lo, hi, n) if AXES[axis][2] else np.linspace(lo, hi, n)
    if axis == "max_iter":
        return sorted({max(1, int(round(v))) for v in values})
    return [float(f"{v:.4g}") for v in values]


xs, ys = grid(x_axis), grid(y_axis)
upload = chosen.source.startswith("upload:")
image_name = sweeps.upload_name(chosen.problem.truth) if upload else chosen.source
cells = [sweeps.Cell(image_name, int(ss["size"]), chosen.degradation, chosen.noise_sigma,
                     chosen.seed, m, ss["tune_denoiser"],
                     degradation_params=tuple(chosen.params.items()),
                     **{"max_iter": int(ss["tune_iters"]), x_axis: x, y_axis: y})
         for m in methods for y in ys for x in xs]
st.caption(f"{len(cells)} runs ({len(methods)} method{'s' if len(methods) > 1 else ''} × "
           f"{len(ys)} × {len(xs)}). {sweeping.where_text()}")

b1, b2, _ = st.columns([1, 1, 3])
if b1.button("Run the sweep", key="tune_run", type="primary", icon=":material/grid_view:"):
    sweeping.start(KEY, cells, images={image_name: chosen.problem.truth} if upload else None,
                   x=x_axis, y=y_axis, xs=xs, ys=ys, methods=methods,
                   setup=chosen, denoiser=ss["tune_denoiser"])
b2.button("Stop", key="tune_stop", icon=":material/stop:", on_click=sweeping.stop, args=(KEY,))
kept = ss.get(KEY)
running = kept is not None and not kept["sweep"].done


@st.fragment(run_every=FRAME_SECONDS if running else None)
def live() -> None:
    if ss.get("_switch_to"):  # "Open in Restore" was clicked in here: the page switches
        st.rerun(scope="app")
    kept = ss.get(KEY)
    if kept is None:
        st.info("Press **Run the sweep** to fill the heatmap.")
        return
    sweep = kept["sweep"]
    sweeping.progress(sweep, "cells")
    df = sweep.frame()
    fig = plots.tune_heatmap(df, kept["x"], kept["y"], kept["xs"], kept["ys"], kept["methods"],
                             {a: AXES[a][0] for a in AXES},
                             reference=kept["setup"].degraded_psnr)
    event = st.plotly_chart(fig, key="tune_map", width="stretch", on_select="rerun",
                            selection_mode="points", config=layout.CHART_CONFIG)
    finished = df[df["psnr"].notna()] if len(df) else df
    if len(finished):
        best = finished.loc[finished["psnr"].idxmax()]
        picked = events.picked_cell(event, finished, kept["x"], kept["y"])
        row = picked if picked is not None else best
        what = "Picked" if picked is not None else "Best so far"
        st.markdown(
            f"**{what}:** {solvers.entry(row['method']).short}, "
            f"{AXES[kept['x']][0]} = {row[kept['x']]:.4g}, {AXES[kept['y']][0]} = "
            f"{row[kept['y']]:.4g} → PSNR **{row['psnr']:.2f} dB** (SSIM {row['ssim']:.3f}, "
            f"{int(row['iterations'])} iterations, {row['status']}, {row['seconds']:.2f} s)")
        link_col, best_col = st.columns(2)
        link_col.button("Open it in Restore", key="tune_open", icon=":material/open_in_new:",
                        on_click=restore_link.open_in_restore, args=(row.to_dict(),
                                                                     kept["setup"]))
        best_col.button("Open the best in Restore", key="tune_open_best",
                        icon=":material/emoji_events:", on_click=restore_link.open_in_restore,
                        args=(best.to_dict(), kept["setup"]))
        st.caption("Link to that setting: `" + restore_link.restore_url(row.to_dict(),
                                                                         kept["setup"]) + "`")
        st.plotly_chart(plots.budget_figure(finished), key="tune_budget", width="stretch",
                        config=layout.CHART_CONFIG)
    if sweep.done and not ss.get("_tune_full") and ss.get("_tune_drawn") is not sweep:
        st.rerun()  # a full run stops the fragment's timer


ss["_tune_full"] = True
live()
ss["_tune_full"] = False
if kept is not None and kept["sweep"].done:
    ss["_tune_drawn"] = kept["sweep"]
    df = kept["sweep"].frame()
    if len(df):
        st.download_button("Results (CSV)", lambda: df.drop(columns=["psnr_curve", "time_curve"])
                           .to_csv(index=False), "sweep.csv", "text/csv", key="tune_csv",
                           on_click="ignore")
