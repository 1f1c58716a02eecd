"""The results table: one row per cell, every input and every result, saved as Parquet or CSV.

The columns of :data:`COLUMNS` are a contract (tools and users rely on them; more may be added,
none renamed): the cell's inputs, then its results. An axis the spec did not sweep still has its
column, at the default (``lam_scale`` 1, ``denoiser_sigma`` the suggested σ_d ×255, the other
scales 1). ``psnr_curve`` and ``time_curve`` are lists (per iteration); CSV stores them as JSON
text and :func:`load` reads them back as lists.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["COLUMNS", "CURVE_COLUMNS", "INPUT_COLUMNS", "frame", "load", "save", "summary"]

#: The cell's inputs (``degradation_params`` as JSON text of the non-default parameters).
INPUT_COLUMNS: tuple[str, ...] = (
    "image", "size", "degradation", "degradation_params", "noise", "seed", "method", "denoiser",
    "lam_scale", "denoiser_sigma", "sigma_scale", "beta_scale", "step_scale", "max_iter",
)
#: Per-iteration lists.
CURVE_COLUMNS: tuple[str, ...] = ("psnr_curve", "time_curve")
#: Every column, in order (see :func:`red_core.sweeps.cells.run_cell` for their meaning).
COLUMNS: tuple[str, ...] = INPUT_COLUMNS + (
    "psnr", "ssim", "best_psnr", "best_iter", "iterations", "status", "flag", "message",
    "seconds", "run_seconds", "setup_seconds", "seconds_to_99", "denoiser_calls", "lam", "beta",
    "step", "suggested_sigma", "degraded_psnr", "worker", "cached", "key", *CURVE_COLUMNS,
)
_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
_TEXT_COLUMNS = ("image", "degradation", "degradation_params", "method", "denoiser", "status",
                 "flag", "message", "worker", "key", *CURVE_COLUMNS)


def frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A DataFrame of result rows, columns in :data:`COLUMNS` order (extra keys after them;
    the ``cell`` objects rows carry in a live sweep are left out)."""
    records = [{k: v for k, v in row.items() if k != "cell"} for row in rows]
    df = pd.DataFrame.from_records(records, columns=None if records else list(COLUMNS))
    for column in COLUMNS:
        if column not in df.columns:
            df[column] = pd.Series(dtype=object)
    extra = [c for c in df.columns if c not in COLUMNS]
    return df[list(COLUMNS) + extra].reset_index(drop=True)


def _format(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path.name}: the table is saved as .parquet or .csv")
    return fmt


def save(df: pd.DataFrame, path: str | Path) -> Path:
    """Write the table to ``path`` (``.parquet``/``.pq`` with pyarrow, or ``.csv``)."""
    path = Path(path)
    fmt = _format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        df.to_parquet(path, engine="pyarrow", index=False)
    else:
        out = df.copy()
        for column in CURVE_COLUMNS:
            if column in out:
                out[column] = [json.dumps([None if v != v else v for v in (c or [])])
                               for c in out[column]]
        out.to_csv(path, index=False)
    return path


def load(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`save` (curves back as lists of floats)."""
    path = Path(path)
    if _format(path) == "parquet":
        df = pd.read_parquet(path, engine="pyarrow")
        for column in CURVE_COLUMNS:
            if column in df:
                df[column] = [list(map(float, c)) if c is not None else [] for c in df[column]]
        return df
    # Text columns stay text ("" is an empty message, not a missing number).
    df = pd.read_csv(path, converters={c: str for c in _TEXT_COLUMNS})
    for column in CURVE_COLUMNS:
        if column in df:
            df[column] = [[float("nan") if v is None else float(v) for v in json.loads(c)]
                          if c else [] for c in df[column]]
    return df


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per method and denoiser: cells, the best and median final PSNR, the setting of the best
    cell, and how many cells ended in each status (a short table for the command line)."""
    if df.empty:
        return pd.DataFrame()
    rows = []
    for (method, denoiser), group in df.groupby(["method", "denoiser"], sort=False):
        finite = group[group["psnr"].notna()]
        best = finite.loc[finite["psnr"].idxmax()] if len(finite) else None
        counts = group["status"].value_counts()
        rows.append({
            "method": method, "denoiser": denoiser, "cells": len(group),
            "best psnr": None if best is None else round(float(best["psnr"]), 2),
            "median psnr": None if best is None else round(float(finite["psnr"].median()), 2),
            "best lam_scale": None if best is None else best["lam_scale"],
            "best denoiser_sigma": None if best is None else round(float(best["denoiser_sigma"]),
                                                                   2),
            "statuses": ", ".join(f"{k} {v}" for k, v in counts.items()),
        })
    return pd.DataFrame(rows)
