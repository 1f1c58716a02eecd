"""The page list, defined once, and the guard that makes a deep link work on a fresh server.

``app.py`` calls :func:`run`. Every page script starts with :func:`guard`: Streamlit 1.67 treats a
``pages/`` folder next to the main script as an old-style multipage app until the first
``st.navigation`` call of the process, so a deep link opened first on a fresh server runs the page
script alone, without ``app.py``. The guard then registers the navigation and reruns, and the
rerun goes through ``app.py`` to the same page with its query string.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui import heap, layout

_RAN = "_redlab_navigation_ran"  # set by app.py's run of this session script run


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/home.py", "RED in one page", ":material/menu_book:", default=True),
    PageSpec("pages/gradient_1d.py", "1-D gradient field", ":material/show_chart:"),
    PageSpec("pages/restore.py", "Restore an image", ":material/image:"),
    PageSpec("pages/compare.py", "RED vs PnP: cost and guarantees", ":material/balance:"),
    PageSpec("pages/tune.py", "Tune", ":material/tune:"),
    PageSpec("pages/leaderboard.py", "Leaderboard", ":material/leaderboard:"),
    PageSpec("pages/jacobian.py", "Jacobian lab", ":material/grid_on:"),
    PageSpec("pages/score.py", "Score and Tweedie", ":material/scatter_plot:"),
    PageSpec("pages/quiz.py", "Quick check", ":material/quiz:"),
)


def page(path: str) -> PageSpec:
    """The page whose script is ``path`` (for links: ``st.page_link(page(...).path)``)."""
    for spec in PAGES:
        if spec.path == path:
            return spec
    raise ValueError(f"no page {path!r}")


def _navigation():
    return st.navigation([st.Page(p.path, title=p.title, icon=p.icon, default=p.default)
                          for p in PAGES])


def run() -> None:
    """The whole of ``app.py``: page configuration, sidebar, navigation."""
    st.set_page_config(page_title="RED Lab", page_icon=":material/blur_on:", layout="wide",
                       initial_sidebar_state="auto")
    with st.sidebar:
        st.markdown(
            "**RED Lab** — see how *Regularization by Denoising* turns a denoiser into an "
            "explicit regulariser, and how it compares with *Plug-and-Play* on real images and "
            "signals."
        )
        st.caption("Romano, Elad & Milanfar (2017) · Reehorst & Schniter (2019)")
    layout.narrow_screen_css()  # every page: labels wrap, the sidebar folds below 1000 px
    st.session_state[_RAN] = True
    try:
        _navigation().run()
    finally:
        heap.settle()  # Streamlit's collection after this run then walks only new objects


def guard() -> None:
    """First line of every page: when this run did not come through ``app.py`` (a deep link
    on a fresh server), register the navigation and rerun through it."""
    if not st.session_state.get(_RAN):
        _navigation()
        st.rerun()
