"""Command line: ``python -m red_core.sweeps SPEC.toml --out results.parquet``.

Runs the sweep of a TOML spec (:mod:`red_core.sweeps.spec`) on the local Dask cluster, or on
``--scheduler tcp://host:8786`` (default: the environment variable ``RED_LAB_DASK_SCHEDULER``),
with a progress line on stderr, writes the table (``.parquet`` or ``.csv``) and prints a summary
per algorithm and denoiser. A bad spec (unknown name, empty list, an axis that does not apply, a
grid over 10,000 cells without ``--yes``) prints one line ``error: ...`` on stderr and exits 2.

Examples
--------
``python -m red_core.sweeps spec.toml --out results.parquet --cache-dir .sweep-cache``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        self.exit(2, f"error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m red_core.sweeps",
                     description="Run a RED Lab parameter sweep on Dask and save its table.")
    parser.add_argument("spec", help="the sweep spec (TOML)")
    parser.add_argument("--out", required=True,
                        help="where to write the table: .parquet or .csv")
    parser.add_argument("--scheduler", default=None,
                        help="tcp://host:port of a Dask scheduler (default: "
                             "$RED_LAB_DASK_SCHEDULER, else a local cluster)")
    parser.add_argument("--yes", action="store_true",
                        help="run a grid of more than 10,000 cells")
    parser.add_argument("--cache-dir", default=None,
                        help="keep rows on disk here (default: $RED_LAB_SWEEP_CACHE)")
    parser.add_argument("--no-cache", action="store_true", help="run every cell again")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    return parser


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


class _Progress:
    """``[#####.....]  12/36 cells  0:07`` on one line of stderr (``\\r``-updated)."""

    def __init__(self, quiet: bool):
        self.quiet, self.t0, self.last = quiet, time.monotonic(), -1.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.quiet or (done < total and now - self.last < 0.2):
            return
        self.last = now
        width = 30
        filled = width * done // max(total, 1)
        secs = int(now - self.t0)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} cells "
                         f"{secs // 60}:{secs % 60:02d}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 interrupted, 2 bad input)."""
    args = _parser().parse_args(argv)
    from red_core import sweeps

    out = Path(args.out)
    if out.suffix.lower() not in (".parquet", ".pq", ".csv"):
        return _fail(f"--out {args.out}: write the table as .parquet or .csv")
    try:
        spec = sweeps.SweepSpec.from_toml(Path(args.spec))
    except sweeps.SpecError as err:
        return _fail(str(err))
    if spec.size > sweeps.MAX_CELLS and not args.yes:
        return _fail(f"the grid has {spec.size:,} cells, more than {sweeps.MAX_CELLS:,}: "
                     "add --yes to run it anyway")
    place = sweeps.where(args.scheduler)
    if not args.quiet:
        print(f"{spec.size} cells on {place.text}", file=sys.stderr)
    try:
        df = sweeps.run(spec, scheduler=args.scheduler, progress=_Progress(args.quiet),
                        cache=not args.no_cache, cache_dir=args.cache_dir)
    except KeyboardInterrupt:
        print("\ninterrupted: the sweep was cancelled", file=sys.stderr)
        return 1
    except OSError as err:  # the scheduler cannot be reached
        return _fail(f"cannot run on {args.scheduler or place.text}: {err}")
    sweeps.save(df, out)
    import pandas as pd

    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(sweeps.summary(df).to_string(index=False))
    print(f"{len(df)} rows written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
