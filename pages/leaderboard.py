"""Leaderboard: every algorithm with the chosen denoisers on one problem, at its suggested
setting — PSNR against seconds for every run, and a table sorted by final PSNR."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from red_core import denoisers, glossary, solvers, sweeps
from red_core.lab import plots
from red_core.params import Param
from ui import layout, navigation, restore_link, state, sweeping
from ui import problem as problem_setup

navigation.guard()

ss = st.session_state
if ss.pop("_switch_to", None):  # "Open in Restore" (a callback cannot switch pages)
    st.switch_page("pages/restore.py")
SCOPE = "leaderboard"
KEY = "leaderboard_sweep"
FRAME_SECONDS = 0.7
DENOISERS = tuple(n for n in denoisers.names() if n != "mmse_gmm" and denoisers.available(n))
FIELDS = {
    **problem_setup.fields(),
    "lb_denoisers": Param("denoisers", "Denoisers", "tv", kind="choice",
                          choices=tuple(",".join(c) for c in (("tv",), ("tv", "nlm"),
                                                               ("tv", "cnn"),
                                                               ("tv", "nlm", "cnn")))
                          + DENOISERS),
    "lb_iters": Param("max_iter", "Max iterations", 60, kind="int", low=1, high=500),
}
notices = state.init(SCOPE, FIELDS)
sweeping.warm_up()

st.title("Leaderboard")
st.markdown(
    "All nine algorithms, each with its suggested denoiser σ_d and default parameters, on the "
    "same problem: PSNR against seconds for every run (the figure of Reehorst & Schniter "
    "2019), and a table sorted by the final PSNR with the time each run took to reach 99 % of "
    "its own best."
)
if notices:
    st.caption(state.notice_text(notices))

with st.expander("The problem (shared with *Restore an image*)", expanded=True):
    chosen = problem_setup.setup_widgets(show_images=False)
    st.caption(f"Degraded PSNR {chosen.degraded_psnr:.2f} dB · "
               f"{chosen.problem.shape[1]}×{chosen.problem.shape[0]}")

c1, c2 = st.columns([2, 1])
options = FIELDS["lb_denoisers"].choices
c1.selectbox("Denoisers", options, key="lb_denoisers",
             format_func=lambda v: " + ".join(denoisers.label(d) for d in v.split(",")),
             help="BM3D and the gradient-step CNN are slow: their runs take minutes at 256².")
c2.number_input("Max iterations", 1, 500, key="lb_iters", step=10)
state.keep(SCOPE, [*problem_setup.url_keys(), "lb_denoisers", "lb_iters"])
chosen_denoisers = ss["lb_denoisers"].split(",")
slow = [denoisers.label(d) for d in chosen_denoisers if denoisers.entry(d).speed == "slow"]
if slow:
    st.warning(f"{', '.join(slow)}: seconds per call, so this board takes minutes.")

upload = chosen.source.startswith("upload:")
image_name = sweeps.upload_name(chosen.problem.truth) if upload else chosen.source
cells = [sweeps.Cell(image_name, int(ss["size"]), chosen.degradation, chosen.noise_sigma,
                     chosen.seed, m, d, int(ss["lb_iters"]),
                     degradation_params=tuple(chosen.params.items()))
         for d in chosen_denoisers for m in solvers.names()]
st.caption(f"{len(cells)} runs. {sweeping.where_text()}")
b1, b2, _ = st.columns([1, 1, 3])
if b1.button("Run all", key="lb_run", type="primary", icon=":material/leaderboard:"):
    sweeping.start(KEY, cells, images={image_name: chosen.problem.truth} if upload else None,
                   setup=chosen)
b2.button("Stop", key="lb_stop", icon=":material/stop:", on_click=sweeping.stop, args=(KEY,))
kept = ss.get(KEY)
running = kept is not None and not kept["sweep"].done


def board(df: pd.DataFrame) -> pd.DataFrame:
    """The table of the finished runs, best final PSNR first, with glossary headers."""
    df = df[df["status"].notna()].sort_values("psnr", ascending=False, na_position="last")
    return pd.DataFrame({
        glossary.column("method"): [solvers.entry(m).short for m in df["method"]],
        glossary.column("denoiser"): [denoisers.label(d) for d in df["denoiser"]],
        glossary.column("psnr"): df["psnr"], glossary.column("best_psnr"): df["best_psnr"],
        "Time to 99 % of best (s)": df["seconds_to_99"],
        glossary.column("seconds"): df["seconds"],
        glossary.column("iterations"): df["iterations"],
        glossary.column("status"): df["status"], glossary.column("health"): df["flag"],
    })


@st.fragment(run_every=FRAME_SECONDS if running else None)
def live() -> None:
    if ss.get("_switch_to"):  # "Open in Restore" was clicked in here: the page switches
        st.rerun(scope="app")
    kept = ss.get(KEY)
    if kept is None:
        st.info("Press **Run all** to race every algorithm.")
        return
    sweep = kept["sweep"]
    sweeping.progress(sweep, "runs")
    df = sweep.frame()
    if not len(df):
        return
    st.plotly_chart(plots.leaderboard_figure(df), key="lb_curves", width="stretch",
                    config=layout.CHART_CONFIG)
    table = board(df)
    st.dataframe(table, width="stretch", hide_index=True, column_config={
        glossary.column(k): st.column_config.NumberColumn(format=f)
        for k, f in (("psnr", "%.2f"), ("best_psnr", "%.2f"), ("seconds", "%.2f"))}
        | {"Time to 99 % of best (s)": st.column_config.NumberColumn(format="%.2f")})
    finished = df[df["psnr"].notna()]
    if len(finished):
        best = finished.loc[finished["psnr"].idxmax()]
        st.button(f"Open the winner ({solvers.entry(best['method']).short} + "
                  f"{denoisers.label(best['denoiser'])}) in Restore", key="lb_open",
                  icon=":material/open_in_new:", on_click=restore_link.open_in_restore,
                  args=(best.to_dict(), kept["setup"]))
    if sweep.done and not ss.get("_lb_full") and ss.get("_lb_drawn") is not sweep:
        st.rerun()  # a full run stops the fragment's timer


ss["_lb_full"] = True
live()
ss["_lb_full"] = False
if kept is not None and kept["sweep"].done:
    ss["_lb_drawn"] = kept["sweep"]
