"""The inline-SVG drawings of figure specs (red_core.lab.svgplot): well-formed, faithful to the
data to a tenth of a pixel, gaps, log axes, ticks, escaping, responsive variants."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from red_core import denoisers, images, operators, signals, solvers
from red_core.lab import field1d, plots, svgplot

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


@pytest.fixture(scope="module")
def field_stats():
    clean, noisy = signals.observe("varying_noise", 512, 0, 25 / 255)
    return field1d.gradient_field(clean, noisy, denoisers.build("gaussian", 25 / 255),
                                  noisy=signals.noisy_stretches("varying_noise", 512))


@pytest.fixture(scope="module")
def histories():
    problem = solvers.Problem.synthesize(images.builtin("camera", size=48),
                                         operators.build("gaussian_blur", (48, 48)),
                                         noise_sigma=0.01, seed=0)
    tv = denoisers.build("tv", 0.01)
    return {m: solvers.run(m, problem, tv, max_iter=12).history for m in ("red-fp", "pnp-admm")}


def test_every_live_figure_is_well_formed_svg_at_every_width(field_stats, histories):
    specs = [plots.gradient_field_spec(field_stats),
             plots.descent_spec([{"iter": 0, "objective": 5.0, "psnr": 20.0},
                                 {"iter": 1, "objective": 2.0, "psnr": 21.0}]),
             plots.convergence_spec(histories, reference_psnr=22.0),
             plots.convergence_spec(histories, panels=("psnr",), columns=1, height=360),
             plots.convergence_spec(histories, objective_titles={"red-fp": "f + λρ",
                                                                 "pnp-admm": "none"})]
    for spec in specs:
        for width in (320, 700, 1300):
            root = parse(svgplot.render(spec, width))
            assert root.tag == f"{SVG}svg"
            view = [float(v) for v in root.get("viewBox").split()]
            assert view[2] == width and view[3] >= spec["layout"]["height"] - 1
            assert root.findall(f".//{SVG}path")  # something is drawn
        parse(svgplot.standalone(spec).split("\n", 1)[1])


def test_lines_read_back_equal_the_data_to_a_tenth_of_a_pixel(field_stats):
    spec = plots.gradient_field_spec(field_stats)
    markup = svgplot.render(spec, 1000)
    drawn = svgplot.read_paths(markup)
    lo, hi, _, _, y_lo, y_hi, y0, y1 = (float(v) for v in re.search(
        r'data-trace="clean" data-map="([^"]+)"', markup).group(1).split())
    assert (lo, hi) == (-0.5, 511.5)  # the spec's x range
    tolerance = 0.06 * (y_hi - y_lo) / abs(y1 - y0)  # half a tenth of a pixel (+ round-off)
    for name, values in (("clean", field_stats.clean), ("D(x)", field_stats.denoised),
                         ("noisy x", field_stats.x)):
        (x, y), = drawn[name]
        np.testing.assert_allclose(x, np.arange(values.size), atol=0.05)
        np.testing.assert_allclose(y, values, atol=tolerance)
    shafts = drawn["shape:RED step −(x − D(x))"]
    assert len(shafts) == field_stats.x.size
    tails = np.array([y[0] for _, y in shafts])
    tips = np.array([y[1] for _, y in shafts])
    np.testing.assert_allclose(tails, field_stats.x, atol=tolerance)
    np.testing.assert_allclose(tips, field_stats.denoised, atol=tolerance)


def test_gaps_split_a_line_unless_connected_and_nothing_non_finite_is_written():
    y = [1.0, 2.0, None, 4.0, float("nan"), 6.0, 7.0]
    split = {"data": [{"x": list(range(7)), "y": y, "name": "a", "mode": "lines"}],
             "layout": {"height": 300}}
    connected = {"data": [dict(split["data"][0], connectgaps=True)], "layout": {"height": 300}}
    pieces = svgplot.read_paths(svgplot.render(split, 500))["a"]
    assert [len(x) for x, _ in pieces] == [2, 1, 2]
    (x, got), = svgplot.read_paths(svgplot.render(connected, 500))["a"]
    np.testing.assert_allclose(x, [0, 1, 3, 5, 6], atol=0.02)
    np.testing.assert_allclose(got, [1, 2, 4, 6, 7], atol=0.02)
    markup = svgplot.render(split, 500)
    assert not re.search(r"\b(nan|inf)\b", markup, re.IGNORECASE)


def test_a_log_axis_draws_positive_values_on_decades():
    values = [1e3, 1e2, 10.0, 1.0, 0.1, 0.0, -1.0]
    spec = {"data": [{"x": list(range(7)), "y": values, "name": "r", "mode": "lines"}],
            "layout": {"height": 300, "yaxis": {"type": "log"}}}
    markup = svgplot.render(spec, 600)
    (_, got), = svgplot.read_paths(markup)["r"]
    np.testing.assert_allclose(np.log10(got), [3, 2, 1, 0, -1], atol=0.01)
    ticks = [t.text for t in parse(markup).iter(f"{SVG}text") if t.get("class") == "tick"]
    y_ticks = [t for t in ticks if t in {"0.01", "0.1", "1", "10", "100", "1000", "10⁴"}]
    assert len(y_ticks) >= 3 and "0" not in ticks[len(ticks) - len(y_ticks):]  # decades only


@pytest.mark.parametrize(("lo", "hi"), [(0, 1), (-3.3, 17.2), (20.5, 20.9), (0, 1e-4),
                                        (-1e6, 3e6), (26.1, 31.7)])
def test_nice_ticks_are_round_evenly_spaced_and_inside(lo, hi):
    ticks = svgplot.nice_ticks(lo, hi, 6)
    assert 2 <= len(ticks) <= 13
    steps = np.diff(ticks)
    np.testing.assert_allclose(steps, steps[0], rtol=1e-9)
    mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
    assert round(mantissa, 6) in (1, 2, 2.5, 5)
    assert lo - 1e-12 <= ticks[0] and ticks[-1] <= hi + 1e-12


def test_empty_axes_and_a_flat_line_draw_without_error():
    empty = plots.convergence_spec({"a": [], "b": []}, reference_psnr=24.0, panels=("psnr",),
                                   columns=1, methods={"a": "red-fp", "b": "pnp-admm"})
    root = parse(svgplot.render(empty, 400))
    assert any(t.text == "degraded" for t in root.iter(f"{SVG}text"))
    flat = {"data": [{"x": [0, 1], "y": [3.0, 3.0], "name": "f", "mode": "lines"}],
            "layout": {"height": 200}}
    (_, y), = svgplot.read_paths(svgplot.render(flat, 300))["f"]
    np.testing.assert_allclose(y, 3.0, atol=1e-3)


def test_text_is_escaped_and_dollars_cannot_start_a_formula():
    spec = {"data": [{"x": [0, 1], "y": [0, 1], "name": "<script>alert(1)</script> $x$",
                      "mode": "lines"},
                     {"x": [0, 1], "y": [1, 0], "name": "b & c", "mode": "lines"}],
            "layout": {"height": 200, "title": {"text": "<b>t</b>"}}}
    markup = svgplot.render(spec, 400)
    assert "<script>" not in markup and "$" not in markup and "<b>" not in markup
    names = {t.text for t in parse(markup).iter(f"{SVG}text") if t.get("class") == "legend"}
    assert names == {"<script>alert(1)</script> $x$", "b & c"}


def test_responsive_holds_one_drawing_per_width_with_their_own_clip_ids(histories):
    spec = plots.convergence_spec(histories)
    markup = svgplot.responsive(spec, (400, 800, 1200), uid="abc")
    assert markup.count("<svg") == 3
    assert "container-type: inline-size" in markup and markup.count("@container") == 3
    ids = re.findall(r'<clipPath id="([^"]+)"', markup)
    assert len(ids) == len(set(ids)) and all(i.startswith("abc") for i in ids)
    for ref in set(re.findall(r"url\(#([^)]+)\)", markup)):
        assert ref in ids
    assert "{uid}" not in markup


def test_the_plotly_figure_and_the_svg_share_one_spec(field_stats, histories):
    spec = plots.convergence_spec(histories, panels=("psnr",), columns=1)
    fig = plots.convergence_figure(histories, panels=("psnr",), columns=1)
    assert [t["name"] for t in spec["data"]] == [t.name for t in fig.data]
    assert fig.layout.height == spec["layout"]["height"]
    # every live figure is still a valid plotly figure
    import plotly.graph_objects as go
    go.Figure(plots.gradient_field_figure(field_stats).to_dict())
    go.Figure(fig.to_dict())


def test_a_shape_on_an_axis_the_layout_lacks_is_drawn_not_an_error():
    spec = {"data": [{"x": [0, 1], "y": [0, 1], "name": "a", "mode": "lines"}],
            "layout": {"height": 200, "shapes": [
                {"type": "line", "xref": "x3 domain", "yref": "y3", "x0": 0, "x1": 1,
                 "y0": 0.5, "y1": 0.5},
                {"type": "path", "xref": "x4", "yref": "y4", "path": "M0,0L1,1",
                 "name": "p"}]}}
    markup = svgplot.render(spec, 300)
    parse(markup)
    assert "shape:p" in svgplot.read_paths(markup)


def test_the_1d_figure_markup_stays_small(field_stats):
    """Its length is the browser's cost on every slider move (the markdown parser reads every
    character; bench/gradient_1d.py): relative line-tos in tenths of a pixel keep the three
    widths of the 1-D figure near 100 kB (141 kB with absolute coordinates)."""
    markup = plots.svg(plots.gradient_field_spec(field_stats), uid="g1dfield")
    assert len(markup) < 110_000
    d = re.search(r'<path d="([^"]+)"[^>]*data-trace="D\(x\)"', markup).group(1)
    assert d.startswith("M") and d.count("l") == 1 and "L" not in d  # one move, relative steps
