"""Slow denoiser calls in worker processes of their own, at a low priority.

A race lane that calls BM3D in the server's process shares the GIL with the other lanes and
with the web server's threads. Lowering the lane thread's priority is not enough: the thread is
preempted while it holds the GIL, and the fast lanes then wait for a thread that waits for a
core (priority inversion). A worker process shares no GIL: the lane's thread waits on a pipe
while the worker, at nice :data:`NICE`, takes only the CPU time that nothing else wants.

Each :class:`Offloaded` denoiser takes a worker for itself on its first call (a warm idle one
if there is one) and gives it back with :meth:`Offloaded.close`; ``close(cancel=True)`` during
a call ends the worker at once, so a stopped lane does not go on computing in the background,
and starts a fresh idle one in its place. Workers run at nice :data:`NICE` from their start.
A worker rebuilds the denoiser from its registry name, σ and parameters (a built denoiser
holds closures, which do not pickle); the result is the array the denoiser returns here.

Examples
--------
>>> import numpy as np
>>> from red_core import denoisers
>>> from red_core.lab import offload
>>> d = offload.Offloaded(denoisers.build("gaussian", 0.1))
>>> x = np.random.default_rng(0).random((32, 32))
>>> bool(np.array_equal(d(x), d.local(x)))
True
>>> d.close()
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from typing import Any

import numpy as np

from red_core import denoisers

__all__ = ["KEEP_IDLE", "NICE", "Offloaded", "offloadable"]

#: Nice value of the worker processes (the server's threads run at 0).
NICE = 10

#: Idle workers kept warm for the next slow lane (a worker's first BM3D call is slower).
KEEP_IDLE = max(1, os.cpu_count() or 1)

_lock = threading.Lock()
_idle: list[_Worker] = []

#: In a worker: the denoisers built so far, by (name, σ, parameters).
_built: dict[tuple, Any] = {}


def _apply(key: tuple, x: np.ndarray) -> np.ndarray:
    """In a worker: ``denoisers.build(*key)(x)``, the built denoiser kept for the next call."""
    d = _built.get(key)
    if d is None:
        if len(_built) >= 8:
            _built.clear()
        name, sigma, params = key
        d = _built[key] = denoisers.build(name, sigma, **dict(params))
    return d(x)


def _serve(conn: Any, nice: int) -> None:
    """A worker's loop: ``(key, x)`` in, ``(True, D(x))`` or ``(False, exception)`` out."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except (AttributeError, OSError):  # not Linux, or not allowed: run at the same priority
        pass
    while True:
        try:
            key, x = conn.recv()
        except (EOFError, OSError):  # the server closed the pipe or ended
            return
        if key is None:  # a question about the worker itself (tests, diagnostics)
            conn.send((True, {"pid": os.getpid(), "nice": os.getpriority(os.PRIO_PROCESS, 0)}))
            continue
        try:
            conn.send((True, _apply(key, x)))
        except Exception as err:  # the denoiser refused: the caller raises the same
            try:
                conn.send((False, err))
            except Exception:  # an exception that does not pickle
                conn.send((False, RuntimeError(f"{type(err).__name__}: {err}")))


class _Worker:
    def __init__(self) -> None:
        # spawn, not fork: the server has many threads, and a forked child may inherit a lock
        # one of them held
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, NICE), daemon=True,
                                   name="redlab-slow-denoiser")
        self.process.start()
        child.close()
        try:  # at once: the worker's imports (~1 s of CPU) then run at its low priority too
            os.setpriority(os.PRIO_PROCESS, self.process.pid, NICE)
        except (AttributeError, OSError):  # not Linux, or not allowed: _serve tries again
            pass

    def call(self, key: tuple | None, x: np.ndarray | None) -> Any:
        self.conn.send((key, x))
        ok, value = self.conn.recv()
        if not ok:
            raise value
        return value

    def kill(self) -> None:
        self.process.kill()  # the caller's recv, if any, then ends with EOFError
        self.process.join(1.0)  # reaped: no zombie left behind

    def alive(self) -> bool:
        return self.process.is_alive()


def _take() -> _Worker:
    with _lock:
        while _idle:
            worker = _idle.pop()
            if worker.alive():
                return worker
    return _Worker()


def _give_back(worker: _Worker) -> None:
    with _lock:
        if worker.alive() and len(_idle) < KEEP_IDLE:
            _idle.append(worker)
            return
    worker.kill()


def _replace(worker: _Worker) -> None:
    """End ``worker`` (stopped during a call) and, if fewer than :data:`KEEP_IDLE` are idle,
    start a fresh one for the next slow lane: otherwise that lane's race would begin with a
    worker's start-up, ~1 s of CPU taken from the other lanes."""
    worker.kill()
    with _lock:
        if len(_idle) < KEEP_IDLE:
            try:
                _idle.append(_Worker())
            except OSError:  # no process to spare now: the next slow lane starts its own
                pass


def _key(denoiser: Any) -> tuple:
    return (denoiser.name, float(denoiser.sigma), tuple(sorted(denoiser.params.items())))


def offloadable(denoiser: Any) -> bool:
    """Whether ``denoiser`` (from :func:`red_core.denoisers.build`) should run in a worker: a
    slow one (registry ``speed == "slow"``) that a fresh process can rebuild by name (one
    registered in ``red_core`` itself, not by a script or a test at run time)."""
    spec = getattr(denoiser, "spec", None)
    return (spec is not None and spec.speed == "slow" and denoiser.sigma > 0
            and getattr(spec.factory, "__module__", "").startswith("red_core."))


class Offloaded:
    """``denoiser`` with its calls run in a worker process; every other attribute is the local
    denoiser's (``name``, ``sigma``, ``potential``, ...).

    A call raises what the denoiser raised in the worker. If the worker died (killed from
    outside, out of memory), the call runs here instead. After :meth:`close`, a call raises
    ``RuntimeError``.
    """

    def __init__(self, denoiser: Any) -> None:
        self.local = denoiser
        self.key = _key(denoiser)
        self._worker: _Worker | None = None
        self._busy = False
        self._closed = False
        self._state = threading.Lock()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        with self._state:
            if self._closed:
                raise RuntimeError("this denoiser's worker was closed")
            if self._worker is None:
                self._worker = _take()
            worker, self._busy = self._worker, True
        try:
            return worker.call(self.key, np.asarray(x))
        except (EOFError, OSError):  # the worker ended during the call
            with self._state:
                self._worker = None
                cancelled = self._closed
            if cancelled:
                raise RuntimeError("the call was cancelled: its lane was stopped") from None
            return self.local(x)
        finally:
            with self._state:
                self._busy = False
                back = self._worker if self._closed else None  # closed during the call
                if back is not None:
                    self._worker = None
            if back is not None:
                _give_back(back)

    def close(self, cancel: bool = False) -> None:
        """No more calls: give the worker back for another lane (once a call under way has
        ended), or, with ``cancel`` and a call under way, end the worker now (that call then
        raises ``RuntimeError``)."""
        with self._state:
            self._closed = True
            if self._busy and not cancel:
                return  # the call's own thread gives the worker back when it ends
            worker, self._worker = self._worker, None
            kill = self._busy
        if worker is not None:
            _replace(worker) if kill else _give_back(worker)

    def worker_info(self) -> dict[str, int]:
        """``{"pid", "nice"}`` of this denoiser's worker (taking one if it has none)."""
        with self._state:
            if self._worker is None:
                self._worker = _take()
            worker = self._worker
        return worker.call(None, None)

    def __getattr__(self, name: str) -> Any:
        if name == "local":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.local, name)

    def __repr__(self) -> str:
        return f"Offloaded({self.local!r})"
