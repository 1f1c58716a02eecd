"""AppTest checks of the "RED vs PnP: cost and guarantees" page (pages/compare.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from helpers import open_app
from red_core import denoisers, images, solvers
from red_core.lab import race

APP = str(Path(__file__).parents[2] / "app.py")
PAGE = "pages/compare.py"
HOSTILE = ("abc", "nan", "-1", "1e308", "no_such_name")
NOTICE = "Link settings not used"
LANES = {
    "a": ("red-gd", "gaussian"),
    "b": ("pnp-admm", "tv"),
    "c": ("red-fp", "tv"),
    "d": ("pnp-pgd", "median"),
}


@pytest.fixture(scope="module")
def problem():
    return race.make_problem(images.builtin("camera", 32), "gaussian_blur", 5 / 255)


def finished_race(problem, lanes: str, max_iter: int = 4) -> race.Race:
    """A race of the lanes named in ``lanes`` ("abc"), run to its end in this thread."""
    contenders = {}
    for lane in lanes:
        method, denoiser = LANES[lane]
        sigma = solvers.default_denoiser_sigma(problem, method, denoiser)
        contenders[lane] = race.Contender(method, denoiser, sigma, max_iter=max_iter)
    r = race.Race(problem, contenders)
    while not r.done:
        r.advance(5.0)
    return r


def open_page(session_race: race.Race | None = None,
              query: dict[str, str] | None = None) -> AppTest:
    """The page in a fresh session, with ``session_race`` as the last race of Restore."""
    return open_app(PAGE, query, timeout=120, check=False,
                    session=None if session_race is None else {"race": session_race})


TABLES = ("compare_work", "compare_time", "compare_fixed_points")


def tables(app: AppTest) -> dict[str, object]:
    """The page's three tables (pandas frames), in page order, by their widget key."""
    assert len(app.dataframe) == len(TABLES)
    return {key: frame.value for key, frame in zip(TABLES, app.dataframe, strict=True)}


def default_race_notice(app: AppTest) -> str:
    return " ".join(i.value for i in app.info if "default race" in i.value)


def visible_text(app: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "subheader", "info", "warning")
             for e in app.get(kind)]
    return " ".join(parts)


def bars(app: AppTest) -> dict:
    found = [c for c in app.get("plotly_chart") if "cost_bars" in c.proto.id]
    assert len(found) == 1
    return json.loads(found[0].proto.spec)


def test_without_a_race_the_page_measures_a_quick_default_race():
    app = open_page()
    assert not app.exception
    assert "No finished race" in default_race_notice(app)
    t = tables(app)
    assert list(t["compare_work"]["lane"]) == ["A · RED-GD", "B · PnP-PGD"]
    assert list(t["compare_work"]["calls"]) == [1.0, 1.0]  # identical work ...
    assert list(t["compare_work"]["steps"]) == [1.0, 1.0]
    text = visible_text(app)
    assert "Work per iteration: identical" in text
    assert "Identical work is not identical time" in text  # ... measured times differ
    assert "Cost per iteration: identical" not in text
    assert list(t["compare_fixed_points"]["seeks"]) == ["stationary", "operator"]


def test_a_finished_race_of_three_lanes_is_measured_lane_by_lane(problem):
    r = finished_race(problem, "abc")
    app = open_page(r)
    assert not app.exception
    assert not default_race_notice(app)
    report = {row["run"]: row for row in race.cost_report(r)}
    t = tables(app)
    assert list(t["compare_work"]["lane"]) == ["A · RED-GD", "B · PnP-ADMM", "C · RED-FP"]
    assert list(t["compare_work"]["data_step"]) == ["gradient ∇f", "prox of f", "prox of f"]
    time = t["compare_time"]
    assert list(time["denoiser"]) == [denoisers.label("gaussian"), denoisers.label("tv"),
                                      denoisers.label("tv")]
    assert list(time["per_call"]) == [report[k]["denoiser_ms_per_call"] for k in "abc"]
    assert list(time["sigma"]) == pytest.approx([r.view(k).contender.denoiser_sigma * 255
                                                 for k in "abc"])
    # the explanation names what differs here: denoisers, σ_d and the kind of data step
    why = next(m.value for m in app.markdown if m.value.startswith("Identical work"))
    assert "different denoisers (Gaussian filter, Total variation (TV))" in why
    assert "prox of f" in why and "σ_d differ" in why
    slowest = max(report.values(), key=lambda row: row["ms_per_iteration"])
    assert f"{slowest['ms_per_iteration']:.1f} ms in lane {slowest['run']}" in why
    # one bar per lane, totals on top
    spec = bars(app)
    assert [len(trace["x"]) for trace in spec["data"]] == [3, 3]
    # step sizes: RED-GD has one and meets its bound; the prox methods have none
    steps = next(m.value for m in app.markdown if m.value.startswith("- **A · RED-GD**"))
    assert ":green-badge[met]" in steps and steps.count(":grey-badge[no step size]") == 2
    fixed = t["compare_fixed_points"]
    assert list(fixed["seeks"]) == ["stationary", "operator", "stationary"]
    assert list(fixed["rel_change"]) == [report[k]["rel_change"] for k in "abc"]


def test_four_lanes_fill_every_table_and_curve(problem):
    app = open_page(finished_race(problem, "abcd", max_iter=3))
    assert not app.exception
    for frame in tables(app).values():
        assert len(frame) == 4
    curves = next(c for c in app.get("plotly_chart") if "compare_curves" in c.proto.id)
    names = {trace.get("name") for trace in json.loads(curves.proto.spec)["data"]}
    assert {"A · RED-GD", "B · PnP-ADMM", "C · RED-FP", "D · PnP-PGD"} <= names
    why = next(m.value for m in app.markdown if m.value.startswith("Identical work"))
    assert "Median filter" in why


def test_one_lane_or_a_running_race_falls_back_to_the_default(problem):
    app = open_page(finished_race(problem, "a"))
    assert not app.exception and "No finished race" in default_race_notice(app)
    running = race.Race(problem, {k: race.Contender(*LANES[k], 0.02, max_iter=4)
                                  for k in "ab"})
    app = open_page(running)
    assert not app.exception and "still running" in default_race_notice(app)
    assert list(tables(app)["compare_work"]["lane"]) == ["A · RED-GD", "B · PnP-PGD"]


def test_one_vocabulary_and_labels(problem):
    app = open_page(finished_race(problem, "abcd", max_iter=3))
    text = visible_text(app)
    assert "fixed-point residual" not in text.lower()
    assert "stationarity residual" in text and "relative change" in text
    assert not re.search(r"\b(?:red|pnp)-[a-z]+\b", text)  # methods by their labels
    assert not re.search(r"\b(?:tv|gaussian|median|cnn_gs)\b", text)  # denoisers too
    config = json.loads(app.dataframe[TABLES.index("compare_time")].proto.columns)
    assert config["per_call"]["label"] == "ms / call"
    assert config["sigma"]["label"] == "σ_d (×1/255)"
    assert "Denoiser time per call (ms)" in config["per_call"]["help"]
    assert config["_index"]["hidden"] is True


@pytest.mark.parametrize("value", HOSTILE)
def test_stray_link_values_are_named_and_dropped(value):
    app = open_page(query={"lam": value, "race": value})
    assert not app.exception
    notice = " ".join(c.value for c in app.caption if c.value.startswith(NOTICE))
    assert "lam (not a setting of this page)" in notice and "race (not" in notice
    assert app.query_params == {}


def test_link_round_trip():
    app = open_page()
    link = dict(app.query_params)
    assert link == {}  # the page has no settings of its own: the race is the session's
    again = open_page(query=link)
    assert not again.exception
    assert not [c for c in again.caption if c.value.startswith(NOTICE)]
    for key, frame in tables(app).items():
        assert tables(again)[key].equals(frame), key
