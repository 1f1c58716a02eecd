"""The "RED in one page" (home) page."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from red_core.lab import quiz
from red_core.theory import regulariser as red

APP = str(Path(__file__).parents[2] / "app.py")
OTHER_PAGES = {"gradient_1d", "restore", "compare", "jacobian", "score", "quiz"}


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
    assert live == {"gradient_1d", "restore", "compare", "jacobian", "score"}


