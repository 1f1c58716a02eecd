"""RED Lab: navigation and page configuration, nothing else."""

import streamlit as st

st.set_page_config(page_title="RED Lab", page_icon=":material/blur_on:", layout="wide")

PAGES = [
    st.Page("views/home.py", title="RED in one page", icon=":material/menu_book:", default=True),
    st.Page("views/gradient_1d.py", title="1-D gradient field", icon=":material/show_chart:"),
    st.Page("views/restore.py", title="Restore an image", icon=":material/image:"),
    st.Page("views/compare.py", title="RED vs PnP: cost and guarantees",
            icon=":material/balance:"),
    st.Page("views/jacobian.py", title="Jacobian lab", icon=":material/grid_on:"),
    st.Page("views/score.py", title="Score and Tweedie", icon=":material/scatter_plot:"),
    st.Page("views/quiz.py", title="Quick check", icon=":material/quiz:"),
]

with st.sidebar:
    st.markdown(
        "**RED Lab** — see how *Regularization by Denoising* turns a denoiser into an explicit "
        "regulariser, and how it compares with *Plug-and-Play* on real images and signals."
    )
    st.caption("Romano, Elad & Milanfar (2017) · Reehorst & Schniter (2019)")

st.navigation(PAGES).run()
