"""Parameter sweeps: grids of ``solvers.run`` on Dask distributed, as a tidy results table.

A sweep is a grid of problems (image × degradation × noise × seed) × algorithms × denoisers ×
parameter axes (``lam_scale``, ``denoiser_sigma`` or ``sigma_scale``, ``beta_scale``,
``step_scale``, ``max_iter``). Each :class:`Cell` is one full ``solvers.run`` at the defaults
except the swept values, built and run on a Dask worker; its row holds every input and the final
PSNR, SSIM, best PSNR and its iteration, iterations, status, health flag, seconds, denoiser
calls (:data:`COLUMNS`).

- ``spec``: :class:`SweepSpec` (the TOML spec, checked), :class:`Cell`, :func:`upload_name`;
- ``cells``: :func:`run_cell`, what each task runs (also usable without Dask);
- ``engine``: the shared Dask :func:`client` (a local cluster by default, or
  ``RED_LAB_DASK_SCHEDULER``), :func:`submit` -> :class:`Sweep` (streaming rows, progress,
  cancel), :func:`run`, :func:`where`, the result cache;
- ``table``: the columns, :func:`save` / :func:`load` (Parquet, CSV), :func:`summary`;
- ``__main__``: ``python -m red_core.sweeps SPEC.toml --out results.parquet``.

Uploaded arrays: name each with :func:`upload_name` in the spec's images and pass
``images={name: array}`` to :func:`submit` or :func:`run`; the array is scattered once.

Examples
--------
>>> from red_core import sweeps
>>> spec = sweeps.SweepSpec.from_toml('''
... [problem]
... images = ["camera", "coins"]
... size = 64
... degradations = ["gaussian_blur", {name = "super_resolution", factor = 2}]
... noise = [0.01]
... [run]
... methods = ["red-fp", "red-admm"]
... denoisers = ["tv"]
... max_iter = 30
... [axes]
... lam_scale = [0.5, 1, 2]
... denoiser_sigma = [3, 5, 10]
... ''')
>>> spec.size, len(spec.cells())
(72, 72)
>>> cell = spec.cells()[0]
>>> cell.method, cell.lam_scale, cell.denoiser_sigma, cell.degradation_params
('red-fp', 0.5, 3.0, ())
>>> try:
...     sweeps.SweepSpec.from_dict({"problem": {"images": ["camera"], "degradations":
...         ["denoise"], "noise": [0.01]}, "run": {"methods": ["pnp-admm"], "denoisers":
...         ["tv"]}, "axes": {"lam_scale": [2]}})
... except sweeps.SpecError as err:
...     print(str(err)[:60])
axes.lam_scale: λ exists only for the RED methods, not for p
"""

from red_core.sweeps.cells import DEFAULT_TOL, build_problem, run_cell
from red_core.sweeps.engine import (
    BLAS_ENV,
    CACHE_DIR_ENV,
    MALLOC_ENV,
    QUIET_CONFIG,
    SCHEDULER_ENV,
    WORKER_ENV,
    RowCache,
    Sweep,
    Where,
    client,
    get_client,
    local_cluster,
    row_cache,
    run,
    shutdown,
    submit,
    where,
)
from red_core.sweeps.spec import (
    AXES,
    MAX_CELLS,
    UPLOAD_PREFIX,
    Cell,
    SpecError,
    SweepSpec,
    upload_name,
)
from red_core.sweeps.table import COLUMNS, INPUT_COLUMNS, frame, load, save, summary

__all__ = [
    "AXES", "BLAS_ENV", "CACHE_DIR_ENV", "COLUMNS", "DEFAULT_TOL", "INPUT_COLUMNS", "MALLOC_ENV",
    "MAX_CELLS", "QUIET_CONFIG", "SCHEDULER_ENV", "UPLOAD_PREFIX", "WORKER_ENV", "Cell",
    "RowCache", "SpecError", "Sweep", "SweepSpec", "Where", "build_problem", "client", "frame",
    "get_client", "load", "local_cluster", "row_cache", "run", "run_cell", "save", "shutdown",
    "submit", "summary", "upload_name", "where",
]
