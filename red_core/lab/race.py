"""RED and PnP contenders on the same problem: the engine behind the "Restore an image" page.

A :class:`Race` holds 2 to 4 :class:`Contender` runs (any mix of RED and PnP) on one problem.
Each lane is one :func:`red_core.solvers.iterate` stream folded into a
:class:`red_core.solvers.Trace`; :meth:`Race.start` gives every lane a thread of its own, so a
slow lane (BM3D: seconds per call) never holds back a fast one, and a page polls
:meth:`Race.views` for consistent snapshots to draw. :meth:`Race.advance` steps the lanes in turn
in the caller's thread instead (scripts, tests). A lane keeps its best iterate, so a run whose
PSNR peaked can still hand out its best image (:mod:`red_core.solvers.health`).

The lanes' iterates are exactly those of a solo :func:`red_core.solvers.run` with the same
arguments. Only the statistics are thinned where they cost work: a lane whose algorithm does not
hand ``D(x)`` at its iterate to the statistics (PnP-ADMM, PnP-PGD, RED-ADMM, RED-APG) would pay
one extra denoiser call per iteration for its objective and stationarity residual, so those are
evaluated every :data:`STATS_EVERY_EXTRA_CALL` iterations (and at the first and last); where
they are evaluated their values are those of the solo run.

Examples
--------
>>> from red_core import images
>>> from red_core.lab import race
>>> problem = race.make_problem(images.builtin("camera", 64), "gaussian_blur", 0.01)
>>> r = race.Race(problem, {"RED": race.Contender("red-fp", "tv", 5 / 255, max_iter=5),
...                         "PnP": race.Contender("pnp-admm", "tv", 20 / 255, max_iter=5)})
>>> r.start().wait(60)
True
>>> sorted(r.statuses().values())
['max_iter', 'max_iter']
"""

from __future__ import annotations

import csv
import io
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from red_core import denoisers, operators, solvers
from red_core.lab import offload
from red_core.metrics import psnr, ssim
from red_core.problem import Problem, make_problem
from red_core.solvers import health
from red_core.solvers.records import RECORD_KEYS
from red_core.theory import diagnostics, landscape

__all__ = [
    "IDLE_STOP_SECONDS", "MAX_CONTENDERS", "SLOW_LANE_NICE", "STATS_EVERY_EXTRA_CALL",
    "Contender", "LaneView",
    "ObjectiveNote", "Race",
    "cost_report", "degraded_psnr", "degraded_view", "make_problem", "objective_note", "snippet",
]

#: A race has at most this many lanes.
MAX_CONTENDERS = 4
#: Lane threads stop by themselves when nobody has looked at the race for this long (a closed
#: tab, a session that ended): no orphan run keeps a core busy.
IDLE_STOP_SECONDS = 90.0
#: A lane whose statistics need an extra denoiser call computes them every this many iterations
#: (the PnP-ADMM + TV lane of the default race spent 3× its own time on them at every one).
STATS_EVERY_EXTRA_CALL = 4
#: Nice value of the thread of a lane whose denoiser the registry marks ``speed="slow"`` (BM3D,
#: the gradient-step CNN), on Linux (threads are tasks there; elsewhere threads keep their
#: priority). Their denoiser calls themselves run in :mod:`~red_core.lab.offload`'s worker
#: processes; this covers the thread's own steps, and a slow denoiser registered at run time
#: (which stays in the thread). Measured in ``bench/race_speed.py``, before the offload: a BM3D
#: lane slowed a TV lane by 88 %, at nice 10 by 60 %; in the library alone by 15-25 %, at
#: nice 10 not at all.
SLOW_LANE_NICE = 10


def degraded_view(problem: Problem) -> np.ndarray:
    """The observation as an image of the truth's size (super-resolution: nearest up-sampling)."""
    y = problem.y
    if y.shape == problem.shape:
        return y
    f = problem.shape[0] // y.shape[0]
    return np.repeat(np.repeat(y, f, axis=0), f, axis=1)


def degraded_psnr(problem: Problem) -> float:
    """PSNR of the starting point ``x0`` (the degraded image as the solvers see it)."""
    return psnr(problem.truth, problem.x0)


@dataclass
class Contender:
    """One lane of the race: an algorithm, a denoiser and their parameters."""

    method: str
    denoiser: str
    denoiser_sigma: float
    params: dict[str, Any] = field(default_factory=dict)
    max_iter: int = 100
    tol: float = 1e-4
    denoiser_params: dict[str, Any] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return solvers.entry(self.method).family


class _Watched:
    """A denoiser that says whether a call is under way, since when, and how many began."""

    def __init__(self, D: Callable[[np.ndarray], np.ndarray]):
        self.D, self.started, self.calls = D, None, 0
        self.potential = getattr(D, "potential", None)
        self.sigma = getattr(D, "sigma", None)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.started = time.perf_counter()
        try:
            return self.D(x)
        finally:
            self.started = None


@dataclass(frozen=True)
class LaneView:
    """A consistent snapshot of one lane, for drawing.

    ``busy`` is the time (s) the lane has spent in its current denoiser call (None between
    calls and once the lane has ended); ``calls`` the number of denoiser calls begun
    (statistics included); ``best_x`` the iterate with the best PSNR so far.
    """

    label: str
    contender: Contender
    history: list[dict]
    x: np.ndarray
    best_x: np.ndarray
    status: str
    message: str
    params: dict
    busy: float | None
    calls: int

    @property
    def done(self) -> bool:
        return self.status != "running"

    @property
    def iteration(self) -> int:
        return self.history[-1]["iter"] if self.history else 0

    @property
    def psnr(self) -> float | None:
        return self.history[-1].get("psnr") if self.history else None

    def health(self) -> health.Health:
        return health.assess(self.history, self.contender.method, self.contender.tol)


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` every 10 ms for at most ``timeout`` s; its last value."""
    deadline = time.monotonic() + timeout
    while not condition():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(0.01, left))
    return True


def _lower_priority(nice: int) -> bool:
    """Give the calling thread a nice value of ``nice`` (Linux; False where it cannot)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):  # not Linux, or not allowed
        return False
    return True


class _Lane:
    def __init__(self, label: str, contender: Contender, problem: Problem, stats: bool,
                 objective_lam: float | None, probes: tuple[np.ndarray, ...],
                 stats_every: int | None, offload_slow: bool = True):
        c = contender
        self.label, self.contender = label, c
        self.denoiser = denoisers.build(c.denoiser, c.denoiser_sigma, **c.denoiser_params)
        # A slow denoiser's calls go to a worker process: no GIL shared with the other lanes
        self.watched = _Watched(offload.Offloaded(self.denoiser)
                                if offload_slow and offload.offloadable(self.denoiser)
                                else self.denoiser)
        if stats_every is None:
            stats_every = (1 if not stats or solvers.entry(c.method).denoised_at_iterate
                           else STATS_EVERY_EXTRA_CALL)
        self.stats_every = stats_every
        # iterate() checks every argument now: a bad value is a ValueError of Race(...)
        self.stream = solvers.iterate(c.method, problem, self.watched, max_iter=c.max_iter,
                                      tol=c.tol, stats=stats, stats_every=stats_every,
                                      objective_lam=objective_lam, probes=probes, **c.params)
        self.trace = solvers.Trace(problem.x0)
        self.best_x, self.best_psnr = problem.x0, -math.inf
        self.lock = threading.Lock()  # guards trace/best against a reader's snapshot
        self.stepping = threading.Lock()  # one thread at a time runs the stream

    def step(self) -> None:
        """One record of the stream, folded in (unless the lane was stopped meanwhile)."""
        with self.stepping:
            if self.trace.done:
                return
            rec = next(self.stream)
            with self.lock:
                if self.trace.done:  # stopped while this iteration ran: drop it
                    return
                self.trace.add(rec)
                value = rec.get("psnr")
                if value is not None and rec["status"] != "diverged" and value > self.best_psnr:
                    self.best_psnr, self.best_x = value, rec["x"]
            if self.trace.done:
                self.stream.close()
                self.release(cancel=False)

    def end(self, status: str, message: str) -> None:
        with self.lock:
            if not self.trace.done:
                self.trace.end(status, message)
        self.release(cancel=True)  # a stopped lane's call under way is not finished

    def release(self, cancel: bool) -> None:
        """Give back (or, with ``cancel``, end) the worker process of an offloaded denoiser."""
        if isinstance(self.watched.D, offload.Offloaded):
            self.watched.D.close(cancel=cancel)

    def view(self) -> LaneView:
        with self.lock:
            t = self.trace
            # A stopped lane may still finish its last denoiser call in the background
            # (its result is dropped): that is not work the user waits for.
            started = self.watched.started if not t.done else None
            return LaneView(self.label, self.contender, list(t.history), t.x, self.best_x,
                            t.status, t.message, dict(t.params),
                            None if started is None else time.perf_counter() - started,
                            self.watched.calls)


class Race:
    """2 to 4 contenders on one problem, each in its own lane.

    Parameters
    ----------
    problem : Problem
    contenders : dict
        ``{label: Contender}``, 1 to :data:`MAX_CONTENDERS` of them.
    stats : bool
        Compute objective and residual (see :func:`red_core.solvers.iterate`).
    objective_lam : float, optional
        One λ for every lane's objective, so the curves compare (default: each its own).
    stats_every : int, optional
        Evaluate the statistics every this many iterations; default: at every iteration where
        they are free, every :data:`STATS_EVERY_EXTRA_CALL` where they cost a denoiser call.
    offload_slow : bool
        Run the calls of a slow denoiser (BM3D, ...) in a worker process
        (:mod:`red_core.lab.offload`), so that it never holds back the other lanes; False runs
        every lane's denoiser in its thread.

    Raises
    ------
    ValueError
        A bad contender (unknown method or denoiser, a parameter out of range).
    """

    def __init__(
        self,
        problem: Problem,
        contenders: Mapping[str, Contender],
        stats: bool = True,
        objective_lam: float | None = None,
        *,
        stats_every: int | None = None,
        offload_slow: bool = True,
    ):
        if not 1 <= len(contenders) <= MAX_CONTENDERS:
            raise ValueError(f"a race has 1 to {MAX_CONTENDERS} contenders, got "
                             f"{len(contenders)}")
        self.problem = problem
        self.objective_lam = objective_lam
        # Two directions fixed now, so trajectories can be drawn on the cost landscape later.
        self.basis = landscape.directions(problem, "truth" if problem.truth is not None
                                          else "random")
        self._lanes = {label: _Lane(label, c, problem, stats, objective_lam, self.basis,
                                    stats_every, offload_slow)
                       for label, c in contenders.items()}
        self._threads: list[threading.Thread] = []
        self._seen = time.monotonic()
        self.started = time.perf_counter()

    # ------------------------------------------------------------------ running

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self._lanes)

    @property
    def done(self) -> bool:
        return all(lane.trace.done for lane in self._lanes.values())

    def start(self) -> Race:
        """Run every lane in a thread of its own (once; returns the race)."""
        if not self._threads:
            self._threads = [threading.Thread(target=self._run, args=(lane,), daemon=True,
                                              name=f"race-lane-{label}")
                             for label, lane in self._lanes.items()]
            for thread in self._threads:
                thread.start()
        return self

    def _run(self, lane: _Lane) -> None:
        if denoisers.entry(lane.contender.denoiser).speed == "slow":
            _lower_priority(SLOW_LANE_NICE)
        while not lane.trace.done:
            if time.monotonic() - self._seen > IDLE_STOP_SECONDS:
                lane.end("stopped", f"stopped after {lane.trace.iterations} iterations: "
                                    f"nobody watched the race for {IDLE_STOP_SECONDS:.0f} s")
                break
            lane.step()
        lane.stream.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the lane threads; True when every lane has finished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return self.done

    def wait_done(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until every lane has ended; True if they have. A live
        view that waits a little before drawing shows the results of a race ending within
        that time at once, instead of one frame period later."""
        return _wait_until(lambda: self.done, timeout)

    def wait_progress(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until some lane has made its first iteration or every
        lane has ended: a page that draws then shows a first frame that moves. True if so."""
        lanes = list(self._lanes.values())
        return _wait_until(lambda: any(lane.trace.iterations >= 1 for lane in lanes)
                           or all(lane.trace.done for lane in lanes), timeout)

    def advance(self, budget: float) -> int:
        """Without threads: step the unfinished lanes in turn, one iteration each, for about
        ``budget`` seconds (at least one round). Returns the number of iterations made."""
        if self._threads:
            raise RuntimeError("this race runs in threads (start() was called)")
        t_end = time.perf_counter() + budget
        steps = 0
        while not self.done:
            for lane in self._lanes.values():
                if not lane.trace.done:
                    lane.step()
                    steps += 1
            if time.perf_counter() >= t_end:
                break
        return steps

    def touch(self) -> None:
        """Say somebody is watching (the lanes stop after :data:`IDLE_STOP_SECONDS` without)."""
        self._seen = time.monotonic()

    def stop(self) -> None:
        """End every unfinished lane now with status ``stopped`` (from any thread; a lane inside
        a denoiser call finishes it in the background and drops the result)."""
        for lane in self._lanes.values():
            lane.end("stopped", f"stopped by the user after {lane.trace.iterations} iterations")

    # ------------------------------------------------------------------ reading

    def views(self) -> dict[str, LaneView]:
        """A snapshot of every lane (also counts as watching, see :meth:`touch`)."""
        self.touch()
        return {label: lane.view() for label, lane in self._lanes.items()}

    def view(self, label: str) -> LaneView:
        return self._lanes[label].view()

    def denoiser(self, label: str) -> Any:
        """The built denoiser of lane ``label``."""
        return self._lanes[label].denoiser

    def statuses(self) -> dict[str, str]:
        return {label: v.status for label, v in self.views().items()}

    def histories(self) -> dict[str, list[dict]]:
        return {label: v.history for label, v in self.views().items()}

    def current(self) -> dict[str, np.ndarray]:
        return {label: v.x for label, v in self.views().items()}

    def objective_definition(self, label: str) -> str:
        """What lane ``label``'s objective curve is: ``E(x) = f + λρ`` or ``f + λg`` (a
        gradient-step denoiser), with its λ."""
        v = self.view(label)
        lam = (self.objective_lam if self.objective_lam is not None
               else solvers.stats_lam(v.contender.method, v.params) if v.params else None)
        kind = ("f(x) + λg(x)" if getattr(self.denoiser(label), "potential", None) is not None
                else "E(x) = f(x) + λρ(x)")
        return kind if lam is None else f"{kind}, λ = {lam:.4g}"

    def summary(self) -> list[dict[str, Any]]:
        """One row per lane: final and best PSNR, SSIM, iterations, time, calls, status, health.

        Keys: ``run, method, denoiser, denoiser_sigma`` (pixel units), ``psnr, ssim,
        best_psnr, best_iter, iterations, seconds, ms_per_iteration, denoiser_calls, status,
        health, message, advice``.
        """
        rows = []
        truth = self.problem.truth
        for label, v in self.views().items():
            last = v.history[-1] if v.history else {}
            iters = last.get("iter", 0)
            seconds = last.get("time", 0.0) or 0.0
            h = v.health()
            rows.append({
                "run": label, "method": v.contender.method, "denoiser": v.contender.denoiser,
                "denoiser_sigma": v.contender.denoiser_sigma,
                "psnr": None if truth is None else psnr(truth, v.x),
                "ssim": None if truth is None else ssim(truth, v.x),
                "best_psnr": h.best_psnr, "best_iter": h.best_iter,
                "iterations": iters, "seconds": seconds,
                "ms_per_iteration": 1e3 * seconds / iters if iters else None,
                "denoiser_calls": last.get("denoiser_calls", 0), "status": v.status,
                "health": h.flag, "message": v.message, "advice": h.text,
            })
        return rows

    def landscape(self, label: str, n: int = 11) -> tuple[landscape.Landscape,
                                                          dict[str, np.ndarray]]:
        """The objective around the final iterate of lane ``label`` (see
        :mod:`red_core.theory.landscape`) and every lane's trajectory projected on that slice."""
        views = self.views()
        v = views[label]
        trajectories = {
            k: landscape.project([h["probe"] for h in other.history if "probe" in h], v.x,
                                 self.basis)
            for k, other in views.items()
        }
        c = v.contender
        D = denoisers.build(c.denoiser, c.denoiser_sigma, **c.denoiser_params)
        lam = (self.objective_lam if self.objective_lam is not None
               else solvers.stats_lam(c.method, v.params))
        width = landscape.half_width_for(list(trajectories.values()))
        return landscape.landscape(self.problem, D, lam, v.x, self.basis, width, n), trajectories

    def histories_csv(self) -> str:
        """All histories as one CSV table with ``run`` and ``method`` columns."""
        keys = [k for k in RECORD_KEYS if k != "message"]
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["run", "method", *keys])
        for label, v in self.views().items():
            for h in v.history:
                writer.writerow([label, v.contender.method,
                                 *("" if h.get(k) is None else h.get(k) for k in keys)])
        return buf.getvalue()


def snippet(
    image_code: str,
    degradation: str,
    noise_sigma: float,
    seed: int,
    contenders: Mapping[str, Contender],
    degradation_params: Mapping[str, Any] | None = None,
) -> str:
    """Python code that reproduces a race with ``red_core`` (``image_code`` makes ``truth``)."""
    operators.entry(degradation).resolve(degradation_params or {})  # a bad name fails here
    extra = "".join(f", {k}={v!r}" for k, v in (degradation_params or {}).items()
                    if v is not None and k != "mask")
    lines = [
        "from red_core import denoisers, images, solvers",
        "from red_core.problem import make_problem",
        "",
        f"truth = {image_code}",
        f"problem = make_problem(truth, {degradation!r}, noise_sigma={noise_sigma!r}, "
        f"seed={seed!r}{extra})",
    ]
    for label, c in contenders.items():
        var = "".join(ch for ch in label.lower() if ch.isalnum()) or "run"
        if not var[0].isalpha():
            var = "run" + var
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
    """What each lane cost and what kind of point it reached (the "RED vs PnP" comparison).

    Per lane: denoiser calls and data-term steps (gradients or proxes) per iteration, measured
    milliseconds per iteration and per denoiser call, the step size against the bound of its
    theory (the algorithm's registry entry), and both residuals at the last iterate: the
    stationarity residual ``‖∇f + λ(x − D(x))‖`` (and its ratio to the first) and the relative
    change ``‖x_{k+1} − x_k‖/‖x_k‖``. Keys: ``run, method, family, iterations,
    calls_per_iteration, data_steps_per_iteration, ms_per_iteration, denoiser_ms_per_call,
    overhead_ms_per_iteration, step_rule, step, step_bound, step_ok, lipschitz,
    fixed_point, stationarity_residual, stationarity_ratio, rel_change, status``.
    """
    rows = []
    L_f = r.problem.lipschitz
    for label, v in r.views().items():
        h = v.history
        if len(h) < 2:
            continue
        first, last = h[0], h[-1]
        iters = last["iter"] - first["iter"]
        calls = last["denoiser_calls"] - first["denoiser_calls"]
        steps = last["data_steps"] - first["data_steps"]
        algo_time = last["time"] - first["time"]
        den_time = last["denoiser_time"] - first["denoiser_time"]
        spec = solvers.entry(v.contender.method)
        bound = step = None
        if spec.step_bound is not None:
            bound, step = spec.step_bound(r.problem, v.params)[0], v.params["step"]
        residuals = [x["residual"] for x in h if x.get("residual") is not None]
        rows.append({
            "run": label, "method": spec.name, "family": spec.family, "iterations": iters,
            "calls_per_iteration": calls / iters if iters else None,
            "data_steps_per_iteration": steps / iters if iters else None,
            "ms_per_iteration": 1e3 * algo_time / iters if iters else None,
            "denoiser_ms_per_call": 1e3 * den_time / calls if calls else None,
            "overhead_ms_per_iteration": 1e3 * (algo_time - den_time) / iters if iters else None,
            "step_rule": spec.step_rule, "step": step, "step_bound": bound,
            "step_ok": spec.step_ok(r.problem, v.params), "lipschitz": L_f,
            "fixed_point": "stationary" if spec.family == "red" else "operator",
            "stationarity_residual": residuals[-1] if residuals else None,
            "stationarity_ratio": (residuals[-1] / residuals[0]
                                   if len(residuals) > 1 and residuals[0] else None),
            "rel_change": last["rel_change"], "status": v.status,
        })
    return rows


@dataclass(frozen=True)
class ObjectiveNote:
    """How honest the objective curve of a run is (shown as a badge next to it).

    ``kind`` is ``exact-gradient-step`` (RED minimises ``f + λg``), ``symmetric`` (linear with a
    symmetric Jacobian: ``E`` is exact), ``approximate`` (measured or known non-symmetric) or
    ``not-measured`` (a slow denoiser: the registry says it is not symmetric by construction,
    measuring ``e_J`` is left to the user).
    """

    kind: str
    symmetry_error: float | None
    text: str
    probes: int = 0


#: Time the objective note may spend on its probes (slow denoisers get fewer, at least 4).
NOTE_BUDGET_SECONDS = 1.0


def objective_note(
    denoiser: str, sigma: float, image: np.ndarray, crop: int = 24, n_probes: int = 12,
    measure: bool | None = None,
) -> ObjectiveNote:
    """Whether ``E(x)`` is what RED with this denoiser really minimises.

    A gradient-step denoiser ``D = I − ∇g`` makes RED minimise ``f + λg`` exactly (the curve shows
    it); a denoiser with a symmetric Jacobian by construction makes ``x − D(x)`` an exact gradient
    when it is also homogeneous (linear ones are). For the others the Jacobian symmetry error
    ``e_J`` is *estimated* with ``n_probes`` random probes (``2·n_probes`` denoiser calls, about
    0.1 s for TV; fewer, at least 4, when the calls would exceed :data:`NOTE_BUDGET_SECONDS`) on a
    ``crop``×``crop`` centre crop of ``image`` (grey), with its standard error — unless
    ``measure`` is False (default: measure fast denoisers only), when the note gives the
    registry's answer. When the denoiser cannot run on the crop the note says so.
    """
    spec = denoisers.entry(denoiser)
    label = spec.label
    D = denoisers.build(denoiser, sigma)
    if getattr(D, "potential", None) is not None:
        return ObjectiveNote("exact-gradient-step", None,
                             f"{label}: D = I − ∇g is a gradient-step denoiser, so RED minimises "
                             "f + λg exactly, and that is the objective curve.")
    if spec.symmetric and spec.linear:
        return ObjectiveNote("symmetric", 0.0,
                             f"{label} is linear with a symmetric Jacobian: x − D(x) is the "
                             "exact gradient of ρ and RED minimises E(x).")
    if measure is None:
        measure = spec.speed == "fast"
    if not measure:
        return ObjectiveNote("not-measured", None,
                             f"{label} has no symmetric Jacobian by construction, so E(x) is "
                             "only approximately what RED minimises (e_J not measured: a slow "
                             "denoiser; measure it on demand).")
    grey = image.mean(axis=2) if image.ndim == 3 else image
    crop = max(1, min(crop, *grey.shape))
    top, left = (grey.shape[0] - crop) // 2, (grey.shape[1] - crop) // 2
    patch = diagnostics.crop(grey, top, left, crop)
    try:
        start = time.perf_counter()
        D(patch)
        per_call = time.perf_counter() - start
        n_probes = max(4, min(n_probes, int(NOTE_BUDGET_SECONDS / (2 * per_call + 1e-9))))
        est = diagnostics.symmetry_estimate(D, patch, method="probe", n_probes=n_probes)
    except ValueError as err:  # the denoiser refuses the crop (bm3d below 16 px)
        return ObjectiveNote("approximate", None,
                             f"{label} has no symmetric Jacobian by construction, so E(x) is "
                             f"only approximately what RED minimises (e_J not measured: {err}).")
    measured = (f"e_J = ‖J − Jᵀ‖²/‖J‖² ≈ {est.value:.2g} ± {est.stderr:.1g}, {n_probes} random "
                f"probes on a {crop}×{crop} crop")
    if est.value < 1e-10:  # e.g. wavelet thresholding that zeroes every detail of a flat crop
        return ObjectiveNote(
            "approximate", est.value,
            f"{label} has no symmetric Jacobian by construction, although it measured "
            f"symmetric here ({measured}): elsewhere E(x) is only approximately what RED "
            "minimises.", n_probes)
    return ObjectiveNote(
        "approximate", est.value,
        f"{label} has a non-symmetric Jacobian ({measured}): E(x) is only approximately "
        "what RED minimises.", n_probes)
