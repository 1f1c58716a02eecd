"""1-D test signals for the "1-D gradient field" page.

Every clean signal lives in [0.1, 0.9] (so added noise stays visible inside [0, 1]) and is
built to look the same at any length ``n`` (16 to 4096): jump positions are fractions of
``n``, smooth parts change by less than 0.1 between neighbouring samples and every jump is
higher than 0.21, so :func:`jump_mask` finds the discontinuities of a clean signal by
thresholding ``|diff|`` at :data:`JUMP_THRESHOLD` = 0.15.

Noise is white and Gaussian, ``σ`` at every sample, except for ``varying_noise``: there the
noise level changes along the signal (:func:`noise_profile`), quiet stretches alternate with
noisy ones (:func:`noisy_stretches`) over one gentle wave, and ``σ`` is the noise's RMS over
the whole signal. :func:`observe` draws the clean signal and its noisy observation together.

Examples
--------
>>> from red_core import signals
>>> clean, y = signals.observe("varying_noise", 512, seed=0, sigma=0.1)
>>> loud = signals.noisy_stretches("varying_noise", 512)
>>> bool(abs(y - clean)[loud].std() > 4 * abs(y - clean)[~loud].std())
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "JUMP_THRESHOLD",
    "N_RANGE",
    "SIGNALS",
    "describe",
    "jump_mask",
    "jump_positions",
    "label",
    "make",
    "noise_profile",
    "noisy",
    "noisy_stretches",
    "observe",
]

SIGNALS: tuple[str, ...] = (
    "piecewise_constant",
    "piecewise_smooth",
    "sine_with_jumps",
    "chirp",
    "bumps",
    "varying_noise",
)
N_RANGE: tuple[int, int] = (16, 4096)
JUMP_THRESHOLD = 0.15
"""|clean[i+1] - clean[i]| above this is a jump (smooth parts stay below 0.1, jumps >= 0.21)."""

_LOW, _HIGH = 0.1, 0.9
_MIN_STEP = 0.3  # level change at every jump of the piecewise signals
_MAX_SMOOTH_STEP = 0.095  # largest change between neighbours on a smooth stretch
#: ``varying_noise``: where its stretches start (fractions of n), quiet first, then alternating.
_STRETCH_STARTS = (0.2, 0.4, 0.6, 0.8)
#: ``varying_noise``: noise level of the noisy stretches over that of the quiet ones.
NOISE_CONTRAST = 6.0

_DESCRIPTIONS = {
    "piecewise_constant": "Flat pieces separated by five jumps at random (seeded) positions.",
    "piecewise_smooth": "A slow sine riding on flat pieces: smooth stretches broken by five "
    "seeded jumps.",
    "sine_with_jumps": "One sine period with a jump down at 30 % and a jump back up at 72 % "
    "of its length (HeaviSine-like).",
    "chirp": "A smooth oscillation whose frequency rises along the signal: no jumps, "
    "only ever finer detail.",
    "bumps": "Four smooth Gaussian bumps of different widths at seeded positions (fewer below "
    "64 samples), no jumps.",
    "varying_noise": "One gentle wave, no jumps, under noise whose level changes along it: two "
    "noisy stretches (1.55 σₑ) between three quiet ones (0.26 σₑ); σₑ is the RMS over the whole "
    "signal.",
}


def _grid(n: int) -> np.ndarray:
    return (np.arange(n) + 0.5) / n


def _jump_indices(n: int, n_jumps: int, rng: np.random.Generator) -> np.ndarray:
    """Sample indices b (1 <= b <= n-1) where a new piece starts, at least 0.1 n apart."""
    min_gap = 0.1
    gaps = min_gap + (1.0 - (n_jumps + 1) * min_gap) * rng.dirichlet(np.ones(n_jumps + 1))
    return np.floor(np.cumsum(gaps)[:-1] * n).astype(int)


def _levels(count: int, low: float, high: float, rng: np.random.Generator) -> np.ndarray:
    """Random levels in [low, high], consecutive ones at least _MIN_STEP apart."""
    # each level is drawn where a successor _MIN_STEP away exists (needs high - low >= step)
    levels = [_uniform_union([(low, high - _MIN_STEP), (low + _MIN_STEP, high)], rng)]
    while len(levels) < count:
        prev = levels[-1]
        levels.append(_uniform_union([(low, prev - _MIN_STEP), (prev + _MIN_STEP, high)], rng))
    return np.array(levels)


def _uniform_union(intervals: list[tuple[float, float]], rng: np.random.Generator) -> float:
    """Uniform draw from a union of disjoint intervals (empty ones, b < a, are skipped)."""
    lengths = np.array([max(0.0, b - a) for a, b in intervals])
    u = rng.uniform(0.0, lengths.sum())
    for (a, _), length in zip(intervals, lengths, strict=True):
        if u <= length:
            return a + u
        u -= length
    return intervals[-1][1]  # u == total length up to round-off


def _pieces(n: int, levels: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return levels[np.searchsorted(starts, np.arange(n), side="right")]


def _piecewise_constant(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    starts = _jump_indices(n, 5, rng)
    return _pieces(n, _levels(6, _LOW, _HIGH, rng), starts), starts


def _piecewise_smooth(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    starts = _jump_indices(n, 5, rng)
    phase = rng.uniform(0.0, 2.0 * np.pi)
    # sine slope 0.15 * 3π ≈ 1.41 per unit: < 0.09 per sample even at n = 16
    wave = 0.15 * np.sin(3.0 * np.pi * _grid(n) + phase)
    levels = _levels(6, _LOW + 0.15, _HIGH - 0.15, rng)
    return _pieces(n, levels, starts) + wave, starts


def _sine_with_jumps(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    starts = np.array([round(0.3 * n), round(0.72 * n)])
    steps = _pieces(n, np.array([0.0, -_MIN_STEP, 0.0]), starts)
    # one sine period, slope 0.15 * 2π ≈ 0.94 per unit: < 0.06 per sample even at n = 16
    return 0.6 + 0.15 * np.sin(2.0 * np.pi * _grid(n)) + steps, starts


def _chirp(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # instantaneous frequency rises from f0 to f1 cycles per length; f1 <= n / 24 keeps the
    # per-sample change below 0.35 * 2π / 24 ≈ 0.092
    f1 = min(24.0, n / 24.0)
    f0 = min(0.5, f1 / 2.0)
    t = _grid(n)
    phase = 2.0 * np.pi * (f0 * t + 0.5 * (f1 - f0) * t**2)
    return 0.5 - 0.35 * np.cos(phase), np.array([], dtype=int)


def _bumps(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # centres in [0.08, 0.92], at least 0.15 apart so that the bumps stay distinct
    gaps = 0.15 + (0.84 - 3 * 0.15) * rng.dirichlet(np.ones(4))[:3]
    centres = 0.08 + np.concatenate([[0.0], np.cumsum(gaps)])
    heights = rng.uniform(0.4, 0.7, size=4)
    # at least 4 samples wide (one bump then changes by < 0.7 / (4 √e) ≈ 0.11 per sample) ...
    widths = np.maximum(np.array([0.012, 0.02, 0.035, 0.06])[rng.permutation(4)], 4.0 / n)
    # ... so below n = 64 only 1-3 of them fit without merging into one plateau
    keep = {1: [2], 2: [0, 3], 3: [0, 2, 3]}.get(n // 16, [0, 1, 2, 3])
    t = _grid(n)[:, None]
    profiles = np.exp(-0.5 * ((t - centres[keep]) / widths[keep]) ** 2)
    bumps = profiles @ heights[keep]
    # overlapping bumps add up: shrink (never stretch) to stay in range and smooth at this n
    steepest = np.abs(np.diff(bumps)).max()
    bumps *= min(1.0, (_HIGH - _LOW) / bumps.max(), _MAX_SMOOTH_STEP / steepest)
    return _LOW + bumps, np.array([], dtype=int)


def _varying_noise(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # one sine period of amplitude 0.2: slope 0.4π ≈ 1.26 per unit, < 0.08 per sample at n = 16;
    # what varies is the noise (noise_profile), not the signal
    return 0.5 + 0.2 * np.sin(2.0 * np.pi * _grid(n)), np.array([], dtype=int)


_GENERATORS: dict[str, Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]] = {
    "piecewise_constant": _piecewise_constant,
    "piecewise_smooth": _piecewise_smooth,
    "sine_with_jumps": _sine_with_jumps,
    "chirp": _chirp,
    "bumps": _bumps,
    "varying_noise": _varying_noise,
}


def _check_name(name: str) -> None:
    if name not in _GENERATORS:
        raise ValueError(f"unknown signal {name!r}; allowed: {', '.join(SIGNALS)}")


def _check_int(value, what: str, low: int, high: int | None = None) -> int:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f">= {low}"
        raise ValueError(f"{what} must be an integer {allowed}, got {value!r}")
    return int(value)


def _generate(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    _check_name(name)
    n = _check_int(n, "n", *N_RANGE)
    seed = _check_int(seed, "seed", 0)
    signal, starts = _GENERATORS[name](n, np.random.default_rng(seed))
    return signal.astype(np.float64), starts.astype(int)


def make(name: str, n: int = 512, seed: int = 0) -> np.ndarray:
    """Clean test signal.

    Parameters
    ----------
    name : str
        One of :data:`SIGNALS`.
    n : int, default 512
        Length, from 16 to 4096.
    seed : int, default 0
        Seed (>= 0) of the random jump positions, levels and bump positions; the result is
        deterministic given ``(name, n, seed)``. ``sine_with_jumps``, ``chirp`` and
        ``varying_noise`` ignore it.

    Returns
    -------
    numpy.ndarray, shape (n,), float64
        Values in [0.1, 0.9].
    """
    return _generate(name, n, seed)[0]


def jump_positions(name: str, n: int = 512, seed: int = 0) -> np.ndarray:
    """Where the generator put the jumps of ``make(name, n, seed)``.

    Returns
    -------
    numpy.ndarray of int
        Indices ``b`` such that the signal jumps between samples ``b - 1`` and ``b``
        (empty for the smooth signals).
    """
    return _generate(name, n, seed)[1]


def noisy(
    clean: np.ndarray, sigma: float, seed: int = 0, profile: np.ndarray | None = None
) -> np.ndarray:
    """``clean + σ p ⊙ n`` with ``n ~ N(0, I)`` drawn from ``default_rng(seed)``; not clipped.

    Parameters
    ----------
    clean : array_like
        Clean signal (finite values).
    sigma : float
        Noise standard deviation (finite, >= 0).
    seed : int, default 0
        Seed (>= 0) of the noise.
    profile : array_like, optional
        Per-sample noise level ``p`` relative to ``sigma`` (finite, >= 0, shape of ``clean``),
        e.g. :func:`noise_profile`; ``None`` is white noise, ``p = 1`` everywhere.

    Returns
    -------
    numpy.ndarray, float64, same shape as ``clean``
    """
    clean = np.asarray(clean, dtype=np.float64)
    if not np.all(np.isfinite(clean)):
        raise ValueError("clean must contain finite values only")
    sigma = float(sigma)
    if not np.isfinite(sigma) or sigma < 0.0:
        raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}")
    seed = _check_int(seed, "seed", 0)
    scale = sigma
    if profile is not None:
        profile = np.asarray(profile, dtype=np.float64)
        if profile.shape != clean.shape:
            raise ValueError(f"profile has shape {profile.shape}, expected {clean.shape}")
        if not np.all(np.isfinite(profile)) or np.any(profile < 0):
            raise ValueError("profile must contain finite values >= 0 only")
        scale = sigma * profile
    return clean + scale * np.random.default_rng(seed).standard_normal(clean.shape)


def noise_profile(name: str, n: int = 512) -> np.ndarray:
    """The noise level of every sample of signal ``name``, relative to the noise ``σ``.

    Ones (white noise) for every signal but ``varying_noise``, where quiet stretches (the first,
    the middle and the last fifth) and noisy ones alternate, the noisy ones
    :data:`NOISE_CONTRAST` times louder, scaled so that the RMS over the signal is 1: ``σ`` is
    the noise's RMS, as for the other signals (about 0.26 on the quiet and 1.55 on the noisy
    stretches).

    Returns
    -------
    numpy.ndarray, shape (n,), float64
    """
    _check_name(name)
    n = _check_int(n, "n", *N_RANGE)
    if name != "varying_noise":
        return np.ones(n)
    stretch = np.searchsorted(np.floor(np.array(_STRETCH_STARTS) * n), np.arange(n),
                              side="right")
    level = np.where(stretch % 2 == 1, NOISE_CONTRAST, 1.0)
    return level / np.sqrt(np.mean(level**2))


def noisy_stretches(name: str, n: int = 512) -> np.ndarray:
    """Samples where the noise of signal ``name`` is louder than its RMS (:func:`noise_profile`
    above 1): the noisy stretches of ``varying_noise``, none for white noise.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    return noise_profile(name, n) > 1.0 + 1e-12


def observe(name: str, n: int = 512, seed: int = 0, sigma: float = 0.1) -> tuple[
        np.ndarray, np.ndarray]:
    """The clean signal ``make(name, n, seed)`` and its noisy observation: noise of RMS
    ``sigma`` drawn with ``seed``, shaped by :func:`noise_profile` (white for most signals).

    Returns
    -------
    clean, noisy : numpy.ndarray, shape (n,)
    """
    clean = make(name, n, seed)
    profile = noise_profile(name, n)
    return clean, noisy(clean, sigma, seed, None if name != "varying_noise" else profile)


def jump_mask(clean: np.ndarray, width: int = 3, threshold: float = JUMP_THRESHOLD) -> np.ndarray:
    """Samples near the discontinuities of a clean 1-D signal.

    A jump is a pair of neighbours with ``|clean[b] - clean[b-1]| > threshold``; the mask marks
    the samples closer than ``width`` to it, i.e. indices ``b - width`` to ``b + width - 1``.
    Used to compare the RED gradient magnitude on smooth stretches and near jumps.

    Parameters
    ----------
    clean : array_like, shape (n,)
        Clean signal (e.g. from :func:`make`).
    width : int, default 3
        Half-width of the marked neighbourhood in samples (>= 1).
    threshold : float, default JUMP_THRESHOLD
        Minimum absolute step counted as a jump (> 0); the signals of this module keep smooth
        steps below 0.1 and jumps above 0.21 at every length.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    clean = np.asarray(clean, dtype=np.float64)
    if clean.ndim != 1:
        raise ValueError(f"clean must be a 1-D signal, got shape {clean.shape}")
    width = _check_int(width, "width", 1)
    threshold = float(threshold)
    if not np.isfinite(threshold) or threshold <= 0.0:
        raise ValueError(f"threshold must be a finite number > 0, got {threshold!r}")
    starts = np.flatnonzero(np.abs(np.diff(clean)) > threshold) + 1
    # mark [b - width, b + width) via a difference array
    marks = np.zeros(clean.size + 1, dtype=int)
    np.add.at(marks, np.clip(starts - width, 0, clean.size), 1)
    np.add.at(marks, np.clip(starts + width, 0, clean.size), -1)
    return np.cumsum(marks[:-1]) > 0


def describe(name: str) -> str:
    """One sentence describing the signal ``name`` (for the page)."""
    _check_name(name)
    return _DESCRIPTIONS[name]


def label(name: str) -> str:
    """The name a page shows for signal ``name`` (``"Piecewise constant"``)."""
    _check_name(name)
    return name.replace("_", " ").capitalize()
