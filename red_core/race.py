"""RED and PnP racing on the same problem: the engine behind the "Restore an image" page.

A :class:`Race` owns one :func:`red_core.solvers.iterate` stream per contender and advances them
together, one iteration each in turn, for a given time budget, so a page can draw after every
chunk. It keeps the histories (no per-iteration images) and the current iterates, and makes the
results table, the CSV of the histories and a Python snippet that reproduces the run.

Examples
--------
>>> from red_core import images, race
>>> problem = race.make_problem(images.builtin("camera", 64), "gaussian_blur", 0.01)
>>> r = race.Race(problem, {"RED": race.Contender("red-fp", "tv", 5 / 255, max_iter=5),
...                         "PnP": race.Contender("pnp-admm", "tv", 20 / 255, max_iter=5)})
>>> while not r.done:
...     _ = r.advance(1.0)
>>> sorted(r.statuses().values())
['max_iter', 'max_iter']
"""

from __future__ import annotations

import csv
import io
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from red_core import denoisers, landscape, operators, solvers
from red_core.metrics import psnr, ssim

#: The degradations offered to users: label -> (operator name, operator parameters).
DEGRADATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "denoise": ("denoise", {}),
    "gaussian_blur": ("gaussian_blur", {"blur_sigma": 1.6}),
    "uniform_blur": ("uniform_blur", {"size": 9}),
    "motion_blur": ("motion_blur", {"length": 15, "angle": 45}),
    "super_resolution_x2": ("super_resolution", {"factor": 2}),
    "super_resolution_x3": ("super_resolution", {"factor": 3}),
    "inpainting": ("inpainting", {"missing": 0.5}),  # the mask is drawn with the noise seed
}
DEGRADATION_LABELS = {
    "denoise": "Denoising",
    "gaussian_blur": "Gaussian blur",
    "uniform_blur": "Uniform blur",
    "motion_blur": "Motion blur",
    "super_resolution_x2": "Super-resolution ×2",
    "super_resolution_x3": "Super-resolution ×3",
    "inpainting": "Inpainting",
}


def min_side(degradation: str, **params: Any) -> int:
    """The smallest image side a degradation needs (kernel support, 8 low-resolution pixels)."""
    op, defaults = _degradation(degradation)
    p = {**defaults, **params}
    if op == "gaussian_blur":
        return max(16, 2 * int(np.ceil(3 * p["blur_sigma"])) + 1)
    if op == "uniform_blur":
        return max(16, int(p["size"]))
    if op == "motion_blur":
        return max(16, int(p["length"]) + 3)
    if op == "super_resolution":
        return 8 * int(p["factor"])
    return 16


def _degradation(degradation: str) -> tuple[str, dict[str, Any]]:
    if degradation not in DEGRADATIONS:
        raise ValueError(
            f"unknown degradation {degradation!r}; choose one of {', '.join(DEGRADATIONS)}"
        )
    return DEGRADATIONS[degradation]


def prepare_image(image: np.ndarray, degradation: str) -> np.ndarray:
    """Crop ``image`` (centre) so its sides suit the degradation (multiples of the SR factor)."""
    op, p = _degradation(degradation)
    if op != "super_resolution":
        return image
    k = int(p["factor"])
    h, w = (image.shape[0] // k) * k, (image.shape[1] // k) * k
    top, left = (image.shape[0] - h) // 2, (image.shape[1] - w) // 2
    return image[top:top + h, left:left + w]


def make_problem(
    image: np.ndarray, degradation: str, noise_sigma: float, seed: int = 0, **params: Any
) -> solvers.Problem:
    """Degrade ``image`` (the truth) with a named degradation and seeded noise.

    ``params`` override the degradation's defaults (e.g. ``blur_sigma``, ``missing``).
    """
    op, defaults = _degradation(degradation)
    image = prepare_image(np.asarray(image, dtype=np.float64), degradation)
    if op == "inpainting" and "mask" not in params:
        params = {"seed": seed, **params}
    A = operators.build(op, image.shape, **{**defaults, **params})
    return solvers.Problem.synthesize(image, A, noise_sigma, seed=seed)


def degraded_view(problem: solvers.Problem) -> np.ndarray:
    """The observation as an image of the truth's size (super-resolution: nearest up-sampling)."""
    y = problem.y
    if y.shape == problem.shape:
        return y
    f = problem.shape[0] // y.shape[0]
    return np.repeat(np.repeat(y, f, axis=0), f, axis=1)


def degraded_psnr(problem: solvers.Problem) -> float:
    """PSNR of the starting point ``x0`` (the degraded image as the solvers see it)."""
    return psnr(problem.truth, problem.x0)


@dataclass
class Contender:
    """One side of the race: an algorithm, a denoiser and their parameters."""

    method: str
    denoiser: str
    denoiser_sigma: float
    params: dict[str, Any] = field(default_factory=dict)
    max_iter: int = 100
    tol: float = 1e-4
    denoiser_params: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Lane:
    contender: Contender
    stream: Any
    denoiser: Any
    history: list[dict] = field(default_factory=list)
    x: np.ndarray | None = None
    status: str = "running"
    message: str = ""
    params: dict = field(default_factory=dict)


class Race:
    """Advance several :class:`Contender` runs on one problem together.

    Parameters
    ----------
    problem : Problem
    contenders : dict
        ``{label: Contender}``, e.g. ``{"RED": ..., "PnP": ...}``.
    stats : bool
        Compute objective and residual (see :func:`red_core.solvers.iterate`).
    objective_lam : float, optional
        One λ for every contender's objective, so the curves compare (default: each its own).
    """

    def __init__(
        self,
        problem: solvers.Problem,
        contenders: dict[str, Contender],
        stats: bool = True,
        objective_lam: float | None = None,
    ):
        self.problem = problem
        self.objective_lam = objective_lam
        # Two directions fixed now, so trajectories can be drawn on the cost landscape later.
        self.basis = landscape.directions(problem, "truth" if problem.truth is not None
                                          else "random")
        self.lanes: dict[str, _Lane] = {}
        for label, c in contenders.items():
            D = denoisers.build(c.denoiser, c.denoiser_sigma, **c.denoiser_params)
            # iterate() is a generator and checks its parameters at the first advance();
            # check them here, so a bad value is a ValueError of the constructor.
            solvers._resolve(c.method, problem, D, c.params)
            if int(c.max_iter) < 1:
                raise ValueError(f"max_iter must be at least 1, got {c.max_iter!r}")
            stream = solvers.iterate(
                c.method, problem, D, max_iter=c.max_iter, tol=c.tol, stats=stats,
                objective_lam=objective_lam, probes=self.basis, **c.params,
            )
            self.lanes[label] = _Lane(c, stream, D, x=problem.x0)
        self.stopped = False
        self._lock = threading.Lock()  # one thread at a time runs the streams

    @property
    def done(self) -> bool:
        return self.stopped or all(lane.status != "running" for lane in self.lanes.values())

    def advance(self, budget: float) -> int:
        """Advance the unfinished runs in turn, one iteration each, for about ``budget`` seconds.

        Returns the number of iterations made (at least one per unfinished run; 0 when another
        thread is advancing this race at the moment).
        """
        # A page may call this from a new run while its previous run, in another thread, is
        # still advancing (Streamlit's fast reruns): that one goes on, this one returns 0.
        if not self._lock.acquire(blocking=False):
            return 0
        try:
            t_end = time.perf_counter() + budget
            steps = 0
            while not self.done:
                for lane in self.lanes.values():
                    if lane.status == "running" and not self.stopped:
                        self._step(lane)
                        steps += 1
                if time.perf_counter() >= t_end:
                    break
            return steps
        finally:
            self._lock.release()

    def _step(self, lane: _Lane) -> None:
        try:
            rec = next(lane.stream)
        except StopIteration:  # pragma: no cover - the stream always ends on a final record
            lane.status = lane.status if lane.status != "running" else "max_iter"
            return
        if "params" in rec:
            lane.params = rec["params"]
        if rec["status"] != "diverged" and rec["x"] is not None:
            lane.x = rec["x"]
        if rec["time"] is not None:
            lane.history.append({k: v for k, v in rec.items() if k not in ("x", "params")})
        lane.status, lane.message = rec["status"], rec["message"]

    def stop(self) -> None:
        """End every unfinished run with status ``stopped`` (from any thread: an advance in
        progress finishes its current iteration first)."""
        self.stopped = True
        with self._lock:
            for lane in self.lanes.values():
                if lane.status == "running":
                    it = lane.history[-1]["iter"] if lane.history else 0
                    lane.status = "stopped"
                    lane.message = f"stopped by the user after {it} iterations"
                    lane.stream.close()

    # ------------------------------------------------------------------ results

    def statuses(self) -> dict[str, str]:
        return {label: lane.status for label, lane in self.lanes.items()}

    def histories(self) -> dict[str, list[dict]]:
        return {label: lane.history for label, lane in self.lanes.items()}

    def current(self) -> dict[str, np.ndarray]:
        return {label: lane.x for label, lane in self.lanes.items()}

    def summary(self) -> list[dict[str, Any]]:
        """One row per contender: PSNR, SSIM, iterations, time, ms/iteration, calls, status."""
        rows = []
        for label, lane in self.lanes.items():
            last = lane.history[-1] if lane.history else {}
            iters = last.get("iter", 0)
            t = last.get("time", 0.0) or 0.0
            truth = self.problem.truth
            rows.append({
                "run": label,
                "method": lane.contender.method,
                "denoiser": lane.contender.denoiser,
                "σ_d ·255": round(lane.contender.denoiser_sigma * 255, 2),
                "PSNR (dB)": None if truth is None else round(psnr(truth, lane.x), 2),
                "SSIM": None if truth is None else round(ssim(truth, lane.x), 4),
                "iterations": iters,
                "time (s)": round(t, 3),
                "ms / iteration": round(1e3 * t / iters, 2) if iters else None,
                "denoiser calls": last.get("denoiser_calls", 0),
                "status": lane.status,
                "message": lane.message,
            })
        return rows

    def landscape(self, label: str, n: int = 11) -> tuple[landscape.Landscape,
                                                          dict[str, np.ndarray]]:
        """The objective around the final iterate of run ``label`` (see
        :mod:`red_core.landscape`) and every run's trajectory projected on that slice."""
        lane = self.lanes[label]
        center = lane.x
        trajectories = {
            k: landscape.project([h["probe"] for h in other.history if "probe" in h], center,
                                 self.basis)
            for k, other in self.lanes.items()
        }
        c = lane.contender
        D = denoisers.build(c.denoiser, c.denoiser_sigma, **c.denoiser_params)
        lam = (self.objective_lam if self.objective_lam is not None
               else solvers.stats_lam(c.method, lane.params))
        width = landscape.half_width_for(list(trajectories.values()))
        return landscape.landscape(self.problem, D, lam, center, self.basis, width, n), trajectories

    def histories_csv(self) -> str:
        """All histories as one CSV table with a ``run`` column."""
        keys = ["iter", "psnr", "objective", "residual", "rel_change", "time", "denoiser_time",
                "denoiser_calls", "stats_denoiser_calls", "stats_time", "status"]
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["run", "method", *keys])
        for label, lane in self.lanes.items():
            for h in lane.history:
                writer.writerow([label, lane.contender.method,
                                 *("" if h.get(k) is None else h.get(k) for k in keys)])
        return buf.getvalue()


def snippet(
    image_code: str,
    degradation: str,
    noise_sigma: float,
    seed: int,
    contenders: dict[str, Contender],
    degradation_params: dict[str, Any] | None = None,
) -> str:
    """Python code that reproduces a race with ``red_core`` (``image_code`` makes ``truth``)."""
    op, defaults = _degradation(degradation)
    p = {**defaults, **(degradation_params or {})}
    extra = "".join(f", {k}={v!r}" for k, v in p.items())
    lines = [
        "from red_core import denoisers, images, race, solvers",
        "",
        f"truth = {image_code}",
        f"problem = race.make_problem(truth, {degradation!r}, noise_sigma={noise_sigma!r}, "
        f"seed={seed!r}{extra})",
        "print('degraded PSNR', race.degraded_psnr(problem))",
    ]
    for label, c in contenders.items():
        var = "".join(ch for ch in label.lower() if ch.isalnum()) or "run"
        extra = "".join(f", {k}={v!r}" for k, v in c.params.items() if v is not None)
        dparams = "".join(f", {k}={v!r}" for k, v in c.denoiser_params.items())
        lines += [
            "",
            f"{var} = solvers.run({c.method!r}, problem, denoisers.build({c.denoiser!r}, "
            f"{c.denoiser_sigma!r}{dparams}), max_iter={c.max_iter}, tol={c.tol!r}{extra})",
            f"print({label!r}, {var}.status, {var}.history[-1]['psnr'], {var}.message)",
        ]
    return "\n".join(lines) + "\n"


def cost_report(r: Race) -> list[dict[str, Any]]:
    """What each run cost and what kind of point it reached (the "RED vs PnP" comparison, measured).

    Per run: denoiser calls and data-term steps (gradients or proxes) per iteration, measured
    milliseconds per iteration and per denoiser call, the step size against its bound (RED-GD:
    ``μ < 2/(L_f + λ)``; PnP-PGD: ``μ ≤ 1/L_f``; the prox-based methods have none), and both
    residuals at the last iterate: the RED stationarity residual ``‖∇f + λ(x − D(x))‖`` (relative
    to the first) and the operator fixed-point residual ``‖x_{k+1} − x_k‖/‖x_k‖``.
    """
    rows = []
    L_f = r.problem.lipschitz
    for label, lane in r.lanes.items():
        h = lane.history
        if len(h) < 2:
            continue
        first, last = h[0], h[-1]
        iters = last["iter"] - first["iter"]
        calls = last["denoiser_calls"] - first["denoiser_calls"]
        steps = last["data_steps"] - first["data_steps"]
        algo_time = last["time"] - first["time"]
        den_time = last["denoiser_time"] - first["denoiser_time"]
        method = lane.contender.method
        family = solvers.METHODS[method].family
        p = lane.params
        if method == "red-gd":
            bound, rule = solvers.safe_step(r.problem, p["lam"]), "μ < 2/(L_f + λ)"
            step, met = p["step"], p["step"] < bound
        elif method == "pnp-pgd":
            bound, rule = solvers.safe_step(r.problem), "μ ≤ 1/L_f"
            step, met = p["step"], p["step"] <= bound * (1 + 1e-12)
        else:
            bound = step = met = None
            rule = "no step size: f enters through its prox, for any β > 0"
        residuals = [x["residual"] for x in h if x.get("residual") is not None]
        rows.append({
            "run": label, "method": method, "family": family,
            "iterations": iters,
            "denoiser calls / iteration": calls / iters if iters else None,
            "data steps / iteration": steps / iters if iters else None,
            "ms / iteration": 1e3 * algo_time / iters if iters else None,
            "denoiser ms / call": 1e3 * den_time / calls if calls else None,
            "overhead ms / iteration": 1e3 * (algo_time - den_time) / iters if iters else None,
            "step rule": rule, "step": step, "step bound": bound, "step rule met": met,
            "L_f": L_f,
            "fixed point sought": ("stationary point of E: ∇f(x) + λ(x − D(x)) = 0"
                                   if family == "red" else
                                   "operator fixed point: x = T(x)"),
            "stationarity residual": residuals[-1] if residuals else None,
            "stationarity residual / first": (residuals[-1] / residuals[0]
                                              if len(residuals) > 1 and residuals[0] else None),
            "fixed-point residual": last["rel_change"],
            "status": lane.status,
        })
    return rows


@dataclass
class ObjectiveNote:
    """How honest the objective curve of a run is (shown as a badge next to it)."""

    kind: str  # "exact-gradient-step", "symmetric", "approximate"
    symmetry_error: float | None
    text: str


#: Time the objective note may spend on its probes (slow denoisers get fewer, at least 4).
NOTE_BUDGET_SECONDS = 1.0


def objective_note(
    denoiser: str, sigma: float, image: np.ndarray, crop: int = 24, n_probes: int = 12
) -> ObjectiveNote:
    """Whether ``E(x)`` is what RED with this denoiser really minimises.

    A gradient-step denoiser ``D = I − ∇g`` makes RED minimise ``f + λg`` exactly (the curve shows
    it); a denoiser with a symmetric Jacobian by construction makes ``x − D(x)`` an exact gradient
    when it is also homogeneous (linear ones are); for the others the Jacobian symmetry error
    ``e_J`` is *estimated* with ``n_probes`` random probes (``2·n_probes`` denoiser calls, about
    0.1 s for TV; fewer, at least 4, when the calls would exceed :data:`NOTE_BUDGET_SECONDS`) on a
    ``crop``×``crop`` centre crop of ``image`` (grey), with its standard error.  When the
    denoiser cannot run on the crop (e.g. bm3d on a tiny image) the note says so.
    """
    from red_core import diagnostics

    info = denoisers.describe(denoiser)
    D = denoisers.build(denoiser, sigma)
    if getattr(D, "potential", None) is not None:
        return ObjectiveNote("exact-gradient-step", None,
                             "D = I − ∇g is a gradient-step denoiser: RED minimises f + λg "
                             "exactly, and that is the objective curve (it decreases "
                             "monotonically).")
    if info["symmetric"] and info["linear"]:
        return ObjectiveNote("symmetric", 0.0,
                             f"{denoiser} is linear with a symmetric Jacobian: x − D(x) is the "
                             "exact gradient of ρ and RED minimises E(x).")
    grey = image.mean(axis=2) if image.ndim == 3 else image
    crop = min(crop, *grey.shape)
    top, left = (grey.shape[0] - crop) // 2, (grey.shape[1] - crop) // 2
    patch = diagnostics.crop(grey, top, left, crop)
    try:
        start = time.perf_counter()
        D(patch)
        per_call = time.perf_counter() - start
        # Slow denoisers (bm3d: ~0.5 s a call even on the crop) get fewer probes, at least 4.
        n_probes = max(4, min(n_probes, int(NOTE_BUDGET_SECONDS / (2 * per_call + 1e-9))))
        est = diagnostics.symmetry_estimate(D, patch, method="probe", n_probes=n_probes)
    except ValueError as err:  # the denoiser refuses the crop (bm3d below 16 px)
        return ObjectiveNote("approximate", None,
                             f"{denoiser} has no symmetric Jacobian by construction, so E(x) is "
                             f"only approximately what RED minimises (e_J not measured: {err}).")
    measured = (f"e_J = ‖J − Jᵀ‖²/‖J‖² ≈ {est.value:.2g} ± {est.stderr:.1g}, {n_probes} random "
                f"probes on a {crop}×{crop} crop")
    if est.value < 1e-10:  # e.g. wavelet thresholding that zeroes every detail of a flat crop
        return ObjectiveNote(
            "approximate", est.value,
            f"{denoiser} has no symmetric Jacobian by construction, although it measured "
            f"symmetric here ({measured}): elsewhere E(x) is only approximately what RED "
            "minimises.")
    return ObjectiveNote(
        "approximate", est.value,
        f"{denoiser} has a non-symmetric Jacobian ({measured}): E(x) is only approximately "
        "what RED minimises.")
