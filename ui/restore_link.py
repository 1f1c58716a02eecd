"""Open one run of a sweep (Tune, Leaderboard) on the Restore page with exactly its setting."""

from __future__ import annotations

import urllib.parse
from typing import Any

import streamlit as st

from red_core import glossary, solvers, sweeps
from ui import problem as problem_setup
from ui import state


def restore_values(row: dict[str, Any], setup: problem_setup.Setup) -> dict[str, Any]:
    """The Restore page's widget values for a sweep row: lane A is the row's run (σ_d unlinked
    at the value it used, λ as λσₑ², β and μ absolute), lane B the default contender of the
    other family with the same denoiser, both at the row's iteration limit."""
    method = row["method"]
    spec = solvers.entry(method)
    other = "pnp-admm" if spec.family == "red" else "red-fp"
    values: dict[str, Any] = {
        "image": setup.source if not setup.source.startswith("upload:") else "upload",
        "size": int(setup.key[1]), "degradation": setup.degradation,
        "noise_sigma": setup.noise_sigma * glossary.PIXEL_UNIT, "seed": setup.seed,
        **{f"{setup.degradation}.{k}": v for k, v in setup.params.items()},
        "lanes": 2, "a_method": method, "a_denoiser": row["denoiser"], "a_link": False,
        "a_sigma": _short(row["denoiser_sigma"]), "a_iters": int(row["max_iter"]),
        "a_tol": sweeps.DEFAULT_TOL, "b_method": other, "b_denoiser": row["denoiser"],
        "b_link": True, "b_iters": int(row["max_iter"]), "b_tol": sweeps.DEFAULT_TOL,
        "present": False,
    }
    names = {p.name for p in spec.params}
    if "lam" in names and row.get("lam") is not None:
        values["a_lam"] = _short(float(row["lam"]) * setup.problem.sigma_eff**2)
    for name in ("beta", "step"):
        if name in names and row.get(name) is not None:
            values[f"a_{name}"] = _short(row[name])
    return values


def _short(value: Any) -> float:
    """Ten significant digits: the link reads well, the run differs by round-off only."""
    return float(f"{float(value):.10g}")


def restore_url(row: dict[str, Any], setup: problem_setup.Setup) -> str:
    """The Restore page's link for that setting (a relative URL to copy)."""
    values = restore_values(row, setup)
    return "/restore?" + urllib.parse.urlencode({k: state.to_text(v) for k, v in values.items()})


def open_in_restore(row: dict[str, Any], setup: problem_setup.Setup) -> None:
    """Button callback: preset the Restore page and go there."""
    state.preset(restore_values(row, setup))
    st.session_state["_switch_to"] = "pages/restore.py"
