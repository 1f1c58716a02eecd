"""The classical baselines (red_core.baselines) and the defaults against them on held-out images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from skimage.restoration import wiener as skimage_wiener

from red_core import baselines, denoisers, images, metrics, operators, solvers
from red_core.operators.base import Operator
from red_core.problem import Problem, make_problem

#: What baseline() returns per registered degradation (a problem with a truth).
EXPECTED = {
    "denoise": "Wiener (oracle)", "gaussian_blur": "Wiener (oracle)",
    "uniform_blur": "Wiener (oracle)", "motion_blur": "Wiener (oracle)",
    "super_resolution": "bicubic", "inpainting": "interpolation",
}


def _problem(degradation: str, size: int = 64, noise: float = 0.01, image: str = "camera",
             **params) -> Problem:
    return make_problem(images.builtin(image, size), degradation, noise, 0, **params)


def _closed_form(y: np.ndarray, kernel: np.ndarray, balance: float) -> np.ndarray:
    """The Wiener–Hunt filter written out with numpy's full FFT (kernel centred at (0, 0))."""
    def tf(k: np.ndarray) -> np.ndarray:
        padded = np.zeros(y.shape[:2])
        padded[:k.shape[0], :k.shape[1]] = k
        return np.fft.fft2(np.roll(padded, (-(k.shape[0] // 2), -(k.shape[1] // 2)), (0, 1)))

    h, lap = tf(kernel), tf(baselines.LAPLACIAN)
    filt = np.conj(h) / (np.abs(h) ** 2 + balance * np.abs(lap) ** 2)
    if y.ndim == 3:
        filt = filt[..., None]
    return np.fft.ifft2(np.fft.fft2(y, axes=(0, 1)) * filt, axes=(0, 1)).real


@pytest.mark.parametrize("degradation", ["gaussian_blur", "uniform_blur", "motion_blur"])
def test_oracle_wiener_beats_the_blurred_input(degradation):
    p = _problem(degradation)
    x, balance = baselines.oracle_wiener(p)
    assert metrics.psnr(p.truth, x) > metrics.psnr(p.truth, p.y) + 1.0
    assert balance in baselines.BALANCES


@pytest.mark.parametrize("degradation,params", [
    ("motion_blur", {"length": 9, "angle": 30}),  # an asymmetric kernel: orientation matters
    ("gaussian_blur", {"blur_sigma": 2.0}),
])
def test_wiener_equals_the_closed_form_and_skimage(degradation, params):
    p = _problem(degradation, size=48, **params)
    x = baselines.wiener(p.y, baselines.transfer(p.A), 0.02)
    assert np.allclose(x, _closed_form(p.y, p.A.kernel, 0.02), atol=1e-12)
    assert np.allclose(x, skimage_wiener(p.y, p.A.kernel, 0.02, clip=False), atol=1e-12)


def test_wiener_on_colour_filters_each_channel_alike():
    truth = images.builtin("astronaut", 48)
    p = make_problem(truth, "gaussian_blur", 0.01)
    x = baselines.wiener(p.y, baselines.transfer(p.A), 0.01)
    assert x.shape == truth.shape
    assert np.allclose(x, _closed_form(p.y, p.A.kernel, 0.01), atol=1e-12)
    assert np.allclose(x[..., 1], baselines.wiener(p.y[..., 1], baselines.transfer(p.A), 0.01))


def test_the_oracle_balance_is_the_best_of_its_grid():
    p = _problem("motion_blur")
    grid = np.logspace(-5, 0, 11)
    x, balance = baselines.oracle_wiener(p, grid)
    scores = [metrics.psnr(p.truth, baselines.wiener(p.y, baselines.transfer(p.A), b))
              for b in grid]
    assert balance == grid[int(np.argmax(scores))]
    assert metrics.psnr(p.truth, x) == pytest.approx(max(scores), abs=1e-12)
    # An interior optimum: the grid brackets it (neither the inverse filter nor flat).
    assert 0 < int(np.argmax(scores)) < len(grid) - 1


def test_noise_wiener_balance_follows_the_noise_and_needs_no_truth():
    p = _problem("uniform_blur", noise=0.02)
    x, balance = baselines.noise_wiener(p)
    assert balance == pytest.approx(baselines.WIENER_KAPPA * 0.02**2)
    blind = Problem(p.A, p.y, p.noise_sigma)  # no truth
    image, name = baselines.baseline(blind)
    assert name == "Wiener (σ rule)" and np.allclose(image, x)
    assert metrics.psnr(p.truth, x) > metrics.psnr(p.truth, p.y)
    with pytest.raises(ValueError, match="truth"):
        baselines.oracle_wiener(blind)


def test_interpolation_and_bicubic_are_where_the_solvers_start():
    inpaint = _problem("inpainting")
    assert np.array_equal(baselines.interpolation(inpaint), inpaint.x0)
    assert np.array_equal(baselines.interpolation(inpaint), inpaint.A.fill(inpaint.y))
    sr = _problem("super_resolution", factor=3)
    assert np.array_equal(baselines.bicubic(sr), sr.x0)
    assert np.array_equal(baselines.bicubic(sr), sr.A.upsample(sr.y))
    with pytest.raises(TypeError):
        baselines.bicubic(inpaint)
    with pytest.raises(TypeError):
        baselines.interpolation(sr)
    with pytest.raises(TypeError):
        baselines.transfer(sr.A)


@pytest.mark.parametrize("degradation", operators.names())
def test_baseline_dispatches_for_every_registered_degradation(degradation):
    p = _problem(degradation)
    image, name = baselines.baseline(p)
    assert name == EXPECTED[degradation]
    assert image.shape == p.shape and np.isfinite(image).all()
    if degradation == "denoise":
        # Denoising: the Wiener filter with ĥ = 1, i.e. linear Laplacian-prior smoothing.
        x, _ = baselines.oracle_wiener(p)
        assert np.array_equal(image, x)
        assert metrics.psnr(p.truth, image) >= metrics.psnr(p.truth, p.y)


def test_an_unregistered_operator_gets_the_start():
    class Scale(Operator):
        name = "scale"

        def forward(self, x):
            return 0.5 * x

        adjoint = forward

    truth = images.builtin("camera", 32)
    p = Problem.synthesize(truth, Scale(truth.shape, truth.shape, {}), 0.01)
    image, name = baselines.baseline(p)
    assert name == "start" and np.array_equal(image, p.x0)


# --------------------------------------------------------------- the defaults, held out


@pytest.mark.parametrize("degradation", operators.names())
def test_defaults_beat_the_baseline_on_a_held_out_image(degradation):
    """Issue 13's target at a tiny size: on camera (not in the tuning set of
    bench/red_defaults.py: moon, coins, brick, gravel), RED-FP + TV and PnP-ADMM + TV at every
    default (σ_d suggested, λ / β / steps, 40 iterations as the Restore page) beat the
    classical baseline by ≥ 1 dB. (The bench measures five held-out images at 256²; a pure
    texture such as grass at 64² is where TV loses to the Wiener filter.)"""
    p = _problem(degradation, size=64, image="camera")
    base = metrics.psnr(p.truth, baselines.baseline(p)[0])
    for method in ("red-fp", "pnp-admm"):
        D = denoisers.build("tv", solvers.default_denoiser_sigma(p, method, "tv"))
        result = solvers.run(method, p, D, max_iter=40, stats=False)
        assert metrics.psnr(p.truth, result.x) > base + 1.0, method


def test_the_degradation_scales_reach_the_suggested_sigma():
    """``red_sigma_scale`` multiplies RED's suggested σ_d, ``pnp_sigma_scale`` that of PnP-ADMM
    and PnP-HQS (β = 1/σ_d² follows), and PnP-PGD keeps its own factor."""
    p = _problem("denoise", noise=0.01)
    spec = operators.entry("denoise")
    s = p.sigma_eff
    for method, group, scale in (("red-fp", "red", spec.red_sigma_scale(s)),
                                 ("pnp-admm", "pnp-split", spec.pnp_sigma_scale(s)),
                                 ("pnp-hqs", "pnp-split", spec.pnp_sigma_scale(s)),
                                 ("pnp-pgd", "pnp-pgd", 1.0)):
        expected = np.clip(denoisers.sigma_factor("tv", group) * scale * s, *solvers.SIGMA_D_RANGE)
        assert solvers.default_denoiser_sigma(p, method, "tv") == pytest.approx(expected), method
    D = denoisers.build("tv", solvers.default_denoiser_sigma(p, "pnp-admm", "tv"))
    assert solvers.default_params("pnp-admm", p, D)["beta"] == pytest.approx(1 / D.sigma**2)
    assert spec.pnp_sigma_scale(s) != 1.0  # denoising's PnP σ_d is not the blurs' 10 σₑ


def test_the_defaults_bench_suggests_the_library_sigma(monkeypatch):
    """bench/red_defaults.py recomputes today's σ_d for its cells; it must be the library's
    own (``solvers.default_denoiser_sigma``, plateau and per-denoiser exceptions included),
    or its "now" rows measure another default than the pages use."""
    bench = Path(__file__).resolve().parents[2] / "bench"
    monkeypatch.syspath_prepend(str(bench))
    import red_defaults

    rng = np.random.default_rng(0)
    for degradation in operators.names():
        for noise in (0.0, 0.01, 25 / 255):
            p = make_problem(rng.random((48, 48)), degradation, noise, 0)
            for denoiser in ("tv", "wavelet"):
                for method in ("red-fp", "pnp-admm", "pnp-pgd"):
                    library = 255 * solvers.default_denoiser_sigma(p, method, denoiser)
                    assert red_defaults._sigma(method, denoiser, degradation, noise) == \
                        pytest.approx(library), (degradation, noise, denoiser, method)
