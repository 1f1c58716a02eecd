"""The project's CNN denoisers (red_core.cnn): weights from assets/, numpy inference, the
hand-written backward pass, agreement with torch, held-out quality, and what they show."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

from red_core import denoisers, solvers
from red_core import operators as ops
from red_core.denoisers import _cnn_engine, cnn
from red_core.metrics import psnr
from red_core.theory import diagnostics

ROOT = Path(__file__).resolve().parents[2]
SIGMA = 25 / 255


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    clean, noisy = cnn.held_out_pair("camera", SIGMA)
    return noisy[200:264, 200:264]


# --------------------------------------------------------------------------- loading


@pytest.mark.parametrize("name", ["cnn", "cnn_gs"])
def test_weights_load_from_assets_without_network(name, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the CNN tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    _cnn_engine.load_network.cache_clear()
    net = cnn.load(name)
    assert (ROOT / "assets" / f"{name}.npz").stat().st_size <= 2 * 1024 * 1024
    card = json.loads((ROOT / "assets" / f"{name}.json").read_text())
    assert len(net.weights) == card["architecture"]["conv_layers"] >= 6
    assert net.sigma_max == pytest.approx(50 / 255)
    assert set(card["training"]["held_out"]) >= {"camera", "astronaut", "coffee", "chelsea"}
    assert not set(card["training"]["images"]) & {"camera", "astronaut", "coffee", "chelsea",
                                                   "cat"}


def test_missing_weights_say_how_to_make_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="train/denoiser.py"):
        cnn.load("cnn", directory=tmp_path)


# --------------------------------------------------------------------------- inference


@pytest.mark.parametrize("name", ["cnn", "cnn_gs"])
@pytest.mark.parametrize("shape", [(64, 64), (33, 47), (1, 1), (2, 9), (40, 30, 3), (17, 9, 3)])
def test_inference_shape_dtype_range(name, shape):
    rng = np.random.default_rng(1)
    x = np.clip(0.5 + 0.2 * rng.standard_normal(shape), 0, 1)
    for dtype in (np.float64, np.float32):
        out = denoisers.build(name, SIGMA)(x.astype(dtype))
        assert out.shape == shape and out.dtype == np.float64
        assert np.isfinite(out).all()
        assert -0.2 < out.min() and out.max() < 1.2


@pytest.mark.parametrize("name", ["cnn", "cnn_gs"])
def test_denoising_lowers_the_error(name, image):
    clean = cnn.held_out_pair("camera", SIGMA)[0][200:264, 200:264]
    out = denoisers.build(name, SIGMA)(image)
    assert psnr(clean, out, clip=False) > psnr(clean, image, clip=False) + 4


def test_colour_is_denoised_channel_by_channel(image):
    D = denoisers.build("cnn", SIGMA)
    rgb = np.stack([image, image[::-1], image.T], axis=-1)
    out = D(rgb)
    for c in range(3):
        np.testing.assert_allclose(out[..., c], D(rgb[..., c]), atol=1e-12)


def test_sigma_is_clamped_to_the_training_range(image):
    high = denoisers.build("cnn", 80 / 255)(image)
    top = denoisers.build("cnn", 50 / 255)(image)
    np.testing.assert_allclose(high, top, atol=1e-12)
    np.testing.assert_array_equal(denoisers.build("cnn", 0.0)(image), image)


@pytest.mark.parametrize("name", ["cnn", "cnn_gs"])
def test_one_dimensional_signals_are_refused(name):
    with pytest.raises(ValueError, match="1-D signals are not supported"):
        denoisers.build(name, SIGMA)(np.zeros(32))


def test_noise_level_input_matters(image):
    weak = denoisers.build("cnn", 5 / 255)(image)
    strong = denoisers.build("cnn", 50 / 255)(image)
    assert np.linalg.norm(strong - image) > 2 * np.linalg.norm(weak - image)


# --------------------------------------------------------------------------- quality


def _card(name: str) -> dict:
    return json.loads((ROOT / "assets" / f"{name}.json").read_text())


@pytest.mark.parametrize("name", ["cnn", pytest.param("cnn_gs", marks=pytest.mark.slow)])
@pytest.mark.slow
def test_held_out_psnr_matches_the_card(name):
    table = _card(name)["held_out_psnr"]
    net = cnn.load(name)
    assert set(table) == {str(s) for s in cnn.HELD_OUT_SIGMAS}
    for level, row in table.items():
        for image_name, reported in row.items():
            if image_name == "mean":
                continue
            clean, noisy = cnn.held_out_pair(image_name, int(level) / 255)
            measured = psnr(clean, net.denoise(noisy, int(level) / 255), clip=False)
            assert measured >= reported - 0.1, (image_name, level, measured, reported)


def test_cnn_beats_the_noisy_input_clearly_on_held_out_images():
    table = _card("cnn")["held_out_psnr"]
    noisy_psnr = {15: 24.6, 25: 20.2, 50: 14.2}
    for level, row in table.items():
        assert row["mean"] > noisy_psnr[int(level)] + 7


# --------------------------------------------------------------------------- backward pass


@pytest.mark.parametrize("shape", [(12, 10), (9, 7), (8, 6, 3)])
def test_cnn_gs_gradient_matches_finite_differences(shape):
    net = cnn.load("cnn_gs")
    rng = np.random.default_rng(2)
    x = np.clip(0.5 + 0.2 * rng.standard_normal(shape), 0, 1)
    grad = net.gradient(x, SIGMA)
    for _ in range(3):
        v = rng.standard_normal(shape)
        h = 1e-5
        fd = (net.potential(x + h * v, SIGMA) - net.potential(x - h * v, SIGMA)) / (2 * h)
        assert abs(fd - np.sum(grad * v)) <= 1e-6 * max(1.0, abs(fd))
    np.testing.assert_allclose(denoisers.build("cnn_gs", SIGMA)(x), x - grad, atol=1e-14)


@pytest.mark.parametrize("name", ["cnn", "cnn_gs"])
@pytest.mark.parametrize("shape", [(10, 12), (5, 3), (1, 9), (9, 8, 3)])
def test_vjp_is_the_adjoint_of_the_jvp(name, shape):
    # Odd and tiny sides: the mirror padding to the network's stride (8 for the U-Net) is
    # part of R, so the backward pass must fold its gradient back.
    net = cnn.load(name, dtype=np.float64)  # float64: finite differences at h = 1e-7
    rng = np.random.default_rng(4)
    x = np.clip(0.5 + 0.2 * rng.standard_normal(shape), 0, 1)
    u, v = rng.standard_normal((2,) + shape)
    h = 1e-7
    jv = (net.residual(x + h * v, SIGMA) - net.residual(x - h * v, SIGMA)) / (2 * h)
    lhs, rhs = np.sum(u * jv), np.sum(net.vjp(x, SIGMA, u) * v)
    assert abs(lhs - rhs) <= 1e-6 * max(1.0, abs(lhs))


def test_cnn_gs_jacobian_is_symmetric_and_the_cnn_is_not(image):
    crop = image[:12, :12]
    e_gs = diagnostics.symmetry_error(denoisers.build("cnn_gs", SIGMA), crop, method="full")
    e_cnn = diagnostics.symmetry_error(denoisers.build("cnn", SIGMA), crop, method="full")
    assert e_gs < 1e-9
    assert e_cnn > 1e-3
    assert e_cnn > 1e6 * e_gs


def test_red_with_cnn_gs_decreases_f_plus_lambda_g_monotonically():
    clean = cnn.held_out_pair("camera", 0.0)[0][180:244, 180:244]
    blur = ops.build("gaussian_blur", clean.shape, blur_sigma=1.6)
    problem = solvers.Problem.synthesize(clean, blur, noise_sigma=0.01, seed=0)
    D = denoisers.build("cnn_gs", 5 / 255)
    result = solvers.run("red-gd", problem, D, max_iter=25, tol=0)
    assert result.status == "max_iter"
    objective = np.array([h["objective"] for h in result.history])
    assert np.all(np.diff(objective) <= 1e-9 * np.abs(objective[:-1]))
    lam = result.params["lam"]
    assert objective[-1] == pytest.approx(problem.data_fidelity(result.x)
                                          + lam * D.potential(result.x), rel=1e-10)
    psnr = [h["psnr"] for h in result.history]
    assert psnr[-1] > psnr[0]


# --------------------------------------------------------------------------- torch agreement


def _torch_model(name: str):
    torch = pytest.importorskip("torch")
    sys.path.insert(0, str(ROOT / "train"))
    try:
        import denoiser as training
    finally:
        sys.path.remove(str(ROOT / "train"))
    model = training.build_model(name)
    with np.load(ROOT / "assets" / f"{name}.npz") as arrays:
        for k, conv in enumerate(model.convs):
            conv.weight.data = torch.from_numpy(arrays[f"w{k}"])
            conv.bias.data = torch.from_numpy(arrays[f"b{k}"])
    return torch, training, model


@pytest.mark.parametrize("name", ["cnn", "cnn_gs"])
def test_numpy_matches_the_torch_forward_pass(name, image):
    torch, training, model = _torch_model(name)
    rgb = np.stack([image, image[::-1], image.T], axis=-1)
    for x in (image, rgb):
        batch = x[None, None] if x.ndim == 2 else np.moveaxis(x, -1, 0)[:, None]
        xt = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        sigma = torch.full((xt.shape[0],), SIGMA, dtype=torch.float32)
        expected = training.denoise(model, name, xt, sigma).detach().numpy()[:, 0]
        expected = expected[0] if x.ndim == 2 else np.moveaxis(expected, 0, -1)
        np.testing.assert_allclose(denoisers.build(name, SIGMA)(x), expected, atol=1e-5)


def test_numpy_pads_odd_sizes_like_torch_on_the_mirrored_image(image):
    # The U-Net needs sides that are multiples of 8: the numpy inference mirrors the image.
    torch, training, model = _torch_model("cnn")
    x = image[:37, :45]
    assert cnn.load("cnn").stride == 8
    padded = np.pad(x, ((0, 3), (0, 3)), mode="symmetric")
    xt = torch.from_numpy(np.ascontiguousarray(padded[None, None], dtype=np.float32))
    sigma = torch.full((1,), SIGMA, dtype=torch.float32)
    expected = training.denoise(model, "cnn", xt, sigma).detach().numpy()[0, 0, :37, :45]
    np.testing.assert_allclose(denoisers.build("cnn", SIGMA)(x), expected, atol=1e-5)


def test_convolution_in_chunks_equals_one_piece():
    rng = np.random.default_rng(5)
    h = rng.standard_normal((2, 9, 11, 4))
    w, b = rng.standard_normal((36, 5)), rng.standard_normal(5)
    whole = _cnn_engine._conv(h, w, b, max_pixels=10**9)
    for max_pixels in (1, 7, 11, 30):
        np.testing.assert_allclose(_cnn_engine._conv(h, w, b, max_pixels=max_pixels), whole,
                                   atol=1e-12)
    # against a direct sum over the 3×3 taps (torch's cross-correlation, zero padding)
    padded = np.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)))
    taps = w.reshape(3, 3, 4, 5)
    direct = sum(padded[:, dy: dy + 9, dx: dx + 11] @ taps[dy, dx]
                 for dy in range(3) for dx in range(3)) + b
    np.testing.assert_allclose(whole, direct, atol=1e-12)
