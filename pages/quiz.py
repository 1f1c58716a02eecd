"""Quick check: seven questions on RED, feedback per answer, a running score, Start again.

All questions are on one page: the reader sees the whole scope, answers in any order and
scrolls back to earlier explanations, and no "current question" state can get out of step.
A question is answered when its Check is pressed with an answer picked; it is then locked
and its explanation (why each answer is right or wrong) is shown, never before.
"""

import streamlit as st

from red_core.lab import quiz
from ui import navigation

navigation.guard()

ANSWERS = "quiz_answers"  # session key: {question key: the checked answer index}
PROMPT = "quiz_prompt"  # session key: the question whose Check was pressed with no answer
TOTAL = len(quiz.QUESTIONS)


def radio_key(q: quiz.Question) -> str:
    return f"quiz_q_{q.key}"


def check_key(q: quiz.Question) -> str:
    return f"quiz_check_{q.key}"


def answered() -> dict[str, int]:
    """The checked answers, keeping only valid entries (session state is never trusted)."""
    stored = st.session_state.get(ANSWERS)
    valid: dict[str, int] = {}
    for key, answer in (stored.items() if isinstance(stored, dict) else ()):
        try:
            quiz.check(key, answer)
        except ValueError:
            continue
        valid[key] = int(answer)
    return valid


def on_check(key: str) -> None:
    """Record the picked answer of question ``key`` (callback: the score above sees it)."""
    choice = st.session_state.get(radio_key(quiz.question(key)))
    if choice is None:
        st.session_state[PROMPT] = key
        return
    quiz.check(key, choice)  # validates before anything is stored
    st.session_state[ANSWERS] = {**answered(), key: int(choice)}
    st.session_state.pop(PROMPT, None)


def on_start_again() -> None:
    """Forget every answer and every pick."""
    st.session_state[ANSWERS] = {}
    st.session_state.pop(PROMPT, None)
    for q in quiz.QUESTIONS:
        st.session_state.pop(radio_key(q), None)


def score_text(answers: dict[str, int]) -> str:
    right, done, total = quiz.score(answers)
    return f"**{right} of {total} right** · {done} of {total} answered"


answers = answered()

st.title("Quick check")
st.caption(
    f"{TOTAL} questions on what the source says about RED. Pick an answer and press **Check**: "
    "the feedback and the explanation appear once you have answered. One try per question; "
    "**Start again** at the bottom resets."
)
st.markdown(score_text(answers))
st.progress(len(answers) / TOTAL)

for number, q in enumerate(quiz.QUESTIONS, start=1):
    chosen = answers.get(q.key)
    with st.container(border=True, key=f"quiz_box_{q.key}"):
        mark = ""
        if chosen is not None:
            mark = (" :green[:material/check_circle:]" if chosen == q.correct
                    else " :red[:material/cancel:]")
        st.markdown(f"**{number}.**{mark} {q.text}")
        st.radio(
            f"Answer to question {number}",
            options=range(len(q.answers)),
            format_func=q.answers.__getitem__,
            index=chosen,
            key=radio_key(q),
            disabled=chosen is not None,
            label_visibility="collapsed",
        )
        if chosen is None:
            st.button("Check", key=check_key(q), on_click=on_check, args=(q.key,),
                      type="primary", icon=":material/done:")
            if st.session_state.get(PROMPT) == q.key and st.session_state.get(radio_key(q)) is None:
                st.info("Pick one of the answers first, then press **Check**.",
                        icon=":material/touch_app:")
        else:
            correct, feedback = quiz.check(q.key, chosen)
            if correct:
                st.success(feedback, icon=":material/check_circle:")
            else:
                st.error(feedback, icon=":material/cancel:")
            st.info(f"**Takeaway.** {q.takeaway}", icon=":material/key:")
            with st.expander("Why each answer is right or wrong"):
                for index, (text, why) in enumerate(zip(q.answers, q.feedback, strict=True)):
                    sign = (":green[:material/check_circle:]" if index == q.correct
                            else ":red[:material/cancel:]")
                    st.markdown(f"{sign} **{text}**  \n{why}")
        st.page_link(q.page, label=q.link, icon=":material/arrow_forward:")

st.divider()
st.markdown(score_text(answers))
if len(answers) == TOTAL:
    st.info(f"**Key takeaway.** {quiz.TAKEAWAY}", icon=":material/key:")
st.button("Start again", key="quiz_restart", on_click=on_start_again,
          icon=":material/restart_alt:")
st.page_link("pages/home.py", label="Back to RED in one page", icon=":material/menu_book:")
