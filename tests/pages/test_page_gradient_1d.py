"""AppTest checks of the "1-D gradient field" page (pages/gradient_1d.py)."""

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from helpers import open_app, svg_charts
from red_core import denoisers, glossary, signals
from red_core.lab import field1d, svgplot

PAGE = "pages/gradient_1d.py"
ONE_D = [d for d in denoisers.NAMES if denoisers.describe(d)["supports_1d"]]
RATIO = re.compile(r"ratio \*\*([0-9.]+)×\*\*")
#: Every URL-typed widget of the page: a value that is not its default, and how to set it.
NON_DEFAULTS = {
    "g1d_signal": ("selectbox", "chirp"),
    "g1d_denoiser": ("selectbox", "tv"),
    "g1d_noise": ("slider", 40.0),
    "g1d_link": ("checkbox", False),
    "g1d_sigma_d": ("slider", 12.0),
    "g1d_n": ("slider", 256),
    "g1d_seed": ("number_input", 7),
    "g1d_lam": ("number_input", 2.5),
    "g1d_step": ("number_input", 0.3),
    "g1d_iters": ("slider", 60),
}
HOSTILE = ("text", "nan", "-1", "1e308", "inf", "", "<script>alert(1)</script>", "0x10", "2.5e",
           "unknown_name", "[1, 2]")


@pytest.fixture
def at() -> AppTest:
    return open_app(PAGE)


#: The page's SVG charts: their ``plots.svg`` uid -> the container key's tail.
CHARTS = {"g1dfield": "field_chart", "g1ddescent": "descent_chart"}
#: A drawn value is within this of the data (a tenth of a pixel on a ~300 px axis of span ~1).
DRAWN_ATOL = 5e-4


def specs(app: AppTest) -> dict[str, dict]:
    """The page's charts by key (``field_chart``, ``descent_chart``): what each drew, read
    back from its SVG in data units (``svgplot.read_paths``), and its markup."""
    found = {}
    for uid, body in svg_charts(app).items():
        if uid in CHARTS:
            found[CHARTS[uid]] = {"paths": svgplot.read_paths(body), "svg": body}
    return found


def values(fig: dict, name: str) -> np.ndarray:
    """The y values of the line ``name`` as drawn (its polylines one after the other)."""
    return np.concatenate([y for _, y in fig["paths"][name]])


def arrows(fig: dict) -> np.ndarray:
    """(tail, tip) of every arrow shaft of the field figure, as drawn (its one path)."""
    shafts = next(v for k, v in fig["paths"].items() if k.startswith("shape:RED step"))
    return np.array([y for _, y in shafts])


def text(app: AppTest) -> str:
    return "\n".join(m.value for m in [*app.markdown, *app.caption])


def field_caption(app: AppTest) -> str:
    return next(m.value for m in app.markdown if "Mean |x − D(x)|" in m.value)


def status(app: AppTest) -> str:
    return next(m.value for m in app.markdown if m.value.startswith("**RED-GD**"))


def assert_no_nan_or_inf(app: AppTest) -> None:
    page = text(app)
    assert not re.search(r"\b(nan|inf)\b", page, re.IGNORECASE), page


def widget(app: AppTest, kind: str, key: str):
    return getattr(app, kind)(key=key)


def link_of(app: AppTest) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in app.query_params.items()}


# --------------------------------------------------------------------------- the source's point


def test_defaults_make_the_sources_point_with_a_ratio_of_at_least_3(at):
    assert at.title[0].value == "1-D gradient field"
    assert at.selectbox(key="g1d_signal").value == "varying_noise"
    assert at.selectbox(key="g1d_denoiser").value == "gaussian"
    noise = at.slider(key="g1d_noise")
    sigma = at.slider(key="g1d_sigma_d")
    assert noise.value == 25.0 and sigma.disabled and sigma.value == 25.0  # units of 1/255
    assert noise.label == glossary.label("noise_sigma") and "1/255" in noise.label
    caption = field_caption(at)
    shown = float(RATIO.search(caption).group(1))
    clean, noisy = signals.observe("varying_noise", 512, 0, 25 / 255)
    stats = field1d.gradient_field(clean, noisy, denoisers.build("gaussian", 25 / 255),
                                   noisy=signals.noisy_stretches("varying_noise", 512))
    assert shown == pytest.approx(stats.ratio, abs=0.006) and shown >= 3
    assert "on the noisy stretches" in caption and "larger on the noisy stretches" in caption
    spec = specs(at)["field_chart"]
    np.testing.assert_allclose(values(spec, "clean"), clean, atol=DRAWN_ATOL)
    np.testing.assert_allclose(values(spec, "noisy x"), noisy, atol=DRAWN_ATOL)
    shafts = arrows(spec)
    np.testing.assert_allclose(shafts[:, 0], noisy, atol=DRAWN_ATOL)  # arrows start at x ...
    np.testing.assert_allclose(shafts[:, 1], values(spec, "D(x)"),
                               atol=DRAWN_ATOL)  # ... and end at D(x)
    assert list(specs(at)) == ["field_chart"]  # no descent until asked
    assert any("\\nabla\\rho(x) = x - D(x)" in latex.value for latex in at.latex)
    assert_no_nan_or_inf(at)


@pytest.mark.parametrize("noise", [5.0, 50.0, 100.0])
def test_the_ratio_stays_above_3_across_the_noise_slider(at, noise):
    at.slider(key="g1d_noise").set_value(noise).run()
    assert float(RATIO.search(field_caption(at)).group(1)) >= 3


def test_no_noise_reads_sensibly(at):
    at.slider(key="g1d_noise").set_value(0.0).run()
    assert not at.exception
    assert_no_nan_or_inf(at)
    caption = field_caption(at)
    assert "PSNR** of x exact" in caption and "No noise" in caption
    assert "ratio **—" in caption  # the linked σ_d = 0: the denoiser changes nothing
    at.button(key="g1d_descend").click().run()  # a descent from the clean signal
    assert not at.exception
    assert_no_nan_or_inf(at)


def test_a_zero_denoiser_sigma_reads_sensibly(at):
    at.checkbox(key="g1d_link").uncheck().run()
    at.slider(key="g1d_sigma_d").set_value(0.0).run()
    assert not at.exception
    assert_no_nan_or_inf(at)
    caption = field_caption(at)
    assert "ratio **—" in caption and "unchanged" in caption
    assert "No noise" not in caption  # x is noisy: only the denoiser does nothing


# --------------------------------------------------------------------------- controls


def test_moving_the_noise_changes_the_figure_and_the_linked_denoiser_sigma(at):
    before = specs(at)["field_chart"]["svg"]
    at.slider(key="g1d_noise").set_value(50.0).run()
    assert not at.exception
    assert specs(at)["field_chart"]["svg"] != before
    assert at.slider(key="g1d_sigma_d").value == 50.0
    assert link_of(at)["g1d_noise"] == "50" and link_of(at)["g1d_sigma_d"] == "50"


def test_unlinking_lets_the_denoiser_sigma_differ(at):
    at.checkbox(key="g1d_link").uncheck().run()
    assert not at.slider(key="g1d_sigma_d").disabled
    at.slider(key="g1d_sigma_d").set_value(8.0).run()
    spec = specs(at)["field_chart"]["svg"]
    at.slider(key="g1d_noise").set_value(50.0).run()
    assert not at.exception
    assert at.slider(key="g1d_sigma_d").value == 8.0
    assert specs(at)["field_chart"]["svg"] != spec
    at.checkbox(key="g1d_link").check().run()  # linking again snaps σ_d back to the noise
    assert at.slider(key="g1d_sigma_d").value == 50.0


@pytest.mark.parametrize("name", ONE_D)
def test_every_1d_denoiser_renders_with_its_label(at, name):
    at.selectbox(key="g1d_denoiser").select(name).run()
    assert not at.exception
    assert "Mean |x − D(x)|" in text(at) and denoisers.label(name) in text(at)
    assert at.selectbox(key="g1d_denoiser").value == name


def test_every_signal_renders_and_n_2048_works(at):
    words = {"varying_noise": "noisy stretches", "chirp": "where the signal bends most",
             "bumps": "where the signal bends most"}
    for name in signals.SIGNALS:
        at.selectbox(key="g1d_signal").select(name).run()
        assert not at.exception, name
        assert words.get(name, "jump") in field_caption(at), name
        assert signals.describe(name) in text(at)
    at.slider(key="g1d_n").set_value(2048).run()
    assert not at.exception
    assert values(specs(at)["field_chart"], "D(x)").size == 2048


def test_only_1d_denoisers_are_offered_by_label(at):
    offered = at.selectbox(key="g1d_denoiser").options
    assert offered == [denoisers.label(d) for d in ONE_D if denoisers.available(d)]
    assert "BM3D" not in " ".join(offered)


# --------------------------------------------------------------------------- links


def test_every_widget_survives_a_copied_link(at):
    for key, (kind, value) in NON_DEFAULTS.items():
        widget(at, kind, key).set_value(value).run()
        assert not at.exception, key
    link = link_of(at)
    assert set(link) == set(NON_DEFAULTS)
    fresh = open_app(PAGE, link)
    for key, (kind, value) in NON_DEFAULTS.items():
        assert widget(fresh, kind, key).value == value, key
    assert not any("Link settings not used" in c.value for c in fresh.caption)
    assert field_caption(fresh) == field_caption(at)  # the same signal, noise and field


@pytest.mark.parametrize("key", list(NON_DEFAULTS))
@pytest.mark.slow
def test_hostile_url_values_fall_back_to_the_default_with_a_notice(key):
    default = open_app(PAGE)
    kind = NON_DEFAULTS[key][0]
    for value in HOSTILE:
        at = open_app(PAGE, {key: value})
        assert not at.exception, (key, value)
        notices = [c.value for c in at.caption if "Link settings not used" in c.value]
        assert len(notices) == 1 and key in notices[0], (key, value)
        assert widget(at, kind, key).value == widget(default, kind, key).value, (key, value)


# --------------------------------------------------------------------------- descent


def test_descend_animates_in_growing_chunks_and_any_control_resets_it(at):
    # AppTest never fires the fragment's timer: every run draws one frame
    at.button(key="g1d_descend").click().run()
    assert not at.exception
    figs = specs(at)
    assert set(figs) == {"field_chart", "descent_chart"}
    objective = values(figs["descent_chart"], "E(x)")
    first = objective.size - 1
    assert 1 <= first <= field1d.FIRST_CHUNK and objective[-1] < objective[0]  # E(x) goes down
    assert f"iterate x_{first}" in figs["field_chart"]["paths"]
    at.number_input(key="g1d_seed").set_value(3).run()  # a control: the descent is gone
    assert list(specs(at)) == ["field_chart"]
    at.number_input(key="g1d_step").set_value(0.05).run()  # slow steps: a long run
    at.button(key="g1d_descend").click().run()
    seen = [int(re.search(r"iteration (\d+) of", status(at)).group(1))]
    while "running" in status(at) and len(seen) < 3:
        at.run()
        seen.append(int(re.search(r"iteration (\d+) of", status(at)).group(1)))
    # each frame at most doubles the count (fewer when a frame's time budget runs out)
    steps = zip(seen, seen[1:], strict=False)
    assert all(b <= max(2 * a, a + field1d.FIRST_CHUNK) for a, b in steps), seen
    assert seen == sorted(seen) and seen[-1] > seen[0]
    at.button(key="g1d_stop").click().run()
    assert not at.exception
    stopped = f"iteration {seen[-1]} of 150: stopped after {seen[-1]} iterations"
    assert stopped in status(at)
    at.run()
    assert stopped in status(at)  # a stopped run stays where it was
    assert at.button(key="g1d_stop").disabled
    at.button(key="g1d_reset").click().run()
    assert list(specs(at)) == ["field_chart"]


def test_a_descent_runs_to_convergence_and_the_arrows_shrink(at):
    at.button(key="g1d_descend").click().run()
    for _ in range(20):
        if "running" not in status(at):
            break
        at.run()
    assert not at.exception
    assert "converged after" in status(at)
    end = arrows(specs(at)["field_chart"])
    _, noisy = signals.observe("varying_noise", 512, 0, 25 / 255)
    assert not np.allclose(end[:, 0], noisy, atol=DRAWN_ATOL)  # the field is now the iterate's
    at.button(key="g1d_reset").click().run()
    start = arrows(specs(at)["field_chart"])
    np.testing.assert_allclose(start[:, 0], noisy, atol=DRAWN_ATOL)
    length = np.abs(end[:, 1] - end[:, 0]).mean()
    assert length < 0.7 * np.abs(start[:, 1] - start[:, 0]).mean()  # ... and its arrows shrank


def test_the_divergence_message_names_the_step_fraction_control(at):
    at.number_input(key="g1d_step").set_value(2.5).run()
    control = at.number_input(key="g1d_step")
    assert control.label == glossary.label("step_fraction")
    at.button(key="g1d_descend").click().run()
    for _ in range(20):
        if "running" not in status(at):
            break
        at.run()
    message = status(at)
    assert "diverged" in message
    assert f"Lower the {glossary.term('step_fraction').name}" in message
    assert f"(now {control.value:.2f}" in message and "(now 2.50" in message
    assert "μ, now" not in message and "step, now" not in message  # not the absolute μ
