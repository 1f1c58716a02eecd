r"""The RED gradient field of a 1-D signal (the "1-D gradient field" page).

The RED gradient :math:`g(x) = x - D(x)` (``red_core.theory.regulariser.red_gradient``) says,
sample by sample, how far and in which direction a RED step moves the signal: the update
:math:`x \leftarrow x - \mu(\nabla f(x) + \lambda (x - D(x)))` moves every sample from ``x``
towards ``D(x)``. :func:`gradient_field` measures where that field is large: on the smooth
stretches of the clean signal or near its jumps (for signals without jumps: where the clean
signal bends most). :class:`Descent` runs RED gradient descent on the 1-D denoising problem
(``A = I``) in chunks, through the one runner ``red_core.solvers.iterate``, for an animation.

Examples
--------
>>> from red_core import denoisers, signals
>>> from red_core.lab import field1d
>>> clean = signals.make("piecewise_constant", 256, seed=0)
>>> x = signals.noisy(clean, 0.05, seed=0)
>>> stats = field1d.gradient_field(clean, x, denoisers.build("gaussian", 0.05))
>>> stats.region, stats.mean_rough > stats.mean_smooth
('jumps', True)
"""

from __future__ import annotations

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
    "JUMP_WIDTH",
    "Descent",
    "FieldStats",
    "curvature_mask",
    "denoising_problem",
    "descent_params",
    "gradient_field",
    "rough_mask",
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

Region = Literal["jumps", "curvature"]


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
    clean: np.ndarray, width: int = JUMP_WIDTH, fraction: float = CURVATURE_FRACTION
) -> tuple[np.ndarray, Region]:
    """Samples near a jump of ``clean`` or, when it has none, where it bends most.

    Returns
    -------
    mask : numpy.ndarray of bool, shape (n,)
        ``signals.jump_mask(clean, width)`` if it marks anything, else
        :func:`curvature_mask` ``(clean, fraction)``.
    region : {"jumps", "curvature"}
        Which of the two the mask is.
    """
    near_jump = signals.jump_mask(_signal(clean, "clean"), width)
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
        Samples near a jump of ``clean`` (``region == "jumps"``) or, for signals without
        jumps, where it bends most (``region == "curvature"``); see :func:`rough_mask`.
    region : {"jumps", "curvature"}
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
        """Where ``rough`` is, in words: "near a jump" or "where the signal bends most"."""
        return "near a jump" if self.region == "jumps" else "where the signal bends most"


def gradient_field(
    clean: np.ndarray,
    x: np.ndarray,
    D: Callable[[np.ndarray], np.ndarray],
    *,
    width: int = JUMP_WIDTH,
    fraction: float = CURVATURE_FRACTION,
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
    width, fraction : int, float
        See :func:`rough_mask`.

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
    rough, region = rough_mask(clean, width, fraction)
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


def summary(stats: FieldStats) -> str:
    """One or two Markdown sentences reading the numbers of ``stats`` (for the page caption)."""
    where = stats.region_label
    if np.isnan(stats.ratio):
        if not stats.magnitude.any():
            return "The denoiser leaves this signal unchanged: the RED gradient is zero."
        return "The two regions cannot be compared here (one of them is empty)."
    if stats.ratio > 100:  # includes inf: the smooth stretches are (numerically) left alone
        return (f"The field vanishes on the smooth stretches (mean {stats.mean_smooth:.1e}) and "
                f"lives **{where}**: the denoiser only changes the signal there.")
    if stats.ratio > 1.1:
        verdict = (f"The denoiser corrects the signal most **{where}**: the RED gradient is "
                   f"{stats.ratio:.2f}× larger there than on the smooth stretches.")
    elif stats.ratio < 1 / 1.1:
        verdict = (f"This denoiser preserves the signal {where}: it changes it **less** there "
                   f"({stats.ratio:.2f}×) than on the smooth stretches.")
    else:
        verdict = (f"The RED gradient is about as large {where} as on the smooth stretches "
                   f"({stats.ratio:.2f}×).")
    if stats.mean_noise > 0:
        verdict += (f" On the smooth stretches it is {stats.mean_smooth / stats.mean_noise:.0%} "
                    f"of the mean noise |x − clean|: there the field is mostly the noise-like "
                    f"fluctuation the denoiser removes.")
    return verdict


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
        while not self.done and (not self.history or self.iteration < target):
            self._trace.add(next(self._records))
        return not self.done

    def advance_frame(self) -> bool:
        """Advance one animation frame: one iteration at a time at first, then 25 % more per
        frame (``max(1, k // 4)`` iterations at iteration ``k``), so the fast early changes are
        seen and a long run still ends in a few dozen frames. True while the run goes on."""
        return self.advance(max(1, self.iteration // 4))

    def stop(self) -> None:
        """End the run where it is (status ``stopped``)."""
        if not self.done:
            self._trace.end("stopped", f"stopped after {self.iteration} iterations")
            self._records.close()


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
