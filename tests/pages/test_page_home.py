"""The "RED in one page" (home) page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parents[2] / "app.py")
OTHER_PAGES = {"gradient_1d", "restore", "compare", "tune", "leaderboard", "jacobian", "score",
               "quiz"}


def _compact(text: str) -> str:
    """LaTeX without spaces and spacing commands, for robust substring checks."""
    return re.sub(r"\\[,;!]|\s", "", text)


# ---- home page ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def home() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    return at


def test_home_runs_and_says_what_the_lab_does(home):
    assert not home.exception
    assert home.title[0].value == "RED in one page"
    first_words = " ".join(m.value for m in home.markdown[:2])
    assert "RED and Plug-and-Play" in first_words


def test_home_renders_the_key_formulas(home):
    formulas = [_compact(element.value) for element in home.latex]
    expected = [
        r"\rho(x)=\tfrac12x^\top\bigl(x-D(x)\bigr)",  # regulariser
        r"\nabla\rho(x)=x-\tfrac12D(x)-\tfrac12J(x)^\topx",  # exact gradient
        r"\nabla\rho(x)=x-D(x)",  # the RED gradient
        r"J(x)=J(x)^\top",  # symmetry
        r"J(x)x=D(x)",  # homogeneity
        r"E(x)=f(x)+\lambda\rho(x)",  # objective
        r"x\leftarrowx-\mu\Bigl(\nablaf(x)+\lambda\bigl(x-D(x)\bigr)\Bigr)",  # RED-GD
        r"x-D^*(x)=-\sigma^2\nabla\logp_\sigma(x)",  # score
        r"\operatorname{prox}_{f/\beta}(v)",  # prox
    ]
    for formula in expected:
        assert any(formula in text for text in formulas), f"missing formula {formula}"


def test_home_has_the_algorithm_and_comparison_tables(home):
    tables = [m.value for m in home.markdown if m.value.lstrip().startswith("|")]
    assert len(tables) == 2
    algorithms, comparison = tables
    for name in ("RED-GD", "RED-FP", "RED-ADMM", "RED-PG", "RED-DPG", "RED-APG", "PnP-PGD",
                 "PnP-ADMM", "PnP-HQS"):
        assert f"**{name}**" in algorithms
    for row in ("explicit objective", "convergence guarantee", "fixed point type", "step size",
                "cost per iteration"):
        assert f"| {row} |" in comparison
    assert "**identical**" in comparison
    assert r"\mu \le 1/L_f" in comparison and r"\mu < 2/(L_f + \lambda)" in comparison


def test_home_callouts_for_recommendation_and_common_mistake(home):
    assert "PnP-ADMM" in home.success[0].value and "RED-GD" in home.success[0].value
    mistake = home.warning[0].value
    for name in ("DnCNN", "DRUNet", "SwinIR", "not the gradient of anything"):
        assert name in mistake
    text = " ".join(m.value for m in home.markdown) + " ".join(c.value for c in home.caption)
    for mitigation in ("Sinkhorn", "Gradient-step", "Monitor convergence", "Reehorst",
                       "SIAM Journal on Imaging Sciences"):
        assert mitigation in text


def test_home_links_to_every_other_page(home):
    targets = {link.proto.page for link in home.page_link}
    assert targets == OTHER_PAGES
    live = {link.proto.page for link in home.page_link if link.value.startswith("See it live")}
    assert live == {"gradient_1d", "restore", "compare", "leaderboard", "jacobian", "score"}




# ---- one vocabulary and links --------------------------------------------------------------

HOSTILE = ("abc", "nan", "-1", "1e308", "no_such_name")
NOTICE = "Link settings not used"


def _visible_text(app: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "header", "info", "success", "warning")
             for e in app.get(kind)]
    return " ".join(parts + [link.value for link in app.page_link])


def test_home_uses_the_one_vocabulary(home):
    text = _visible_text(home)
    assert "fixed-point residual" not in text.lower()
    assert "stationarity" in text and "relative change" in text
    # denoisers by their labels, never their registry names
    assert not re.search(r"\bcnn_gs\b|\(cnn\)|\*\*cnn\*\*", text)
    assert "Gradient-step CNN" in text
    assert "×1/255" in text  # the lab's one unit for noise levels
    assert "Same work per iteration" in text  # identical work, not identical time
    assert "**identical** work" in text


@pytest.mark.parametrize("value", HOSTILE)
def test_stray_link_values_on_home_are_named_and_dropped(value):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update({"lam": value, "jl_sigma": value})
    at.run()
    assert not at.exception
    notice = " ".join(c.value for c in at.caption if c.value.startswith(NOTICE))
    assert "jl_sigma (not a setting of this page)" in notice and "lam (not" in notice
    assert at.query_params == {}  # the link is cleaned: home has no settings
    assert at.title[0].value == "RED in one page"


def test_home_link_round_trip(home):
    link = dict(home.query_params)
    assert link == {}
    again = AppTest.from_file(APP, default_timeout=30)
    again.query_params.update(link)
    again.run()
    assert not again.exception
    assert not [c for c in again.caption if c.value.startswith(NOTICE)]
    assert [m.value for m in again.markdown] == [m.value for m in home.markdown]
