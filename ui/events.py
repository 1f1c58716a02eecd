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


def picked_cell(event: Any, df: Any, x_axis: str, y_axis: str) -> Any:
    """The sweep row of the heatmap cell a user clicked (``plots.tune_heatmap``), else None."""
    try:
        point = event["selection"]["points"][0]
        method, x, y = point["customdata"][:3]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if not len(df):
        return None
    rows = df[(df["method"] == method) & ((df[x_axis] - x).abs() <= 1e-9 * abs(x) + 1e-12)
              & ((df[y_axis] - y).abs() <= 1e-9 * abs(y) + 1e-12)]
    return rows.iloc[0] if len(rows) else None
