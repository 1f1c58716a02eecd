r"""The RED gradient field of a 1-D signal (the "1-D gradient field" page).

The RED gradient :math:`g(x) = x - D(x)` (``red_core.theory.regulariser.red_gradient``) says,
sample by sample, how far and in which direction a RED step moves the signal: the update
:math:`x \leftarrow x - \mu(\nabla f(x) + \lambda (x - D(x)))` moves every sample from ``x``
towards ``D(x)``. :func:`gradient_field` measures where that field is large: on the noisy
stretches of a signal whose noise varies along it (``signals.noisy_stretches``), else near the
jumps of the clean signal (for signals without jumps: where it bends most), against the smooth
stretches. :func:`caption` reads the numbers for a page (no ``nan``/``inf`` in the text).
:class:`Descent` runs RED gradient descent on the 1-D denoising problem (``A = I``) through the
one runner ``red_core.solvers.iterate``, a time-budgeted chunk of iterations per animation
frame; :func:`status_text` says how it ended in terms of the page's controls.

Examples
--------
>>> from red_core import denoisers, signals
>>> from red_core.lab import field1d
>>> clean, x = signals.observe("varying_noise", 512, seed=0, sigma=0.1)
>>> stats = field1d.gradient_field(clean, x, denoisers.build("gaussian", 0.1),
...                                noisy=signals.noisy_stretches("varying_noise", 512))
>>> stats.region, bool(stats.ratio > 3)
('noisy', True)
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import ndimage

from red_core import operators, signals, solvers
from red_core.metrics import psnr
from red_core.problem import Problem
from red_core.theory import regulariser as red

__all__ = [
    "CURVATURE_FRACTION",
    "DESCENT_LAM_SIGMA2",
    "DESCENT_STEP_FRACTION",
    "FIRST_CHUNK",
    "FRAME_WORK_SECONDS",
    "JUMP_WIDTH",
    "Descent",
    "FieldStats",
    "caption",
    "curvature_mask",
    "denoising_problem",
    "descent_params",
    "format_psnr",
    "format_ratio",
    "gradient_field",
    "rough_mask",
    "status_text",
    "summary",
]

#: Samples closer than this to a jump count as "near a jump" (``signals.jump_mask`` width).
JUMP_WIDTH = 3
#: For signals without jumps, this fraction of samples where the clean signal bends most.
CURVATURE_FRACTION = 0.2
#: ``λ σ_e²`` of the descent: regulariser and data term weigh the same. The lab-wide default
#: (``solvers.RED_LAM_SIGMA2`` = 0.04) barely moves a 1-D signal (measured: PSNR +0.2 dB).
DESCENT_LAM_SIGMA2 = 1.0
#: Step as a fraction of the safe bound ``2 / (L_f + λ)``: 0.5 is ``μ = 1 / (L_f + λ)``, no
#: overshoot along the data term. Measured (piecewise_constant, n = 512, σ_e = 0.1, λσ_e² = 1):
#: every 1-D denoiser converges in 13-46 iterations; with ``solvers.default_params``' 0.95 the
#: PSNR zig-zags at every iteration, 84 to over 150 iterations, and median/NLM runs go astray.
DESCENT_STEP_FRACTION = 0.5
#: Seconds of iterations per animation frame at most (then the frame is drawn): a frame stays
#: shorter than the page's redraw period, and a click on Stop waits for at most this long.
FRAME_WORK_SECONDS = 0.1
#: Iterations in the first animation frame; each later frame at most doubles the count, so the
#: fast early changes are seen and a run of k iterations takes ~log2(k) frames.
FIRST_CHUNK = 8

Region = Literal["noisy", "jumps", "curvature"]


def curvature_mask(clean: np.ndarray, fraction: float = CURVATURE_FRACTION) -> np.ndarray:
    """The ``fraction`` of samples where the clean signal bends most.

    The bend at sample ``i`` is ``|clean[i-1] − 2 clean[i] + clean[i+1]|`` (ends extrapolated
    linearly); ties at the threshold are all kept, and a signal that never bends (a line)
    marks nothing.

    Parameters
    ----------
    clean : array_like, shape (n,)
        Clean 1-D signal, ``n >= 3``.
    fraction : float
        In (0, 1).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    clean = _signal(clean, "clean")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    padded = np.pad(clean, 1, mode="reflect", reflect_type="odd")  # linear extrapolation
    bend = np.abs(padded[:-2] - 2.0 * clean + padded[2:])
    threshold = np.quantile(bend, 1.0 - fraction)
    scale = max(float(np.abs(clean).max()), 1.0)
    if threshold <= 1e-12 * scale:  # straight or piecewise-straight: nothing really bends
        return bend > 1e-12 * scale
    return bend >= threshold


def rough_mask(
    clean: np.ndarray, width: int = JUMP_WIDTH, fraction: float = CURVATURE_FRACTION,
    noisy: np.ndarray | None = None,
) -> tuple[np.ndarray, Region]:
    """The noisy stretches, or the samples near a jump of ``clean``, or where it bends most.

    Parameters
    ----------
    clean : array_like, shape (n,)
    width, fraction : int, float
        See ``signals.jump_mask`` and :func:`curvature_mask`.
    noisy : array_like of bool, shape (n,), optional
        Where the noise is loud (``signals.noisy_stretches``); used when it marks some samples
        but not all.

    Returns
    -------
    mask : numpy.ndarray of bool, shape (n,)
        ``noisy`` if it splits the signal, else ``signals.jump_mask(clean, width)`` if that
        marks anything, else :func:`curvature_mask` ``(clean, fraction)``.
    region : {"noisy", "jumps", "curvature"}
        Which of the three the mask is.
    """
    clean = _signal(clean, "clean")
    if noisy is not None:
        noisy = np.asarray(noisy, dtype=bool)
        if noisy.shape != clean.shape:
            raise ValueError(f"noisy has shape {noisy.shape} but clean has shape {clean.shape}")
        if noisy.any() and not noisy.all():
            return noisy, "noisy"
    near_jump = signals.jump_mask(clean, width)
    if near_jump.any():
        return near_jump, "jumps"
    return curvature_mask(clean, fraction), "curvature"


@dataclass(frozen=True)
class FieldStats:
    r"""The RED gradient field of one signal ``x`` and what it shows.

    Attributes
    ----------
    clean, x, denoised : numpy.ndarray, shape (n,)
        The clean signal, the signal ``x`` and ``D(x)``.
    gradient : numpy.ndarray
        The RED gradient ``x − D(x)``; a RED step moves ``x`` by ``−μλ`` times it, towards
        ``D(x)``.
    magnitude : numpy.ndarray
        ``|x − D(x)|``.
    local_mean : numpy.ndarray
        ``|x − D(x)|`` averaged over ``2 width + 1`` neighbours (mirrored ends): where the
        field is large, without the sample-to-sample noise.
    rough : numpy.ndarray of bool
        The noisy stretches (``region == "noisy"``), or the samples near a jump of ``clean``
        (``region == "jumps"``), or, for signals without jumps, where it bends most
        (``region == "curvature"``); see :func:`rough_mask`.
    region : {"noisy", "jumps", "curvature"}
    mean_smooth, mean_rough : float
        Mean ``|x − D(x)|`` over the samples outside / inside ``rough`` (NaN if there are
        none).
    ratio : float
        ``mean_rough / mean_smooth``; ``inf`` when the field vanishes on the smooth stretches
        only, NaN when it vanishes everywhere (``D = I``) or a region is empty.
    mean_noise : float
        Mean ``|x − clean|``: the size of the fluctuations a perfect denoiser would remove.
    rho : float
        The RED regulariser ``ρ(x) = ½ xᵀ(x − D(x))``.
    psnr_x, psnr_denoised : float
        PSNR (dB, values clipped to [0, 1]) of ``x`` and of ``D(x)`` against ``clean``;
        ``inf`` when equal to it.
    """

    clean: np.ndarray = field(repr=False)
    x: np.ndarray = field(repr=False)
    denoised: np.ndarray = field(repr=False)
    gradient: np.ndarray = field(repr=False)
    magnitude: np.ndarray = field(repr=False)
    local_mean: np.ndarray = field(repr=False)
    rough: np.ndarray = field(repr=False)
    region: Region
    mean_smooth: float
    mean_rough: float
    ratio: float
    mean_noise: float
    rho: float
    psnr_x: float
    psnr_denoised: float

    @property
    def region_label(self) -> str:
        """Where ``rough`` is, in words: "on the noisy stretches", "near a jump" or "where the
        signal bends most"."""
        return {"noisy": "on the noisy stretches", "jumps": "near a jump",
                "curvature": "where the signal bends most"}[self.region]

    @property
    def smooth_label(self) -> str:
        """Where ``rough`` is not, in words (a noun phrase: "smooth stretches")."""
        return "quiet (smooth) stretches" if self.region == "noisy" else "smooth stretches"

    @property
    def region_description(self) -> str:
        """How ``rough`` was chosen, for a caption."""
        if self.region == "noisy":
            return "on the noisy stretches (noise louder than σₑ)"
        if self.region == "jumps":
            return f"within {JUMP_WIDTH} samples of a jump"
        return (f"where the signal bends most (no jumps: the {CURVATURE_FRACTION:.0%} largest "
                f"|Δ² clean|)")


def gradient_field(
    clean: np.ndarray,
    x: np.ndarray,
    D: Callable[[np.ndarray], np.ndarray],
    *,
    width: int = JUMP_WIDTH,
    fraction: float = CURVATURE_FRACTION,
    noisy: np.ndarray | None = None,
) -> FieldStats:
    r"""The RED gradient field :math:`x - D(x)` of a 1-D signal and its statistics.

    Parameters
    ----------
    clean : array_like, shape (n,)
        The clean signal (for the jump mask and the PSNRs).
    x : array_like, shape (n,)
        The signal the field is taken at (the noisy signal, or a RED iterate).
    D : callable
        The denoiser, called once on ``x``.
    width, fraction, noisy : int, float, array_like of bool
        See :func:`rough_mask`: with ``noisy`` (``signals.noisy_stretches``) the field on the
        noisy stretches is compared with the quiet ones.

    Returns
    -------
    FieldStats
    """
    clean = _signal(clean, "clean")
    x = _signal(x, "x")
    if x.shape != clean.shape:
        raise ValueError(f"x has shape {x.shape} but clean has shape {clean.shape}")
    denoised = np.asarray(D(x), dtype=np.float64)
    if denoised.shape != x.shape:
        raise ValueError(f"D(x) has shape {denoised.shape}, expected {x.shape}")
    gradient = red.red_gradient(x, denoised)
    magnitude = np.abs(gradient)
    rough, region = rough_mask(clean, width, fraction, noisy)
    mean_smooth = _mean(magnitude[~rough])
    mean_rough = _mean(magnitude[rough])
    if mean_smooth > 0:
        ratio = mean_rough / mean_smooth
    else:  # zero on the smooth stretches: infinitely more near the rough part, or nothing at all
        ratio = float("inf") if mean_rough > 0 else float("nan")
    with np.errstate(divide="ignore"):  # PSNR is +inf when a signal equals the clean one
        psnr_x, psnr_denoised = psnr(clean, x), psnr(clean, denoised)
    return FieldStats(
        clean=clean, x=x, denoised=denoised, gradient=gradient, magnitude=magnitude,
        local_mean=ndimage.uniform_filter1d(magnitude, 2 * width + 1, mode="mirror"),
        rough=rough, region=region, mean_smooth=mean_smooth, mean_rough=mean_rough,
        ratio=float(ratio), mean_noise=_mean(np.abs(x - clean)),
        rho=red.regulariser(x, denoised), psnr_x=psnr_x, psnr_denoised=psnr_denoised,
    )


def format_ratio(ratio: float) -> str:
    """The rough/smooth ratio for a caption: ``5.71×``; ``—`` when it is undefined (no field at
    all, or an empty region) or infinite (no field on the smooth stretches)."""
    if math.isnan(ratio):
        return "—"
    if math.isinf(ratio):
        return "— (no field on the smooth stretches)"
    return f"{ratio:.2f}×"


def format_psnr(value: float) -> str:
    """A PSNR for a caption: ``24.31 dB``, or ``exact`` when the signal equals the clean one."""
    if math.isinf(value) and value > 0:
        return "exact (equal to the clean signal)"
    return f"{value:.2f} dB" if math.isfinite(value) else "—"


def _number(value: float, spec: str = ".4f") -> str:
    return format(value, spec) if math.isfinite(value) else "—"


def caption(stats: FieldStats, x_name: str = "x") -> str:
    """The page's caption under the field figure: the numbers of ``stats`` and
    :func:`summary`, in Markdown, with no ``nan`` or ``inf`` in the text."""
    return (
        f"**Mean |x − D(x)|**: {_number(stats.mean_smooth)} on the {stats.smooth_label}, "
        f"{_number(stats.mean_rough)} {stats.region_description} (ratio "
        f"**{format_ratio(stats.ratio)}**; mean noise |x − clean| "
        f"{_number(stats.mean_noise)}). **ρ(x)** = {_number(stats.rho, '.4g')}. "
        f"**PSNR** of {x_name} {format_psnr(stats.psnr_x)}, of D(x) "
        f"{format_psnr(stats.psnr_denoised)}.  \n" + summary(stats)
    )


def summary(stats: FieldStats) -> str:
    """One or two Markdown sentences reading the numbers of ``stats`` (for the page caption)."""
    where, smooth = stats.region_label, stats.smooth_label
    # x equal to the clean signal: whatever D changes is its own bias, not noise removed
    prefix = ("No noise: x is the clean signal, so the field is the denoiser's own bias. "
              if stats.mean_noise == 0 else "")
    if not stats.magnitude.any():
        return prefix + "The denoiser leaves this signal unchanged: the RED gradient is zero."
    if np.isnan(stats.ratio):
        return prefix + "The two regions cannot be compared here (one of them is empty)."
    if stats.ratio > 100:  # includes inf: the smooth stretches are (numerically) left alone
        return prefix + (f"The field vanishes on the {smooth} (mean {stats.mean_smooth:.1e}) "
                         f"and lives **{where}**: the denoiser only changes the signal there.")
    if stats.region == "noisy" and stats.ratio > 1.1:
        return prefix + (
            f"The RED gradient is **{stats.ratio:.2f}× larger {where}** than on the quiet ones: "
            f"small where x is smooth (the denoiser changes little), large where x has "
            f"noise-like fluctuations (the denoiser makes big corrections).")
    if stats.ratio > 1.1:
        verdict = (f"The denoiser corrects the signal most **{where}**: the RED gradient is "
                   f"{stats.ratio:.2f}× larger there than on the {smooth}.")
    elif stats.ratio < 1 / 1.1:
        verdict = (f"This denoiser changes the signal **less** {where} ({stats.ratio:.2f}×) "
                   f"than on the {smooth}.")
    else:
        verdict = (f"The RED gradient is about as large {where} as on the {smooth} "
                   f"({stats.ratio:.2f}×).")
    if stats.mean_noise > 0 and stats.region != "noisy":
        verdict += (f" On the {smooth} it is {stats.mean_smooth / stats.mean_noise:.0%} "
                    f"of the mean noise |x − clean|: there the field is mostly the noise-like "
                    f"fluctuation the denoiser removes.")
    return prefix + verdict


# --------------------------------------------------------------------------- descent


def denoising_problem(clean: np.ndarray, noisy: np.ndarray, noise_sigma: float) -> Problem:
    """The 1-D denoising problem ``y = x + e`` (``A = I``, ``y = noisy``, ``σ_e = noise_sigma``)."""
    noisy = _signal(noisy, "noisy")
    return Problem(operators.build("denoise", noisy.shape), noisy, noise_sigma, truth=clean)


def descent_params(
    problem: Problem,
    lam_sigma2: float = DESCENT_LAM_SIGMA2,
    step_fraction: float = DESCENT_STEP_FRACTION,
) -> dict[str, float]:
    """``λ = lam_sigma2 / σ_e²`` and ``μ = step_fraction · 2 / (L_f + λ)`` for RED-GD.

    ``σ_e`` is the problem's effective noise level (at least ``red_core.problem.MIN_NOISE_SIGMA``).
    ``step_fraction < 1`` is the safe range of gradient descent when the eigenvalues of the
    denoiser's Jacobian lie in [0, 1].
    """
    if not (np.isfinite(lam_sigma2) and lam_sigma2 >= 0):
        raise ValueError(f"lam_sigma2 must be a finite number >= 0, got {lam_sigma2!r}")
    if not (np.isfinite(step_fraction) and step_fraction > 0):
        raise ValueError(f"step_fraction must be a finite number > 0, got {step_fraction!r}")
    lam = float(lam_sigma2) / problem.sigma_eff**2
    return {"lam": lam, "step": float(step_fraction) * solvers.safe_step(problem, lam)}


class Descent:
    """RED gradient descent advanced a chunk of iterations at a time (for an animation).

    An animation frame (:meth:`advance_frame`) computes for at most
    :data:`FRAME_WORK_SECONDS` and at most doubles the iteration count (the first frame
    :data:`FIRST_CHUNK` iterations), then the page draws it.

    Wraps ``solvers.iterate("red-gd", ...)``; keeps the current iterate and the records
    (without ``x``) so far.

    Parameters
    ----------
    problem : Problem
        E.g. from :func:`denoising_problem`.
    denoiser : callable
    lam, step : float
        RED-GD's ``λ`` and ``μ`` (see :func:`descent_params`).
    max_iter : int
        Iterations at most (>= 1).
    tol : float
        Stop once the relative change falls below it.

    Attributes
    ----------
    x : numpy.ndarray
        The current iterate (starts at ``problem.x0 = y``).
    history : list of dict
        The runner's records so far, without ``x``.
    status, message : str
        ``running`` until the runner's last record says ``converged``, ``max_iter`` or
        ``diverged``, or :meth:`stop` is called (``stopped``).
    """

    def __init__(self, problem: Problem, denoiser: Callable[[np.ndarray], np.ndarray], *,
                 lam: float, step: float, max_iter: int, tol: float = 1e-6):
        if int(max_iter) < 1:
            raise ValueError(f"max_iter must be at least 1, got {max_iter!r}")
        self.max_iter = int(max_iter)
        self._records = solvers.iterate("red-gd", problem, denoiser, max_iter=self.max_iter,
                                        tol=tol, lam=lam, step=step)
        self._trace = solvers.Trace(problem.x0)
        # Streamlit may run the Stop button's callback on a new script thread while the old
        # one is still inside next(): one lock makes stepping and stopping take turns.
        self._lock = threading.Lock()
        self.advance(0)  # the starting point's record (objective of x₀)

    @property
    def x(self) -> np.ndarray:
        return self._trace.x

    @property
    def history(self) -> list[dict]:
        return self._trace.history

    @property
    def status(self) -> str:
        return self._trace.status

    @property
    def message(self) -> str:
        return self._trace.message

    @property
    def done(self) -> bool:
        """True once the run has ended (any status but ``running``)."""
        return self._trace.done

    @property
    def iteration(self) -> int:
        """Iterations done so far."""
        return self._trace.iterations

    def advance(self, iterations: int) -> bool:
        """Run up to ``iterations`` more iterations; return True while the run goes on."""
        target = self.iteration + max(0, int(iterations))
        while not self.history or self.iteration < target:
            if not self._step():
                break
        return not self.done

    def _step(self) -> bool:
        """One record from the runner, unless the run has ended; True if one was added."""
        with self._lock:
            if self.done:
                return False
            self._trace.add(next(self._records))
            return True

    def advance_for(self, seconds: float, max_iterations: int | None = None) -> bool:
        """Run iterations until ``seconds`` of work have passed (at least one iteration) or
        ``max_iterations`` more are done; return True while the run goes on."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
        target = None if max_iterations is None else self.iteration + max(1, int(max_iterations))
        deadline = time.perf_counter() + seconds
        while target is None or self.iteration < target:
            if not self._step() or time.perf_counter() >= deadline:
                break
        return not self.done

    def advance_frame(self, seconds: float = FRAME_WORK_SECONDS) -> bool:
        """Advance one animation frame: :data:`FIRST_CHUNK` iterations first, then at most as
        many again as done so far (the count doubles), within ``seconds`` of work. True while
        the run goes on."""
        return self.advance_for(seconds, max(FIRST_CHUNK, self.iteration))

    def stop(self) -> None:
        """End the run where it is (status ``stopped``)."""
        with self._lock:  # waits for an iteration in progress on another thread (a few ms)
            if not self.done:
                self._trace.end("stopped", f"stopped after {self.iteration} iterations")
                self._records.close()


def status_text(run: Descent, step_fraction: float,
                control: str = "step fraction μ/(2/(L_f + λ))") -> str:
    """How the descent stands, for the page: the runner's message, except that a diverged run
    names the page's ``control`` and its value (``red_core.solvers`` names the absolute μ).

    Parameters
    ----------
    run : Descent
    step_fraction : float
        The control's value: the step as a fraction of the safe bound ``2/(L_f + λ)``.
    control : str
        The control's name on the page.
    """
    if run.status == "running":
        return "running…"
    if run.status == "diverged":
        return (f"diverged at iteration {run.iteration}: the iterate left every sensible range. "
                f"Lower the {control} (now {step_fraction:.2f}; below 1 is safe) and descend "
                f"again.")
    if run.status == "max_iter":  # the runner says "stopped after max_iter": not the Stop button
        rel = run.history[-1].get("rel_change") if run.history else None
        change = (f" (relative change {rel:.2e})" if rel is not None and math.isfinite(rel)
                  else "")
        return f"max_iter: the limit of {run.iteration} iterations, not converged{change}"
    return run.message or run.status


# --------------------------------------------------------------------------- helpers


def _signal(values: np.ndarray, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size < 3:
        raise ValueError(f"{name} must be a 1-D signal of at least 3 samples, got shape "
                         f"{values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must contain finite values only")
    return values


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")
