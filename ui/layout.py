"""Page layout helpers shared by the pages: narrow screens, scrolling, chart configuration, and
fast image encoding for live views."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image

from red_core import images

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
  // st.html runs this in the app's own document. Streamlit folds the sidebar by itself only
  // below 768 px ("auto"); between that and 1000 px it would take 300 px of an 800 px window.
  const doc = window.parent ? window.parent.document : document;
  if (window.innerWidth > 1000 || doc.body.dataset.redlabNarrow) return;
  doc.body.dataset.redlabNarrow = "1";  // once per page load: the user may open it again
  let tries = 0;
  const fold = function () {
    const sidebar = doc.querySelector('[data-testid="stSidebar"]');
    const button = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (sidebar && button) {
      if (sidebar.getAttribute("data-collapsed") === "false") button.click();
    } else if (++tries < 50) {
      setTimeout(fold, 100);  // the sidebar is drawn after the page's first elements
    }
  };
  fold();
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


#: zlib level of :func:`png`: lossless like the default (6) at a fifth of its time (2.5 vs 13 ms
#: for a 256² grey image), for ~15 % more bytes; a live race encodes every lane at every frame.
PNG_LEVEL = 1


def png(image: np.ndarray) -> bytes:
    """An image in [0, 1] (NaN as 0, clipped) as 8-bit PNG bytes, fast. Show it with
    ``st.image(png(x), output_format="PNG")``: with the default ``"auto"`` Streamlit decodes
    the bytes and re-encodes them as JPEG."""
    buffer = io.BytesIO()
    Image.fromarray(images.to_uint8(image)).save(buffer, format="PNG", compress_level=PNG_LEVEL)
    return buffer.getvalue()
