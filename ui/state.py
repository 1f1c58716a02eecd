"""Widget state that survives page switches and lives in the URL.

Streamlit forgets a widget's value when its page is left, and `st.query_params` is cleared on
page switches. :func:`init` seeds each widget key (URL first, then the value kept from the last
visit, then the default) before the widgets are drawn; :func:`keep` stores the values after, and
writes them to the URL so a copied link reopens the same setup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

_KEEP = "_kept_widget_values"


def _parse(text: str, default: Any) -> Any:
    if isinstance(default, bool):
        return text.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(float(text))
    if isinstance(default, float):
        return float(text)
    return text


def init(
    defaults: Mapping[str, Any],
    scope: str,
    url: bool = True,
    valid: Mapping[str, Callable[[Any], bool]] | None = None,
) -> list[str]:
    """Seed ``st.session_state`` for every key in ``defaults``.

    The URL is read on the first run of ``scope`` (a page name) in a session. Returns the URL
    parameters that could not be used (badly formed or not allowed), so the page can say so.
    """
    kept = st.session_state.setdefault(_KEEP, {})
    rejected = []
    flag = f"{_KEEP}_url_read_{scope}"
    first = not st.session_state.get(flag, False)
    for key, default in defaults.items():
        if first and url and key in st.query_params:
            try:
                value = _parse(st.query_params[key], default)
                if valid and key in valid and not valid[key](value):
                    raise ValueError
                st.session_state[key] = value
                continue
            except (TypeError, ValueError):
                rejected.append(key)
        # Re-assigning keeps widgets that were not drawn on the last run (e.g. while the
        # uploader was shown) from falling back to their own defaults.
        st.session_state[key] = st.session_state.get(key, kept.get(key, default))
    st.session_state[flag] = True
    return rejected


def keep(keys: list[str], url: bool = True) -> None:
    """Remember the widgets' values for the next visit and put them in the URL."""
    kept = st.session_state.setdefault(_KEEP, {})
    params = {}
    for key in keys:
        if key in st.session_state and st.session_state[key] is not None:
            kept[key] = st.session_state[key]
            params[key] = str(st.session_state[key])
    if url:
        st.query_params.from_dict(params)
