"""Plotly figure builders for the lab (no streamlit here).

One template and one colour per method for every figure: the RED family in warm colours, the PnP
family in cool ones, so the two are told apart at a glance. Pages call these builders and only
draw the figures they return.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

TEMPLATE = "redlab"

#: One colour per method; RED warm, PnP cool.
METHOD_COLOURS: dict[str, str] = {
    "red-gd": "#d62728",
    "red-fp": "#ff7f0e",
    "red-admm": "#8c2d04",
    "red-pg": "#e377c2",
    "red-dpg": "#bcbd22",
    "red-apg": "#9467bd",
    "pnp-pgd": "#1f77b4",
    "pnp-admm": "#17becf",
    "pnp-hqs": "#2ca02c",
}
FAMILY_DASH = {"red": "solid", "pnp": "dash"}

#: Colours of the recurring signal roles.
CLEAN, NOISY, DENOISED, GRADIENT = "#2ca02c", "#7f7f7f", "#1f77b4", "#d62728"

pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        font={"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13},
        colorway=list(METHOD_COLOURS.values()),
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 50, "r": 20, "t": 50, "b": 45},
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        xaxis={"showgrid": True, "gridcolor": "#eeeeee", "zeroline": False, "linecolor": "#999"},
        yaxis={"showgrid": True, "gridcolor": "#eeeeee", "zeroline": False, "linecolor": "#999"},
    )
)


def method_colour(method: str) -> str:
    """The colour of ``method`` (grey for anything unknown)."""
    return METHOD_COLOURS.get(method, "#555555")


def method_dash(method: str) -> str:
    """Solid lines for RED, dashed for PnP."""
    return FAMILY_DASH["pnp" if method.startswith("pnp") else "red"]


def _finite(values: Sequence) -> list:
    """Replace None / NaN by None so plotly draws gaps."""
    return [None if v is None or not np.isfinite(v) else float(v) for v in values]


# --------------------------------------------------------------------------- convergence

CURVES = {
    "psnr": ("PSNR (dB)", False),
    "objective": ("RED objective E(x)", True),
    "residual": ("fixed-point residual ‖∇f + λ(x − D(x))‖", True),
    "rel_change": ("relative change ‖xₖ − xₖ₋₁‖/‖xₖ₋₁‖", True),
}
X_AXES = {
    "iter": "iteration",
    "time": "seconds of algorithm time",
    "denoiser_calls": "denoiser calls",
}


def convergence_figure(
    histories: dict[str, list[dict]],
    x_axis: str = "iter",
    labels: dict[str, str] | None = None,
    objective_titles: dict[str, str] | None = None,
    height: int = 560,
) -> go.Figure:
    """PSNR, objective, residual and relative change against ``x_axis`` for several runs.

    Parameters
    ----------
    histories : dict
        ``{method: history}`` with the records of ``red_core.solvers.iterate`` / ``run``.
    x_axis : str
        ``"iter"``, ``"time"`` or ``"denoiser_calls"``.
    labels : dict, optional
        Legend label per method (default: the method name).
    objective_titles : dict, optional
        Override of a panel title, e.g. ``{"objective": "f + λg (exact objective)"}``.
    """
    if x_axis not in X_AXES:
        raise ValueError(f"x_axis must be one of {', '.join(X_AXES)}, got {x_axis!r}")
    titles = {k: v[0] for k, v in CURVES.items()}
    titles.update(objective_titles or {})
    fig = make_subplots(rows=2, cols=2, subplot_titles=[titles[k] for k in CURVES],
                        horizontal_spacing=0.09, vertical_spacing=0.16)
    for i, (key, (_, log)) in enumerate(CURVES.items()):
        row, col = divmod(i, 2)
        for method, history in histories.items():
            xs = [h.get(x_axis) for h in history]
            ys = _finite([h.get(key) for h in history])
            if log:
                ys = [v if v is not None and v > 0 else None for v in ys]
            fig.add_trace(
                go.Scatter(
                    x=xs, y=ys, mode="lines", name=(labels or {}).get(method, method),
                    legendgroup=method, showlegend=i == 0, connectgaps=True,
                    line={"color": method_colour(method), "dash": method_dash(method),
                          "width": 2.2},
                ),
                row=row + 1, col=col + 1,
            )
        fig.update_yaxes(type="log" if log else "linear", row=row + 1, col=col + 1)
        fig.update_xaxes(title_text=X_AXES[x_axis], row=row + 1, col=col + 1)
    fig.update_layout(template=TEMPLATE, height=height, hovermode="closest")
    return fig
