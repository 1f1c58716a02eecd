"""Slow denoiser calls in worker processes of their own, at a low priority.

A race lane that calls BM3D in the server's process shares the GIL with the other lanes and
with the web server's threads. Lowering the lane thread's priority is not enough: the thread is
preempted while it holds the GIL, and the fast lanes then wait for a thread that waits for a
core (priority inversion). A worker process shares no GIL: the lane's thread waits on a pipe
while the worker, at nice :data:`NICE`, takes only the CPU time that nothing else wants.

The workers are shared by every race of the process (at most :data:`WORKERS` of them, started
on the first call and kept), and rebuild each denoiser from its registry name, σ and
parameters (a built denoiser holds closures, which do not pickle); the result is the same
array the denoiser would return in the process.

Examples
--------
>>> import numpy as np
>>> from red_core import denoisers
>>> from red_core.lab import offload
>>> d = denoisers.build("gaussian", 0.1)
>>> x = np.random.default_rng(0).random((32, 32))
>>> bool(np.array_equal(offload.Offloaded(d)(x), d(x)))
True
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np

from red_core import denoisers

__all__ = ["NICE", "WORKERS", "Offloaded", "offloadable", "worker_info"]

#: Nice value of the worker processes (the server's threads run at 0).
NICE = 10

#: Worker processes at most: one per core, so two slow lanes still run side by side.
WORKERS = max(1, os.cpu_count() or 1)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None

#: In a worker: the denoisers built so far, by (name, σ, parameters).
_built: dict[tuple, Any] = {}


def _init_worker(nice: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except (AttributeError, OSError):  # not Linux, or not allowed: run at the same priority
        pass


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: the server has many threads, and a forked child may inherit a
            # lock one of them held
            _pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_init_worker, initargs=(NICE,))
        return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def _key(denoiser: Any) -> tuple:
    return (denoiser.name, float(denoiser.sigma), tuple(sorted(denoiser.params.items())))


def _apply(key: tuple, x: np.ndarray) -> np.ndarray:
    """In a worker: ``denoisers.build(*key)(x)``, the built denoiser kept for the next call."""
    d = _built.get(key)
    if d is None:
        if len(_built) >= 8:
            _built.clear()
        name, sigma, params = key
        d = _built[key] = denoisers.build(name, sigma, **dict(params))
    return d(x)


def _info() -> dict[str, int]:
    return {"pid": os.getpid(), "nice": os.getpriority(os.PRIO_PROCESS, 0)}


def offloadable(denoiser: Any) -> bool:
    """Whether ``denoiser`` (from :func:`red_core.denoisers.build`) should run in a worker: a
    slow one (registry ``speed == "slow"``) that a fresh process can rebuild by name (a
    registered in ``red_core`` itself, not by a script or a test at run time)."""
    spec = getattr(denoiser, "spec", None)
    return (spec is not None and spec.speed == "slow" and denoiser.sigma > 0
            and getattr(spec.factory, "__module__", "").startswith("red_core."))


class Offloaded:
    """``denoiser``, its calls run in a worker process; every other attribute is the local
    denoiser's (``name``, ``sigma``, ``potential``, ...).

    A call raises what the denoiser raised in the worker. If the worker died (killed, out of
    memory), the call runs here instead and the next one starts a new worker.
    """

    def __init__(self, denoiser: Any) -> None:
        self.local = denoiser
        self.key = _key(denoiser)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        pool = _executor()
        try:
            return pool.submit(_apply, self.key, np.asarray(x)).result()
        except BrokenProcessPool:
            _discard(pool)
            return self.local(x)

    def __getattr__(self, name: str) -> Any:
        if name == "local":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.local, name)

    def __repr__(self) -> str:
        return f"Offloaded({self.local!r})"


def worker_info() -> dict[str, int]:
    """``{"pid", "nice"}`` of a worker process (starting one if none runs): for tests and
    diagnostics."""
    return _executor().submit(_info).result()
