"""Widget state that lives in the URL and survives page switches, typed by registry parameters.

Every widget that changes a page's result is described by a :class:`red_core.params.Param`
(its kind, choices and offered range). :func:`init` seeds each widget key before the widgets
are drawn — from the URL on the page's first run in a session, else from the value kept on the
last visit, else the default — and parses every URL value with ``Param.parse_text``: a value
that is badly formed, out of range or not a choice falls back to the default with a one-line
notice, never an exception. :func:`keep` stores the values after the widgets and writes them to
the URL, so a copied link reopens the same setup.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from red_core.params import Param

_KEPT = "_kept_widget_values"
_READ = "_url_read_"


def to_text(value: Any) -> str:
    """How a value is written in the URL (read back exactly by ``Param.parse_text``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def init(scope: str, fields: Mapping[str, Param], url: bool = True) -> list[str]:
    """Seed ``st.session_state`` for every widget key of ``fields`` (see the module docstring).

    Returns one notice per URL parameter of this page that could not be used.
    """
    kept = st.session_state.setdefault(_KEPT, {})
    notices = []
    first = url and not st.session_state.get(_READ + scope, False)
    query = dict(st.query_params) if first else {}
    for key, param in fields.items():
        if key in query:
            value = param.parse_text(query[key])
            if value is not None:
                st.session_state[key] = value
                continue
            notices.append(f"{key}={query[key]!r} ({param.label}: {_expected(param)})")
        # Re-assigning keeps widgets that were not drawn on the last run (a collapsed
        # expander, another degradation's parameters) from falling back to their defaults.
        value = st.session_state.get(key, kept.get(key, param.default))
        if value is not None and param.parse_text(to_text(value)) is None:
            value = param.default  # kept from a page version with other choices
        st.session_state[key] = value
    if first:
        unknown = sorted(set(query) - set(fields) - {"embed", "embed_options"})
        notices += [f"{key} (not a setting of this page)" for key in unknown]
        st.session_state[_READ + scope] = True
    return notices


def _expected(param: Param) -> str:
    if param.kind == "choice":
        shown = ", ".join(map(str, param.choices[:8])) + (", …" if len(param.choices) > 8 else "")
        return f"one of {shown}"
    if param.kind == "bool":
        return "true or false"
    if param.low is not None and param.high is not None:
        return f"a number from {param.low:g} to {param.high:g}"
    return param.rule


def notice_text(notices: Iterable[str]) -> str:
    """One line for the page: which URL values were ignored (the defaults are used)."""
    return "Link settings not used (defaults instead): " + "; ".join(notices) + "."


def keep(scope: str, keys: Iterable[str], url: bool = True) -> None:
    """Remember the widgets' values for the next visit and write them to the URL."""
    kept = st.session_state.setdefault(_KEPT, {})
    params = {}
    for key in keys:
        value = st.session_state.get(key)
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            continue
        kept[key] = value
        params[key] = to_text(value)
    if url and dict(st.query_params) != params:
        st.query_params.from_dict(params)


def preset(values: Mapping[str, Any]) -> None:
    """Set widgets of another page before switching to it (its next run uses these values:
    widget state of a page not drawn is not kept by Streamlit, the kept values are)."""
    kept = st.session_state.setdefault(_KEPT, {})
    for key, value in values.items():
        kept[key] = value
        st.session_state.pop(key, None)


def clear_kept(keys: Iterable[str]) -> None:
    """Forget kept values (a reset button)."""
    kept = st.session_state.setdefault(_KEPT, {})
    for key in keys:
        kept.pop(key, None)
        st.session_state.pop(key, None)
