r"""Static SVG drawings of the lab's figure specs, for the charts that redraw on every slider
move or animation frame (no streamlit, no plotly here).

The lab's figures are built as plain plotly-style dicts (``{"data": [...], "layout": {...}}``,
:mod:`red_core.lab.plots`). plotly.js draws them interactively; this module draws the same
dict as inline SVG markup, which the browser shows at once. Why by hand: in chromium on the
2-core machine a slider move on a bare page with the 1-D figure is redrawn in 380–500 ms with
a Streamlit plotly chart, ~420 ms with Vega-Lite and 184 ms with this SVG (138 ms with text
alone); matplotlib's SVG backend takes 120–160 ms just to write it, and the first plotly chart
of a tab costs ~2.2 s. The pages' targets (a slider redraw ≤ 300 ms, a race's results
≤ 2.5 s) leave room only for markup built in a few milliseconds (``bench/browser_floor.py``).

Supported: scatter traces (``lines``, ``markers``, ``lines+markers``; colour, width, dash,
opacity, gaps at ``None`` / NaN unless ``connectgaps``; circle / square / triangle markers,
one symbol per point allowed, ``maxdisplayed``), any number of ``xaxisN`` / ``yaxisN`` with
``domain``, ``anchor``, ``matches``, ``range``, ``type="log"``, ``rangemode="tozero"``,
``showticklabels`` and a title; shapes ``rect`` / ``line`` (data, ``domain`` or ``paper``
references) and ``path`` (``M x,y L x,y`` in data coordinates); annotations; horizontal
legends (``legend``, ``legend2``…) placed by ``x`` / ``y`` / ``yanchor``; ``layout.title``.
Anything else in the dict is ignored.

Examples
--------
>>> spec = {"data": [{"x": [0, 1, 2], "y": [1.0, 3.0, 2.0], "name": "a", "mode": "lines"}],
...         "layout": {"height": 200}}
>>> svg = render(spec, width=400)
>>> svg.startswith("<svg") and "<path" in svg
True
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["DOWNLOAD_WIDTH", "nice_ticks", "read_paths", "render", "responsive", "standalone"]

FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"
TEXT, GRID, MUTED = "#31333f", "#e8e8e8", "#555"
DASHES = {"dash": "7,4", "dot": "2,3", "dashdot": "7,3,2,3", "longdash": "12,4"}
DEFAULT_MARGIN = {"l": 50, "r": 20, "t": 50, "b": 45}
#: Width (px) of the variant a download gets.
DOWNLOAD_WIDTH = 1200
_CHAR = 0.56  # average glyph width of the font, in ems (for legend and label layout)


def _esc(text) -> str:
    """Escaped for markup; ``$`` too, so that the markup also survives markdown (whose maths
    parser would read a pair of them as a formula)."""
    return html.escape(str(text), quote=True).replace("$", "&#36;")


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:.0f}"


def _array(values) -> np.ndarray:
    """Float array with NaN for ``None`` (and for anything not a number)."""
    if values is None:
        return np.zeros(0)
    try:
        return np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def nice_ticks(lo: float, hi: float, target: int = 6, log: bool = False) -> list[float]:
    """Round tick values in ``[lo, hi]`` (``10**k`` decades on a log axis, given in log10).

    >>> nice_ticks(0.0, 1.0)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> nice_ticks(-3.2, 0.5, log=True)
    [-3.0, -2.0, -1.0, 0.0]
    """
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return []
    if log:
        first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
        every = max(1, math.ceil((last - first + 1) / max(target, 1)))
        decades = [float(k) for k in range(first, last + 1) if (k - first) % every == 0]
        if len(decades) >= 2:
            return decades
        ticks: list[float] = []
        for mantissas in ((1, 2, 5), (1, 2, 3, 5, 7), tuple(range(1, 10))):
            ticks = [math.log10(m) + k for k in range(math.floor(lo), math.ceil(hi) + 1)
                     for m in mantissas if lo - 1e-9 <= math.log10(m) + k <= hi + 1e-9]
            if len(ticks) >= 3:
                break
        return ticks
    raw = (hi - lo) / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.ceil(lo / step - 1e-9)
    ticks = [(start + i) * step for i in range(int((hi - lo) / step + 1e-9) + 2)]
    digits = max(0, -math.floor(math.log10(step)) + (1 if step / power == 2.5 else 0))
    return [round(t, digits) for t in ticks if t <= hi + 1e-9 * step]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _tick_label(value: float, log: bool, step: float) -> str:
    if log:
        power = math.floor(value + 1e-9)
        mantissa = round(10.0 ** (value - power))
        if -3 <= power <= 5:  # one style along an axis: 50000, 70000, 100000
            return f"{mantissa * 10.0 ** power:g}"
        decade = "10" + str(power).translate(_SUPERSCRIPT)
        return decade if mantissa == 1 else f"{mantissa}×{decade}"
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-4:
        return f"{value:.2g}".replace("e-0", "e−").replace("e+0", "e").replace("-", "−")
    digits = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 2
    return f"{value:.{digits}f}".replace("-", "−")


class _Axis:
    """One axis: its pixel span and its data range (log10 units on a log axis)."""

    def __init__(self, name: str, spec: dict, horizontal: bool) -> None:
        self.name, self.spec, self.horizontal = name, spec, horizontal
        self.log = spec.get("type") == "log"
        self.values: list[np.ndarray] = []
        self.lo = self.hi = None
        self.p0 = self.p1 = 0.0  # pixel positions of lo and hi

    def add(self, values: np.ndarray) -> None:
        if self.log:
            values = np.log10(values[values > 0])
        values = values[np.isfinite(values)]
        if values.size:
            self.values.append(values)

    def limits(self) -> tuple[float, float]:
        """The data range: the spec's ``range`` or the data's, padded like plotly's."""
        if self.spec.get("range") is not None:
            lo, hi = (float(v) for v in self.spec["range"])
            return lo, hi
        if self.values:
            lo = min(float(v.min()) for v in self.values)
            hi = max(float(v.max()) for v in self.values)
        else:
            lo, hi = (-1.0, 1.0) if not self.log else (0.0, 1.0)
        if self.spec.get("rangemode") == "tozero" and not self.log:
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        if hi - lo < 1e-12 * max(1.0, abs(hi)):
            pad = 0.5 if self.log else max(abs(hi) * 0.05, 1e-9)
            return lo - pad, hi + pad
        if self.horizontal:
            return lo, hi
        pad = 0.05 * (hi - lo)
        lo = lo if (self.spec.get("rangemode") == "tozero" and lo == 0.0) else lo - pad
        return lo, hi + pad

    def px(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)),
                                  np.nan)
        return self.p0 + (values - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)


def _axis_key(ref: str, letter: str) -> str:
    """``"x2"`` → ``"xaxis2"``, ``"y"`` → ``"yaxis"``."""
    return f"{letter}axis{ref[1:]}" if ref and ref[0] == letter else f"{letter}axis"


def _segments(px: np.ndarray, py: np.ndarray, connect: bool) -> list[np.ndarray]:
    ok = np.isfinite(px) & np.isfinite(py)
    points = np.column_stack([px, py])
    if connect:
        return [points[ok]] if ok.sum() else []
    edges = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    return [points[a:b] for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1),
                                        strict=True)]


def _path(parts: Sequence[np.ndarray]) -> str:
    """Path data of polylines in tenths of a pixel (drawn inside a ``scale(0.1)`` group), each
    a move then relative line-tos between the rounded points (no error accumulates).

    Short because its length is the browser's cost (the 1-D figure's three widths: 141 kB
    absolute, ~95 kB relative; measured when the pages showed it through markdown, whose
    parser reads every character). Integers joined by ``str`` are also ~20× faster to write
    than formatted floats.
    """
    out = []
    for seg in parts:
        if len(seg) == 0:
            continue
        tenths = np.rint(seg * TENTHS).astype(np.int64)
        head = f"M{tenths[0, 0]} {tenths[0, 1]}"
        if len(seg) == 1:
            out.append(head + "h1")
            continue
        steps = " ".join(map(str, np.diff(tenths, axis=0).ravel().tolist()))
        out.append(head + "l" + steps.replace(" -", "-"))
    return "".join(out)


_PATH_TOKEN = re.compile(r"[MLlvh]|-?\d+")


def _path_points(d: str) -> list[np.ndarray]:
    """The points of each subpath of path data written by this module (``M``, ``L``, ``l``,
    ``v``, ``h`` with integers), in the path's own units."""
    parts: list[list[tuple[int, int]]] = []
    command, numbers = "", []
    for token in _PATH_TOKEN.findall(d) + ["M"]:
        if not token[-1].isdigit():
            if command == "M" and len(numbers) >= 2:
                parts.append([(numbers[0], numbers[1])])
                numbers = numbers[2:]
                command = "l"  # (this module writes no coordinates after a move's pair)
            if parts and numbers:
                x, y = parts[-1][-1]
                if command == "l":
                    for dx, dy in zip(numbers[0::2], numbers[1::2], strict=False):
                        x, y = x + dx, y + dy
                        parts[-1].append((x, y))
                elif command == "L":
                    parts[-1] += list(zip(numbers[0::2], numbers[1::2], strict=False))
                elif command == "v":
                    parts[-1].append((x, y + numbers[0]))
            command, numbers = token, []
        else:
            numbers.append(int(token))
    return [np.array(p, dtype=np.float64) for p in parts]


def _marker_path(symbol: str, x: float, y: float, size: float) -> str:
    r = size / 2
    if symbol.startswith("triangle-up"):
        return f"M{x:.1f},{y - r:.1f}l{r:.1f},{1.7 * r:.1f}h{-2 * r:.1f}z"
    if symbol.startswith("triangle-down"):
        return f"M{x:.1f},{y + r:.1f}l{r:.1f},{-1.7 * r:.1f}h{-2 * r:.1f}z"
    if symbol.startswith("square"):
        return f"M{x - r:.1f},{y - r:.1f}h{2 * r:.1f}v{2 * r:.1f}h{-2 * r:.1f}z"
    return (f"M{x - r:.1f},{y:.1f}a{r:.1f},{r:.1f} 0 1,0 {2 * r:.1f},0"
            f"a{r:.1f},{r:.1f} 0 1,0 {-2 * r:.1f},0")


#: Path data of lines is written in tenths of a pixel, drawn inside ``scale(0.1)``.
TENTHS = 10


def _stroke(line: dict, default_colour: str, scale: float = 1.0) -> str:
    """Stroke attributes of a plotly ``line`` dict; widths and dashes times ``scale`` (for a
    path drawn in tenths of a pixel)."""
    colour = line.get("color") or default_colour
    attrs = f'stroke="{_esc(colour)}" stroke-width="{_num(line.get("width", 2) * scale)}"'
    dash = DASHES.get(line.get("dash") or "solid")
    if dash:
        attrs += f' stroke-dasharray="{",".join(_num(float(v) * scale) for v in dash.split(","))}"'
    return attrs


def _data_attrs(kind: str, name: str, xa: _Axis, ya: _Axis) -> str:
    """``data-*`` attributes that let :func:`read_paths` turn a path back into data."""
    scale = " ".join(f"{v:.10g}" for v in (xa.lo, xa.hi, xa.p0, xa.p1, ya.lo, ya.hi, ya.p0,
                                            ya.p1))
    logs = ("x" if xa.log else "") + ("y" if ya.log else "")
    return (f' data-{kind}="{_esc(name)}" data-map="{scale}"'
            + (f' data-log="{logs}"' if logs else ""))


_DRAWN = re.compile(r'<path d="([^"]*)"[^>]*?data-(trace|shape)="([^"]*)" data-map="([^"]*)"'
                    r'(?: data-log="([xy]*)")?')


def read_paths(svg: str) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """The lines of a drawing back in data units, to the drawing's resolution (a tenth of a
    pixel): ``{name: [(x, y) per polyline or segment]}``, shapes' names prefixed ``"shape:"``.
    Reads the first drawing of a :func:`responsive` chart (tests check what a page drew).

    >>> spec = {"data": [{"x": [0, 1, 2], "y": [1.0, 3.0, 2.0], "name": "a", "mode": "lines"}]}
    >>> x, y = read_paths(render(spec, 400))["a"][0]
    >>> bool(abs(y - [1.0, 3.0, 2.0]).max() < 0.01)
    True
    """
    first = svg.find("<svg")
    end = svg.find("</svg>", first)
    out: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for d, kind, name, scale, logs in _DRAWN.findall(svg[first:end]):
        x_lo, x_hi, x0, x1, y_lo, y_hi, y0, y1 = (float(v) for v in scale.split())
        key = html.unescape(name) if kind == "trace" else f"shape:{html.unescape(name)}"
        for points in _path_points(d):
            px, py = points[:, 0] / TENTHS, points[:, 1] / TENTHS
            x = x_lo + (px - x0) / (x1 - x0) * (x_hi - x_lo)
            y = y_lo + (py - y0) / (y1 - y0) * (y_hi - y_lo)
            out.setdefault(key, []).append((10 ** x if "x" in logs else x,
                                            10 ** y if "y" in logs else y))
    return out


def _text(x: float, y: float, text: str, size: float = 12, anchor: str = "start",
          baseline: str = "auto", colour: str = TEXT, extra: str = "", cls: str = "") -> str:
    kind = f' class="{cls}"' if cls else ""
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" fill="{colour}" '
            f'text-anchor="{anchor}" dominant-baseline="{baseline}"{kind}{extra}>{_esc(text)}'
            "</text>")


def _text_width(text: str, size: float) -> float:
    return len(str(text)) * size * _CHAR


_PATH_POINT = re.compile(r"([ML])\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)")


def _prepare(spec: dict) -> dict:
    """The spec's numbers as arrays, once for every width it is drawn at: ``{("trace", i):
    (x, y), ("path", i): (commands, x, y)}``."""
    out = {}
    for i, t in enumerate(spec.get("data", [])):
        ys = _array(t.get("y"))
        xs = _array(t.get("x")) if t.get("x") is not None else np.arange(ys.size, dtype=float)
        out[("trace", i)] = (xs, ys)
    for i, shape in enumerate((spec.get("layout") or {}).get("shapes", []) or []):
        if shape.get("type") == "path":
            found = _PATH_POINT.findall(shape.get("path", ""))
            out[("path", i)] = ([c for c, _, _ in found],
                                np.array([a for _, a, _ in found], dtype=np.float64),
                                np.array([b for _, _, b in found], dtype=np.float64))
    return out


def render(spec: dict, width: int = 1000, colourway: Sequence[str] = (), uid: str = "f",
           prepared: dict | None = None) -> str:
    """One ``<svg>`` element, ``width`` px wide (it scales with its container), of ``spec``.

    Parameters
    ----------
    spec : dict
        ``{"data": [trace, ...], "layout": {...}}``, the plotly-style dict of a lab figure.
    width : int
        Drawing width in px: margins, fonts and markers keep their pixel size at this width.
    colourway : sequence of str
        Colours of traces that give none.
    uid : str
        Prefix of the drawing's clip-path ids: unique per drawing on one page.
    prepared : dict, optional
        ``_prepare(spec)``, when the spec is drawn at several widths.

    Returns
    -------
    str
        SVG markup (``viewBox`` of ``width`` × the figure's height, legends included).
    """
    layout = spec.get("layout", {}) or {}
    prepared = _prepare(spec) if prepared is None else prepared
    traces = [(i, t) for i, t in enumerate(spec.get("data", []))
              if t.get("visible", True) is not False]
    margin = {**DEFAULT_MARGIN, **(layout.get("margin") or {})}
    height = float(layout.get("height") or 450)
    width = float(width)
    left, top = float(margin["l"]), float(margin["t"])
    plot_w = max(width - left - float(margin["r"]), 10.0)
    plot_h = max(height - top - float(margin["b"]), 10.0)
    colours = list(colourway) or ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]

    def paper_x(v: float) -> float:
        return left + v * plot_w

    def paper_y(v: float) -> float:
        return top + (1 - v) * plot_h

    # axes: every xaxisN / yaxisN of the layout or referenced by a trace or shape
    names = {k for k in layout if re.fullmatch(r"[xy]axis\d*", k)}
    names |= {_axis_key(t.get("xaxis", "x"), "x") for _, t in traces}
    names |= {_axis_key(t.get("yaxis", "y"), "y") for _, t in traces}
    axes = {n: _Axis(n, layout.get(n) or {}, n[0] == "x") for n in sorted(names)}
    for i, t in traces:
        xs, ys = prepared[("trace", i)]
        axes[_axis_key(t.get("xaxis", "x"), "x")].add(xs)
        axes[_axis_key(t.get("yaxis", "y"), "y")].add(ys)
    for name, axis in axes.items():
        other = axis.spec.get("matches")
        if other and _axis_key(other, name[0]) in axes:
            shared = axes[_axis_key(other, name[0])]
            shared.values += axis.values
            axis.values = shared.values
    for axis in axes.values():
        axis.lo, axis.hi = axis.limits()
        dom = axis.spec.get("domain") or [0, 1]
        if axis.horizontal:
            axis.p0, axis.p1 = paper_x(dom[0]), paper_x(dom[1])
        else:
            axis.p0, axis.p1 = paper_y(dom[0]), paper_y(dom[1])

    def axis_of(ref: str, letter: str) -> _Axis:
        """The axis ``ref`` names; one the layout lacks spans the whole plot, data -1…1."""
        key = _axis_key(ref, letter)
        if key not in axes:
            axis = axes[key] = _Axis(key, {}, letter == "x")
            axis.lo, axis.hi = axis.limits()
            axis.p0, axis.p1 = (paper_x(0), paper_x(1)) if axis.horizontal else (paper_y(0),
                                                                                  paper_y(1))
        return axes[key]

    def partner(axis: _Axis) -> _Axis | None:
        anchor = axis.spec.get("anchor")
        letter = "y" if axis.horizontal else "x"
        if anchor and anchor != "free":
            return axes.get(_axis_key(anchor, letter))
        return axes.get(f"{letter}axis")

    def coord(ref: str, value: float, letter: str) -> float:
        """A shape's or annotation's coordinate along ``letter`` in px."""
        if ref in (None, "paper"):
            return paper_x(value) if letter == "x" else paper_y(value)
        axis = axis_of(ref.split()[0], letter)
        if ref.endswith("domain"):
            return axis.p0 + value * (axis.p1 - axis.p0)
        return float(axis.px([value])[0])

    below, grid, plot, above, labels = [], [], [], [], []
    clips, clip_of, areas = [], {}, []
    # grid lines, ticks and titles
    for axis in axes.values():
        other = partner(axis)
        if other is None:
            continue
        length = abs(axis.p1 - axis.p0)
        ticks = nice_ticks(axis.lo, axis.hi, max(2, int(length / (90 if axis.horizontal
                                                                    else 55))), axis.log)
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        show = axis.spec.get("showticklabels", True)
        for value in ticks:
            pos = axis.p0 + (value - axis.lo) / (axis.hi - axis.lo) * (axis.p1 - axis.p0)
            if axis.horizontal:
                grid.append(f"M{pos:.1f},{min(other.p0, other.p1):.1f}"
                            f"V{max(other.p0, other.p1):.1f}")
                if show:
                    labels.append(_text(pos, max(other.p0, other.p1) + 15,
                                        _tick_label(value, axis.log, step), 11, "middle",
                                        colour=MUTED, cls="tick"))
            else:
                grid.append(f"M{min(other.p0, other.p1):.1f},{pos:.1f}"
                            f"H{max(other.p0, other.p1):.1f}")
                if show:
                    labels.append(_text(min(other.p0, other.p1) - 5, pos,
                                        _tick_label(value, axis.log, step), 11, "end",
                                        "middle", colour=MUTED, cls="tick"))
        title = (axis.spec.get("title") or {})
        title = title.get("text") if isinstance(title, dict) else title
        if title:
            if axis.horizontal:
                labels.append(_text((axis.p0 + axis.p1) / 2, max(other.p0, other.p1) + 33,
                                    title, 12, "middle", cls="axis-title"))
            else:
                x = min(other.p0, other.p1) - 40
                y = (axis.p0 + axis.p1) / 2
                labels.append(_text(x, y, title, 12, "middle", cls="axis-title",
                                    extra=f' transform="rotate(-90 {_num(x)} {_num(y)})"'))

    def clip_id(xa: _Axis, ya: _Axis) -> str:
        key = (xa.name, ya.name)
        if key not in clip_of:
            clip_of[key] = f"c{len(clip_of)}"
            x0, x1 = sorted((xa.p0, xa.p1))
            y0, y1 = sorted((ya.p0, ya.p1))
            clips.append(f'<clipPath id="{{uid}}{clip_of[key]}"><rect x="{x0 - 4:.1f}" '
                         f'y="{y0 - 4:.1f}" width="{x1 - x0 + 8:.1f}" '
                         f'height="{y1 - y0 + 8:.1f}"/></clipPath>')
            areas.append(f'<rect class="plotarea" x="{x0:.1f}" y="{y0:.1f}" '
                         f'width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" fill="none"/>')
        return clip_of[key]

    # shapes
    for j, shape in enumerate(layout.get("shapes", []) or []):
        kind = shape.get("type", "rect")
        line = shape.get("line") or {}
        scale = TENTHS if kind == "path" else 1
        stroke = (_stroke(line, "#444", scale) if line.get("width", 1) else 'stroke="none"')
        opacity = f' opacity="{shape["opacity"]}"' if "opacity" in shape else ""
        xref, yref = shape.get("xref", "x"), shape.get("yref", "y")
        target = below if shape.get("layer") == "below" else above
        if kind == "path":
            xa, ya = axis_of(xref.split()[0], "x"), axis_of(yref.split()[0], "y")
            cmd, path_x, path_y = prepared[("path", j)]
            if not cmd:
                continue
            px = np.rint(xa.px(path_x) * TENTHS).astype(np.int64)
            py = np.rint(ya.px(path_y) * TENTHS).astype(np.int64)
            d = "".join(f"M{x} {y}" if c == "M" else (
                f"v{y - last_y}" if x == last_x else f"L{x} {y}")
                for c, x, y, last_x, last_y in zip(cmd, px.tolist(), py.tolist(),
                                                   [None, *px.tolist()[:-1]],
                                                   [None, *py.tolist()[:-1]], strict=True))
            target.append(f'<g clip-path="url(#{{uid}}{clip_id(xa, ya)})"><path d="{d}" '
                          f'fill="none" {stroke}{opacity} transform="scale(0.1)"'
                          f'{_data_attrs("shape", shape.get("name", ""), xa, ya)}/></g>')
            continue
        x0, x1 = coord(xref, shape.get("x0", 0), "x"), coord(xref, shape.get("x1", 1), "x")
        y0, y1 = coord(yref, shape.get("y0", 0), "y"), coord(yref, shape.get("y1", 1), "y")
        if kind == "line":
            target.append(f'<path d="M{x0:.1f},{y0:.1f}L{x1:.1f},{y1:.1f}" {stroke}{opacity}/>')
        else:
            fill = shape.get("fillcolor", "none")
            target.append(f'<rect x="{min(x0, x1):.1f}" y="{min(y0, y1):.1f}" '
                          f'width="{abs(x1 - x0):.1f}" height="{abs(y1 - y0):.1f}" '
                          f'fill="{_esc(fill)}" {stroke}{opacity}/>')

    # traces
    legend_items: dict[str, list[dict]] = {}
    for i, t in traces:
        xa = axis_of(t.get("xaxis", "x"), "x")
        ya = axis_of(t.get("yaxis", "y"), "y")
        xs, ys = prepared[("trace", i)]
        n = min(xs.size, ys.size)
        px, py = xa.px(xs[:n]), ya.px(ys[:n])
        mode = t.get("mode", "lines+markers" if n < 20 else "lines")
        line = t.get("line") or {}
        marker = t.get("marker") or {}
        colour = line.get("color") or (marker.get("color") if isinstance(
            marker.get("color"), str) else None) or colours[i % len(colours)]
        opacity = f' opacity="{t["opacity"]}"' if "opacity" in t else ""
        name = t.get("name", f"trace {i}")
        tip = f"<title>{_esc(name)}</title>"
        clip = f' clip-path="url(#{{uid}}{clip_id(xa, ya)})"'
        if "lines" in mode:
            d = _path(_segments(px, py, bool(t.get("connectgaps"))))
            if d:
                stroke = _stroke({**line, "color": colour}, colour, TENTHS)
                plot.append(f'<g{clip}><path d="{d}" fill="none" {stroke} stroke-linejoin="round"'
                            f'{opacity} transform="scale(0.1)"{_data_attrs("trace", name, xa, ya)}>'
                            f'{tip}</path></g>')
        if "markers" in mode and n:
            ok = np.flatnonzero(np.isfinite(px) & np.isfinite(py))
            most = marker.get("maxdisplayed") or 0
            if most and ok.size > most:
                ok = ok[np.linspace(0, ok.size - 1, most).round().astype(int)]
            symbols = marker.get("symbol", "circle")
            size = float(marker.get("size", 6))
            d = "".join(_marker_path(symbols if isinstance(symbols, str) else str(symbols[k]),
                                     px[k], py[k], size) for k in ok.tolist())
            fill = marker.get("color") if isinstance(marker.get("color"), str) else colour
            plot.append(f'<path d="{d}" fill="{_esc(fill)}"{opacity}{clip} '
                        f'data-markers="{_esc(name)}" data-points="{ok.size}">{tip}</path>')
        if t.get("showlegend", True) and name and layout.get("showlegend", True) is not False:
            legend_items.setdefault(t.get("legend", "legend"), []).append(
                {"name": name, "colour": colour, "line": line if "lines" in mode else None,
                 "marker": marker if "markers" in mode and "lines" not in mode else None})

    # annotations (a panel title wider than its panel is set smaller, down to 9 px)
    domains = [axis.spec.get("domain") or [0, 1] for axis in axes.values() if axis.horizontal]
    for note in layout.get("annotations", []) or []:
        x = coord(note.get("xref", "paper"), note.get("x", 0.5), "x")
        y = coord(note.get("yref", "paper"), note.get("y", 0.5), "y") - note.get("yshift", 0)
        size = (note.get("font") or {}).get("size", 12)
        if note.get("xref", "paper") == "paper":
            room = [d1 - d0 for d0, d1 in domains if d0 <= note.get("x", 0.5) <= d1]
            fits = min(room) * plot_w + 16 if room else width
            if _text_width(note.get("text", ""), size) > fits:
                size = max(9.0, round(size * fits / _text_width(note.get("text", ""), size), 1))
        anchor = {"left": "start", "right": "end"}.get(note.get("xanchor", "center"), "middle")
        baseline = {"bottom": "text-after-edge", "top": "text-before-edge"}.get(
            note.get("yanchor", "middle"), "middle")
        inside = note.get("xref", "paper") != "paper" or note.get("yref", "paper") != "paper"
        labels.append(_text(x, y, note.get("text", ""), size, anchor, baseline,
                            cls="note" if inside else "annotation"))

    # legends: entries in rows from (x, y), wrapped at the right edge
    extent, origin = height, 0.0
    for key, items in legend_items.items():
        if len(items) < 2 and key == "legend" and layout.get("showlegend") is None:
            continue  # plotly shows no legend for a single trace unless asked
        spec_l = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom",
                  **(layout.get(key) or {})}
        entries = [(item, 34 + _text_width(item["name"], 12) + 14) for item in items]
        rows, row, used = [], [], 0.0
        for entry in entries:
            if row and used + entry[1] > width - paper_x(spec_l["x"]) - 5:
                rows.append(row)
                row, used = [], 0.0
            row.append(entry)
            used += entry[1]
        if row:
            rows.append(row)
        y = paper_y(spec_l["y"])
        if spec_l["y"] < 0:  # below the plot: under the tick labels and axis title
            y = paper_y(0) + 42
        y0 = y - 20 * len(rows) if spec_l.get("yanchor") == "bottom" else y
        for r, row in enumerate(rows):
            cy, cx = y0 + 20 * r + 10, paper_x(spec_l["x"])
            for item, w in row:
                if item["marker"] is not None:
                    symbol = item["marker"].get("symbol", "circle")
                    symbol = symbol if isinstance(symbol, str) else "triangle-up"
                    labels.append(f'<path d="{_marker_path(symbol, cx + 14, cy, 8)}" '
                                  f'fill="{_esc(item["colour"])}"/>')
                else:
                    sample = _stroke({**(item["line"] or {}), "color": item["colour"]},
                                     item["colour"])
                    labels.append(f'<path d="M{cx:.1f},{cy:.1f}h28" {sample}/>')
                labels.append(_text(cx + 34, cy, item["name"], 12, baseline="middle",
                                    cls="legend"))
                cx += w
        extent = max(extent, y0 + 20 * len(rows) + 4)
        origin = min(origin, y0 - 4)  # a legend above the figure widens the view upwards
    title = layout.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    if title:
        labels.append(_text(left, 22, title, 15, cls="title"))

    body = "".join([
        f'<defs>{"".join(clips)}</defs>' if clips else "",
        f'<rect y="{_num(origin)}" width="{_num(width)}" height="{_num(extent - origin)}" '
        'fill="white"/>',
        "".join(below),
        f'<path d="{"".join(grid)}" stroke="{GRID}" stroke-width="1" fill="none"/>'
        if grid else "",
        "".join(areas), "".join(plot), "".join(above), "".join(labels),
    ])
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 {_num(origin)} {_num(width)} '
            f'{_num(extent - origin)}" width="100%" font-family="{FONT}" role="img">'
            f'{body}</svg>').replace("{uid}", uid)


def responsive(spec: dict, widths: Sequence[int] = (700, 1000, 1300), uid: str = "f",
               colourway: Sequence[str] = ()) -> str:
    """HTML of ``spec`` drawn at each of ``widths``; CSS container queries show the one closest
    to the space the chart has, so its text keeps its size from a phone to a projector.

    ``uid`` makes the clip-path ids of one chart unique on the page (one per chart).
    """
    widths = sorted(widths)
    cuts = [(a + b) / 2 for a, b in zip(widths, widths[1:], strict=False)]
    rules = []
    for k, w in enumerate(widths):
        lo = f"(min-width: {cuts[k - 1]:.0f}px)" if k > 0 else ""
        hi = f"(max-width: {cuts[k] - 0.02:.2f}px)" if k < len(cuts) else ""
        query = " and ".join(q for q in (lo, hi) if q)
        rules.append(f"@container {query} {{ .rl-svg-{uid} .w{w} {{ display: block; }} }}"
                     if query else f".rl-svg-{uid} .w{w} {{ display: block; }}")
    style = (f"<style>.rl-svg-{uid} {{ container-type: inline-size; width: 100%; }} "
             f".rl-svg-{uid} > div {{ display: none; line-height: 0; }} {' '.join(rules)}</style>")
    prepared = _prepare(spec)
    variants = "".join(f'<div class="w{w}">{render(spec, w, colourway, f"{uid}{w}", prepared)}'
                       "</div>" for w in widths)
    return f'<div class="rl-svg-{uid}">{style}{variants}</div>'


def standalone(spec: dict, width: int = DOWNLOAD_WIDTH, colourway: Sequence[str] = ()) -> str:
    """A complete SVG file of ``spec`` (for a download button)."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + render(spec, width, colourway, "d"))
