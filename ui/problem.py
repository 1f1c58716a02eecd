"""The problem set-up every image page shares: image (built-in or upload), size, degradation and
its parameters, noise and seed — widgets drawn from the degradation registry, one copy of it.

The widget keys are the same on every page (``image``, ``size``, ``degradation``,
``noise_sigma``, ``seed``, ``<degradation>.<param>``), so a problem set up on one page is the
problem of the next, and the same keys carry it in the URL. An uploaded image is kept for the
session (``st.session_state["_upload"]``) and survives page changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from red_core import glossary, images, operators
from red_core.lab import race
from red_core.params import Param
from red_core.problem import Problem, make_problem
from ui import layout

SIZES = (64, 128, 256, 384, 512)
IMAGE_CHOICES = (*images.BUILTIN, "upload")
NOISE = Param("noise_sigma", glossary.label("noise_sigma"), 2.5, low=0.0, high=50.0, step=0.5,
              help=glossary.help_text("noise_sigma"))
UPLOAD_TYPES = ["png", "jpg", "jpeg", "tif", "tiff", "bmp", "gif", "webp"]


def fields() -> dict[str, Param]:
    """The URL-typed widgets of the set-up (for ``ui.state.init``)."""
    out = {
        "image": Param("image", "Image", "camera", kind="choice", choices=IMAGE_CHOICES),
        "size": Param("size", "Size", 256, kind="choice", choices=SIZES),
        "degradation": Param("degradation", "Degradation", "gaussian_blur", kind="choice",
                             choices=operators.names()),
        "noise_sigma": NOISE,
        "seed": Param("seed", "Seed", 0, kind="int", low=0, high=2**31 - 1),
    }
    for name in operators.names():
        out.update({f"{name}.{p.name}": p for p in operators.entry(name).widgets})
    return out


def url_keys() -> list[str]:
    """The set-up keys that belong in the URL now (the chosen degradation's parameters only)."""
    spec = operators.entry(st.session_state["degradation"])
    return ["image", "size", "degradation", "noise_sigma", "seed",
            *(f"{spec.name}.{p.name}" for p in spec.widgets)]


@dataclass(frozen=True)
class Setup:
    """What the set-up widgets chose, and the problem they make."""

    problem: Problem
    key: tuple  # small values that identify the problem (cache key, "changed since" test)
    source: str  # a built-in image name or "upload:<hash>"
    degradation: str
    params: dict[str, Any]
    noise_sigma: float  # pixel units
    seed: int
    degraded_psnr: float


@st.cache_data(max_entries=16, show_spinner=False)
def builtin_image(name: str, size: int) -> np.ndarray:
    return images.builtin(name, size=size)


@st.cache_data(max_entries=8, show_spinner=False)
def uploaded_image(digest: str, size: int, _data: bytes) -> images.LoadedImage:
    del digest  # the key: cheap to hash, unlike the bytes (not hashed: leading underscore)
    return images.load(_data, max_side=size)


@st.cache_resource(max_entries=16, show_spinner=False)
def shared_problem(source: str, size: int, degradation: str, params: tuple, noise: float,
                   seed: int, _image: np.ndarray) -> Problem:
    """Shared read-only between sessions (solvers never modify a Problem), keyed on small
    values (``source`` names ``_image``)."""
    return make_problem(_image, degradation, noise, seed, **dict(params))


@st.cache_data(max_entries=16, show_spinner=False)
def problem_pngs(key: tuple, _problem: Problem) -> tuple[bytes, bytes]:
    """The truth and the degraded image as PNG bytes, encoded once per problem (``key``)."""
    del key  # identifies _problem (not hashed)
    return layout.png(_problem.truth), layout.png(race.degraded_view(_problem))


def _upload() -> tuple[str, np.ndarray] | None:
    ss = st.session_state
    upload = st.file_uploader("PNG, JPEG, TIFF, BMP, GIF or WebP (up to 10 MB)", key="upload",
                              type=UPLOAD_TYPES)
    if upload is not None:
        data = upload.getvalue()
        ss["_upload"] = {"name": upload.name, "data": data,
                         "digest": hashlib.sha256(data).hexdigest()}
    kept = ss.get("_upload")
    if kept is None:
        st.info("Choose an image file to restore, or pick a built-in image.")
        return None
    if upload is None:
        st.caption(f"Using your image **{kept['name']}** (choose another file to replace it).")
    try:
        loaded = uploaded_image(kept["digest"], int(ss["size"]), kept["data"])
    except images.ImageError as err:
        st.error(str(err))
        return None
    for notice in loaded.notices:
        st.info(notice)
    return "upload:" + kept["digest"][:16], loaded.image


def setup_widgets(show_images: bool = True) -> Setup:
    """Draw the set-up and return the problem; stops the page (``st.stop``) with a message when
    no problem can be made (no upload yet, an image too small for the degradation)."""
    ss = st.session_state
    c1, c2, c3 = st.columns([1.3, 0.8, 1.4])
    c1.selectbox("Image", IMAGE_CHOICES, key="image",
                 format_func=lambda n: "Upload your own…" if n == "upload" else n)
    c2.selectbox("Size (longer side)", SIZES, key="size", help=glossary.help_text("size"))
    c3.selectbox("Degradation", operators.names(), key="degradation",
                 format_func=lambda n: operators.entry(n).label)
    spec = operators.entry(ss["degradation"])
    c4, c5 = st.columns([3, 1])
    c4.slider(NOISE.label, NOISE.low, NOISE.high, step=NOISE.step, key="noise_sigma",
              format="%.1f", help=NOISE.help)
    c5.number_input("Seed", 0, 2**31 - 1, step=1, key="seed", help=glossary.help_text("seed"))
    params = {}
    if spec.widgets:
        cols = st.columns(len(spec.widgets))
        for col, p in zip(cols, spec.widgets, strict=True):
            key = f"{spec.name}.{p.name}"
            label = f"{p.label} ({p.unit})" if p.unit else p.label
            if p.kind == "choice":
                col.selectbox(label, p.choices, key=key, help=p.help)
            else:
                col.slider(label, p.low, p.high, step=p.step, key=key, help=p.help)
            params[p.name] = ss[key]
    st.caption(spec.description)

    if ss["image"] == "upload":
        picked = _upload()
        if picked is None:
            st.stop()
        source, image = picked
    else:
        source, image = ss["image"], builtin_image(ss["image"], int(ss["size"]))
    noise = float(ss["noise_sigma"]) / glossary.PIXEL_UNIT
    try:
        what = spec.label.lower() + (f" ×{params['factor']}" if "factor" in params else "")
        images.check_size(image, spec.min_side(spec.resolve(params)), what)
        key = (source, int(ss["size"]), spec.name, tuple(sorted(params.items())), noise,
               int(ss["seed"]))
        problem = shared_problem(*key, _image=image)
    except (images.ImageError, ValueError) as err:
        st.error(str(err))
        st.stop()
    degraded = race.degraded_psnr(problem)
    if show_images:
        t1, t2, t3 = st.columns([1, 1, 2])
        truth_png, degraded_png = problem_pngs(key, problem)
        t1.image(truth_png, output_format="PNG", width="stretch",
                 caption=f"Truth ({problem.shape[1]}×{problem.shape[0]})")
        t2.image(degraded_png, output_format="PNG", width="stretch",
                 caption=f"Degraded: PSNR {degraded:.2f} dB")
        with t3:
            st.metric(glossary.label("degraded_psnr"), f"{degraded:.2f} dB",
                      help=glossary.help_text("degraded_psnr"))
            raised = (" (σₑ raised to 0.255/255 in f: a noiseless f would be infinite)"
                      if problem.noise_sigma < problem.sigma_eff else "")
            st.caption(f"Forward model: `{problem.A!r}`  \nData term f(x) = ‖Ax − y‖²/(2σₑ²), "
                       f"L_f = ‖AᵀA‖/σₑ² = {problem.lipschitz:.4g}{raised}")
    return Setup(problem, key, source, spec.name, params, noise, int(ss["seed"]), degraded)
