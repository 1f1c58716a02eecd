"""Quick check: one question on when the RED gradient is x − D(x), with feedback per answer."""

import streamlit as st

from red_core.lab import quiz
from ui import navigation

navigation.guard()

JACOBIAN = "pages/jacobian.py"

st.title("Quick check")
st.caption("One question on the central condition of RED. Pick an answer, then press Check.")

with st.container(border=True):
    st.markdown(f"### {quiz.QUESTION}")
    answer = st.radio(
        "Your answer",
        options=range(len(quiz.ANSWERS)),
        format_func=quiz.ANSWERS.__getitem__,
        index=None,
        key="quiz_answer",
        label_visibility="collapsed",
    )
    checked = st.button("Check", key="quiz_check", type="primary", icon=":material/done:")

if checked and answer is None:
    st.info("Pick one of the four answers first, then press **Check**.",
            icon=":material/touch_app:")
elif checked:
    correct, feedback = quiz.check(answer)
    if correct:
        st.success(feedback, icon=":material/check_circle:")
    else:
        st.error(feedback, icon=":material/cancel:")
        st.caption("Try another answer and press Check again.")

    st.info(f"**Key takeaway.** {quiz.TAKEAWAY}", icon=":material/key:")
    with st.expander("Why each answer is right or wrong"):
        for index, (text, why) in enumerate(zip(quiz.ANSWERS, quiz.FEEDBACK, strict=True)):
            mark = (":green[:material/check_circle:]" if index == quiz.CORRECT_INDEX
                    else ":red[:material/cancel:]")
            st.markdown(f"{mark} **{text}**  \n{why}")

st.divider()
st.markdown(
    "Do not take it on trust: measure $\\lVert J - J^\\top\\rVert$ and $J(x)\\,x - D(x)$ "
    "for real denoisers in the Jacobian lab."
)
st.page_link(JACOBIAN, label="Measure it in the Jacobian lab", icon=":material/grid_on:")
st.page_link("pages/home.py", label="Back to RED in one page", icon=":material/menu_book:")
