"""Tests of red_core.signals: 1-D test signals, noise and jump masks."""

import numpy as np
import pytest

from red_core import signals
from red_core.signals import SIGNALS, describe, jump_mask, jump_positions, make, noisy

LENGTHS = (16, 17, 31, 64, 100, 511, 512, 2048, 4096)
SEEDED = ("piecewise_constant", "piecewise_smooth", "bumps")
WITH_JUMPS = ("piecewise_constant", "piecewise_smooth", "sine_with_jumps")


@pytest.mark.parametrize("name", SIGNALS)
def test_shape_dtype_range(name):
    for n in LENGTHS:
        for seed in range(5):
            x = make(name, n, seed)
            assert x.shape == (n,) and x.dtype == np.float64
            assert np.all(np.isfinite(x))
            assert x.min() >= 0.1 - 1e-12 and x.max() <= 0.9 + 1e-12
            assert x.max() - x.min() > 0.3  # not flat: something to denoise


@pytest.mark.parametrize("name", SIGNALS)
def test_deterministic_per_seed(name):
    np.testing.assert_array_equal(make(name, 300, 7), make(name, 300, 7))
    np.testing.assert_array_equal(make(name), make(name, 512, 0))


@pytest.mark.parametrize("name", SEEDED)
def test_different_seeds_differ(name):
    outs = [make(name, 256, seed) for seed in range(6)]
    for i in range(len(outs)):
        for j in range(i):
            assert np.abs(outs[i] - outs[j]).max() > 0.05


@pytest.mark.parametrize("name", ("sine_with_jumps", "chirp", "varying_noise"))
def test_unseeded_signals_ignore_seed(name):
    np.testing.assert_array_equal(make(name, 256, 0), make(name, 256, 3))


@pytest.mark.parametrize("name", WITH_JUMPS)
def test_jumps_scale_with_n(name):
    # jump positions are fractions of n, so the picture is the same at every length
    for seed in range(3):
        small = jump_positions(name, 128, seed) / 128
        large = jump_positions(name, 2048, seed) / 2048
        assert len(small) == len(large) >= 2
        np.testing.assert_allclose(small, large, atol=1 / 128)


@pytest.mark.parametrize("name", SIGNALS)
def test_jump_threshold_separates_jumps_from_smooth_parts(name):
    for n in LENGTHS:
        for seed in range(8):
            x = make(name, n, seed)
            steps = np.abs(np.diff(x))
            at_jump = np.zeros(n - 1, dtype=bool)
            at_jump[jump_positions(name, n, seed) - 1] = True
            assert np.all(steps[~at_jump] < 0.1)
            assert np.all(steps[at_jump] > 0.21)
            np.testing.assert_array_equal(
                np.flatnonzero(steps > signals.JUMP_THRESHOLD) + 1, jump_positions(name, n, seed)
            )


@pytest.mark.parametrize("name", SIGNALS)
def test_jump_mask_finds_the_jumps(name):
    for n in (16, 64, 512, 2048):
        for seed in range(4):
            x = make(name, n, seed)
            starts = jump_positions(name, n, seed)
            for width in (1, 3, 5):
                expected = np.zeros(n, dtype=bool)
                for b in starts:
                    expected[max(0, b - width) : b + width] = True
                np.testing.assert_array_equal(jump_mask(x, width), expected)
            if name in WITH_JUMPS:
                assert jump_mask(x).any()
                assert n < 64 or not jump_mask(x).all()  # 5 jumps can cover n = 16
            else:
                assert not jump_mask(x).any()


def test_jump_mask_hand_made_signal():
    x = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2])
    expected = np.array([0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0], dtype=bool)
    np.testing.assert_array_equal(jump_mask(x, width=1), expected)
    np.testing.assert_array_equal(jump_mask(x, width=2), [0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1])
    # a jump at the very edge is clipped to the signal
    np.testing.assert_array_equal(jump_mask(np.array([0.0, 1.0, 1.0, 1.0]), 2), [1, 1, 1, 0])
    # a smaller threshold finds smaller steps
    ramp = np.array([0.0, 0.1, 0.2])
    assert not jump_mask(ramp).any() and jump_mask(ramp, threshold=0.05).all()


def test_noisy_statistics_and_seeding():
    clean = make("piecewise_smooth", 4096, 1)
    for sigma in (0.02, 0.1, 0.3):
        y = noisy(clean, sigma, seed=5)
        residual = y - clean
        assert y.shape == clean.shape and y.dtype == np.float64
        # std of the sample std is sigma / sqrt(2 n) ≈ 1.1 % of sigma: allow 5 %
        assert abs(residual.std() / sigma - 1.0) < 0.05
        assert abs(residual.mean()) < 5 * sigma / np.sqrt(clean.size)
        np.testing.assert_array_equal(y, noisy(clean, sigma, seed=5))
        assert not np.array_equal(y, noisy(clean, sigma, seed=6))
    np.testing.assert_array_equal(noisy(clean, 0.0), clean)
    assert noisy(clean, 0.5).min() < 0.0  # not clipped: the noise stays Gaussian


def test_describe_and_label():
    for name in SIGNALS:
        text = describe(name)
        assert isinstance(text, str) and text.endswith(".") and len(text) > 20
    assert [signals.label(name) for name in SIGNALS] == [
        "Piecewise constant", "Piecewise smooth", "Sine with jumps", "Chirp", "Bumps",
        "Varying noise"]


# --------------------------------------------------------------------------- varying noise


@pytest.mark.parametrize("n", LENGTHS)
def test_noise_profile_has_unit_rms_and_quiet_and_noisy_stretches(n):
    profile = signals.noise_profile("varying_noise", n)
    assert profile.shape == (n,) and np.all(profile > 0)
    assert np.sqrt(np.mean(profile**2)) == pytest.approx(1.0)  # σ is the RMS noise level
    assert set(np.round(profile / profile.min(), 9)) == {1.0, signals.NOISE_CONTRAST}
    loud = signals.noisy_stretches("varying_noise", n)
    np.testing.assert_array_equal(loud, profile > 1)
    # quiet, noisy, quiet, noisy, quiet: two noisy stretches, starting at 20 % and 60 % of n
    starts = np.flatnonzero(np.diff(loud.astype(int)) == 1) + 1
    ends = np.flatnonzero(np.diff(loud.astype(int)) == -1) + 1
    np.testing.assert_array_equal(starts, np.floor(np.array([0.2, 0.6]) * n).astype(int))
    np.testing.assert_array_equal(ends, np.floor(np.array([0.4, 0.8]) * n).astype(int))
    assert not loud[0] and not loud[-1]


@pytest.mark.parametrize("name", [s for s in SIGNALS if s != "varying_noise"])
def test_other_signals_have_white_noise(name):
    np.testing.assert_array_equal(signals.noise_profile(name, 100), np.ones(100))
    assert not signals.noisy_stretches(name, 100).any()
    clean, y = signals.observe(name, 100, 3, 0.1)
    np.testing.assert_array_equal(clean, make(name, 100, 3))
    np.testing.assert_array_equal(y, noisy(clean, 0.1, seed=3))


def test_observe_varying_noise_draws_loud_and_quiet_noise():
    clean, y = signals.observe("varying_noise", 4096, seed=2, sigma=0.1)
    profile = signals.noise_profile("varying_noise", 4096)
    np.testing.assert_array_equal(clean, make("varying_noise", 4096))
    np.testing.assert_array_equal(y, noisy(clean, 0.1, 2, profile))
    noise = y - clean
    loud = signals.noisy_stretches("varying_noise", 4096)
    assert noise.std() == pytest.approx(0.1, rel=0.05)  # σ is the RMS over the whole signal
    assert noise[loud].std() == pytest.approx(0.1 * profile.max(), rel=0.06)
    assert noise[~loud].std() == pytest.approx(0.1 * profile.min(), rel=0.06)
    np.testing.assert_array_equal(signals.observe("varying_noise", 64, 0, 0.0)[1],
                                  make("varying_noise", 64))


def test_noisy_with_a_profile_scales_each_sample():
    clean = np.zeros(6)
    profile = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0])
    base = noisy(clean, 0.3, seed=4)
    np.testing.assert_allclose(noisy(clean, 0.3, seed=4, profile=profile), base * profile)
    with pytest.raises(ValueError, match="profile has shape"):
        noisy(clean, 0.1, profile=np.ones(5))
    with pytest.raises(ValueError, match="profile must contain finite values >= 0"):
        noisy(clean, 0.1, profile=-profile)
    with pytest.raises(ValueError, match="profile must contain finite values >= 0"):
        noisy(clean, 0.1, profile=np.full(6, np.nan))
    with pytest.raises(ValueError, match="allowed"):
        signals.noise_profile("square")
    with pytest.raises(ValueError, match="n must be an integer"):
        signals.noisy_stretches("varying_noise", 8)


@pytest.mark.parametrize("bad_n", (15, 4097, 0, -5, 100.0, True, "64"))
def test_bad_n_raises(bad_n):
    with pytest.raises(ValueError, match="n must be an integer from 16 to 4096"):
        make("chirp", bad_n)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="allowed: piecewise_constant, piecewise_smooth"):
        make("square")
    with pytest.raises(ValueError, match="allowed: piecewise_constant"):
        describe("square")
    with pytest.raises(ValueError, match="allowed"):
        jump_positions("square")
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        make("bumps", 64, -1)
    with pytest.raises(ValueError, match="sigma must be a finite number >= 0"):
        noisy(np.zeros(16), -0.1)
    with pytest.raises(ValueError, match="sigma"):
        noisy(np.zeros(16), np.nan)
    with pytest.raises(ValueError, match="finite"):
        noisy(np.array([0.0, np.inf]), 0.1)
    with pytest.raises(ValueError, match="width must be an integer >= 1"):
        jump_mask(np.zeros(16), 0)
    with pytest.raises(ValueError, match="1-D signal"):
        jump_mask(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="threshold"):
        jump_mask(np.zeros(16), 2, threshold=0.0)
