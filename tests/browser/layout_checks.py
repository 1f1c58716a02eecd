"""Layout checks for the browser tests: nothing cut, nothing colliding, tables that fit.

Each check runs one piece of JavaScript in the page and returns what it found (an empty list
when the layout is right), so a failing assertion names the offending elements:

- :func:`cut_texts`: widget labels, select-box values, radio options, metric labels and
  values, page links whose text is wider than its box (``scrollWidth > clientWidth + 1``:
  Streamlit truncates them with an ellipsis inside an ``overflow: hidden`` box).
- :func:`wide_tables`: dataframes that scroll sideways. Streamlit 1.67 draws ``st.dataframe``
  with glide-data-grid on a canvas, so the cells are not in the DOM; the grid's scroller
  ``.dvn-scroller`` holds a spacer as wide as all its columns, and the scroller's
  ``scrollWidth`` exceeds its ``clientWidth`` exactly when a horizontal scrollbar appears.
  The check compares the two (the canvas itself is always the scroller's width).
- :func:`wide_formulas`: KaTeX display formulas wider than the page (they scroll sideways);
  4 px of slack, as KaTeX's struts overhang their box by a pixel or two without a scrollbar.
- :func:`colliding_titles`: in every plotly chart, subplot titles (annotations), the chart
  title and axis titles whose boxes overlap.
- :func:`svg_overlaps`: in every inline-SVG chart (``red_core.lab.svgplot``), titles, legend
  entries and panel titles overlapping each other or a plot area.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

if TYPE_CHECKING:
    from playwright.sync_api import Page

_CUT_JS = """() => {
  const boxes = "[data-testid='stWidgetLabel'], [data-testid='stPageLink'], "
    + "[data-testid='stRadioOption'], [data-testid='stMetricLabel'], "
    + "[data-testid='stMetricValue']";
  const out = [];
  const main = document.querySelector("[data-testid='stMain']");
  for (const box of main.querySelectorAll(boxes)) {
    for (const el of [box, ...box.querySelectorAll("p, span, div, label")]) {
      if (el.closest(".katex") || el.clientWidth <= 1) continue;
      if (el.scrollWidth > el.clientWidth + 1)
        out.push(`${el.innerText.slice(0, 60)} (${el.scrollWidth} > ${el.clientWidth} px)`);
    }
  }
  for (const el of main.querySelectorAll("input[role='combobox']")) {
    if (el.value && el.scrollWidth > el.clientWidth + 1)
      out.push(`select box ${el.value} (${el.scrollWidth} > ${el.clientWidth} px)`);
  }
  return [...new Set(out)];
}"""

_TABLES_JS = """() => [...document.querySelectorAll("[data-testid='stDataFrame']")].map((d, i) => {
  const s = d.querySelector(".dvn-scroller");
  return s ? {index: i, scroll: s.scrollWidth, client: s.clientWidth} : {index: i, missing: true};
})"""

_FORMULAS_JS = """() => [...document.querySelectorAll("[data-testid='stMain'] .katex-display")]
  .filter((el) => el.scrollWidth > el.clientWidth + 4)
  .map((el) => `${el.innerText.replace(/\\s+/g, ' ').slice(0, 50)} `
               + `(${el.scrollWidth} > ${el.clientWidth} px)`)"""

_TITLES_JS = """() => {
  const out = [];
  const isTitle = (el) => /^(annotation-text|gtitle|[xy]\\d*title)$/.test(
    el.getAttribute("class") || "");
  document.querySelectorAll("[data-testid='stPlotlyChart'] .js-plotly-plot").forEach((plot, n) => {
    const texts = [...plot.querySelectorAll(".infolayer text, .annotation text")]
      .filter((el) => isTitle(el) && el.textContent.trim());
    const rects = texts.map((el) => [el.textContent.trim(), el.getBoundingClientRect()]);
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const [a, ra] = rects[i], [b, rb] = rects[j];
        const dx = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const dy = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (dx > 1 && dy > 1) out.push(`chart ${n}: '${a}' overlaps '${b}'`);
      }
    }
  });
  return out;
}"""


_SVG_OVERLAPS_JS = """() => {
  // the drawn variant of every inline-SVG chart (red_core.lab.svgplot): its titles, legend
  // entries and panel titles against each other and against the plot areas
  const found = [];
  const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1
                         && b.top < a.bottom - 1;
  document.querySelectorAll("div[class^='rl-svg-'] > div").forEach((variant) => {
    if (getComputedStyle(variant).display === 'none') return;
    const chart = variant.parentElement.className;
    const areas = [...variant.querySelectorAll('rect.plotarea')]
      .map(e => e.getBoundingClientRect());
    const labels = [...variant.querySelectorAll(
      'text.legend, text.annotation, text.axis-title, text.title')]
      .map(e => [e.getAttribute('class') + ' ' + e.textContent.slice(0, 30),
                 e.getBoundingClientRect()]);
    labels.forEach(([name, box], i) => {
      if (!name.startsWith('axis-title'))
        areas.forEach(area => {
          if (meet(box, area)) found.push(`${chart}: ${name} on a plot area`); });
      labels.slice(i + 1).forEach(([other, b]) => {
        if (meet(box, b)) found.push(`${chart}: ${name} on ${other}`); });
    });
    if (variant.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      found.push(`${chart}: wider than the window`);
  });
  return found;
}"""


def svg_overlaps(page: Page) -> list[str]:
    """Overlapping titles, legend entries and plot areas in the page's inline-SVG charts."""
    return page.evaluate(_SVG_OVERLAPS_JS)


def cut_texts(page: Page) -> list[str]:
    """Texts of labels, values and links that do not fit their box (see the module docstring)."""
    return page.evaluate(_CUT_JS)


def wide_tables(page: Page) -> list[dict]:
    """Dataframes whose grid scrolls sideways (``{"index", "scroll", "client"}`` each)."""
    found = page.evaluate(_TABLES_JS)
    assert all("missing" not in t for t in found), f"a dataframe without its grid: {found}"
    return [t for t in found if t["scroll"] > t["client"] + 1]


def table_count(page: Page, expected: int | None = None, timeout: float = 30_000) -> int:
    """The number of data tables drawn. With ``expected``, first wait (up to ``timeout`` ms)
    until that many have their grid: st.dataframe loads its grid component lazily, after the
    script has finished and the charts are up (seen once in CI at 800 px)."""
    grids = page.locator("[data-testid='stDataFrame'] .dvn-scroller")
    if expected:
        try:
            grids.nth(expected - 1).wait_for(state="attached", timeout=timeout)
        except PlaywrightTimeoutError:
            pass  # the count below tells what is there
    return grids.count()


def wide_formulas(page: Page) -> list[str]:
    """Display formulas that scroll sideways."""
    return page.evaluate(_FORMULAS_JS)


def colliding_titles(page: Page) -> list[str]:
    """Pairs of overlapping titles inside one plotly chart."""
    return page.evaluate(_TITLES_JS)


def assert_fits(page: Page) -> None:
    """Every check above passes (each failure names what does not fit)."""
    problems = {"cut texts": cut_texts(page), "tables scrolling sideways": wide_tables(page),
                "formulas scrolling sideways": wide_formulas(page),
                "colliding chart titles": colliding_titles(page),
                "colliding SVG chart labels": svg_overlaps(page)}
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, f"layout problems at {page.viewport_size}: {problems}"


def set_width(page: Page, width: int, height: int = 900) -> None:
    """Resize the viewport and let Streamlit and plotly lay the page out again."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(800)
