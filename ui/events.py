"""Reading Streamlit widget events (kept out of red_core, which knows nothing of streamlit)."""

from __future__ import annotations

from typing import Any


def picked_point(event: Any) -> tuple[float, float] | None:
    """``(row, col)`` of the first point of a plotly selection event, else ``None``.

    ``event`` is what ``st.plotly_chart(..., on_select=...)`` stores: a mapping with
    ``selection.points``, each point with ``x`` (column) and ``y`` (row).
    """
    try:
        points = event["selection"]["points"]
        point = points[0]
        return float(point["y"]), float(point["x"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
