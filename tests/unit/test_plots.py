"""red_core.plots: figures built from plain dicts must still be valid plotly figures."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import pytest

from red_core.lab import plots


def _history(n: int, start: float) -> list[dict]:
    return [{"iter": k, "time": 0.01 * k, "denoiser_calls": 2 * k, "psnr": start + 0.1 * k,
             "objective": 10.0 / (k + 1), "residual": 0.0 if k == 3 else 1.0 / (k + 1),
             "rel_change": None if k == 0 else float("nan") if k == 2 else 0.5 / k}
            for k in range(n)]


def test_convergence_figure_is_a_valid_2x2_figure():
    histories = {"RED": _history(6, 20.0), "PnP": _history(4, 21.0)}
    fig = plots.convergence_figure(histories, x_axis="time",
                                   labels={"RED": "RED: red-fp + tv", "PnP": "PnP: pnp-admm"},
                                   methods={"RED": "red-fp", "PnP": "pnp-admm"},
                                   objective_titles={"RED": "f + λg", "PnP": "f + λg"},
                                   reference_psnr=19.5)
    spec = go.Figure(fig.to_dict()).to_dict()  # full validation: raises on any bad property
    data, layout = spec["data"], spec["layout"]
    assert len(data) == 4 * 2
    assert [t["name"] for t in data if t.get("showlegend")] == ["RED: red-fp + tv",
                                                                "PnP: pnp-admm"]
    for i, key in enumerate(plots.CURVES):
        n = "" if i == 0 else str(i + 1)
        assert layout[f"yaxis{n}"]["type"] == ("linear" if key == "psnr" else "log")
        assert layout[f"xaxis{n}"]["title"]["text"] == plots.X_AXES["time"]
        traces = [t for t in data if t["xaxis"] == f"x{n}"]
        assert len(traces) == 2
    titles = [a["text"] for a in layout["annotations"]]
    assert "f + λg" in titles and "PSNR (dB)" in titles and "degraded" in titles
    assert layout["shapes"][0]["y0"] == 19.5
    red_psnr = next(t for t in data if t["xaxis"] == "x" and t["legendgroup"] == "RED")
    assert list(red_psnr["x"]) == [0.01 * k for k in range(6)]
    assert red_psnr["line"]["color"] == plots.method_colour("red-fp")
    pnp = next(t for t in data if t["legendgroup"] == "PnP")
    assert pnp["line"]["dash"] == "dash"

    # log panels: zero, None and NaN become gaps
    residual = next(t for t in data if t["xaxis"] == "x3" and t["legendgroup"] == "RED")
    assert residual["y"][3] is None
    rel = next(t for t in data if t["xaxis"] == "x4" and t["legendgroup"] == "RED")
    assert rel["y"][0] is None and rel["y"][2] is None and math.isclose(rel["y"][1], 0.5)


def test_objectives_that_differ_get_a_panel_each():
    """One lane minimises f + λg (a gradient-step denoiser), another E = f + λρ: never one
    axis for both."""
    histories = {"A": _history(5, 20.0), "B": _history(5, 21.0)}
    fig = plots.convergence_figure(histories, panels=("objective",), columns=2,
                                   objective_titles={"A": "f(x) + λg(x), λ = 400",
                                                     "B": "E(x) = f(x) + λρ(x), λ = 400"})
    spec = go.Figure(fig.to_dict()).to_dict()
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert titles == ["f(x) + λg(x), λ = 400", "E(x) = f(x) + λρ(x), λ = 400"]
    assert [t["legendgroup"] for t in spec["data"] if t["xaxis"] == "x"] == ["A"]
    assert [t["legendgroup"] for t in spec["data"] if t["xaxis"] == "x2"] == ["B"]


def test_lanes_with_the_same_method_get_distinct_colours():
    styles = plots.lane_styles({"a": "red-fp", "b": "red-fp", "c": "pnp-admm", "d": "pnp-admm"})
    assert len({s["color"] for s in styles.values()}) == 4
    assert styles["a"]["dash"] == "solid" and styles["c"]["dash"] == "dash"
    unique = plots.lane_styles({"a": "red-fp", "b": "pnp-admm"})
    assert unique["a"]["color"] == plots.method_colour("red-fp")


def test_convergence_figure_refuses_an_unknown_axis():
    with pytest.raises(ValueError, match="x_axis must be one of"):
        plots.convergence_figure({}, x_axis="seconds")


def test_empty_psnr_axes_are_placed_around_the_degraded_psnr():
    """Before any iteration the PSNR panel shows the degraded line in range, not plotly's −1…4."""
    fig = plots.convergence_figure({}, reference_psnr=25.0, panels=("psnr",), columns=1)
    assert list(fig.layout.yaxis.range) == [24.0, 31.0]
    assert fig.layout.shapes[0].y0 == 25.0
    with_run = plots.convergence_figure({"red-fp": [{"iter": 0, "psnr": 26.0}]},
                                        reference_psnr=25.0, panels=("psnr",), columns=1)
    assert with_run.layout.yaxis.range is None  # autorange once there are curves
