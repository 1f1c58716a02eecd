"""A session's sweep on the app's one Dask client: start, watch, stop, and stop when it leaves.

Every session's sweep is its own set of futures on the one client of the app process
(``red_core.sweeps.client()``: a local cluster by default, or ``RED_LAB_DASK_SCHEDULER``). A
page keeps its sweep in ``st.session_state`` and calls :func:`seen` whenever it draws it; a
watchdog thread cancels a sweep nobody has drawn for :data:`IDLE_CANCEL_SECONDS` (the tab was
closed or the user went to another page), so an abandoned grid never holds the workers.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import streamlit as st

from red_core import sweeps
from red_core.sweeps import Cell, Sweep

#: A sweep not drawn for this long is cancelled (a page redraws a running sweep every second).
IDLE_CANCEL_SECONDS = 20.0

_LOCK = threading.Lock()
_WATCHED: dict[int, tuple[Sweep, list[float]]] = {}
_WATCHDOG: threading.Thread | None = None


def _watchdog() -> None:
    while True:
        time.sleep(2.0)
        now = time.monotonic()
        with _LOCK:
            idle = [s for s, seen in _WATCHED.values()
                    if not s.done and now - seen[0] > IDLE_CANCEL_SECONDS]
            for key in [k for k, (s, _) in _WATCHED.items() if s.done]:
                del _WATCHED[key]
        for sweep in idle:
            sweep.cancel(wait=False)


def _watch(sweep: Sweep) -> None:
    global _WATCHDOG
    with _LOCK:
        _WATCHED[id(sweep)] = (sweep, [time.monotonic()])
        if _WATCHDOG is None:
            _WATCHDOG = threading.Thread(target=_watchdog, daemon=True, name="sweep-watchdog")
            _WATCHDOG.start()


_WARM: list[threading.Thread] = []


def warm_up() -> None:
    """Start the app's Dask client in the background (once per process) when a sweep page
    opens: the first local cluster takes seconds to start, not to be spent after Run."""
    with _LOCK:
        if _WARM:
            return
        thread = threading.Thread(target=_connect, daemon=True, name="sweep-warm-up")
        _WARM.append(thread)
    thread.start()


def _connect() -> None:
    try:
        sweeps.client()
    except Exception:  # the first sweep will report it
        pass


def seen(sweep: Sweep) -> None:
    """Say the session still shows ``sweep`` (keeps the watchdog away)."""
    with _LOCK:
        entry = _WATCHED.get(id(sweep))
        if entry is not None:
            entry[1][0] = time.monotonic()


def start(key: str, cells: list[Cell], images: dict[str, np.ndarray] | None = None,
          **meta: Any) -> Sweep:
    """Cancel the session's previous sweep under ``key``, submit ``cells`` and keep the new
    sweep (with ``meta``, for the page) in ``st.session_state[key]``."""
    stop(key)
    with st.spinner("Connecting to the Dask cluster (the first sweep starts a local one)…"):
        sweep = sweeps.submit(cells, images=images)
    _watch(sweep)
    st.session_state[key] = {"sweep": sweep, **meta}
    return sweep


def stop(key: str) -> None:
    """Cancel the session's sweep under ``key`` (its queued cells stop at once)."""
    kept = st.session_state.get(key)
    if kept is not None and not kept["sweep"].done:
        kept["sweep"].cancel(wait=False)


def progress(sweep: Sweep, unit: str = "cells") -> None:
    """Draw the sweep's progress bar (and say the session still shows it)."""
    seen(sweep)
    done, total = sweep.progress
    status = "cancelled" if sweep.cancelled else "done" if sweep.done else "running"
    st.progress(done / max(total, 1), text=f"{done} of {total} {unit} · {status}")


def where_text() -> str:
    """Where sweeps run, for the page (with the dashboard link when there is one)."""
    place = sweeps.where()
    text = f"Sweeps run on the **{place.text}**"
    if place.dashboard:
        text += f" · [Dask dashboard]({place.dashboard})"
    return text + "."
