"""Plotly figure builders for the lab (no streamlit here).

One template and one colour per method for every figure: the RED family in warm colours, the PnP
family in cool ones, so the two are told apart at a glance. Pages call these builders and only
draw the figures they return.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from red_core import denoisers, glossary, solvers
from red_core.lab import svgplot

FAMILY_DASH = {"red": "solid", "pnp": "dash"}

#: Colours of the recurring signal roles.
CLEAN, NOISY, DENOISED, GRADIENT = "#2ca02c", "#7f7f7f", "#1f77b4", "#d62728"


@functools.cache
def template() -> go.layout.Template:
    """The lab's one plotly template (built on first use; nothing is registered globally)."""
    return go.layout.Template(
        layout=go.Layout(
            font={"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13},
            colorway=[solvers.entry(m).colour for m in solvers.names()],
            paper_bgcolor="white",
            plot_bgcolor="white",
            margin={"l": 50, "r": 20, "t": 50, "b": 45},
            hovermode="x unified",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
            xaxis={"showgrid": True, "gridcolor": "#eeeeee", "zeroline": False,
                   "linecolor": "#999"},
            yaxis={"showgrid": True, "gridcolor": "#eeeeee", "zeroline": False,
                   "linecolor": "#999"},
        )
    )


def _figure(spec: dict) -> go.Figure:
    """A plotly figure of a figure spec (``{"data", "layout"}`` plain dicts) in the lab's
    template. Not validated: plotly's validation is ~95 % of the build time of the specs the
    live views redraw (tests build ``go.Figure(fig.to_dict())`` to validate them once)."""
    return go.Figure(data=spec["data"], layout={"template": template(), **spec["layout"]},
                     _validate=False)


def svg(spec: dict, widths: Sequence[int] = (700, 1000, 1300), uid: str = "f") -> str:
    """The figure spec as responsive inline SVG (:func:`red_core.lab.svgplot.responsive`): for
    the charts redrawn on every slider move or frame, which plotly.js redraws too slowly."""
    return svgplot.responsive(spec, widths, uid, colourway=template().layout.colorway)


def svg_file(spec: dict) -> str:
    """The figure spec as a standalone SVG file (a download)."""
    return svgplot.standalone(spec, colourway=template().layout.colorway)


def method_colour(method: str) -> str:
    """The colour of ``method`` (its registry entry's; grey for anything unknown)."""
    try:
        return solvers.entry(method).colour
    except ValueError:
        return "#555555"


def method_dash(method: str) -> str:
    """Solid lines for RED, dashed for PnP."""
    return FAMILY_DASH["pnp" if method.startswith("pnp") else "red"]


def _finite(values: Sequence) -> list:
    """Replace None / NaN by None so plotly draws gaps."""
    return [None if v is None or not np.isfinite(v) else float(v) for v in values]


# --------------------------------------------------------------------------- convergence

#: The curves of a run: record key -> (panel title, log axis). Titles come from the glossary.
CURVES: dict[str, tuple[str, bool]] = {
    "psnr": (f"{glossary.term('psnr').name} ({glossary.term('psnr').unit})", False),
    "objective": ("objective E(x) = f(x) + λρ(x)", True),
    "residual": (f"{glossary.term('residual').name} {glossary.term('residual').symbol}", True),
    "rel_change": (f"{glossary.term('rel_change').name} {glossary.term('rel_change').symbol}",
                   True),
}
X_AXES = {
    "iter": "iteration",
    "time": "seconds of algorithm time",
    "denoiser_calls": "denoiser calls",
}
#: Lane colours when two lanes run the same method (their method colour would repeat).
LANE_PALETTE = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")


def lane_styles(methods: dict[str, str]) -> dict[str, dict[str, str]]:
    """``{lane: {"color", "dash"}}``: each lane its method's colour (RED warm, PnP cool) unless
    another lane has the same method, then a palette colour no other lane uses; solid lines for
    RED, dashed for PnP."""
    styles, used = {}, set()
    counts = {m: list(methods.values()).count(m) for m in methods.values()}
    for lane, method in methods.items():
        colour = method_colour(method)
        if counts[method] > 1 or colour in used:
            colour = next(c for c in LANE_PALETTE + (colour,) if c not in used)
        used.add(colour)
        styles[lane] = {"color": colour, "dash": method_dash(method)}
    return styles


def _grid(n_panels: int, columns: int) -> list[tuple[list[float], list[float]]]:
    """``(x domain, y domain)`` of each panel of a ``rows × columns`` grid, row by row."""
    rows = -(-n_panels // columns)
    gap_x, gap_y = 0.09 if columns > 1 else 0.0, 0.16 if rows > 1 else 0.0
    width, height = (1 - gap_x * (columns - 1)) / columns, (1 - gap_y * (rows - 1)) / rows
    out = []
    for i in range(n_panels):
        r, c = divmod(i, columns)
        x0, y1 = c * (width + gap_x), 1 - r * (height + gap_y)
        out.append(([round(max(x0, 0.0), 6), round(min(x0 + width, 1.0), 6)],
                    [round(max(y1 - height, 0.0), 6), round(min(y1, 1.0), 6)]))
    return out


def convergence_figure(histories: dict[str, list[dict]], *args, **kwargs) -> go.Figure:
    """:func:`convergence_spec` as a plotly figure (the same parameters)."""
    return _figure(convergence_spec(histories, *args, **kwargs))


def convergence_spec(
    histories: dict[str, list[dict]],
    x_axis: str = "iter",
    labels: dict[str, str] | None = None,
    methods: dict[str, str] | None = None,
    objective_titles: dict[str, str] | None = None,
    reference_psnr: float | None = None,
    height: int = 560,
    panels: Sequence[str] = ("psnr", "objective", "residual", "rel_change"),
    columns: int = 2,
    legend: bool = True,
) -> dict:
    """Curves of several runs (PSNR, objective, stationarity residual, relative change) against
    ``x_axis``, one panel per curve in a grid.

    Parameters
    ----------
    histories : dict
        ``{run: history}`` with the records of ``red_core.solvers.iterate`` / ``run``; ``run`` is
        a method name or any label (then give ``methods``).
    x_axis : str
        ``"iter"``, ``"time"`` or ``"denoiser_calls"``.
    labels : dict, optional
        Legend label per run (default: the run's key).
    methods : dict, optional
        The method of each run, for its colour and dash (:func:`lane_styles`; default: the key).
    objective_titles : dict, optional
        ``{run: what its objective is}``. When the runs' objectives differ (one lane minimises
        ``f + λg``, another ``E = f + λρ``, or their λ differ) each definition gets a panel of
        its own instead of one shared axis.
    reference_psnr : float, optional
        Drawn as a dotted line on the PSNR panel (e.g. the degraded image's PSNR).
    panels : sequence of str
        Which curves (keys of :data:`CURVES`), in order.
    columns : int
        Panels per row.
    legend : bool
        Show the legend (below the panels, where it collides with no title).
    """
    if x_axis not in X_AXES:
        raise ValueError(f"x_axis must be one of {', '.join(X_AXES)}, got {x_axis!r}")
    unknown = set(panels) - set(CURVES)
    if unknown:
        raise ValueError(f"unknown panels {sorted(unknown)}; choose from {', '.join(CURVES)}")
    methods = {run: (methods or {}).get(run, run) for run in histories}
    styles = lane_styles(methods)
    # (record key, title, runs drawn in it); the objective split by definition when they differ
    layout_panels: list[tuple[str, str, list[str]]] = []
    for key in panels:
        groups: dict[str, list[str]] = {}
        if key == "objective" and objective_titles:
            for run in histories:
                groups.setdefault(objective_titles.get(run, CURVES[key][0]), []).append(run)
        if len(groups) > 1:
            layout_panels += [(key, title, runs) for title, runs in groups.items()]
        else:
            title = next(iter(groups)) if groups else CURVES[key][0]
            layout_panels.append((key, title, list(histories)))
    # Plain dicts, not make_subplots: the live race redraws this ~3 times a second, and
    # make_subplots plus plotly's validation cost ~0.1 s per build (tests validate it once).
    data, layout = [], {"height": height, "hovermode": "closest",
                        "annotations": [], "shapes": [], "showlegend": legend,
                        # below the x-axis title of the bottom row, not over it
                        "legend": {"orientation": "h", "x": 0, "xanchor": "left",
                                   "y": -0.3 if len(panels) <= columns else -0.12,
                                   "yanchor": "top"},
                        "margin": {"l": 50, "r": 15, "t": 35, "b": 40}}
    shown = set()
    for i, ((key, title, runs), (x_dom, y_dom)) in enumerate(
            zip(layout_panels, _grid(len(layout_panels), columns), strict=True)):
        log = CURVES[key][1]
        n = "" if i == 0 else str(i + 1)
        layout[f"xaxis{n}"] = {"anchor": f"y{n}", "domain": x_dom,
                               "title": {"text": X_AXES[x_axis]}}
        layout[f"yaxis{n}"] = {"anchor": f"x{n}", "domain": y_dom,
                               "type": "log" if log else "linear"}
        layout["annotations"].append({
            "text": title, "font": {"size": 14}, "showarrow": False, "xref": "paper",
            "yref": "paper", "x": sum(x_dom) / 2, "y": y_dom[1], "xanchor": "center",
            "yanchor": "bottom"})
        for run in runs:
            history = histories[run]
            ys = _finite([h.get(key) for h in history])
            if log:
                ys = [v if v is not None and v > 0 else None for v in ys]
            data.append({
                "type": "scatter", "x": [h.get(x_axis) for h in history], "y": ys,
                "mode": "lines", "name": (labels or {}).get(run, run), "legendgroup": run,
                "showlegend": run not in shown, "connectgaps": True, "xaxis": f"x{n}",
                "yaxis": f"y{n}", "line": {**styles[run], "width": 2.2}})
            shown.add(run)
        if key == "psnr" and reference_psnr is not None:
            if not runs:  # empty axes (before a race): around the degraded PSNR, not −1…4
                layout[f"yaxis{n}"]["range"] = [reference_psnr - 1.0, reference_psnr + 6.0]
            layout["shapes"].append({"type": "line", "xref": f"x{n} domain", "yref": f"y{n}",
                                     "x0": 0, "x1": 1, "y0": reference_psnr,
                                     "y1": reference_psnr,
                                     "line": {"dash": "dot", "color": "#888", "width": 1}})
            layout["annotations"].append({"text": "degraded", "showarrow": False,
                                          "xref": f"x{n} domain", "yref": f"y{n}", "x": 1,
                                          "y": reference_psnr, "xanchor": "right",
                                          "yanchor": "top"})
    return {"data": data, "layout": layout}


# --------------------------------------------------------------------------- restore page


def lane_name(run: str, method: str) -> str:
    """``"RED · RED-GD"``: a lane's label with its algorithm's acronym (once)."""
    try:
        short = solvers.entry(method).short
    except ValueError:
        return run
    return run if short.lower() in run.lower() else f"{run} · {short}"


def cost_figure(rows: list[dict]) -> go.Figure:
    """Stacked bars of the measured time per iteration of each lane (``race.cost_report`` rows,
    2 to 4 of them): the denoiser calls and the rest (data-term step, vector updates), in ms per
    iteration, with the total on top. The work behind a bar (denoiser calls and data-term steps
    per iteration) is in its hover: identical work can take different times."""
    names = [lane_name(r["run"], r["method"]) for r in rows]
    den = [(r["denoiser_ms_per_call"] or 0.0) * (r["calls_per_iteration"] or 0.0) for r in rows]
    rest = [r["overhead_ms_per_iteration"] or 0.0 for r in rows]
    work = [[r["calls_per_iteration"] or 0.0, r["data_steps_per_iteration"] or 0.0]
            for r in rows]
    hover = ("%{x}: %{y:.2f} ms per iteration<br>work: %{customdata[0]:.2f} denoiser calls + "
             "%{customdata[1]:.2f} data-term steps<extra>%{fullData.name}</extra>")
    fig = go.Figure([
        go.Bar(name="denoiser calls", x=names, y=den, marker_color=DENOISED, customdata=work,
               hovertemplate=hover),
        go.Bar(name="data-term step and updates", x=names, y=rest, marker_color=NOISY,
               customdata=work, hovertemplate=hover,
               text=[f"{a + b:.1f} ms" for a, b in zip(den, rest, strict=True)],
               textposition="outside", cliponaxis=False),
    ])
    fig.update_layout(template=template(), barmode="stack", height=340,
                      yaxis_title="ms per iteration (measured)", hovermode="closest",
                      margin={"t": 60, "l": 55, "r": 10})
    return fig


def landscape_figure(land, trajectories: dict[str, np.ndarray],
                     methods: dict[str, str] | None = None, title: str = "") -> go.Figure:
    """Contours of the objective on a 2-D slice, the RED update field as arrows, and the
    projected trajectories (``red_core.landscape`` / ``Race.landscape``)."""
    z = np.log10(land.objective - land.objective.min() + 1e-12 * abs(land.objective).max()
                 + 1e-300)
    fig = go.Figure(go.Contour(x=land.a, y=land.b, z=z, colorscale="Viridis", ncontours=25,
                               colorbar={"title": "log₁₀(E − min E)"}, opacity=0.85,
                               hovertemplate="a=%{x:.3g}<br>b=%{y:.3g}<extra></extra>"))
    norm = np.hypot(land.update_a, land.update_b)
    scale = 0.8 * (land.a[1] - land.a[0]) / max(float(norm.max()), 1e-300)
    aa, bb = np.meshgrid(land.a, land.b)
    xs, ys = [], []
    for x0, y0, u, v in zip(aa.ravel(), bb.ravel(), (scale * land.update_a).ravel(),
                            (scale * land.update_b).ravel(), strict=True):
        xs += [x0, x0 + u, None]
        ys += [y0, y0 + v, None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "white", "width": 1.2},
                             name="RED update −(∇f + λ(x − D(x)))", hoverinfo="skip"))
    styles = lane_styles({k: (methods or {}).get(k, k) for k in trajectories})
    for label, t in trajectories.items():
        if len(t) == 0:
            continue
        fig.add_trace(go.Scatter(x=t[:, 0], y=t[:, 1], mode="lines+markers", name=label,
                                 line={**styles[label], "width": 2.5}, marker={"size": 4}))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="final iterate",
                             marker={"symbol": "star", "size": 14, "color": "#ffd92f",
                                     "line": {"color": "black", "width": 1}}))
    fig.update_layout(template=template(), height=520, title=title, hovermode="closest",
                      xaxis_title="a (start → truth)", yaxis_title="b (random)",
                      yaxis={"scaleanchor": "x"})
    return fig


def difference_figure(truth: np.ndarray, results: dict[str, np.ndarray]) -> go.Figure:
    """Signed error ``x − truth`` of each result (grey level; colour images averaged over
    channels), on one symmetric colour scale so the results compare."""
    diffs = {k: np.clip(x, 0, 1) - truth for k, x in results.items()}
    diffs = {k: d.mean(axis=2) if d.ndim == 3 else d for k, d in diffs.items()}
    vmax = max(float(np.percentile(np.abs(d), 99.5)) for d in diffs.values()) or 1e-3
    # Two short lines per title: one line per lane collides with its neighbour in narrow panels.
    fig = make_subplots(rows=1, cols=len(diffs), subplot_titles=[
        f"{k}<br>x − truth (RMSE {np.sqrt(np.mean(d**2)):.4f})" for k, d in diffs.items()],
        horizontal_spacing=0.04)
    fig.update_annotations(font_size=12)
    for i, d in enumerate(diffs.values()):
        fig.add_trace(go.Heatmap(z=d[::-1], zmin=-vmax, zmax=vmax, colorscale="RdBu_r",
                                 showscale=i == len(diffs) - 1, hovertemplate="%{z:.3f}"),
                      row=1, col=i + 1)
        fig.update_xaxes(visible=False, scaleanchor=f"y{i + 1 if i else ''}", row=1, col=i + 1)
        fig.update_yaxes(visible=False, row=1, col=i + 1)
    fig.update_layout(template=template(), height=420, margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return fig


# --------------------------------------------------------------------------- score and tweedie
# These builders pass the whole layout to go.Figure at once: update_layout / add_trace
# re-validate and cost ~3x more, and the score page redraws on every slider move.

#: Colours of the score page: the Tweedie check overlays a dark dashed line on the red one.
SCORE_OVERLAY, ARROW_COLOUR, MODE_COLOUR = "#111111", "#555555", "#111111"
# Legends under the axes: above them they collide with the titles in narrow columns.
_LEGEND_BELOW = {"orientation": "h", "x": 0.0, "xanchor": "left", "y": -0.2, "yanchor": "top"}
_SCORE_MARGIN = {"l": 50, "r": 15, "t": 40, "b": 20}


def _line_1d_figure(traces: list[dict], title: str, x_title: str, y_title: str, height: int,
                    shapes: Sequence[dict] = ()) -> go.Figure:
    """A 1-D line figure of the score page, built in one validation pass."""
    return go.Figure(data=traces, layout={
        "template": template(), "height": height, "title": title, "xaxis_title": x_title,
        "yaxis_title": y_title, "margin": _SCORE_MARGIN, "legend": _LEGEND_BELOW,
        "shapes": list(shapes),
    })  # fmt: skip


def prior_blur_figure(x: np.ndarray, prior: np.ndarray, blurred: np.ndarray, sigma: float,
                      height: int = 380) -> go.Figure:
    """The prior p and its blurred version p_σ = p * N(0, σ²) on a 1-D grid."""
    return _line_1d_figure([
        {"type": "scatter", "x": x, "y": prior, "name": "prior p(x)", "mode": "lines",
         "line": {"color": CLEAN, "width": 2}},
        {"type": "scatter", "x": x, "y": blurred, "name": f"p_σ(x), σ = {sigma:.2f}",
         "mode": "lines", "line": {"color": NOISY, "width": 3}, "fill": "tozeroy",
         "fillcolor": "rgba(127,127,127,0.15)"},
    ], "Prior and blurred prior", "x", "density", height)  # fmt: skip


def mmse_1d_figure(x: np.ndarray, mmse: np.ndarray, sigma: float,
                   height: int = 380) -> go.Figure:
    """The MMSE denoiser D*(x) against the identity line."""
    return _line_1d_figure([
        {"type": "scatter", "x": x, "y": x, "name": "identity", "mode": "lines",
         "line": {"color": NOISY, "width": 1.5, "dash": "dot"}},
        {"type": "scatter", "x": x, "y": mmse, "name": f"D*(x), σ = {sigma:.2f}",
         "mode": "lines", "line": {"color": DENOISED, "width": 2.5}},
    ], "MMSE denoiser D*(x)", "x (noisy value)", "D*(x)", height)  # fmt: skip


def tweedie_residual_figure(x: np.ndarray, red_gradient: np.ndarray,
                            scaled_score: np.ndarray, height: int = 380) -> go.Figure:
    """x − D*(x) (solid) with −σ²∇log p_σ(x) dashed on top: Tweedie says they coincide."""
    zero = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
            "line": {"color": "#bbbbbb", "width": 1}, "layer": "below"}
    return _line_1d_figure([
        {"type": "scatter", "x": x, "y": red_gradient, "name": "x − D*(x)", "mode": "lines",
         "line": {"color": GRADIENT, "width": 5}, "opacity": 0.55},
        {"type": "scatter", "x": x, "y": scaled_score, "name": "−σ² ∇log p_σ(x)",
         "mode": "lines", "line": {"color": SCORE_OVERLAY, "width": 2, "dash": "dash"}},
    ], "RED gradient = scaled −score", "x", "x − D*(x)", height, shapes=[zero])  # fmt: skip


def _polyline(paths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trajectories (n_steps + 1, n, 2) as one polyline with NaN separators."""
    gap = np.full((1,) + paths.shape[1:], np.nan)
    joined = np.concatenate([paths, gap], axis=0).transpose(1, 0, 2).reshape(-1, 2)
    return joined[:, 0], joined[:, 1]


def _square_axes(box: np.ndarray | None) -> dict:
    """Equal-aspect x₁/x₂ axes (fixed to ``box`` when given)."""
    ranges = ({}, {}) if box is None else ({"range": list(box[0])}, {"range": list(box[1])})
    return {
        "xaxis": {"constrain": "domain", "title": {"text": "x₁"}, "showgrid": False,
                  **ranges[0]},
        "yaxis": {"scaleanchor": "x", "scaleratio": 1, "constrain": "domain",
                  "title": {"text": "x₂"}, "showgrid": False, **ranges[1]},
    }  # fmt: skip


def score_field_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    density: np.ndarray,
    arrows: tuple[np.ndarray, np.ndarray],
    box: np.ndarray,
    trajectories: np.ndarray | None = None,
    means: np.ndarray | None = None,
    title: str = "",
    height: int = 640,
) -> go.Figure:
    """Contours of a 2-D density, a quiver of a field and descent trajectories.

    Parameters
    ----------
    xs, ys : numpy.ndarray
        Contour grid axes; ``density`` has shape ``(len(ys), len(xs))``.
    density : numpy.ndarray
        The density to contour (e.g. p_σ).
    arrows : tuple of numpy.ndarray
        ``(x, y)`` polyline with NaN gaps, from ``red_core.tweedie.arrow_segments``.
    box : numpy.ndarray, shape (2, 2)
        Axis ranges (fixed: trajectories that diverge leave the frame).
    trajectories : numpy.ndarray, shape (n_steps + 1, n, 2), optional
        Paths from ``red_core.score.descend``; starts drawn as open circles, ends as dots.
    means : numpy.ndarray, shape (K, 2), optional
        Component means, drawn as crosses.
    """
    # float32 halves the JSON sent to the browser; plenty for drawing
    traces = [
        {"type": "contour", "x": xs, "y": ys, "z": np.asarray(density, dtype=np.float32),
         "colorscale": "Blues", "showscale": False, "ncontours": 14,
         "contours": {"coloring": "fill"}, "opacity": 0.75, "name": "p_σ",
         "line": {"width": 0.6, "color": "rgba(30,60,120,0.35)"},
         "hovertemplate": "p_σ = %{z:.3g}<extra></extra>"},
        {"type": "scatter", "x": np.asarray(arrows[0], dtype=np.float32),
         "y": np.asarray(arrows[1], dtype=np.float32), "mode": "lines",
         "name": "−(x − D(x))", "line": {"color": ARROW_COLOUR, "width": 1.1},
         "hoverinfo": "skip"},
    ]  # fmt: skip
    if trajectories is not None and trajectories.shape[1] > 0:
        px, py = _polyline(trajectories)
        traces += [
            {"type": "scatter", "x": px, "y": py, "mode": "lines", "name": "RED descent",
             "line": {"color": GRADIENT, "width": 2.2}, "hoverinfo": "skip"},
            {"type": "scatter", "x": trajectories[0, :, 0], "y": trajectories[0, :, 1],
             "mode": "markers", "name": "start",
             "marker": {"symbol": "circle-open", "size": 9, "color": GRADIENT,
                        "line": {"width": 2}}},
            {"type": "scatter", "x": trajectories[-1, :, 0], "y": trajectories[-1, :, 1],
             "mode": "markers", "name": "end",
             "marker": {"symbol": "circle", "size": 8, "color": GRADIENT,
                        "line": {"width": 1, "color": "white"}}},
        ]  # fmt: skip
    if means is not None:
        traces.append({
            "type": "scatter", "x": means[:, 0], "y": means[:, 1], "mode": "markers",
            "name": "component means",
            "marker": {"symbol": "x-thin", "size": 11, "color": MODE_COLOUR,
                       "line": {"width": 2.5, "color": MODE_COLOUR}},
        })  # fmt: skip
    return go.Figure(data=traces, layout={
        "template": template(), "height": height, "hovermode": "closest", "title": title,
        "margin": _SCORE_MARGIN, "legend": _LEGEND_BELOW, **_square_axes(box),
    })  # fmt: skip


def curl_figure(xs: np.ndarray, ys: np.ndarray, curl: np.ndarray, zmax: float,
                title: str = "curl of the RED field", height: int = 400) -> go.Figure:
    """Heatmap of the scalar curl of a 2-D field on a symmetric colour scale ±``zmax``."""
    zmax = float(zmax) if np.isfinite(zmax) and zmax > 0 else 1.0
    heatmap = {
        "type": "heatmap", "x": xs, "y": ys, "z": curl, "zmid": 0.0, "zmin": -zmax,
        "zmax": zmax, "colorscale": "RdBu_r", "zsmooth": "best",
        "colorbar": {"thickness": 12, "exponentformat": "e"},
        "hovertemplate": "x₁ %{x:.2f}, x₂ %{y:.2f}<br>curl %{z:.2e}<extra></extra>",
    }  # fmt: skip
    return go.Figure(data=[heatmap], layout={
        "template": template(), "height": height, "title": title, "hovermode": "closest",
        "margin": {"l": 50, "r": 10, "t": 50, "b": 45}, **_square_axes(None),
    })  # fmt: skip


# --------------------------------------------------------------------------- 1-D gradient field

#: Shading of the samples near a jump (or where the clean signal bends most).
ROUGH_COLOUR, ROUGH_SHADE = "#ff7f0e", "rgba(255, 127, 14, 0.13)"
#: At most this many shaded runs (more, e.g. every crest of a chirp, and only the colour tells).
MAX_SHADED_RUNS = 60


def _true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` index of every run of consecutive True values."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def gradient_arrows(
    x: np.ndarray, denoised: np.ndarray, max_heads: int = 128, min_length: float = 0.0
) -> tuple[dict, dict]:
    """Geometry of the RED-step arrows from ``x[i]`` to ``D(x)[i]`` at every sample ``i``.

    Returns
    -------
    shafts : dict
        ``x``, ``y`` of one line trace: ``(i, x[i]), (i, D(x)[i]), gap`` for every sample.
    heads : dict
        ``x``, ``y``, ``symbol`` of the arrowhead markers, at ``D(x)[i]`` pointing up or down,
        on every ``⌈n / max_heads⌉``-th sample whose arrow is longer than ``min_length``.
    """
    n = x.size
    index = np.arange(n, dtype=np.float64)
    gap = np.full(n, np.nan)
    shafts = {"x": np.column_stack([index, index, gap]).ravel(),
              "y": np.column_stack([x, denoised, gap]).ravel()}
    stride = max(1, -(-n // max_heads))
    pick = np.arange(stride // 2, n, stride)
    pick = pick[np.abs(denoised[pick] - x[pick]) > min_length]
    heads = {"x": index[pick], "y": denoised[pick],
             "symbol": np.where(denoised[pick] > x[pick], "triangle-up", "triangle-down")}
    return shafts, heads


def _segments_path(index: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> str:
    """One SVG path (data coordinates) of the vertical segments ``(i, y0[i]) → (i, y1[i])``."""
    return "".join(f"M{i},{a:.5g}L{i},{b:.5g}" for i, a, b in
                   zip(index.tolist(), y0.tolist(), y1.tolist(), strict=True))


def gradient_field_figure(stats, x_name: str = "noisy x", max_heads: int = 128,
                          height: int = 600) -> go.Figure:
    """:func:`gradient_field_spec` as a plotly figure."""
    return _figure(gradient_field_spec(stats, x_name, max_heads, height))


def gradient_field_spec(stats, x_name: str = "noisy x", max_heads: int = 128,
                        height: int = 600) -> dict:
    """The RED gradient field of a 1-D signal (``red_core.field1d.FieldStats``).

    Top: the clean signal, ``x``, ``D(x)`` and at every sample an arrow from ``x`` to ``D(x)``,
    the direction ``−(x − D(x))`` a RED step moves the signal (the shafts are one SVG path
    shape, listed in the legend; at most ``max_heads`` arrowheads). Bottom: ``|x − D(x)|``,
    its local mean, ``stats.rough`` (the noisy stretches, or near a jump) in orange and shaded
    in both panels, and the mean on each region. Shared x axis. Built from plain dicts
    (``make_subplots`` and ``add_vrect`` cost ~0.1 s each) and light in the browser (one path
    for the shafts, not one per sample: a slider move and every animation frame redraw it).
    """
    n = stats.x.size
    index = np.arange(n)
    span = float(np.ptp(np.concatenate([stats.clean, stats.x, stats.denoised]))) or 1.0
    _, heads = gradient_arrows(stats.x, stats.denoised, max_heads, 0.015 * span)
    step = "RED step −(x − D(x))"
    rough_label = stats.region_label
    data = [
        {"x": index, "y": stats.clean, "name": "clean", "mode": "lines",
         "line": {"color": CLEAN, "width": 1.5}},
        # a line, not a marker per sample: 512 markers cost ~100 ms of browser time per redraw
        {"x": index, "y": stats.x, "name": x_name, "mode": "lines",
         "line": {"color": NOISY, "width": 1}, "opacity": 0.6},
        {"x": index, "y": stats.denoised, "name": "D(x)", "mode": "lines",
         "line": {"color": DENOISED, "width": 2}},
        {"x": heads["x"], "y": heads["y"], "name": step, "mode": "markers", "legendgroup": "step",
         "hoverinfo": "skip", "marker": {"symbol": heads["symbol"], "size": 7, "color": GRADIENT},
         "line": {"color": GRADIENT, "width": 1.5}},  # the legend draws the shafts' colour
    ]
    bottom = [
        {"x": index, "y": stats.magnitude, "name": "|x − D(x)|", "mode": "lines",
         "line": {"color": GRADIENT, "width": 1}, "opacity": 0.35},
        # a line with gaps (one path per run), not a marker per sample
        {"x": index, "y": np.where(stats.rough, stats.magnitude, np.nan), "name": rough_label,
         "mode": "lines", "line": {"color": ROUGH_COLOUR, "width": 1.5}, "connectgaps": False},
        {"x": index, "y": stats.local_mean, "name": "local mean", "mode": "lines",
         "line": {"color": GRADIENT, "width": 2}},
    ]
    for label, mean, colour in ((stats.smooth_label, stats.mean_smooth, GRADIENT),
                                (rough_label, stats.mean_rough, ROUGH_COLOUR)):
        if np.isfinite(mean):
            bottom.append({"x": [0, n - 1], "y": [mean, mean], "mode": "lines",
                           "name": f"mean {label}: {mean:.3g}", "hoverinfo": "skip",
                           "line": {"color": colour, "width": 2, "dash": "dash"}})
    data += [dict(trace, xaxis="x2", yaxis="y2", legend="legend2") for trace in bottom]
    runs = _true_runs(stats.rough)
    shapes = [] if len(runs) > MAX_SHADED_RUNS else [
        {"type": "rect", "xref": xref, "yref": f"{yref} domain", "x0": first - 0.5,
         "x1": last + 0.5, "y0": 0, "y1": 1, "fillcolor": ROUGH_SHADE, "line": {"width": 0},
         "layer": "below"}
        for first, last in runs for xref, yref in (("x", "y"), ("x2", "y2"))
    ]
    shapes.append({"type": "path", "path": _segments_path(index, stats.x, stats.denoised),
                   "xref": "x", "yref": "y", "line": {"color": GRADIENT, "width": 1.2},
                   "opacity": 0.7, "layer": "above", "name": step})
    x_range = [-0.5, n - 0.5]
    layout = {
        "height": height, "hovermode": "closest",
        "shapes": shapes,
        "margin": {"l": 55, "r": 15, "t": 70, "b": 45},
        "xaxis": {"anchor": "y", "domain": [0, 1], "matches": "x2", "showticklabels": False,
                  "range": x_range},
        "xaxis2": {"anchor": "y2", "domain": [0, 1], "title": {"text": "sample"},
                   "range": x_range},
        "yaxis": {"anchor": "x", "domain": [0.42, 1], "title": {"text": "value"}},
        "yaxis2": {"anchor": "x2", "domain": [0, 0.36], "title": {"text": "|x − D(x)|"},
                   "rangemode": "tozero"},
        # the bottom panel's own legend under it: outside the plot area the margin grows to
        # fit however many rows a narrow screen wraps it into (between the panels it
        # covered the top panel at 800 px)
        "legend2": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.1,
                    "yanchor": "top"},
    }
    return {"data": [dict(d, type="scatter") for d in data], "layout": layout}


#: At most this many markers per curve of :func:`descent_figure` (the lines go on).
DESCENT_MARKERS = 60


def descent_figure(history: list[dict], height: int = 320) -> go.Figure:
    """:func:`descent_spec` as a plotly figure."""
    return _figure(descent_spec(history, height))


def descent_spec(history: list[dict], height: int = 320) -> dict:
    """The RED objective ``E(x_k)`` and the PSNR of one RED-GD run (records of
    ``red_core.solvers.iterate``), redrawn as the run animates. Two panels from plain dicts:
    cheap enough to redraw three times a second (``convergence_figure`` has four and takes
    ~0.1 s)."""
    iters = [h["iter"] for h in history]
    objective = [v if v is not None and v > 0 else None for v in
                 _finite([h.get("objective") for h in history])]
    colour = method_colour("red-gd")
    line = {"color": colour, "width": 2.2}
    # a marker per iteration only while they can be told apart: one SVG element each, and 500
    # of them per panel made every animation frame slow to draw
    marker = {"size": 4, "maxdisplayed": DESCENT_MARKERS}
    data = [
        {"x": iters, "y": objective, "name": "E(x)", "mode": "lines+markers", "line": line,
         "marker": marker, "connectgaps": True},
        {"x": iters, "y": _finite([h.get("psnr") for h in history]), "name": "PSNR",
         "mode": "lines+markers", "line": line, "marker": marker, "xaxis": "x2",
         "yaxis": "y2"},
    ]
    x_axis = {"rangemode": "tozero", "title": {"text": glossary.term("iter").name}}
    psnr_term = glossary.term("psnr")
    # panel titles above the panels, not y-axis titles: at 800 px the right panel's title sat
    # in the gap between the panels, on the left panel's ticks
    titles = ((0.0, f"RED {glossary.term('objective').name} E(x) (log scale)"),
              (0.56, f"{psnr_term.name} ({psnr_term.unit})"))
    layout = {
        "height": height, "showlegend": False,
        "hovermode": "closest", "margin": {"l": 50, "r": 15, "t": 40, "b": 45},
        "xaxis": {"anchor": "y", "domain": [0, 0.44], **x_axis},
        "xaxis2": {"anchor": "y2", "domain": [0.56, 1], **x_axis},
        "yaxis": {"anchor": "x", "type": "log", "automargin": True},
        "yaxis2": {"anchor": "x2", "automargin": True},
        "annotations": [{"text": text, "x": x, "xref": "paper", "xanchor": "left", "y": 1.0,
                         "yref": "paper", "yanchor": "bottom", "yshift": 6, "showarrow": False,
                         "font": {"size": 13}} for x, text in titles],
    }
    return {"data": [dict(d, type="scatter") for d in data], "layout": layout}


# --------------------------------------------------------------------------- Jacobian lab

#: Colours of the three Jacobian errors.
ERROR_COLOURS = {"symmetry": "#d62728", "homogeneity": "#ff7f0e", "gradient": "#7f7f7f"}
#: Errors below this are drawn at it on log axes (exact zeros have no logarithm).
ERROR_FLOOR = 1e-20


def _matrix_heatmap(z: np.ndarray, step: int, hover: str) -> go.Heatmap:
    """A heatmap of a (possibly pooled) matrix on the shared diverging colour axis."""
    coords = np.arange(z.shape[0]) * step
    # float32 halves the JSON sent to the browser; plenty for drawing
    return go.Heatmap(z=np.asarray(z, dtype=np.float32), x=coords, y=coords,
                      coloraxis="coloraxis", hovertemplate=hover + "<extra></extra>")


def jacobian_figure(jacobian: np.ndarray, antisymmetric: np.ndarray, step: int = 1,
                    unit: str = "sample", height: int = 470) -> go.Figure:
    """``J`` and ``J − Jᵀ`` side by side on one colour scale centred at 0 (red > 0 > blue),
    saturating at the 99th percentile of the non-zero magnitudes of both.

    Parameters
    ----------
    jacobian, antisymmetric : ndarray, shape (m, m)
        The matrices as drawn (``red_core.jacobian_lab.pool_extreme`` for large ones).
    step : int
        Rows/columns of the full matrix per drawn cell (the pooling block side).
    unit : str
        What a row/column is ("sample" or "pixel").
    """
    magnitudes = np.abs(np.concatenate([np.ravel(jacobian), np.ravel(antisymmetric)]))
    nonzero = magnitudes[magnitudes > 1e-9 * magnitudes.max()] if magnitudes.max() > 0 else []
    # the 99th percentile of the non-zero entries: a few kinks (|J_ij| ~ 3) would wash out the rest
    zmax = float(np.percentile(nonzero, 99)) if len(nonzero) else 1.0
    # Short titles (the page's caption says the rest): long ones collide on a narrow screen.
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                        subplot_titles=["J(x) = ∂D/∂x", "J − Jᵀ"])
    hover = f"output {unit} %{{y}}, input {unit} %{{x}}: %{{z:.3g}}"
    fig.add_trace(_matrix_heatmap(jacobian, step, "J: " + hover), row=1, col=1)
    fig.add_trace(_matrix_heatmap(antisymmetric, step, "J − Jᵀ: " + hover), row=1, col=2)
    fig.update_layout(template=template(), height=height, hovermode="closest",
                      coloraxis={"colorscale": "RdBu_r", "cmin": -zmax, "cmax": zmax, "cmid": 0,
                                 "colorbar": {"title": "∂Dᵢ/∂xⱼ", "thickness": 12}},
                      margin={"t": 60, "l": 55, "r": 10})
    for col in (1, 2):
        fig.update_xaxes(title_text=f"input {unit} j", showgrid=False, constrain="domain",
                         row=1, col=col)
        # one y title: a second one would sit on the first panel in a narrow figure
        fig.update_yaxes(title_text=f"output {unit} i" if col == 1 else None, showgrid=False,
                         autorange="reversed", scaleanchor="x" if col == 1 else "x2",
                         constrain="domain", showticklabels=col == 1, row=1, col=col)
    return fig


def gradients_1d_figure(exact: np.ndarray, red_gradient: np.ndarray,
                        height: int = 320) -> go.Figure:
    """The exact ``∇ρ(x)`` and RED's ``x − D(x)`` of a 1-D signal, overlaid."""
    n = np.arange(exact.size)
    fig = go.Figure([
        go.Scatter(x=n, y=exact, mode="lines", name="exact ∇ρ(x) = x − D(x)/2 − J(x)ᵀx/2",
                   line={"color": "#222222", "width": 2.5}),
        go.Scatter(x=n, y=red_gradient, mode="lines", name="RED gradient x − D(x)",
                   line={"color": GRADIENT, "width": 2, "dash": "dash"}),
    ])
    fig.update_layout(template=template(), height=height, xaxis_title="sample",
                      yaxis_title="gradient", margin={"t": 40})
    return fig


def gradients_2d_figure(exact: np.ndarray, red_gradient: np.ndarray,
                        height: int = 330) -> go.Figure:
    """Exact ``∇ρ``, RED's ``x − D(x)`` and their difference for a crop, one colour scale."""
    # short titles: three panels share a narrow figure on a small screen
    panels = {"exact ∇ρ(x)": exact, "RED x − D(x)": red_gradient,
              "difference": exact - red_gradient}
    zmax = max(float(np.max(np.abs(p))) for p in panels.values()) or 1.0
    fig = make_subplots(rows=1, cols=3, subplot_titles=list(panels), horizontal_spacing=0.06)
    for col, (title, z) in enumerate(panels.items(), start=1):
        fig.add_trace(go.Heatmap(z=z, coloraxis="coloraxis",
                                 hovertemplate=f"{title}<br>row %{{y}}, column %{{x}}: "
                                               "%{z:.3g}<extra></extra>"), row=1, col=col)
        fig.update_xaxes(showgrid=False, constrain="domain", row=1, col=col)
        # row labels on the first panel only: the others' would sit on their left neighbour
        fig.update_yaxes(showgrid=False, autorange="reversed", constrain="domain",
                         scaleanchor="x" if col == 1 else f"x{col}", showticklabels=col == 1,
                         row=1, col=col)
    fig.update_layout(template=template(), height=height, hovermode="closest", margin={"t": 50},
                      coloraxis={"colorscale": "RdBu_r", "cmin": -zmax, "cmax": zmax,
                                 "colorbar": {"thickness": 14}})
    return fig


def crop_picker_figure(image: np.ndarray, top: int, left: int, size: int, grid_step: int = 4,
                       height: int = 420) -> go.Figure:
    """A grey image with the crop outlined; clicking anywhere selects a point of an
    invisible grid (plotly heatmaps are not selectable, scatter points are)."""
    rows, cols = image.shape
    gy, gx = np.mgrid[grid_step // 2: rows: grid_step, grid_step // 2: cols: grid_step]
    fig = go.Figure([
        go.Heatmap(z=np.asarray(image, dtype=np.float32), colorscale="gray", zmin=0, zmax=1,
                   showscale=False, hoverinfo="skip"),
        go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", name="crop centre",
                   marker={"size": grid_step + 4, "color": "rgba(0,0,0,0)"},
                   selected={"marker": {"color": "rgba(0,0,0,0)"}},
                   unselected={"marker": {"opacity": 1}},
                   hovertemplate="row %{y}, column %{x}<extra>click: crop here</extra>"),
    ])
    fig.add_shape(type="rect", x0=left - 0.5, x1=left + size - 0.5, y0=top - 0.5,
                  y1=top + size - 0.5, line={"color": GRADIENT, "width": 2.5})
    fig.update_layout(template=template(), height=height, hovermode="closest", showlegend=False,
                      clickmode="event+select", dragmode=False, margin={"l": 10, "r": 10, "t": 10,
                                                                        "b": 10})
    fig.update_xaxes(showgrid=False, visible=False, range=[-0.5, cols - 0.5], constrain="domain")
    fig.update_yaxes(showgrid=False, visible=False, range=[rows - 0.5, -0.5],
                     scaleanchor="x", constrain="domain")
    return fig


def _floored(values: Sequence[float]) -> list:
    """Errors for a log axis: below :data:`ERROR_FLOOR` drawn at it, NaN left as a gap."""
    return [None if v is None or not np.isfinite(v) else max(float(v), ERROR_FLOOR)
            for v in values]


def survey_figure(rows: Sequence[dict], errors: dict[str, str], round_off: float = 1e-8,
                  height: int = 400) -> go.Figure:
    """Grouped bars (log scale) of the three Jacobian errors of every denoiser.

    Parameters
    ----------
    rows : sequence of dict
        ``DiagnosticReport.as_dict()`` records plus a ``label`` key (the bar's name).
    errors : dict
        ``{report field: legend label}`` (``red_core.jacobian_lab.ERRORS``).
    round_off : float
        Drawn as a dotted line: errors below it are finite-difference round-off.
    """
    labels = [("✓ " if r["symmetric_by_construction"] else "") + r["label"] for r in rows]
    fig = go.Figure([
        go.Bar(name=label, x=labels, y=_floored([r[field] for r in rows]),
               customdata=[r[field] for r in rows], marker_color=ERROR_COLOURS[field],
               hovertemplate=f"%{{x}}<br>{label} = %{{customdata:.3g}}<extra></extra>")
        for field, label in errors.items()
    ])
    fig.add_hline(y=round_off, line={"color": "#555555", "dash": "dot", "width": 1})
    # annotations on a log axis take log10(y) (shapes take y itself)
    fig.add_annotation(x=1, xref="paper", xanchor="right", y=np.log10(round_off), yref="y",
                       yanchor="bottom", text=f"round-off level ({round_off:.0e})",
                       showarrow=False, font={"size": 11, "color": "#555555"})
    fig.update_layout(template=template(), height=height, barmode="group", hovermode="closest",
                      yaxis={"type": "log", "title": "error (log scale)",
                             "exponentformat": "power"},
                      xaxis_title="denoiser (✓ = Jacobian symmetric by construction)")
    return fig


def error_sigma_figure(curves: dict[str, list[dict]], errors: dict[str, str],
                       height: int = 440) -> go.Figure:
    """Each Jacobian error against the denoiser σ_d (×1/255), one line per denoiser.

    ``curves`` maps a denoiser label to ``DiagnosticReport.as_dict()`` records (with their
    ``sigma`` in [0, 1] units and a ``name`` for the colour), in increasing σ.
    """
    # two-line titles and the legend below: one line each collides in a narrow figure
    titles = [" ".join(t.split()[:-1]) + "<br>" + t.split()[-1] if " " in t else t
              for t in errors.values()]
    fig = make_subplots(rows=1, cols=len(errors), subplot_titles=titles,
                        horizontal_spacing=0.08)
    for label, records in curves.items():
        name = records[0]["name"] if records else label
        symmetric = bool(records and records[0]["symmetric_by_construction"])
        for col, field in enumerate(errors, start=1):
            fig.add_trace(go.Scatter(
                x=[r["sigma"] * 255 for r in records], y=_floored([r[field] for r in records]),
                customdata=[r[field] for r in records], mode="lines+markers", name=label,
                legendgroup=label, showlegend=col == 1,
                line={"color": denoisers.colour(name),
                      "dash": "solid" if symmetric else "dash"},
                hovertemplate=(f"{label}, σ_d = %{{x:.0f}}/255: "
                               "%{customdata:.3g}<extra></extra>"),
            ), row=1, col=col)
            fig.update_yaxes(type="log", exponentformat="power", row=1, col=col)
            fig.update_xaxes(title_text="σ_d (×1/255)", row=1, col=col)
    fig.update_layout(template=template(), height=height, hovermode="closest",
                      margin={"t": 70, "b": 40},
                      legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.22,
                              "yanchor": "top"})
    return fig


# --------------------------------------------------------------------------- race summary


def race_summary(truth: np.ndarray, degraded: np.ndarray, results: dict[str, np.ndarray],
                 histories: dict[str, list[dict]], methods: dict[str, str],
                 fmt: str = "png", dpi: int = 150) -> bytes:
    """One image of a whole race for a slide or a report: truth, degraded input and every
    lane's result in a row, the PSNR curves below; ``fmt`` ``"png"`` or ``"svg"``.

    Drawn with matplotlib (Agg, server side): plotly needs a browser to export images.
    """
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    if fmt not in ("png", "svg"):
        raise ValueError(f"fmt must be 'png' or 'svg', got {fmt!r}")
    panels = {"Truth": truth, "Degraded": degraded, **results}
    n = len(panels)
    fig = Figure(figsize=(2.6 * n, 5.6), dpi=dpi, layout="constrained")
    grid = fig.add_gridspec(2, n, height_ratios=[1.1, 1])
    grey = {"cmap": "gray", "vmin": 0, "vmax": 1}
    for i, (title, img) in enumerate(panels.items()):
        ax = fig.add_subplot(grid[0, i])
        img = np.clip(img, 0, 1)
        ax.imshow(img, **({} if img.ndim == 3 else grey))
        last = histories.get(title, [{}])[-1].get("psnr") if title in histories else None
        ax.set_title(title if last is None else f"{title}\n{last:.2f} dB", fontsize=9)
        ax.set_axis_off()
    ax = fig.add_subplot(grid[1, :])
    styles = lane_styles(methods)
    for title, history in histories.items():
        style = styles[title]
        ax.plot([h["iter"] for h in history], [h.get("psnr") or np.nan for h in history],
                color=style["color"], linestyle="--" if style["dash"] == "dash" else "-",
                label=title, linewidth=2)
    ax.set_xlabel("iteration")
    ax.set_ylabel("PSNR (dB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    return buf.getvalue()


# --------------------------------------------------------------------------- sweeps


def tune_heatmap(df, x_axis: str, y_axis: str, xs: Sequence[float], ys: Sequence[float],
                 methods: Sequence[str], axis_labels: dict[str, str],
                 reference: float | None = None, height: int = 460) -> go.Figure:
    """Final PSNR of a sweep over two axes, one heatmap per method, filled as cells finish.

    ``df`` is a sweep table (``red_core.sweeps``: columns ``method``, the two axes, ``psnr``,
    ``ssim``, ``iterations``, ``status``). Cells not finished are blank; the default setting
    (both scales 1, or the suggested σ_d) is marked ○, the best finished cell ★. Invisible
    markers on the cell centres make cells clickable (plotly heatmaps are not selectable).
    ``reference`` (the degraded PSNR) centres the colour scale's white.
    """
    n = len(methods)
    log_x = len(xs) > 2 and xs[-1] / xs[0] > 5
    log_y = len(ys) > 2 and ys[-1] / ys[0] > 5
    fig = make_subplots(rows=1, cols=n, subplot_titles=[solvers.entry(m).short for m in methods],
                        horizontal_spacing=0.06 if n > 1 else 0.0, shared_yaxes=True)
    finished = df[df["psnr"].notna()] if len(df) else df
    zmin = zmax = None
    if len(finished):
        zmin, zmax = float(finished["psnr"].min()), float(finished["psnr"].max())
    best = finished.loc[finished["psnr"].idxmax()] if len(finished) else None
    for col, method in enumerate(methods, start=1):
        rows = finished[finished["method"] == method] if len(finished) else finished
        z = np.full((len(ys), len(xs)), np.nan)
        text = np.full((len(ys), len(xs)), "", dtype=object)
        for _, r in rows.iterrows():
            i = int(np.argmin(np.abs(np.asarray(ys) - r[y_axis])))
            j = int(np.argmin(np.abs(np.asarray(xs) - r[x_axis])))
            z[i, j] = r["psnr"]
            text[i, j] = (f"PSNR {r['psnr']:.2f} dB<br>SSIM {r['ssim']:.3f}<br>"
                          f"{int(r['iterations'])} iterations · {r['status']}")
        fig.add_trace(go.Heatmap(x=list(xs), y=list(ys), z=z, coloraxis="coloraxis",
                                 hoverinfo="skip"), row=1, col=col)
        # Clicks and hovers go to markers on the cell centres (a heatmap is not selectable).
        gx, gy = np.meshgrid(xs, ys)
        fig.add_trace(go.Scatter(
            x=gx.ravel(), y=gy.ravel(), mode="markers", showlegend=False,
            customdata=[[method, float(a), float(b), t] for a, b, t in zip(
                gx.ravel(), gy.ravel(), text.ravel(), strict=True)],
            marker={"size": 22, "color": "rgba(0,0,0,0)"},
            hovertemplate=(f"{axis_labels.get(x_axis, x_axis)} = %{{x:.3g}}<br>"
                           f"{axis_labels.get(y_axis, y_axis)} = %{{y:.3g}}<br>"
                           "%{customdata[3]}<extra>click: open it</extra>"),
            selected={"marker": {"color": "rgba(0,0,0,0)"}},
            unselected={"marker": {"opacity": 1}}), row=1, col=col)
        default_x = 1.0 if x_axis.endswith("_scale") else None
        default_y = 1.0 if y_axis.endswith("_scale") else None
        if default_x is not None and default_y is not None:
            fig.add_trace(go.Scatter(x=[default_x], y=[default_y], mode="markers",
                                     name="default setting", showlegend=col == 1,
                                     hoverinfo="skip",
                                     marker={"symbol": "circle-open", "size": 16,
                                             "color": "black", "line": {"width": 2}}),
                          row=1, col=col)
        if best is not None and best["method"] == method:
            fig.add_trace(go.Scatter(x=[best[x_axis]], y=[best[y_axis]], mode="markers",
                                     name=f"best: {best['psnr']:.2f} dB", hoverinfo="skip",
                                     marker={"symbol": "star", "size": 16, "color": "#ffd92f",
                                             "line": {"color": "black", "width": 1}}),
                          row=1, col=col)
        fig.update_xaxes(type="log" if log_x else "linear", title_text=axis_labels.get(
            x_axis, x_axis), tickvals=list(xs), ticktext=[f"{v:.3g}" for v in xs],
            row=1, col=col)
    fig.update_yaxes(type="log" if log_y else "linear", tickvals=list(ys),
                     ticktext=[f"{v:.3g}" for v in ys])
    fig.update_yaxes(title_text=axis_labels.get(y_axis, y_axis), row=1, col=1)
    mid = reference if reference is not None and zmin is not None and zmin < reference < zmax \
        else None
    fig.update_layout(template=template(), height=height, hovermode="closest",
                      clickmode="event+select", dragmode=False,
                      legend={"orientation": "h", "y": -0.25, "x": 0},
                      coloraxis={"colorscale": "RdBu" if mid is not None else "Viridis",
                                 "cmin": zmin, "cmax": zmax, "cmid": mid,
                                 "colorbar": {"title": "PSNR (dB)", "thickness": 14}},
                      margin={"t": 40, "b": 60})
    return fig


def budget_figure(df, height: int = 300) -> go.Figure:
    """The best final PSNR reachable within a time budget: for every budget t, the best PSNR of
    the cells whose run took at most t seconds (one step line per method)."""
    fig = go.Figure()
    for method, rows in df.groupby("method", sort=False):
        rows = rows.sort_values("seconds")
        best = np.maximum.accumulate(rows["psnr"].to_numpy(dtype=float))
        fig.add_trace(go.Scatter(x=rows["seconds"], y=best, mode="lines+markers",
                                 line={"shape": "hv", "color": method_colour(method),
                                       "dash": method_dash(method)},
                                 name=solvers.entry(method).short))
    fig.update_layout(template=template(), height=height, hovermode="closest",
                      title="Best PSNR reachable within a time budget",
                      xaxis_title="time budget per run (s)", yaxis_title="best PSNR (dB)",
                      legend={"orientation": "h", "y": -0.3, "x": 0},
                      margin={"t": 40, "b": 60})
    return fig


def leaderboard_figure(df, height: int = 460) -> go.Figure:
    """PSNR against seconds for every run (Reehorst & Schniter's figure), one line per
    algorithm × denoiser, from the sweep table's per-iteration ``psnr_curve``/``time_curve``."""
    fig = go.Figure()
    dashes = ("solid", "dot", "dashdot", "longdash")
    den_order = list(dict.fromkeys(df["denoiser"])) if len(df) else []
    for _, r in df.iterrows():
        t, p = r.get("time_curve"), r.get("psnr_curve")
        if t is None or p is None or not len(t):
            continue
        dash = method_dash(r["method"]) if len(den_order) < 2 else \
            dashes[den_order.index(r["denoiser"]) % len(dashes)]
        fig.add_trace(go.Scatter(
            x=list(t), y=_finite(list(p)), mode="lines",
            name=f"{solvers.entry(r['method']).short} + {denoisers.label(r['denoiser'])}",
            line={"color": method_colour(r["method"]), "dash": dash, "width": 2}))
    fig.update_layout(template=template(), height=height, hovermode="closest",
                      xaxis={"title": "seconds of algorithm time", "type": "log"},
                      yaxis_title="PSNR (dB)", legend={"orientation": "h", "y": -0.2, "x": 0},
                      margin={"t": 30, "b": 60})
    return fig
