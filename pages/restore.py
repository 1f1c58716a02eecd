"""Restore an image: RED and PnP race side by side on the same problem."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from red_core import denoisers, images, solvers
from red_core.lab import plots, race
from ui import navigation, state

navigation.guard()

ss = st.session_state
#: Seconds of solver work per live frame (then the frame is drawn, ~0.1 s more): about two
#: frames a second, most of the time spent solving (bench/race_speed.py).
ADVANCE_SECONDS = 0.45
FIRST_FRAME_SECONDS = 0.1
IMAGE_CHOICES = (*images.BUILTIN, "upload")
SIZES = (64, 128, 256, 384, 512)
RACE_DENOISERS = tuple(
    n for n in denoisers.names() if n != "mmse_gmm" and denoisers.available(n)
)
PARAM_LABELS = {"lam": "λ", "step": "step μ", "beta": "β", "inner": "inner steps",
                "L": "L", "L0": "L₀", "Linf": "L_∞"}

DEFAULTS = {
    "image": "camera", "size": 256, "degradation": "gaussian_blur", "noise_sigma": 0.01,
    "seed": 0, "red_method": "red-fp", "red_denoiser": "tv", "red_sigma": 5.0,
    "red_iters": 40, "red_tol": 1e-4, "pnp_method": "pnp-admm", "pnp_denoiser": "tv",
    "pnp_sigma": 25.0, "pnp_iters": 40, "pnp_tol": 1e-4, "x_axis": "iter",
}
for side, methods in (("red", solvers.RED_METHODS), ("pnp", solvers.PNP_METHODS)):
    for m in methods:
        for p in solvers.METHODS[m].params:
            DEFAULTS.setdefault(f"{side}_{p}", None)
VALID = {
    "image": lambda v: v in IMAGE_CHOICES and v != "upload",
    "size": lambda v: v in SIZES,
    "degradation": lambda v: v in race.DEGRADATIONS,
    "noise_sigma": lambda v: 0 <= v <= 0.2,
    "red_method": lambda v: v in solvers.RED_METHODS,
    "pnp_method": lambda v: v in solvers.PNP_METHODS,
    "red_denoiser": lambda v: v in RACE_DENOISERS,
    "pnp_denoiser": lambda v: v in RACE_DENOISERS,
    "red_sigma": lambda v: 0 <= v <= 50,
    "pnp_sigma": lambda v: 0 <= v <= 50,
    "red_iters": lambda v: 1 <= v <= 5000,
    "pnp_iters": lambda v: 1 <= v <= 5000,
    "x_axis": lambda v: v in plots.X_AXES,
}
rejected = state.init(DEFAULTS, scope="restore", valid=VALID)

st.title("Restore an image")
st.markdown(
    "RED (left) and Plug-and-Play (right) restore the **same** degraded image. Press **Run** and "
    "watch both converge: PSNR, the RED objective *E(x) = f(x) + λρ(x)*, the fixed-point "
    "residual and the relative change grow live."
)
if rejected:
    st.warning(f"Ignored URL parameters that are not valid here: {', '.join(rejected)}.")


@st.cache_data(max_entries=16, show_spinner=False)
def builtin_image(name: str, size: int) -> np.ndarray:
    return images.builtin(name, size=size)


@st.cache_data(max_entries=8, show_spinner=False)
def uploaded_image(digest: str, _data: bytes, max_side: int) -> images.LoadedImage:
    del digest  # the key: cheap to hash, unlike the bytes (not hashed: leading underscore)
    return images.load(_data, max_side=max_side)


@st.cache_data(max_entries=64, show_spinner=False)
def objective_note(denoiser: str, sigma: float, key: tuple,
                   _image: np.ndarray) -> race.ObjectiveNote:
    del key  # identifies _image (not hashed)
    return race.objective_note(denoiser, sigma, _image)


@st.cache_resource(max_entries=16, show_spinner=False)
def make_problem(source: str, size: int, degradation: str, noise_sigma: float, seed: int,
                 params: tuple) -> solvers.Problem:
    """Shared read-only between sessions (solvers never modify a Problem), keyed on small values."""
    image = builtin_image(source, size) if source in images.BUILTIN else ss["_upload_image"]
    return race.make_problem(image, degradation, noise_sigma, seed, **dict(params))


# ---------------------------------------------------------------- the problem
st.subheader("1 · The problem")
c1, c2, c3, c4, c5 = st.columns([1.2, 0.8, 1.3, 1.3, 0.6])
c1.selectbox("Image", IMAGE_CHOICES, key="image",
             format_func=lambda n: "Upload your own…" if n == "upload" else n)
c2.selectbox("Size (longer side)", SIZES, key="size")
c3.selectbox("Degradation", tuple(race.DEGRADATIONS), key="degradation",
             format_func=race.DEGRADATION_LABELS.get)
c4.slider("Noise σₑ", 0.0, 0.2, step=0.001, key="noise_sigma", format="%.3f",
          help="Standard deviation of the white Gaussian noise added to Ax (pixels in [0, 1]).")
c5.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="seed")

deg_params: dict = {}
op_name, op_defaults = race.DEGRADATIONS[ss.degradation]
if op_defaults and op_name != "super_resolution":
    with st.expander("Degradation parameters"):
        if op_name == "gaussian_blur":
            deg_params["blur_sigma"] = st.slider("Blur std (pixels)", 0.5, 5.0, 1.6, 0.1,
                                                 key="blur_sigma")
        elif op_name == "uniform_blur":
            deg_params["size"] = st.slider("Box size", 3, 21, 9, 2, key="box_size")
        elif op_name == "motion_blur":
            deg_params["length"] = st.slider("Length (pixels)", 3, 41, 15, key="motion_length")
            deg_params["angle"] = st.slider("Angle (degrees)", 0, 180, 45, key="motion_angle")
        elif op_name == "inpainting":
            deg_params["missing"] = st.slider("Missing pixels", 0.1, 0.95, 0.5, 0.05,
                                              key="missing")

image_error = None
if ss.image == "upload":
    upload = st.file_uploader("PNG, JPEG, TIFF, BMP, GIF or WebP (up to 10 MB)", key="upload",
                              type=["png", "jpg", "jpeg", "tif", "tiff", "bmp", "gif", "webp"])
    if upload is None:
        st.info("Choose an image file to restore, or pick a built-in image above.")
        st.stop()
    data = upload.getvalue()
    try:
        loaded = uploaded_image(hashlib.sha256(data).hexdigest(), data, ss["size"])
    except images.ImageError as err:
        st.error(str(err))
        st.stop()
    for notice in loaded.notices:
        st.info(notice)
    ss["_upload_image"] = loaded.image
    source = "upload:" + hashlib.sha256(data).hexdigest()[:16]
else:
    source = ss.image

try:
    shape = (builtin_image(source, ss["size"]) if source in images.BUILTIN
             else ss["_upload_image"]).shape
    images.check_size(np.zeros(shape[:2]), race.min_side(ss.degradation, **deg_params),
                      race.DEGRADATION_LABELS[ss.degradation].lower())
    problem_key = (source, ss["size"], ss.degradation, float(ss.noise_sigma), int(ss.seed),
                   tuple(sorted(deg_params.items())))
    problem = make_problem(*problem_key)
except (images.ImageError, ValueError) as err:
    st.error(str(err))
    st.stop()

degraded_psnr = race.degraded_psnr(problem)
t1, t2, t3 = st.columns([1, 1, 2])
t1.image(problem.truth, clamp=True, output_format="PNG", width="stretch",
         caption=f"Truth ({problem.shape[1]}×{problem.shape[0]})")
t2.image(race.degraded_view(problem), clamp=True, output_format="PNG", width="stretch",
         caption=f"Degraded: PSNR {degraded_psnr:.2f} dB")
with t3:
    st.metric("PSNR of the degraded image", f"{degraded_psnr:.2f} dB")
    st.caption(
        f"Forward model: `{problem.A!r}`  \nData term f(x) = ‖Ax − y‖²/(2σₑ²), "
        f"L_f = ‖AᵀA‖/σₑ² = {problem.lipschitz:.4g}"
        + (" (σₑ raised to 0.001 in f: a noiseless f would be infinite)"
           if problem.noise_sigma < problem.sigma_eff else "")
    )

# ---------------------------------------------------------------- the contenders
st.subheader("2 · The contenders")


def contender_controls(side: str, methods: tuple[str, ...], title: str) -> race.Contender:
    st.markdown(f"#### {title}")
    st.selectbox("Algorithm", methods, key=f"{side}_method",
                 help="Update rule: " + " · ".join(
                     f"{m}: {solvers.METHODS[m].update}" for m in methods))
    method = ss[f"{side}_method"]
    st.caption(f"`{solvers.METHODS[method].update}`")
    a, b = st.columns(2)
    a.selectbox("Denoiser", RACE_DENOISERS, key=f"{side}_denoiser",
                help="bm3d is the best and slowest (seconds per call at 256²).")
    suggested = 255 * solvers.default_denoiser_sigma(problem, method, ss[f"{side}_denoiser"])
    b.slider("Denoiser σ_d (×1/255)", 0.0, 50.0, step=0.5, key=f"{side}_sigma",
             help=f"Suggested for this method and noise level: {suggested:.1f}/255.")
    sigma = ss[f"{side}_sigma"] / 255
    D = denoisers.build(ss[f"{side}_denoiser"], sigma)
    defaults = solvers.default_params(method, problem, D)
    params = {}
    with st.expander("Parameters (empty = default)"):
        cols = st.columns(len(defaults))
        for col, (p, v) in zip(cols, defaults.items(), strict=True):
            col.number_input(PARAM_LABELS.get(p, p), value=None, key=f"{side}_{p}",
                             placeholder=f"{v:.4g}", format="%g", min_value=0.0)
            params[p] = ss[f"{side}_{p}"]
        i, t = st.columns(2)
        i.number_input("Max iterations", 1, 5000, step=10, key=f"{side}_iters")
        t.number_input("Tolerance (relative change)", 0.0, 1.0, key=f"{side}_tol",
                       format="%.0e", step=1e-5)
    if abs(ss[f"{side}_sigma"] - suggested) > 0.5 * suggested + 2:
        st.caption(f"Tip: σ_d ≈ {suggested:.1f}/255 works well with the default parameters.")
    return race.Contender(method, ss[f"{side}_denoiser"], sigma,
                          {k: v for k, v in params.items() if v is not None},
                          int(ss[f"{side}_iters"]), float(ss[f"{side}_tol"]))


left, right = st.columns(2, gap="large")
with left:
    red_c = contender_controls("red", solvers.RED_METHODS, "RED")
with right:
    pnp_c = contender_controls("pnp", solvers.PNP_METHODS, "Plug-and-Play")

b1, b2, b3 = st.columns([1, 1, 3])
run = b1.button("Run", key="run", type="primary", icon=":material/play_arrow:")


def stop_race() -> None:
    # A callback runs as soon as the click arrives: a click read in the script body could be
    # lost when the live fragment's next tick interrupts that run.
    if "race" in ss:
        ss["race"].stop()


b2.button("Stop", key="stop", icon=":material/stop:", on_click=stop_race)
b3.radio("Curves against", tuple(plots.X_AXES), key="x_axis", horizontal=True,
         format_func=plots.X_AXES.get)
state.keep(list(DEFAULTS))

contenders = {"RED": red_c, "PnP": pnp_c}
if run:
    try:
        lam = solvers.default_params(red_c.method, problem, None)["lam"]
        lam = red_c.params.get("lam", lam)
        ss["race"] = race.Race(problem, contenders, objective_lam=lam)
        ss["race_problem_key"] = problem_key
        ss["race_setup"] = {
            "source": source, "degradation": ss.degradation, "noise_sigma": ss.noise_sigma,
            "seed": int(ss.seed), "deg_params": dict(deg_params), "contenders": contenders,
            "size": ss["size"], "objective_lam": lam,
        }
    except ValueError as err:
        st.error(str(err))

current: race.Race | None = ss.get("race")
if current is not None and ss.get("race_problem_key") != problem_key:
    st.info("The problem changed since the last run: press **Run** to race on this one.")
racing = current is not None and not current.done


# ---------------------------------------------------------------- the live race
@st.fragment(run_every=0.35 if racing else None)
def live_race() -> None:
    r: race.Race | None = ss.get("race")
    if r is None:
        st.info("Press **Run** to start the race.")
        return
    if not r.done:  # a short first chunk: the first live frame comes quickly
        started = any(lane.history for lane in r.lanes.values())
        r.advance(ADVANCE_SECONDS if started else FIRST_FRAME_SECONDS)
    cols = st.columns(2)
    for col, (label, x) in zip(cols, r.current().items(), strict=True):
        lane = r.lanes[label]
        h = lane.history[-1] if lane.history else {}
        psnr_text = f"{h['psnr']:.2f} dB" if h.get("psnr") is not None else "—"
        col.image(np.clip(x, 0, 1), clamp=True, output_format="PNG", width="stretch",
                  caption=f"{label} · {lane.contender.method} · iteration {h.get('iter', 0)} · "
                          f"PSNR {psnr_text} · {lane.status}")
    labels = {k: f"{k}: {lane.contender.method} + {lane.contender.denoiser}"
              for k, lane in r.lanes.items()}
    colours = {k: r.lanes[k].contender.method for k in r.lanes}
    titles = {}
    if any(getattr(lane.denoiser, "potential", None) is not None for lane in r.lanes.values()):
        titles["objective"] = "objective: f + λg (gradient-step D), else E(x)"
    fig = plots.convergence_figure(r.histories(), x_axis=ss.get("x_axis", "iter"),
                                   labels=labels, methods=colours, objective_titles=titles,
                                   reference_psnr=race.degraded_psnr(r.problem))
    st.plotly_chart(fig, key="race_curves", width="stretch")
    if r.done:
        # Results are drawn by a full run. Asked from every tick until one has drawn them (the
        # results section sets the marker): a rerun request lost among concurrent ones is retried.
        if not ss.get("_race_full_run") and ss.get("_race_final_drawn") is not r:
            st.rerun()
    else:
        # Next chunk at once (run_every alone leaves the server idle between ticks); Streamlit
        # refuses a fragment-scoped rerun inside a full-app run: there run_every starts it.
        try:
            st.rerun(scope="fragment")
        except st.errors.StreamlitAPIException:
            pass


st.subheader("3 · The race")
badges = st.container()
ss["_race_full_run"] = True  # the fragment runs inline in this full run (no rerun from it)
live_race()  # first: the first live frame must not wait for the notes below
ss["_race_full_run"] = False
if current is not None:
    with badges:
        for label, lane in current.lanes.items():
            c = lane.contender
            note = objective_note(c.denoiser, c.denoiser_sigma, ss.get("race_problem_key"),
                                  current.problem.x0)
            badge = {"exact-gradient-step": ":green-badge[exact objective f + λg]",
                     "symmetric": ":green-badge[E(x) exact]",
                     "approximate": ":orange-badge[E(x) approximate]"}[note.kind]
            st.markdown(f"{badge} **{label}** · {note.text}")

# ---------------------------------------------------------------- results
done: race.Race | None = ss.get("race")
if done is not None and done.done:
    ss["_race_final_drawn"] = done
    st.subheader("4 · Results")
    for row in done.summary():
        if row["status"] == "diverged":
            st.error(f"**{row['run']}** — {row['message']}")
    table = pd.DataFrame(done.summary()).set_index("run")
    st.dataframe(table, width="stretch")
    truth = done.problem.truth
    xs = done.current()
    cols = st.columns(4)
    shown = {"Truth": truth, "Degraded": race.degraded_view(done.problem), **xs}
    for col, (label, img) in zip(cols, shown.items(), strict=True):
        col.image(np.clip(img, 0, 1), clamp=True, output_format="PNG", width="stretch",
                  caption=label)
    st.plotly_chart(plots.difference_figure(truth, xs), key="difference", width="stretch")
    setup = ss.get("race_setup", {})
    src = setup.get("source", "camera")
    image_code = (f"images.builtin({src!r}, size={setup.get('size', 256)})"
                  if src in images.BUILTIN else
                  "images.load(open('your_image.png', 'rb').read()).image")
    code = race.snippet(image_code, setup.get("degradation", "gaussian_blur"),
                        setup.get("noise_sigma", 0.01), setup.get("seed", 0),
                        setup.get("contenders", contenders), setup.get("deg_params"))
    d1, d2, d3, d4 = st.columns(4)
    d1.download_button("RED result (PNG)", images.to_png_bytes(xs["RED"]), "red.png",
                       "image/png", key="dl_red", on_click="ignore")
    d2.download_button("PnP result (PNG)", images.to_png_bytes(xs["PnP"]), "pnp.png",
                       "image/png", key="dl_pnp", on_click="ignore")
    d3.download_button("Histories (CSV)", done.histories_csv(), "histories.csv", "text/csv",
                       key="dl_csv", on_click="ignore")
    d4.download_button("Python snippet", code, "race.py", "text/x-python", key="dl_code",
                       on_click="ignore")
    with st.expander("Reproduce this run with red_core"):
        st.code(code, language="python")
    st.page_link("pages/compare.py", label="Compare the cost and guarantees of these two runs",
                 icon=":material/balance:")

    st.subheader("5 · Cost landscape")
    st.markdown(
        "The objective on a plane through a run's final iterate (★): one direction from the start "
        "towards the truth, one random. White arrows: the RED update −(∇f + λ(x − D(x))) "
        "projected on the plane; lines: both trajectories projected on it. One denoiser call "
        "per grid point."
    )
    l1, l2, l3 = st.columns([1, 1, 1])
    l1.radio("Slice through the final iterate of", tuple(done.lanes), key="landscape_run",
             horizontal=True)
    l2.select_slider("Grid", options=(7, 9, 11, 15, 21), value=11, key="landscape_n")
    if l3.button("Compute the landscape", key="landscape", icon=":material/terrain:"):
        with st.spinner("Evaluating the objective on the grid…"):
            ss["landscape_result"] = (done, ss.landscape_run,
                                      done.landscape(ss.landscape_run, ss.landscape_n))
    kept = ss.get("landscape_result")
    if kept is not None and kept[0] is done:
        _, run_label, (land, trajectories) = kept
        st.plotly_chart(plots.landscape_figure(
            land, trajectories, {k: lane.contender.method for k, lane in done.lanes.items()},
            title=f"Objective around the final {run_label} iterate "
                  f"({len(land.a)}×{len(land.b)} grid, {land.seconds:.1f} s)"),
            key="landscape_chart", width="stretch")
