"""Tests of red_core.denoisers: the contract, the maths of the Gaussian, the calibration."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import json

import numpy as np
import pytest
from scipy import ndimage
from skimage import data, transform
from skimage.metrics import peak_signal_noise_ratio

from red_core import denoisers

BUILTINS = ("gaussian", "median", "tv", "wavelet", "bilateral", "nlm", "bm3d")
ONE_D = tuple(n for n in BUILTINS if n != "bm3d")
RNG = np.random.default_rng(12)
SIGNAL = np.clip(np.repeat([0.2, 0.8, 0.5, 0.1], 16) + 0.02 * RNG.standard_normal(64), 0, 1)
GREY = RNG.random((24, 20))
COLOUR = RNG.random((24, 20, 3))
BM3D_GREY = RNG.random((32, 32))  # bm3d's blocks need a little more room
BM3D_COLOUR = RNG.random((32, 32, 3))


def psnr(clean: np.ndarray, estimate: np.ndarray) -> float:
    return float(peak_signal_noise_ratio(clean, estimate, data_range=1))


def inputs(name: str) -> list[np.ndarray]:
    return [BM3D_GREY, BM3D_COLOUR] if name == "bm3d" else [SIGNAL, GREY, COLOUR]


FACTORS = {"red": 2.0, "pnp-split": 8.0, "pnp-pgd": 0.4}


@pytest.fixture
def restore_registry():
    """Undo registrations made by a test."""
    saved = denoisers.names()
    yield
    for name in set(denoisers.names()) - set(saved):
        denoisers.unregister(name)


# --------------------------------------------------------------------------- contract


def test_names_and_registry_agree():
    assert denoisers.NAMES[: len(BUILTINS)] == BUILTINS
    assert denoisers.NAMES == denoisers.names()


@pytest.mark.parametrize("name", BUILTINS)
def test_shape_dtype_and_counters(name):
    d = denoisers.build(name, 15 / 255)
    assert d.calls == 0 and d.seconds == 0.0
    for x in inputs(name):
        y = d(x)
        assert y.shape == x.shape and y.dtype == np.float64
        assert np.isfinite(y).all()
    assert d.calls == len(inputs(name)) and d.seconds > 0
    d.reset_counters()
    assert d.calls == 0 and d.seconds == 0.0
    assert name in repr(d)


@pytest.mark.parametrize("name", BUILTINS)
def test_integer_and_float32_input(name):
    d = denoisers.build(name, 25 / 255)
    x = inputs(name)[0]
    as_uint8 = (x * 255).astype(np.uint8)
    assert d(as_uint8).dtype == np.float64  # values not rescaled, only converted
    np.testing.assert_allclose(d(x.astype(np.float32)), d(x.astype(np.float32).astype(float)))


@pytest.mark.parametrize("name", BUILTINS)
def test_deterministic(name):
    d = denoisers.build(name, 25 / 255)
    for x in inputs(name)[:1 if name == "bm3d" else None]:  # bm3d: ~1 s per call
        np.testing.assert_array_equal(d(x), d(x.copy()))


@pytest.mark.parametrize("name", BUILTINS)
def test_constant_outside_unit_range_is_kept(name):
    """No clipping to [0, 1] inside the denoisers: constants are fixed points."""
    d = denoisers.build(name, 25 / 255)
    atol = 1e-3 if name == "bm3d" else 1e-6  # bm3d works in float32 internally
    for c in (1.3, -0.2):
        np.testing.assert_allclose(d(np.full((32, 32), c)), c, atol=atol)


@pytest.mark.parametrize("name", BUILTINS)
def test_sigma_zero_is_identity_copy(name):
    d = denoisers.build(name, 0)
    assert d.params == {}
    for x in inputs(name):
        y = d(x)
        np.testing.assert_array_equal(y, x)
        assert not np.shares_memory(y, x)
    assert d.calls == len(inputs(name))


@pytest.mark.parametrize("sigma", [-0.1, np.nan, np.inf, "0.1", None, True, 1j])
def test_bad_sigma(sigma):
    with pytest.raises(ValueError, match="sigma must be a finite number >= 0"):
        denoisers.build("tv", sigma)


def test_unknown_name_lists_allowed():
    with pytest.raises(ValueError, match="unknown denoiser 'dncnn'.*gaussian.*bm3d"):
        denoisers.build("dncnn", 0.1)
    with pytest.raises(ValueError, match="choose one of"):
        denoisers.describe("nope")


def test_unknown_param_lists_accepted():
    with pytest.raises(ValueError, match=r"unknown parameter.*\['lam'\].*'tv'.*weight"):
        denoisers.build("tv", 0.1, lam=3)


@pytest.mark.parametrize(("name", "params"), [
    ("gaussian", {"std": -1.0}), ("median", {"radius": 0}), ("tv", {"weight": "a"}),
    ("wavelet", {"method": "Bayes"}), ("nlm", {"patch_size": 4}), ("bm3d", {"profile": "x"}),
    ("bilateral", {"sigma_color": 0.0}),
])
def test_bad_param_values(name, params):
    with pytest.raises(ValueError, match=next(iter(params))):
        denoisers.build(name, 0.1, **params)


@pytest.mark.parametrize("x", [
    np.ones((4, 4, 4, 1)), np.ones((8, 8, 4)), np.ones((3, 3), complex), np.array([]),
    np.array([[0.1, np.nan]]), np.array(["a"]),
])
def test_bad_input(x):
    with pytest.raises(ValueError, match="x "):
        denoisers.build("gaussian", 0.1)(x)


def test_bm3d_needs_an_image():
    with pytest.raises(ValueError, match="needs an image"):
        denoisers.build("bm3d", 0.1)(SIGNAL)


def test_bm3d_missing_package(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda m: None if m == "bm3d" else real(m))
    assert not denoisers.available("bm3d")
    assert denoisers.available("tv")
    with pytest.raises(ImportError, match="bm3d"):
        denoisers.build("bm3d", 0.1)


def test_flags_and_describe():
    for name in BUILTINS:
        info = denoisers.describe(name, 15 / 255)
        assert info["linear"] == info["symmetric"] == (name == "gaussian")
        assert info["supports_1d"] == (name != "bm3d")
        assert info["description"] and info["available"]
        assert set(info["params"]) == set(info["accepted"])
        d = denoisers.build(name, 15 / 255)
        assert d.params == info["params"]
        assert (d.linear, d.symmetric) == (info["linear"], info["symmetric"])


# --------------------------------------------------------------------------- gaussian maths


@pytest.mark.parametrize("x", [SIGNAL, GREY, COLOUR], ids=["1d", "grey", "colour"])
def test_gaussian_is_exactly_linear(x):
    d = denoisers.build("gaussian", 25 / 255)
    z = np.random.default_rng(1).standard_normal(x.shape)
    a, b = 0.7, -1.9
    np.testing.assert_allclose(d(a * x + b * z), a * d(x) + b * d(z), rtol=0, atol=1e-12)


@pytest.mark.parametrize("sigma", [5 / 255, 50 / 255])
def test_gaussian_jacobian_is_symmetric(sigma):
    d = denoisers.build("gaussian", sigma)
    n = 40
    J = np.stack([d(e) for e in np.eye(n)], axis=1)  # linear: columns are D(e_i)
    assert np.abs(J - J.T).max() < 1e-12
    assert np.abs(J.sum(axis=0) - 1).max() < 1e-12  # circular: mass preserving


def test_gaussian_does_not_mix_colours():
    d = denoisers.build("gaussian", 25 / 255)
    y = d(COLOUR)
    for c in range(3):
        np.testing.assert_allclose(y[..., c], d(COLOUR[..., c]), atol=1e-15)


def test_bilateral_is_a_centred_gaussian_for_large_sigma_color():
    """The reason the bilateral is hand-written: its spatial kernel must be centred."""
    impulse = np.zeros((15, 15))
    impulse[7, 7] = 1.0
    y = denoisers.build("bilateral", 0.1, sigma_color=1e6, sigma_spatial=1.0)(impulse)
    expected = ndimage.gaussian_filter(impulse, 1.0, mode="constant", truncate=3.0)
    np.testing.assert_allclose(y, expected, atol=1e-12)


@pytest.mark.parametrize("name", ONE_D)
def test_one_d_denoising_helps(name):
    clean = np.repeat([0.2, 0.8, 0.5, 0.1, 0.6], 50) + 0.1 * np.sin(np.arange(250) / 9)
    sigma = 25 / 255
    noisy = clean + sigma * np.random.default_rng(3).standard_normal(clean.size)
    assert psnr(clean, denoisers.build(name, sigma)(noisy)) > psnr(clean, noisy) + 3


# --------------------------------------------------------------------------- registry


def test_register_a_new_denoiser(restore_registry):
    def shrink(sigma, *, factor=0.5):
        return lambda x: factor * x

    spec = denoisers.DenoiserSpec("shrink", "Shrink", shrink, colour="#123456",
                                  sigma_factor=FACTORS, linear=True, symmetric=True,
                                  description="Multiplies by a factor.")
    denoisers.register(spec)
    assert denoisers.NAMES[-1] == "shrink" == denoisers.names()[-1]
    d = denoisers.build("shrink", 0.1, factor=0.25)
    np.testing.assert_allclose(d(GREY), 0.25 * GREY)
    assert d.params == {"factor": 0.25} and d.linear
    assert denoisers.build("shrink", 0.1).params == {"factor": 0.5}
    with pytest.raises(ValueError, match="accepted: factor"):
        denoisers.build("shrink", 0.1, scale=2)
    with pytest.raises(ValueError, match="already registered"):
        denoisers.register(spec)
    with pytest.raises(ValueError, match="lower-case identifier"):
        denoisers.register(dataclasses.replace(spec, name="Bad name"))
    with pytest.raises(ValueError, match="sigma_factor"):
        denoisers.register(dataclasses.replace(spec, name="nofactor", sigma_factor={"red": 1}))
    with pytest.raises(ValueError, match="colour"):
        denoisers.register(dataclasses.replace(spec, name="nocolour", colour="red"))


def test_register_required_param_without_calibration(restore_registry):
    denoisers.register(denoisers.DenoiserSpec(
        "scaled", "Scaled", lambda sigma, *, alpha: (lambda x: alpha * x), colour="#654321",
        sigma_factor=FACTORS, linear=True, symmetric=True, description="", supports_1d=False))
    with pytest.raises(ValueError, match="needs parameter"):
        denoisers.build("scaled", 0.1)
    with pytest.raises(ValueError, match="needs an image"):
        denoisers.build("scaled", 0.1, alpha=2.0)(SIGNAL)


# --------------------------------------------------------------------------- calibration


def test_calibration_table_matches_the_grids():
    table = denoisers.load_calibration()["denoisers"]
    for name in BUILTINS:
        grid = denoisers.calibration_grid(name)
        stored = table[name]["grid"]
        assert {k: (tuple(v["values"]), v["per_sigma"]) for k, v in stored.items()} == {
            k: (g.values, g.per_sigma) for k, g in grid.items()}, f"re-run calibration: {name}"
        np.testing.assert_allclose(table[name]["sigmas"], denoisers.CALIBRATION_SIGMAS)
        assert len(table[name]["best"]) == len(denoisers.CALIBRATION_SIGMAS)
    json.dumps(table)  # plain data


def test_build_uses_the_calibration_and_interpolates():
    entry = denoisers.load_calibration()["denoisers"]["tv"]
    sigmas, factors = entry["sigmas"], [b["weight"] for b in entry["best"]]
    for s, f in zip(sigmas, factors, strict=True):
        assert denoisers.build("tv", s).params["weight"] == pytest.approx(f * s)
    mid = float(np.sqrt(sigmas[2] * sigmas[3]))  # halfway in log σ
    assert denoisers.build("tv", mid).params["weight"] == pytest.approx(
        mid * (factors[2] + factors[3]) / 2)
    # Clamped at the ends (the factor of σ is kept).
    assert denoisers.build("tv", sigmas[0] / 10).params["weight"] == pytest.approx(
        factors[0] * sigmas[0] / 10)
    assert denoisers.build("tv", 0.9).params["weight"] == pytest.approx(factors[-1] * 0.9)
    # User overrides win; categorical values come from the nearest level.
    assert denoisers.build("tv", mid, weight=0.5).params["weight"] == 0.5
    wavelet = denoisers.load_calibration()["denoisers"]["wavelet"]["best"]
    assert denoisers.build("wavelet", 0.9).params["wavelet"] == wavelet[-1]["wavelet"]


TEST_IMAGES = ("camera", "coins", "brick", "moon")
TEST_SIGMAS = (5 / 255, 15 / 255, 25 / 255, 50 / 255)


def _test_crops(size: int, names: tuple[str, ...] = TEST_IMAGES) -> list[np.ndarray]:
    """Off-centre crops of the 256×256 images (the calibration saw other noise draws)."""
    crops = []
    for name in names:
        image = getattr(data, name)().astype(float) / 255
        side = min(image.shape)
        top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
        image = transform.resize(image[top: top + side, left: left + side], (256, 256),
                                 anti_aliasing=True)
        crops.append(image[140: 140 + size, 20: 20 + size])
    return crops


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow)
                                  if n in ("bm3d", "bilateral") else n for n in BUILTINS])
@pytest.mark.slow
def test_calibrated_psnr_is_near_the_best_of_the_grid(name):
    """Calibrated parameters are within 0.3 dB (mean PSNR) of the grid's best on new data."""
    # bm3d (~0.5 s per call): 64×64 crops of three images, three grid points around σ.
    clean = _test_crops(64, TEST_IMAGES[:3]) if name == "bm3d" else _test_crops(96)
    for level, sigma in enumerate(TEST_SIGMAS):
        rng = np.random.default_rng([7, level])
        noisy = [c + sigma * rng.standard_normal(c.shape) for c in clean]
        scores: dict[str, float] = {}

        def mean_psnr(params, sigma=sigma, noisy=noisy, scores=scores):
            d = denoisers.build(name, sigma, **params)
            key = repr(d.params)  # the calibrated point is usually a grid point: reuse it
            if key not in scores:
                scores[key] = np.mean([psnr(c, d(y)) for c, y in zip(clean, noisy, strict=True)])
            return scores[key]

        grid = denoisers.grid_params(name, sigma)
        if name == "bm3d":
            grid = [p for p in grid if 0.85 * sigma < p["sigma_psd"] < 1.15 * sigma]
        best = max(mean_psnr(p) for p in grid)
        calibrated = mean_psnr(denoisers.build(name, sigma).params)
        assert calibrated >= best - 0.3, (name, round(sigma * 255), calibrated, best)


def test_grid_params_expand_the_product():
    grid = denoisers.calibration_grid("bilateral")
    combos = denoisers.grid_params("bilateral", 0.1)
    assert len(combos) == len(list(itertools.product(*(g.values for g in grid.values()))))
    assert combos[0]["sigma_color"] == pytest.approx(grid["sigma_color"].values[0] * 0.1)
    assert combos[0]["sigma_spatial"] == grid["sigma_spatial"].values[0]


def test_bm3d_refuses_tiny_images_instead_of_crashing():
    if not denoisers.available("bm3d"):
        pytest.skip("bm3d is not installed")
    with pytest.raises(ValueError, match="at least 16"):
        denoisers.build("bm3d", 0.1)(np.zeros((8, 8)))
