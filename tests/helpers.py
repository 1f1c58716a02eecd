"""Helpers shared by the tests (fixtures that use them are in ``tests/conftest.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

from red_core import operators
from red_core.problem import Problem, make_problem

#: Every registered degradation at its defaults, plus super-resolution ×3: the cases the
#: sweeps over degradations run (``name`` or ``name_xK`` for a super-resolution factor K).
DEGRADATION_CASES: tuple[str, ...] = (*operators.names(), "super_resolution_x3")


def degradation_case(case: str) -> tuple[str, dict[str, Any]]:
    """``"super_resolution_x3"`` -> ``("super_resolution", {"factor": 3})``; a plain name -> no
    parameters."""
    name, sep, factor = case.rpartition("_x")
    if sep and factor.isdigit() and name in operators.names():
        return name, {"factor": int(factor)}
    return case, {}


def problem_for(image: np.ndarray, case: str, noise_sigma: float, seed: int = 0) -> Problem:
    """``make_problem`` for a case of :data:`DEGRADATION_CASES`."""
    name, params = degradation_case(case)
    return make_problem(image, name, noise_sigma, seed, **params)


# --------------------------------------------------------------------------- AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def open_app(page: str | None = None, query: dict[str, Any] | None = None,
             timeout: float = 30, session: dict[str, Any] | None = None,
             check: bool = True) -> AppTest:
    """``app.py`` in AppTest as a fresh browser session opening a link to ``page``
    (``"pages/restore.py"``) with ``query`` as its query string; ``session`` values are put in
    the session state first (e.g. a finished race for the Compare page). Fails the test if
    the page shows an exception (unless ``check`` is False)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if page is not None:  # the home page first (AppTest starts there), then the link
        at.run()
    for key, value in (session or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = str(value)
    if page is not None:
        at.switch_page(page)
    at.run()
    if check:
        assert not at.exception, at.exception
    return at


def svg_charts(app: AppTest) -> dict[str, str]:
    """The page's inline-SVG charts (``ui.layout.svg_chart``) by uid: ``{"g1dfield": markup}``.

    Each chart is a components-v2 element whose JSON data holds the markup; AppTest shows it
    as an unknown element with its proto."""
    charts = {}
    for element in app.get("bidi_component"):
        data = json.loads(element.proto.json or "null")
        if isinstance(data, dict) and "markup" in data:
            found = re.search(r'class="rl-svg-([a-z0-9]+)"', data["markup"])
            if found:
                charts[found.group(1)] = data["markup"]
    return charts
