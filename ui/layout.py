"""Page layout helpers shared by the pages: narrow screens, scrolling, chart configuration."""

from __future__ import annotations

import streamlit as st

#: Plotly's camera button saves the figure as SVG (vector: sharp on slides); PNG images and
#: the race summary are download buttons of their own.
CHART_CONFIG = {"displaylogo": False,
                "toImageButtonOptions": {"format": "svg", "filename": "redlab-figure"}}

_NARROW_CSS = """
<style>
/* Narrow windows (a laptop split in two, a projector at 800 px): labels wrap instead of being
   cut, buttons keep their text, formulas scroll inside their own box. */
@media (max-width: 1000px) {
  [data-testid="stWidgetLabel"] p { white-space: normal; }
  [data-testid="stBaseButton-primary"] p, [data-testid="stBaseButton-secondary"] p {
    white-space: nowrap; }
  [data-testid="stMarkdownContainer"] .katex-display { overflow-x: auto; overflow-y: hidden; }
  [data-testid="stColumn"] { min-width: 0; }
}
</style>
"""

_COLLAPSE_SIDEBAR_JS = """
<script>
(function () {
  const doc = window.parent ? window.parent.document : document;
  if (window.innerWidth > 1000 || doc.body.dataset.redlabNarrow) return;
  doc.body.dataset.redlabNarrow = "1";  // once per page load: the user may open it again
  const button = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
  const sidebar = doc.querySelector('[data-testid="stSidebar"]');
  if (button && sidebar && sidebar.getAttribute("aria-expanded") === "true") button.click();
})();
</script>
"""


def narrow_screen_css() -> None:
    """CSS for windows narrower than 1000 px, and the sidebar folded there on the first load."""
    st.html(_NARROW_CSS)
    st.html(_COLLAPSE_SIDEBAR_JS, unsafe_allow_javascript=True)


def scroll_to(key: str) -> None:
    """Scroll the browser to the container made with ``st.container(key=key)``."""
    st.html(
        "<script>setTimeout(function () {"
        f"const el = document.querySelector('.st-key-{key}');"
        "if (el) el.scrollIntoView({behavior: 'smooth', block: 'start'});}, 150);</script>",
        unsafe_allow_javascript=True,
    )
