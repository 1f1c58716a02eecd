"""Restore an image: 2 to 4 RED and PnP contenders race side by side on the same problem."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import streamlit as st

from red_core import denoisers, glossary, images, solvers
from red_core.lab import plots, race
from red_core.params import Param
from ui import layout, navigation, state
from ui import problem as problem_setup

navigation.guard()

ss = st.session_state
SCOPE = "restore"
#: Seconds between live frames (the lanes compute in threads of their own).
FRAME_SECONDS = 0.5  # at most 2 live redraws a second: the browser shares the 2 cores
#: The run that starts a race waits this long at most for a lane's first iteration, so that its
#: first frame already moves (instead of showing iteration 0 until the next tick).
FIRST_FRAME_SECONDS = 0.4
#: A live frame waits at most this long for the race to end before drawing: a race ending
#: then gets its results at once, not a frame period later (Stop waits at most this too).
FINISH_WAIT_SECONDS = 0.2
#: A lane inside one denoiser call for longer than this says so in its caption.
BUSY_SECONDS = 0.25
#: The Run click's run waits this long after its first frame before asking for the full run
#: that sets the frame timer (a run starting drops the messages not yet sent).
FLUSH_SECONDS = 0.1
LANES = ("a", "b", "c", "d")
RACE_DENOISERS = tuple(n for n in denoisers.names()
                       if n != "mmse_gmm" and denoisers.available(n))
DEFAULT_LANES = (("red-fp", "tv"), ("pnp-admm", "tv"), ("red-gd", "tv"), ("pnp-pgd", "tv"))
OPTIONAL = {"minimum": 0.0, "open_minimum": True}


def lane_fields(lane: str, index: int) -> dict[str, Param]:
    """The URL-typed widgets of one lane (``a_method``, ``a_denoiser``, ...)."""
    method, denoiser = DEFAULT_LANES[index]
    fields = {
        f"{lane}_method": Param("method", "Algorithm", method, kind="choice",
                                choices=solvers.names()),
        f"{lane}_denoiser": Param("denoiser", "Denoiser", denoiser, kind="choice",
                                  choices=RACE_DENOISERS),
        f"{lane}_link": Param("link", "σ_d follows the noise", True, kind="bool"),
        f"{lane}_sigma": Param("denoiser_sigma", glossary.label("denoiser_sigma"), 5.0, low=0.0,
                               high=50.0, step=0.1),
        f"{lane}_lam": Param("lam", "λσₑ²", None, low=1e-5, high=1e3, **OPTIONAL),
        f"{lane}_iters": Param("max_iter", "Max iterations", 40, kind="int", low=1, high=5000),
        f"{lane}_tol": Param("tol", "Tolerance", 1e-4, low=0.0, high=1.0),
    }
    for name in ("beta", "step", "L", "L0", "Linf"):
        fields[f"{lane}_{name}"] = Param(name, name, None, low=1e-12, high=1e12, **OPTIONAL)
    fields[f"{lane}_inner"] = Param("inner", "inner", None, kind="int", low=1,
                                    high=solvers.MAX_INNER)
    return fields


FIELDS: dict[str, Param] = {
    "present": Param("present", "Present", False, kind="bool"),
    **problem_setup.fields(),
    "lanes": Param("lanes", "Contenders", 2, kind="choice", choices=(2, 3, 4)),
    "x_axis": Param("x_axis", "Curves against", "iter", kind="choice",
                    choices=tuple(plots.X_AXES)),
}
for _i, _lane in enumerate(LANES):
    FIELDS.update(lane_fields(_lane, _i))

notices = state.init(SCOPE, FIELDS)

st.title("Restore an image")
present = st.toggle("Present", key="present",
                    help="Fold the set-up away and show only the race (for a projector).")
if not present:
    st.markdown(
        "Up to four contenders — RED or Plug-and-Play, any mix — restore the **same** degraded "
        "image, each in its own lane. Press **Run** and watch their PSNR, objective, "
        "stationarity residual and relative change grow live."
    )
if notices:
    st.caption(state.notice_text(notices))


@st.cache_data(max_entries=64, show_spinner=False)
def objective_note(denoiser: str, sigma: float, key: tuple, measure: bool,
                   _image: np.ndarray) -> race.ObjectiveNote:
    del key  # identifies _image (not hashed)
    return race.objective_note(denoiser, sigma, _image, measure=measure)


# ---------------------------------------------------------------- 1 · the problem
problem_box = st.container() if not present else st.expander("The problem", expanded=False)
with problem_box:
    if not present:
        st.subheader("1 · The problem")
    chosen = problem_setup.setup_widgets(show_images=not present)
problem, problem_key, degraded_psnr = chosen.problem, chosen.key, chosen.degraded_psnr


# ---------------------------------------------------------------- 2 · the contenders
def lane_controls(lane: str) -> race.Contender:
    """One lane's widgets, drawn from the algorithm and denoiser registry entries."""
    st.selectbox("Algorithm", solvers.names(), key=f"{lane}_method",
                 format_func=lambda m: f"{solvers.entry(m).short} · {solvers.entry(m).label}")
    algo = solvers.entry(ss[f"{lane}_method"])
    st.caption(f"{'RED' if algo.family == 'red' else 'Plug-and-Play'}: `{algo.update}`")
    st.selectbox("Denoiser", RACE_DENOISERS, key=f"{lane}_denoiser", format_func=denoisers.label,
                 help="BM3D and the gradient-step CNN are slow (seconds per call at 256²): "
                      "their lane runs on its own and the others do not wait.")
    den = ss[f"{lane}_denoiser"]
    suggested = glossary.PIXEL_UNIT * solvers.default_denoiser_sigma(problem, algo.name, den)
    linked = st.toggle("σ_d follows the noise", key=f"{lane}_link",
                       help="Linked, the denoiser σ_d is the registry's suggestion for this "
                            f"algorithm and denoiser at this noise ({suggested:.1f}/255). "
                            "Unlink it to set your own.")
    if linked:
        ss[f"{lane}_sigma"] = round(suggested, 1)
    st.slider(glossary.label("denoiser_sigma"), 0.0, 50.0, step=0.1, key=f"{lane}_sigma",
              disabled=linked, help=glossary.help_text("denoiser_sigma"))
    sigma = float(ss[f"{lane}_sigma"]) / glossary.PIXEL_UNIT
    D = denoisers.build(den, sigma)
    defaults = solvers.default_params(algo.name, problem, D)
    params = {}
    with st.expander("Parameters (empty = default)"):
        for p in algo.params:
            key = f"{lane}_{p.name}"
            if p.name == "lam":  # shown scale free: λσₑ² (glossary convention)
                st.number_input("λσₑ² (regularisation weight)", value=None, key=key,
                                min_value=0.0, format="%g",
                                placeholder=f"{defaults['lam'] * problem.sigma_eff**2:.3g}",
                                help=f"{p.help} Default {solvers.RED_LAM_SIGMA2:g}, i.e. "
                                     f"λ = {defaults['lam']:.4g} at this noise.")
                if ss[key] is not None:
                    params["lam"] = ss[key] / problem.sigma_eff**2
            elif p.kind == "int":
                st.number_input(f"{p.label} {p.symbol}", value=None, key=key, min_value=1,
                                max_value=int(p.maximum or 10**6), step=1,
                                placeholder=f"{defaults[p.name]:g}", help=p.help)
                params[p.name] = ss[key]
            else:
                st.number_input(f"{p.label} {p.symbol}", value=None, key=key, min_value=0.0,
                                format="%g", placeholder=f"{defaults[p.name]:.4g}", help=p.help)
                params[p.name] = ss[key]
        i, t = st.columns(2)
        i.number_input("Max iterations", 1, 5000, step=10, key=f"{lane}_iters")
        t.number_input("Tolerance", 0.0, 1.0, key=f"{lane}_tol", format="%.0e", step=1e-5,
                       help="Stop once the relative change stays below it.")
    return race.Contender(algo.name, den, sigma, {k: v for k, v in params.items() if v is not None},
                          int(ss[f"{lane}_iters"]), float(ss[f"{lane}_tol"]))


def lane_title(lane: str, c: race.Contender) -> str:
    return (f"{lane.upper()} · {solvers.entry(c.method).short} + {denoisers.label(c.denoiser)}")


def short_title(lane: str, c: race.Contender) -> str:
    """``A · RED-FP + TV``: the lane title with the denoiser's abbreviation when its label ends
    with one, for captions, legends and titles in narrow columns (4 lanes at 800 px)."""
    label = denoisers.label(c.denoiser)
    abbreviation = re.search(r"\(([A-Z0-9-]+)\)$", label)
    return (f"{lane.upper()} · {solvers.entry(c.method).short} + "
            f"{abbreviation.group(1) if abbreviation else label}")


active = LANES[: int(ss["lanes"])]
contenders: dict[str, race.Contender] = {}
lanes_box = st.container() if not present else st.expander("The contenders", expanded=False)
with lanes_box:
    if not present:
        st.subheader("2 · The contenders")
    st.segmented_control("Contenders", (2, 3, 4), key="lanes", required=True,
                         help="How many lanes race (any mix of RED and PnP).")
    for row in range(0, len(active), 2):
        cols = st.columns(2, gap="large")
        for col, lane in zip(cols, active[row:row + 2], strict=False):
            with col, st.container(border=True):
                c = lane_controls(lane)
                st.markdown(f"**{lane_title(lane, c)}**")
                contenders[lane] = c


def request_run() -> None:
    ss["_run_requested"] = True


def stop_race() -> None:
    # A callback acts as soon as the click arrives, even while the live fragment is drawing.
    if "race" in ss:
        ss["race"].stop()


url_keys = ["present", *problem_setup.url_keys(), "lanes", "x_axis"]
for lane in active:
    algo = solvers.entry(ss[f"{lane}_method"])
    url_keys += [f"{lane}_{k}" for k in ("method", "denoiser", "link", "sigma", "iters", "tol")]
    url_keys += [f"{lane}_{p.name}" for p in algo.params]

labels = {lane: lane_title(lane, c) for lane, c in contenders.items()}


def start_race() -> bool:
    """Start the race of this run's set-up (the last full run's widgets); False on bad input."""
    try:
        red_lanes = [lane for lane, c in contenders.items() if c.family == "red"]
        lam = None
        if red_lanes:  # one λ for every lane's objective, so the curves compare
            first = contenders[red_lanes[0]]
            lam = solvers.resolve(first.method, problem, None, first.params)["lam"]
        if "race" in ss:
            ss["race"].stop()
        ss["race"] = race.Race(problem, contenders, objective_lam=lam).start()
    except ValueError as err:
        st.error(str(err))
        return False
    ss["race_setup"] = {"source": chosen.source, "size": int(ss["size"]),
                        "degradation": chosen.degradation, "deg_params": chosen.params,
                        "noise_sigma": chosen.noise_sigma, "seed": chosen.seed,
                        "contenders": dict(contenders), "labels": dict(labels),
                        "problem_key": problem_key}
    return True


current: race.Race | None = ss.get("race")
racing = current is not None and not current.done


# ---------------------------------------------------------------- 3 · the race
def lane_caption(v: race.LaneView) -> str:
    psnr = f"{v.psnr:.2f} dB" if v.psnr is not None else "—"
    text = f"iteration {v.iteration} · PSNR {psnr} · {v.status}"
    if v.busy is not None and v.busy > BUSY_SECONDS:  # a slow denoiser: say it is working
        text += f" · denoiser call {v.calls} for {v.busy:.1f} s"
    return text


def live_frame(r: race.Race) -> None:
    """One frame of the race: every lane's current image and the curves of the four panels."""
    views = r.views()
    names = {lane: short_title(lane, v.contender) for lane, v in views.items()}
    pics, curve = st.columns([3, 2])
    with pics:
        cols = st.columns(len(views))
        for col, (lane, v) in zip(cols, views.items(), strict=True):
            # Encoded fast (every lane, every frame); "PNG" keeps Streamlit from re-encoding it.
            col.image(layout.png(v.x), output_format="PNG", width="stretch",
                      caption=f"**{names.get(lane, lane)}** · {lane_caption(v)}")
    histories = {lane: v.history for lane, v in views.items()}
    methods = {lane: v.contender.method for lane, v in views.items()}
    # Inline SVG, not plotly: the first plotly chart of a tab costs the browser ~2 s (on the
    # cores the lanes run on) and each redraw ~0.3 s; the SVG shows at once (browser_floor.py).
    with curve.container(key="race_psnr", gap=None):
        layout.svg_chart(plots.svg(plots.convergence_spec(
            histories, x_axis=ss.get("x_axis", "iter"), labels=names, methods=methods,
            reference_psnr=race.degraded_psnr(r.problem), panels=("psnr",), columns=1,
            height=360), widths=(320, 460, 600), uid="racepsnr"), key="race_psnr_svg")
    objectives = {lane: r.objective_definition(lane) for lane in views}
    rows = -(-(2 + len(set(objectives.values()))) // 3)  # per-definition objective panels
    with st.container(key="race_curves", gap=None):
        layout.svg_chart(plots.svg(plots.convergence_spec(
            histories, x_axis=ss.get("x_axis", "iter"), labels=names, methods=methods,
            objective_titles=objectives, panels=("objective", "residual", "rel_change"),
            columns=3, height=300 * rows, legend=False), uid="racecurves"), key="race_curves_svg")


def objective_badges(r: race.Race, setup: dict) -> None:
    """What each lane's objective curve is: exact, or how far from symmetric its denoiser is."""
    for lane, c in setup.get("contenders", {}).items():
        note = objective_note(c.denoiser, c.denoiser_sigma, setup.get("problem_key"),
                              denoisers.entry(c.denoiser).speed == "fast", r.problem.x0)
        badge = {"exact-gradient-step": ":green-badge[exact objective f + λg]",
                 "symmetric": ":green-badge[E(x) exact]",
                 "approximate": ":orange-badge[E(x) approximate]",
                 "not-measured": ":grey-badge[E(x) approximate]"}[note.kind]
        st.markdown(f"{badge} **{setup.get('labels', {}).get(lane, lane)}** · {note.text}")


@st.fragment(run_every=FRAME_SECONDS if racing else None)
def race_panel() -> None:
    """Run / Stop and the live race. A fragment, so that Run reruns only this part: its
    first frame then does not wait behind the ~90 set-up elements of a full run (and the
    browser's work on them). The frame timer is set by a full run, asked for right after."""
    # Run scrolls here: Stop and the axis stay on screen above the race.
    b1, b2, b3 = st.container(key="race_controls").columns([1, 1, 3])
    b1.button("Run", key="run", type="primary", icon=":material/play_arrow:",
              on_click=request_run)
    b2.button("Stop", key="stop", icon=":material/stop:", on_click=stop_race)
    b3.radio("Curves against", tuple(plots.X_AXES), key="x_axis", horizontal=True,
             format_func=plots.X_AXES.get)
    state.keep(SCOPE, url_keys)  # here, so that a run of this fragment alone keeps the axis
    started = ss.pop("_run_requested", False) and start_race()
    r: race.Race | None = ss.get("race")
    setup = ss.get("race_setup", {})
    if r is not None and (setup.get("problem_key") != problem_key
                          or setup.get("contenders") != contenders):
        st.info("The set-up changed since the last run: press **Run** to race this one.")
    with st.container(key="race_section"):
        st.subheader("3 · The race")
        if r is None:
            st.info("Press **Run** to start the race.")
            layout.warm_svg_chart("race_warm_svg")  # the first frame's curve then shows at once
            return
        if started:
            r.wait_progress(FIRST_FRAME_SECONDS)  # the first frame shows iteration ≥ 1
        elif not ss.get("_full_run"):  # a live frame: a race ending now gets its results
            r.wait_done(FINISH_WAIT_SECONDS)
        live_frame(r)
        if started:
            layout.scroll_to("race_controls")
            ss["_scroll_again"] = True
            # A full run sets the frame timer and draws the lanes' notes (and the results of a
            # race already over). Asked for after every element of this fragment is drawn: a
            # run that ends early takes the elements it did not draw off the page. And a run
            # starting drops the messages not yet sent to the browser: give the server a
            # moment to send this frame first (it does every 5 ms, once it has the GIL).
            time.sleep(FLUSH_SECONDS)
            st.rerun()
    if r.done and not ss.get("_full_run") and ss.get("_race_final_drawn") is not r:
        # Results are drawn by a full run; asked at every tick until one has drawn them (a
        # request lost among concurrent reruns is asked again). In a full run the fragment
        # runs inline and the results follow it.
        st.rerun()


ss["_full_run"] = True
try:
    race_panel()
finally:  # also when the run is cut short (a rerun asked, a widget moved)
    ss["_full_run"] = False
if "race" in ss:  # once per race and full run, not at every frame
    objective_badges(ss["race"], ss.get("race_setup", {}))
if ss.pop("_scroll_again", False):
    # Again, now that the lanes' notes are below the race: the Run click's page could be too
    # short to bring the race's top to the window's (the browser stops at the page's end).
    layout.scroll_to("race_controls")


# ---------------------------------------------------------------- 4 · results
if racing and current.done:
    # Finished during this run, whose live view registered the frame timer: rerun without it
    # (it would keep redrawing a finished race 4 times a second) and draw the results there.
    st.rerun()
done: race.Race | None = ss.get("race")
if done is not None and done.done:
    ss["_race_final_drawn"] = done
    setup = ss.get("race_setup", {})
    names = setup.get("labels", {})
    views = done.views()
    rows = done.summary()
    st.subheader("4 · Results")
    for row in rows:
        title = names.get(row["run"], row["run"])
        if row["status"] in ("diverged", "error"):
            st.error(f"**{title}** — {row['message']}")
        if row["advice"]:
            st.warning(f"**{title}** — {row['advice']}")
        if row["psnr"] is not None and row["psnr"] < degraded_psnr and row["status"] not in (
                "diverged", "error"):
            st.warning(f"**{title}** ends below the degraded image ({row['psnr']:.2f} < "
                       f"{degraded_psnr:.2f} dB): try another σ_d (link it to the noise) or λ.")
    # Short columns, each with the glossary's words on hover: the table fits at 800 px.
    columns = {"run": "Lane", "psnr": "PSNR (dB)", "best": "Best (dB @ it.)", "ssim": "SSIM",
               "iterations": "Iterations", "seconds": "Time (s)", "status": "Status",
               "health": "Health"}
    table = pd.DataFrame([{
        "Lane": short_title(r["run"], views[r["run"]].contender), "PSNR (dB)": r["psnr"],
        "Best (dB @ it.)": (f"{r['best_psnr']:.2f} @ {r['best_iter']}"
                            if r["best_psnr"] is not None else "—"),
        "SSIM": r["ssim"], "Iterations": r["iterations"], "Time (s)": r["seconds"],
        "Status": r["status"], "Health": r["health"],
    } for r in rows])
    helps = {"best": glossary.help_text("best_psnr")}
    st.dataframe(table, width="stretch", hide_index=True, column_config={
        label: (st.column_config.NumberColumn(label, format=fmt, help=helps.get(
            key, glossary.help_text(key))) if (fmt := {"psnr": "%.2f", "ssim": "%.3f",
                                                       "seconds": "%.2f"}.get(key))
                else st.column_config.Column(label, help=helps.get(key, glossary.help_text(key))))
        for key, label in columns.items()})
    shown = {"Truth": done.problem.truth, "Degraded": race.degraded_view(done.problem)}
    for row in rows:
        v = views[row["run"]]
        shown[names.get(row["run"], row["run"])] = v.x
        if row["health"] == "peaked":
            shown[f"{row['run'].upper()} · best (iteration {row['best_iter']})"] = v.best_x
    cols = st.columns(min(len(shown), 4))
    for i, (label, img) in enumerate(shown.items()):
        cols[i % len(cols)].image(layout.png(img), output_format="PNG", width="stretch",
                                  caption=label)
    difference = plots.difference_figure(done.problem.truth, {
        short_title(k, v.contender): v.x for k, v in views.items()})
    st.plotly_chart(difference, key="difference", width="stretch", config=layout.CHART_CONFIG)

    src = setup.get("source", "camera")
    image_code = (f"images.builtin({src!r}, size={setup.get('size', 256)})"
                  if src in images.BUILTIN else
                  "images.load(open('your_image.png', 'rb').read()).image")
    code = race.snippet(image_code, setup.get("degradation", "gaussian_blur"),
                        setup.get("noise_sigma", 0.01), setup.get("seed", 0),
                        setup.get("contenders", contenders), setup.get("deg_params"))
    downloads = st.columns(4)
    for i, (lane, v) in enumerate(views.items()):
        downloads[i % 4].download_button(
            f"{lane.upper()} result (PNG)", lambda x=v.x: images.to_png_bytes(x), f"{lane}.png",
            "image/png", key=f"dl_{lane}", on_click="ignore")
        if any(r["run"] == lane and r["health"] == "peaked" for r in rows):
            downloads[i % 4].download_button(
                f"{lane.upper()} best iterate (PNG)", lambda x=v.best_x: images.to_png_bytes(x),
                f"{lane}_best.png", "image/png", key=f"dl_{lane}_best", on_click="ignore")
    def curves_file(x_axis: str = ss.get("x_axis", "iter")) -> str:
        """The race's four panels as an SVG file, drawn when the button is clicked."""
        return plots.svg_file(plots.convergence_spec(
            {k: v.history for k, v in views.items()}, x_axis=x_axis,
            labels={k: short_title(k, v.contender) for k, v in views.items()},
            methods={k: v.contender.method for k, v in views.items()},
            objective_titles={k: done.objective_definition(k) for k in views},
            reference_psnr=degraded_psnr, height=620))

    downloads[len(views) % 4].download_button(
        "Curves (SVG)", curves_file, "race-curves.svg", "image/svg+xml", key="dl_curves_svg",
        on_click="ignore")
    d1, d2, d3, d4 = st.columns(4)
    d1.download_button("Histories (CSV)", done.histories_csv, "histories.csv", "text/csv",
                       key="dl_csv", on_click="ignore")
    # Generated on click like the others: a string's media URL goes stale when the session
    # reruns between drawing and clicking (seen with 3 sessions racing at once).
    d2.download_button("Python snippet", lambda: code, "race.py", "text/x-python",
                       key="dl_code", on_click="ignore")
    summary_args = (done.problem.truth, race.degraded_view(done.problem),
                    {names.get(k, k): v.x for k, v in views.items()},
                    {names.get(k, k): v.history for k, v in views.items()},
                    {names.get(k, k): v.contender.method for k, v in views.items()})
    d3.download_button("Race summary (PNG)", lambda: plots.race_summary(*summary_args, fmt="png"),
                       "race.png", "image/png", key="dl_summary_png", on_click="ignore")
    d4.download_button("Race summary (SVG)", lambda: plots.race_summary(*summary_args, fmt="svg"),
                       "race.svg", "image/svg+xml", key="dl_summary_svg", on_click="ignore")
    with st.expander("Reproduce this run with red_core"):
        st.code(code, language="python")
    st.page_link("pages/compare.py", label="Compare the cost and guarantees of these runs",
                 icon=":material/balance:")

    st.subheader("5 · Cost landscape")
    st.markdown(
        "The objective on a plane through a lane's final iterate (★): one direction from the "
        "start towards the truth, one random. White arrows: the RED update "
        "−(∇f + λ(x − D(x))) projected on the plane; lines: every lane's trajectory projected "
        "on it. One denoiser call per grid point."
    )
    l1, l2, l3 = st.columns([3, 2, 2])  # the button keeps its label at 800 px
    l1.radio("Slice through the final iterate of", tuple(views), key="landscape_run",
             horizontal=True, format_func=lambda k: names.get(k, k))
    l2.select_slider("Grid", options=(7, 9, 11, 15, 21), value=11, key="landscape_n")
    if l3.button("Compute the landscape", key="landscape", icon=":material/terrain:"):
        with st.spinner("Evaluating the objective on the grid…"):
            ss["landscape_result"] = (done, ss.landscape_run,
                                      done.landscape(ss.landscape_run, ss.landscape_n))
    kept = ss.get("landscape_result")
    if kept is not None and kept[0] is done:
        _, run_label, (land, trajectories) = kept
        st.plotly_chart(plots.landscape_figure(
            land, {names.get(k, k): t for k, t in trajectories.items()},
            {names.get(k, k): v.contender.method for k, v in views.items()},
            title=f"Objective around the final iterate of {names.get(run_label, run_label)} "
                  f"({len(land.a)}×{len(land.b)} grid, {land.seconds:.1f} s)"),
            key="landscape_chart", width="stretch", config=layout.CHART_CONFIG)
