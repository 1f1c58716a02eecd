"""What a run's curves say beyond its status: peaked, oscillating or stalled, and what to change.

A run can end ``max_iter`` or even ``converged`` and still be a poor answer: its PSNR rose to a
peak and fell back (the prior is too weak for this noise, or the run should stop earlier), its
iterates cycle with period 2 or more (a denoiser that is not non-expansive with these
parameters), or it crawls with a relative change that no longer shrinks while the PSNR is flat.
:func:`assess` reads a history (the records of :func:`red_core.solvers.iterate`) and returns one
:class:`Health` with its flags, the best iterate's PSNR and iteration, and one line of advice per
flag naming the parameter to change and the direction. Pages show it; scripts and sweeps get the
same words.

Examples
--------
>>> from red_core.solvers import health
>>> rows = [{"iter": k, "psnr": p, "rel_change": 0.01} for k, p in
...         enumerate([20, 25, 28, 29, 28.6, 28.2, 27.9, 27.7])]
>>> h = health.assess(rows, "red-fp")
>>> h.flags, h.best_iter, round(h.drop, 1)
(('peaked',), 3, 1.3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["FLAGS", "PEAK_DROP_DB", "Health", "advice", "assess"]

#: The flags, most serious first (a run can have several).
FLAGS: tuple[str, ...] = ("oscillating", "peaked", "stalled")
#: The PSNR fell at least this far below its best: ``peaked``.
PEAK_DROP_DB = 0.5
#: Iterations at the end of a run the oscillation and stall tests look at.
WINDOW = 8
#: A stall: over the window the PSNR moves less than this (dB) ...
STALL_PSNR_DB = 0.01
#: ... while the relative change stays above the run's tolerance and shrinks by less than this
#: factor from the start of the window to its end.
STALL_SHRINK = 0.5
#: A cycle: ‖x_k − x_{k−p}‖ is below this fraction of ‖x_k − x_{k−1}‖ for some p in 2..4
#: (``cycle_ratio`` of the records) on every iteration of the window.
CYCLE_RATIO = 0.25
#: A cycle whose PSNR swings less than this (dB) over the window changes nothing visible: it is
#: reported as ``stalled`` (the run cannot meet its tolerance, nothing is lost by stopping).
CYCLE_PSNR_DB = 0.02


@dataclass(frozen=True)
class Health:
    """The verdict on one run.

    Attributes
    ----------
    flags : tuple of str
        Some of :data:`FLAGS`, most serious first; empty for a healthy run.
    best_psnr, best_iter : float or None, int or None
        The best PSNR reached and its iteration (None without a truth).
    final_psnr : float or None
    drop : float
        ``best_psnr − final_psnr`` in dB (0 without a truth).
    period : int or None
        The period of the cycle when ``oscillating``.
    advice : tuple of str
        One line per flag: which parameter to change, and which way.
    """

    flags: tuple[str, ...] = ()
    best_psnr: float | None = None
    best_iter: int | None = None
    final_psnr: float | None = None
    drop: float = 0.0
    period: int | None = None
    advice: tuple[str, ...] = field(default=())

    @property
    def flag(self) -> str:
        """The most serious flag, or ``"ok"``."""
        return self.flags[0] if self.flags else "ok"

    @property
    def text(self) -> str:
        """The advice as one paragraph (empty for a healthy run)."""
        return " ".join(self.advice)


def _finite(values: Sequence) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def advice(flag: str, method: str | None, health: Health | None = None) -> str:
    """One line on what to change for ``flag`` with ``method`` (a registered algorithm name)."""
    family = "pnp" if method is not None and method.startswith("pnp") else "red"
    best = ""
    if health is not None and health.best_iter is not None:
        best = (f" The best iterate (iteration {health.best_iter}, "
                f"{health.best_psnr:.2f} dB) is kept.")
    if flag == "peaked":
        drop = f"{health.drop:.1f} dB " if health is not None else ""
        prior = ("raise λ or the denoiser σ_d (a stronger prior)" if family == "red"
                 else "raise the denoiser σ_d (a stronger denoiser)")
        return (f"Peaked: the PSNR fell {drop}below its best while the run went on (noise is "
                f"fitted back in). Stop earlier, or {prior}.{best}")
    if flag == "oscillating":
        period = f" with period {health.period}" if health is not None and health.period else ""
        if method in ("red-gd", "pnp-pgd"):
            fix = "lower the step μ"
        elif family == "pnp":
            fix = "lower the denoiser σ_d or raise β (a better-behaved denoiser step)"
        else:
            fix = "raise λ·L (RED-PG: L; RED-ADMM: β), or lower the denoiser σ_d"
        return (f"Oscillating: the iterates cycle{period} instead of converging. To damp it, "
                f"{fix}.{best}")
    if flag == "stalled":
        return ("Stalled: the PSNR no longer moves while the relative change stays above the "
                "tolerance (the denoiser is not smooth enough to settle). Nothing is lost by "
                "stopping: raise the tolerance or lower max_iter.")
    raise ValueError(f"flag must be one of {', '.join(FLAGS)}, got {flag!r}")


def _period(history: Sequence[dict]) -> int | None:
    """The cycle period, when the last :data:`WINDOW` records all show one (``cycle_ratio``)."""
    tail = history[-WINDOW:]
    if len(tail) < WINDOW:
        return None
    periods = [h.get("cycle_period") for h in tail]
    ratios = _finite([h.get("cycle_ratio") for h in tail])
    if np.all(np.isfinite(ratios)) and np.all(ratios < CYCLE_RATIO):
        return int(max(set(periods), key=periods.count) or 2)
    # The PSNR alone: a sign that alternates every iteration with an amplitude that is not
    # dying out (a 2-cycle seen through the metric; the iterates may be too costly to keep).
    psnr = _finite([h.get("psnr") for h in tail])
    if np.all(np.isfinite(psnr)):
        d = np.diff(psnr)
        signs = np.sign(d)
        if np.all(signs[1:] * signs[:-1] < 0) and np.all(np.abs(d) > 1e-3) and \
                abs(d[-1]) > 0.5 * abs(d[0]):
            return 2
    return None


def assess(history: Sequence[dict], method: str | None = None, tol: float = 0.0) -> Health:
    """The :class:`Health` of a run from its history (see the module docstring).

    Parameters
    ----------
    history : sequence of dict
        Records with at least ``iter``, ``psnr`` and ``rel_change`` (``cycle_ratio`` and
        ``cycle_period`` when the runner measured them).
    method : str, optional
        The algorithm, for the advice.
    tol : float
        The run's tolerance on the relative change (for ``stalled``).
    """
    rows = [h for h in history if h.get("iter") is not None]
    if not rows:
        return Health()
    psnr = _finite([h.get("psnr") for h in rows])
    best_psnr = best_iter = final = None
    drop = 0.0
    if np.isfinite(psnr).any():
        i = int(np.nanargmax(psnr))
        best_psnr, best_iter = float(psnr[i]), int(rows[i]["iter"])
        final = float(psnr[-1]) if np.isfinite(psnr[-1]) else None
        drop = best_psnr - final if final is not None else 0.0
    flags = []
    tail = rows[-WINDOW:]
    rel = _finite([h.get("rel_change") for h in tail])
    tail_psnr = _finite([h.get("psnr") for h in tail])
    swing = float(np.ptp(tail_psnr)) if np.all(np.isfinite(tail_psnr)) else math.inf
    period = _period(rows)
    if period is not None and swing < CYCLE_PSNR_DB:
        period = None  # a cycle too small to see: the run has stalled, not oscillated
        flat = True
    else:
        flat = swing < STALL_PSNR_DB
    if period is not None:
        flags.append("oscillating")
    if drop >= PEAK_DROP_DB:
        flags.append("peaked")
    if (len(tail) == WINDOW and period is None and flat and np.all(np.isfinite(rel))
            and np.all(rel > max(tol, 1e-12)) and rel[-1] > STALL_SHRINK * rel[0]):
        flags.append("stalled")
    health = Health(tuple(flags), best_psnr, best_iter, final, max(drop, 0.0), period)
    return Health(health.flags, best_psnr, best_iter, final, health.drop, period,
                  tuple(advice(f, method, health) for f in health.flags))
