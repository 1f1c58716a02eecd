"""Sweeps on Dask distributed: the shared client, :func:`submit` / :class:`Sweep`, :func:`run`.

Where cells run (:func:`client`):

- by default on a ``LocalCluster`` started on first use: one single-threaded worker *process*
  per core (``os.cpu_count()``), BLAS limited to one thread in each (``OMP_NUM_THREADS``,
  ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` = 1), everything on 127.0.0.1, the dashboard on
  127.0.0.1 when bokeh is installed (off otherwise); it is shared by every sweep and every
  session of the process and shut down cleanly at exit;
- or on an existing cluster: ``scheduler="tcp://host:8786"``, or the environment variable
  :data:`SCHEDULER_ENV` (``RED_LAB_DASK_SCHEDULER``). Workers there need the project's
  requirements and ``red_core`` importable (``docs/SCALING.md``).

One client per process and address, created under a lock (pages call from many threads). Each
sweep is its own set of futures with keys of its own: cancelling one leaves the others alone,
and priorities interleave the sweeps' cells so two sweeps at once both make progress.

Problems are built on the workers from the cell's description; image arrays (uploads, files read
by the client) are scattered once per sweep and referred to by their ``upload:<hash>`` name.
Results stream back as cells finish (``as_completed``), a row per cell; a cell whose run raises
or diverges is a row with its status, a worker lost mid-cell has its cell run again (Dask
reschedules it; ``retries`` covers a failing task), and a repeated cell comes from the cache
(:class:`RowCache`: in-process, optionally on disk under :data:`CACHE_DIR_ENV`) without a task.
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import importlib.util
import json
import logging
import math
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from red_core.sweeps.cells import blank_row, load_file, run_cell
from red_core.sweeps.spec import CELL_VERSION, Cell, SweepSpec, upload_name
from red_core.sweeps.table import frame as _frame

if TYPE_CHECKING:  # distributed is imported when a sweep first needs it
    import pandas as pd
    from distributed import Client, Future

__all__ = [
    "BLAS_ENV", "CACHE_DIR_ENV", "MALLOC_ENV", "QUIET_CONFIG", "SCHEDULER_ENV", "WORKER_ENV",
    "RowCache", "Sweep", "Where", "client", "get_client", "local_cluster", "row_cache", "run",
    "shutdown", "submit", "where",
]

#: The address of an existing Dask scheduler, e.g. ``tcp://host:8786`` (empty: the local one).
SCHEDULER_ENV = "RED_LAB_DASK_SCHEDULER"
#: A folder for the on-disk result cache (unset: the cache lives in this process only).
CACHE_DIR_ENV = "RED_LAB_SWEEP_CACHE"
#: One BLAS thread per worker process: the workers are the parallelism.
BLAS_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: glibc's malloc as a plain process has it. Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536``
#: before it spawns a worker, which pins the mmap threshold at 128 KiB: every 128² float64
#: array is then mmapped and unmapped, and the solvers ran 3× slower on workers than in a
#: plain process (bench/sweep_scaling.py). These are glibc's own dynamic maxima (64-bit).
MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": "67108864", "MALLOC_MMAP_THRESHOLD_": "33554432"}
#: The environment of a sweep worker (local cluster; docs/SCALING.md for ``dask worker``).
WORKER_ENV = {**BLAS_ENV, **MALLOC_ENV}
#: Dask settings of the local cluster: no statistical profiler in the workers, and the
#: event-loop health check (every 20 ms), system monitor (500 ms) and memory monitor (100 ms)
#: slowed down. Idle, they cost 34 ms of CPU per second in this process and 19 ms in each
#: worker; now 6 and 5 (measured on 2 cores) — CPU the cells get instead.
QUIET_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}
#: Statuses worth remembering (an error may be transient: a lost worker, memory).
CACHED_STATUSES = ("converged", "max_iter", "diverged")
#: Runs of a task before a sweep gives a cell up (a worker lost mid-cell is rescheduled anyway).
RETRIES = 2

_LOCK = threading.RLock()
_CLIENTS: dict[str, Client] = {}
_CLUSTERS: dict[str, Any] = {}
_LOCAL = "local"
_AT_EXIT = False
_BOKEH: dict[str, bool] = {}
_log = logging.getLogger(__name__)


# ------------------------------------------------------------------------- the cluster


def _address(scheduler: str | None) -> str | None:
    """The scheduler address to use: the argument, else the environment variable, else None."""
    if scheduler:
        return scheduler.strip()
    return os.environ.get(SCHEDULER_ENV, "").strip() or None


def _has_bokeh() -> bool:
    # Dask's dashboard needs bokeh, which the app does not require: off without it.
    return importlib.util.find_spec("bokeh") is not None


def local_cluster(n_workers: int | None = None) -> Any:
    """A new ``LocalCluster`` the way sweeps use it: ``n_workers`` (default ``os.cpu_count()``)
    single-threaded worker processes with one BLAS thread each, on 127.0.0.1 only.

    The caller closes it (:func:`client` keeps the shared one and closes it at exit).
    """
    import dask
    from distributed import LocalCluster

    # The nannies read these when they are made (here) and apply them before each spawn
    # (malloc reads its settings at process start).
    spawn_env = {**dask.config.get("distributed.nanny.pre-spawn-environ"), **WORKER_ENV}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": spawn_env, **QUIET_CONFIG}):
        return LocalCluster(
            n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
            host="127.0.0.1", env=dict(WORKER_ENV), silence_logs=logging.ERROR,
            # The scheduler's HTTP server always runs: loopback, a free port (never a fixed
            # 8787 another cluster may hold), the dashboard on it only when bokeh is installed.
            dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": _has_bokeh()},
        )


def client(scheduler: str | None = None) -> Client:
    """The process's Dask client for ``scheduler`` (created once, thread-safe).

    Parameters
    ----------
    scheduler : str, optional
        ``tcp://host:port`` of an existing scheduler; default :data:`SCHEDULER_ENV`, and when
        that is unset a ``LocalCluster`` on 127.0.0.1 with ``os.cpu_count()`` single-threaded
        worker processes, started now.
    """
    address = _address(scheduler)
    name = address or _LOCAL
    with _LOCK:
        found = _CLIENTS.get(name)
        if found is not None and found.status == "running":
            return found
        from distributed import Client

        global _AT_EXIT
        if not _AT_EXIT:
            atexit.register(shutdown)
            _AT_EXIT = True
        if address is None:
            _close(_CLUSTERS.pop(name, None))  # a cluster whose client died: replaced whole
            cluster = local_cluster()
            _CLUSTERS[name] = cluster
            import dask

            with dask.config.set(QUIET_CONFIG):
                made = Client(cluster, set_as_default=False)
        else:
            made = Client(address, set_as_default=False, timeout=30)
        _CLIENTS[name] = made
        return made


#: The same as :func:`client` (for modules whose own argument is called ``client``).
get_client = client


def shutdown() -> None:
    """Close every client this module made and the local cluster (also run at exit)."""
    with _LOCK:
        for made in _CLIENTS.values():
            _close(made)
        _CLIENTS.clear()
        for cluster in _CLUSTERS.values():
            _close(cluster)
        _CLUSTERS.clear()


def _close(thing: Any) -> None:
    if thing is None:
        return
    try:
        thing.close(timeout=10)
    except Exception as err:  # closing at exit: say it, never raise
        _log.debug("closing %r: %s", thing, err)


@dataclass(frozen=True)
class Where:
    """Where sweeps run.

    Attributes
    ----------
    kind : {"local", "remote"}
    address : str or None
        The scheduler address (None for a local cluster not started yet).
    workers : int
        Worker processes (for a local cluster not started yet: the number it will start).
    started : bool
        Whether this process is connected already.
    dashboard : str or None
        The Dask dashboard link, when there is one.
    """

    kind: str
    address: str | None
    workers: int
    started: bool
    dashboard: str | None

    @property
    def text(self) -> str:
        """``local cluster, 2 workers`` or ``Dask scheduler tcp://host:8786, 8 workers``."""
        plural = "s" if self.workers != 1 else ""
        if self.kind == "local":
            text = f"local cluster, {self.workers} worker{plural}"
            return text if self.started else text + " (started by the first sweep)"
        workers = f", {self.workers} worker{plural}" if self.started else ""
        return f"Dask scheduler {self.address}{workers}"

    def __str__(self) -> str:
        return self.text


def where(scheduler: str | None = None) -> Where:
    """Where a sweep with this ``scheduler`` argument would run (starts nothing)."""
    address = _address(scheduler)
    name = address or _LOCAL
    with _LOCK:
        found = _CLIENTS.get(name)
    if found is not None and found.status == "running":
        info = found.scheduler_info()
        link = found.dashboard_link if _dashboard_on(found, info) else None
        return Where(_LOCAL if address is None else "remote", info.get("address", address),
                     len(info.get("workers", {})), True, link)
    if address is None:
        return Where(_LOCAL, None, os.cpu_count() or 1, False, None)
    return Where("remote", address, 0, False, None)


def _dashboard_on(found: Client, info: Mapping[str, Any]) -> bool:
    """The scheduler serves the dashboard (its HTTP server always runs; the dashboard on it
    only where bokeh is installed: asked on the scheduler's own machine)."""
    if "dashboard" not in info.get("services", {}):
        return False
    address = info.get("address", "")
    if address not in _BOKEH:  # asked once per scheduler: pages call where() on every rerun
        try:
            _BOKEH[address] = bool(found.run_on_scheduler(_has_bokeh))
        except Exception:  # an old or locked-down scheduler: no link rather than a wrong one
            return False
    return _BOKEH[address]


# ------------------------------------------------------------------------------ cache


class RowCache:
    """Result rows by cell, in this process (LRU) and optionally in a folder on disk.

    The key is the cell's description plus the digest of its image data (uploads and files);
    :data:`~red_core.sweeps.spec.CELL_VERSION` is part of it. On disk, one JSON file per row
    under ``<folder>/<key[:2]>/<key>.json``: delete the folder after changing the solvers.
    """

    def __init__(self, max_rows: int = 50_000):
        self.max_rows = max_rows
        self._rows: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key(cell: Cell, digest: str | None = None) -> str:
        return hashlib.sha256(f"{CELL_VERSION}|{cell.key}|{digest or ''}".encode()).hexdigest()

    @staticmethod
    def _file(folder: str | Path, key: str) -> Path:
        return Path(folder) / key[:2] / f"{key}.json"

    def get(self, key: str, folder: str | Path | None = None) -> dict | None:
        """A copy of the row, or None."""
        with self._lock:
            row = self._rows.get(key)
            if row is not None:
                self._rows.move_to_end(key)
        if row is None and folder is not None:
            try:
                row = json.loads(self._file(folder, key).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                row = None
            if row is not None:
                row = {k: (math.nan if v is None and k in _FLOAT_KEYS else v)
                       for k, v in row.items()}
                self._remember(key, row)
        with self._lock:
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
        return copy.deepcopy(row)

    def put(self, key: str, row: Mapping[str, Any], folder: str | Path | None = None) -> None:
        kept = {k: v for k, v in row.items() if k not in ("cell", "cached", "worker")}
        self._remember(key, kept)
        if folder is not None:
            path = self._file(folder, key)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
                tmp.write_text(json.dumps(kept, default=_json_default), encoding="utf-8")
                tmp.replace(path)  # atomic: two processes may write the same row
            except OSError as err:
                _log.warning("sweep cache: cannot write %s: %s", path, err)

    def _remember(self, key: str, row: dict) -> None:
        with self._lock:
            self._rows[key] = row
            self._rows.move_to_end(key)
            while len(self._rows) > self.max_rows:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        """Forget the in-process rows (files on disk stay)."""
        with self._lock:
            self._rows.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._rows)


_FLOAT_KEYS = frozenset({"psnr", "ssim", "best_psnr", "seconds_to_99", "lam", "beta", "step",
                         "suggested_sigma", "degraded_psnr", "denoiser_sigma"})


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


#: The process's cache (:func:`submit` uses it unless ``cache=False``).
row_cache = RowCache()


# ------------------------------------------------------------------------------ tasks


def _task(cell: Cell, image: np.ndarray | None = None) -> dict[str, Any]:
    """What a Dask worker runs: :func:`run_cell`, stopping within one iteration once the task
    is cancelled (the worker's own task state says so; no network round trip)."""
    should_stop = None
    address = ""
    try:
        from distributed import get_worker

        worker = get_worker()
        key = worker.get_current_task()
        address = worker.address

        def should_stop() -> bool:
            ts = worker.state.tasks.get(key)
            return ts is None or ts.state not in ("executing", "long-running")
    except (ImportError, ValueError):  # not on a worker: run to the end
        pass
    row = run_cell(cell, image, should_stop=should_stop)
    row["worker"] = address
    return row


def _running(dask_worker: Any, tag: str) -> list[str]:
    """Keys of this sweep still executing on a worker (run there by ``client.run``)."""
    return [str(ts.key) for ts in list(dask_worker.state.tasks.values())
            if tag in str(ts.key) and (ts.state in ("executing", "long-running") or
                                       (ts.state == "cancelled" and ts.previous == "executing"))]


# ------------------------------------------------------------------------------ sweeps


class Sweep:
    """One running sweep: its own futures, its rows as they arrive, cancellable alone.

    Made by :func:`submit`. A background thread collects results as cells finish, so
    :attr:`progress`, :attr:`done` and :meth:`frame` are current without anyone iterating.

    Attributes
    ----------
    cells : tuple of Cell
        The sweep's distinct cells, in the order given.
    submitted : int
        Tasks sent to the cluster (0 when every cell came from the cache).
    from_cache : int
        Cells answered by the cache.
    """

    def __init__(self, cells: tuple[Cell, ...], dask_client: Client | None):
        self.cells = cells
        self.client = dask_client
        self.tag = uuid.uuid4().hex[:12]
        self._index = {cell: i for i, cell in enumerate(cells)}
        self._rows: list[dict] = []
        self._cond = threading.Condition()
        self._futures: dict[str, tuple[Cell, Future]] = {}
        self._finished = False
        self._cancelled = False
        self._thread: threading.Thread | None = None
        self._cache_keys: dict[Cell, str] = {}
        self._cache_dir: str | None = None
        self._use_cache = True
        self._scattered: list[Future] = []
        self.submitted = 0
        self.from_cache = 0

    # --------------------------------------------------------------- internals

    def _add(self, row: dict) -> None:
        with self._cond:
            self._rows.append(row)
            self._cond.notify_all()

    def _start(self, jobs: list[tuple[Cell, Any]], retries: int) -> None:
        if not jobs:
            with self._cond:
                self._finished = True
                self._cond.notify_all()
            return
        futures = []
        for i, (cell, image) in enumerate(jobs):
            key = f"red-cell-{self.tag}-{i}"
            # Priority -i: the k-th cells of every sweep run before anyone's (k+1)-th, so a
            # sweep started later does not wait for an earlier one's whole grid.
            future = self.client.submit(_task, cell, image, key=key, pure=False,
                                        retries=retries, priority=-i)
            self._futures[key] = (cell, future)
            futures.append(future)
        self.submitted = len(futures)
        self._thread = threading.Thread(target=self._collect, args=(futures,), daemon=True,
                                        name=f"red-sweep-{self.tag}")
        self._thread.start()

    def _collect(self, futures: list[Future]) -> None:
        from distributed import as_completed

        try:
            for future, result in as_completed(futures, with_results=True, raise_errors=False,
                                               loop=self.client.loop):
                cell, _ = self._futures.pop(future.key, (None, None))
                if cell is None or self._cancelled or future.status == "cancelled":
                    continue
                if future.status == "error" or not isinstance(result, dict):
                    row = _lost_row(cell, future.exception() if future.status == "error"
                                    else result)
                else:
                    row = dict(result)
                    if self._use_cache and row.get("status") in CACHED_STATUSES:
                        row_cache.put(self._cache_keys[cell], row, self._cache_dir)
                row["cell"] = cell
                self._add(row)
                future.release()
        except Exception as err:  # the client closed under us (shutdown at exit)
            _log.debug("sweep %s stopped collecting: %s", self.tag, err)
        finally:
            self._scattered = []  # the uploads may go once every cell is done
            with self._cond:
                self._finished = True
                self._cond.notify_all()

    # --------------------------------------------------------------- public

    @property
    def total(self) -> int:
        return len(self.cells)

    @property
    def progress(self) -> tuple[int, int]:
        """``(done, total)`` cells."""
        with self._cond:
            return len(self._rows), len(self.cells)

    @property
    def done(self) -> bool:
        """Every cell has its row, or the sweep was cancelled."""
        with self._cond:
            return self._finished or self._cancelled

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def rows(self, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """Rows as cells finish (any order), each with its ``cell``; ends when the sweep is
        done or cancelled. Every call starts from the first row.

        Parameters
        ----------
        timeout : float, optional
            Give up (``TimeoutError``) after waiting this long for the next row.
        """
        i = 0
        while True:
            with self._cond:
                ready = self._cond.wait_for(
                    lambda seen=i: seen < len(self._rows) or self._finished or self._cancelled,
                    timeout)
                if not ready:
                    raise TimeoutError(f"no new row within {timeout} s")
                batch = self._rows[i:]
                over = self._finished or self._cancelled
            if over and not batch:
                return
            yield from batch
            i += len(batch)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the sweep is done; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._finished or self._cancelled, timeout)

    def frame(self) -> pd.DataFrame:
        """The rows so far as a table (:data:`~red_core.sweeps.table.COLUMNS`), in cell order."""
        with self._cond:
            rows = sorted(self._rows, key=lambda r: self._index.get(r.get("cell"), 0))
        return _frame(rows)

    def cancel(self, wait: bool = True, timeout: float = 30.0) -> None:
        """Stop the sweep: queued cells are dropped at once, running ones stop within one
        iteration; with ``wait`` return only when none of its tasks runs any more."""
        with self._cond:
            if self._finished and not self._futures:
                return
            self._cancelled = True
            pending = [f for _, f in self._futures.values()]
            self._cond.notify_all()
        if self.client is None or not pending:
            return
        try:
            self.client.cancel(pending)
        except Exception as err:  # a closed client has nothing running for us
            _log.debug("cancel: %s", err)
            return
        deadline = time.monotonic() + timeout
        while wait and time.monotonic() < deadline:
            try:
                busy = self.client.run(_running, tag=self.tag)
            except Exception:
                return
            if not any(busy.values()):
                return
            time.sleep(0.05)

    def __enter__(self) -> Sweep:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.done:
            self.cancel()

    def __repr__(self) -> str:
        done, total = self.progress
        state = "cancelled" if self._cancelled else "done" if self.done else "running"
        return f"<Sweep {self.tag}: {done}/{total} cells, {state}>"


def _lost_row(cell: Cell, err: Any) -> dict[str, Any]:
    row = blank_row(cell)
    row["message"] = f"the cell's task failed on the cluster: {type(err).__name__}: {err}"
    return row


def _cells_of(spec_or_cells: SweepSpec | Iterable[Cell]) -> tuple[Cell, ...]:
    cells = spec_or_cells.cells() if isinstance(spec_or_cells, SweepSpec) else spec_or_cells
    out = tuple(dict.fromkeys(cells))  # distinct, in order
    for cell in out:
        if not isinstance(cell, Cell):
            raise TypeError(f"submit() takes Cells or a SweepSpec, got {type(cell).__name__}")
    return out


def _image_data(cells: tuple[Cell, ...], images: Mapping[str, Any] | None
                ) -> dict[tuple[str, int], tuple[np.ndarray, str]]:
    """``(image, size) -> (array, digest)`` for every cell that is no built-in."""
    given = dict(images or {})
    data: dict[tuple[str, int], tuple[np.ndarray, str]] = {}
    for cell in cells:
        ident = (cell.image, cell.size)
        if ident in data:
            continue
        if cell.image in given:
            array = np.asarray(given[cell.image], dtype=np.float64)
        elif cell.is_upload:
            raise ValueError(f"image {cell.image!r} is an upload but images= has no array "
                             "of that name")
        elif cell.is_builtin:
            continue
        else:
            array = load_file(cell.image, cell.size)  # read once here: workers need no files
        data[ident] = (array, upload_name(array))
    return data


def submit(
    cells: SweepSpec | Iterable[Cell],
    *,
    client: Client | None = None,
    scheduler: str | None = None,
    images: Mapping[str, Any] | None = None,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    retries: int = RETRIES,
) -> Sweep:
    """Start a sweep and return at once; rows stream in as cells finish.

    Parameters
    ----------
    cells : SweepSpec or iterable of Cell
        Repeated cells run once.
    client : distributed.Client, optional
        Run on this client; default :func:`client` (``scheduler``, the environment variable
        or the local cluster).
    scheduler : str, optional
        ``tcp://host:port`` of an existing scheduler.
    images : mapping, optional
        ``{"upload:<hash>": array}`` (name from :func:`~red_core.sweeps.spec.upload_name`):
        arrays the cells name (any name works; the cache keys on the data's own hash). Each is
        scattered to the cluster once.
    cache : bool
        Answer cells seen before from :data:`row_cache` (no task), and remember new rows.
    cache_dir : str or Path, optional
        Also keep rows on disk there (default :data:`CACHE_DIR_ENV`, else memory only).
    retries : int
        Extra runs of a task that failed on the cluster.

    Returns
    -------
    Sweep
    """
    cells_ = _cells_of(cells)
    data = _image_data(cells_, images)
    folder = cache_dir if cache_dir is not None else os.environ.get(CACHE_DIR_ENV) or None
    keys = {c: RowCache.key(c, data.get((c.image, c.size), (None, None))[1]) for c in cells_}
    hits = {}
    if cache:
        for cell in cells_:
            row = row_cache.get(keys[cell], folder)
            if row is not None:
                row.update(cell=cell, cached=True, worker="")
                hits[cell] = row
    todo = [c for c in cells_ if c not in hits]
    dask_client = None
    if todo:
        dask_client = client if client is not None else get_client(scheduler)
    sweep = Sweep(cells_, dask_client)
    sweep._cache_keys, sweep._cache_dir, sweep._use_cache = keys, folder, cache
    for row in hits.values():
        sweep._add(row)
    sweep.from_cache = len(hits)
    scattered: dict[tuple[str, int], Any] = {}
    needed = {(c.image, c.size) for c in todo} & set(data)
    if needed:
        names = sorted(needed)
        # On every worker (images are small): a worker lost mid-sweep takes no upload along.
        futures = dask_client.scatter([data[n][0] for n in names], hash=True, broadcast=True)
        scattered = dict(zip(names, futures, strict=True))
        sweep._scattered = list(futures)  # held for the sweep's lifetime
    sweep._start([(c, scattered.get((c.image, c.size))) for c in todo], retries)
    return sweep


def run(
    spec_or_cells: SweepSpec | Iterable[Cell],
    *,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    client: Client | None = None,
    images: Mapping[str, Any] | None = None,
    cache: bool = True,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Run a sweep to the end and return its table (rows in cell order).

    ``progress(done, total)`` is called once at the start and after every row. An exception in
    the caller (Ctrl-C) cancels the sweep. See :func:`submit` for the other parameters.
    """
    sweep = submit(spec_or_cells, client=client, scheduler=scheduler, images=images,
                   cache=cache, cache_dir=cache_dir)
    with sweep:
        if progress is not None:
            progress(0, sweep.total)
        for _ in sweep.rows():
            if progress is not None:
                progress(*sweep.progress)
    return sweep.frame()
