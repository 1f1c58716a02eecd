"""The one record type every run reports, and the one fold of records into a history.

Every algorithm yields :class:`State` objects; the runner (:mod:`red_core.solvers.runner`) turns
each into a *record*, a dict whose keys are declared once here (:data:`RECORD_KEYS`), and
:class:`Trace` folds a stream of records into what callers keep: the history (records without
the iterate), the last finite iterate, the status and the resolved parameters. The race, the
1-D descent and :func:`red_core.solvers.run` all use the same :class:`Trace`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["FINAL_STATUSES", "RECORD_KEYS", "STATUSES", "State", "Trace", "blank_record"]


@dataclass
class State:
    """One iterate of an algorithm: ``x`` and, when the algorithm has it, ``denoised = D(x)``."""

    x: np.ndarray
    denoised: np.ndarray | None = None


#: The keys of every record, in the order of the CSV of a history:
#:
#: - ``iter``: iteration (0 is the starting point);
#: - ``psnr``: PSNR in dB against the truth (None without one);
#: - ``objective``: the RED objective ``E(x) = f(x) + λρ(x)`` (``f + λg`` for a gradient-step
#:   denoiser), ``residual``: the stationarity residual ``‖∇f(x) + λ(x − D(x))‖`` (both None
#:   when not computed);
#: - ``rel_change``: ``‖x_k − x_{k−1}‖ / ‖x_{k−1}‖``;
#: - ``time``, ``denoiser_time``: seconds of the algorithm's own work since the start, and its
#:   part inside the denoiser; ``denoiser_calls``, ``data_steps``: the algorithm's own denoiser
#:   calls and data-term steps (gradients and proxes);
#: - ``stats_denoiser_calls``, ``stats_time``: the extra calls and time the statistics took;
#: - ``cycle_ratio``, ``cycle_period``: ``min_p ‖x_k − x_{k−p}‖ / ‖x_k − x_{k−1}‖`` over
#:   ``p = 2..4`` and its ``p`` (near 0 when the iterates cycle with period ``p``; None before
#:   iteration 4), read by :mod:`red_core.solvers.health`;
#: - ``status`` (:data:`STATUSES`) and ``message`` (one sentence, on the last record).
RECORD_KEYS: tuple[str, ...] = (
    "iter", "psnr", "objective", "residual", "rel_change", "time", "denoiser_time",
    "denoiser_calls", "data_steps", "stats_denoiser_calls", "stats_time", "cycle_ratio",
    "cycle_period", "status", "message",
)
#: ``running`` on every record but the last, which has one of :data:`FINAL_STATUSES`.
STATUSES: tuple[str, ...] = ("running", "converged", "max_iter", "diverged", "stopped", "error")
FINAL_STATUSES: tuple[str, ...] = STATUSES[1:]
#: Record keys that are not kept in a history (the iterate, the parameters of the first record).
_NOT_KEPT = ("x", "params")


def blank_record(k: int, x: np.ndarray | None = None, **values: Any) -> dict[str, Any]:
    """A record of iteration ``k`` with every key of :data:`RECORD_KEYS` (None unless given)."""
    rec: dict[str, Any] = dict.fromkeys(RECORD_KEYS)
    rec.update(iter=k, x=x, status="running", message="")
    rec.update(values)
    return rec


@dataclass
class Trace:
    """A run folded from its records: history, last finite iterate, status, parameters.

    Attributes
    ----------
    x : ndarray
        The last finite iterate (a diverged record's iterate is not kept).
    history : list of dict
        The records without ``x`` and ``params``; a record without timing (a run that stopped
        before its first iterate) is not kept.
    status, message : str
        Of the last record (``running`` until the run ends).
    params : dict
        The resolved parameters (from the first record).
    """

    x: np.ndarray
    history: list[dict] = field(default_factory=list)
    status: str = "running"
    message: str = ""
    params: dict = field(default_factory=dict)

    def add(self, rec: dict[str, Any]) -> None:
        """Fold one record in."""
        if "params" in rec:
            self.params = rec["params"]
        if rec["status"] != "diverged" and rec.get("x") is not None:
            self.x = rec["x"]
        if rec["time"] is not None:
            self.history.append({k: v for k, v in rec.items() if k not in _NOT_KEPT})
        self.status, self.message = rec["status"], rec["message"]

    def end(self, status: str, message: str) -> None:
        """End the run from outside (``stopped``), keeping what it reached."""
        self.status, self.message = status, message

    @property
    def done(self) -> bool:
        return self.status != "running"

    @property
    def iterations(self) -> int:
        """The last iteration recorded (0 before the first)."""
        return self.history[-1]["iter"] if self.history else 0

    @property
    def last(self) -> dict:
        """The last record kept (``{}`` before the first)."""
        return self.history[-1] if self.history else {}
