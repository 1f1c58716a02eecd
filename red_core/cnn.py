r"""The lab's own CNN denoisers, run in numpy (no deep-learning framework at run time).

Two small networks trained by ``train/denoiser.py`` (PyTorch, CPU) and shipped as weights in
``assets/`` (``cnn.npz``/``cnn.json``, ``cnn_gs.npz``/``cnn_gs.json``):

* ``cnn`` — a residual CNN (a small U-Net in DRUNet's layout, FFDNet's noise-level map),
  ``D(x) = x − R(x, σ)``.  Like every
  trained deep denoiser its Jacobian is *not* symmetric: the RED gradient ``x − D(x)`` is
  not the gradient of anything (the source's "common mistake").
* ``cnn_gs`` — a gradient-step denoiser ``D(x) = x − ∇g(x)``, ``g(x) = ½‖x − N(x)‖²`` with
  ``N(x) = x − R(x, σ)`` (so ``g = ½‖R‖²`` and ``∇g = J_Rᵀ R``), ``R`` a smaller network
  with the smooth SiLU.  ``J_D = I − ∇²g`` is symmetric by construction and RED with it
  minimises ``f + λg`` exactly; ``∇g`` is computed by the hand-written backward pass
  :meth:`Network.vjp`.

The residual network ``R``: the image is pixel-unshuffled (factor ``f = 2``: ``f²``
half-resolution channels, as in FFDNet), a constant map ``σ/σ_max`` is appended, then 3×3
convolutions (zero padding), and a pixel shuffle back.  ``cnn_gs`` is a plain stack of
convolutions with SiLU between them; ``cnn`` is a small U-Net (DRUNet's layout, ReLU):
convolutions at three scales (H/2, H/4, H/8), a pixel-unshuffle + 1×1 convolution down and
a 1×1 convolution + pixel shuffle up between scales, added to the skip connections.  Both
are run by one interpreter of a short op program (:data:`_UNET`), forward and backward.
Colour images are denoised channel by channel (the networks are grey).  The noise level
is clamped to ``[0, σ_max]`` (``σ_max = 50/255``, the training range).  Images whose sides
are not multiples of the network's stride (2 plain, 8 U-Net) are mirror-padded and cropped
back.

Hand-written (``im2col`` + one BLAS matrix product per layer): no numpy/scipy library runs
convolutional networks.  ``cnn`` computes in float32 (twice as fast, agrees with float64 to
~1e-6); ``cnn_gs`` in float64, so that its finite-difference Jacobian is symmetric to
round-off in the diagnostics.

Examples
--------
>>> import numpy as np
>>> from red_core import denoisers
>>> D = denoisers.build("cnn", 25 / 255)
>>> D(np.full((32, 32), 0.5)).shape
(32, 32)
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from red_core.denoisers import register

__all__ = ["ASSETS", "HELD_OUT_SIGMAS", "SIGMA_MAX", "Network", "held_out_pair", "load", "psnr"]

#: Where the trained weights and their cards live.
ASSETS = Path(__file__).resolve().parents[1] / "assets"
#: Largest noise level seen in training (pixel values in [0, 1]).
SIGMA_MAX = 50 / 255
#: Noise levels (in /255 units) of the held-out PSNR on the model cards.
HELD_OUT_SIGMAS = (15, 25, 50)
_ACTIVATIONS = ("relu", "silu")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic


def _conv(h: np.ndarray, w: np.ndarray, b: np.ndarray | None,
          max_pixels: int = 16384) -> np.ndarray:
    """3×3 'same' convolution (torch's cross-correlation, zero padding) of ``h (B, H, W, C)``
    with ``w`` as an ``(9C, C_out)`` matrix (rows ordered dy, dx, c).

    The ``im2col`` matrix is built for at most ``max_pixels`` output pixels at a time (a few
    tens of MB), so a 512² colour image does not need hundreds of MB at once.
    """
    B, H, W, C = h.shape
    padded = np.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.empty((B, H, W, w.shape[1]), dtype=np.result_type(h, w))
    rows = max(1, max_pixels // W)
    for i in range(B):
        for r0 in range(0, H, rows):
            r1 = min(H, r0 + rows)
            cols = sliding_window_view(padded[i, r0: r1 + 2], (3, 3), axis=(0, 1))
            cols = cols.transpose(0, 1, 3, 4, 2).reshape((r1 - r0) * W, 9 * C)
            chunk = cols @ w
            if b is not None:
                chunk += b
            out[i, r0:r1] = chunk.reshape(r1 - r0, W, -1)
    return out


def _unshuffle_channels(h: np.ndarray) -> np.ndarray:
    """``(B, H, W, C) → (B, H/2, W/2, 4C)``, channel ``4c + 2i + j`` = pixel ``(2h + i, 2w + j)``
    of channel ``c`` (torch's ``pixel_unshuffle(·, 2)``)."""
    B, H, W, C = h.shape
    return h.reshape(B, H // 2, 2, W // 2, 2, C).transpose(0, 1, 3, 5, 2, 4).reshape(
        B, H // 2, W // 2, 4 * C)


def _shuffle_channels(h: np.ndarray) -> np.ndarray:
    """Inverse (and adjoint) of :func:`_unshuffle_channels` (torch's ``pixel_shuffle(·, 2)``)."""
    B, H, W, C4 = h.shape
    return h.reshape(B, H, W, C4 // 4, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(
        B, 2 * H, 2 * W, C4 // 4)


#: The op programs the interpreter runs (``Network._forward``/``_backward``):
#: ``("conv", k, act)`` 3×3 convolution by layer ``k``, then the activation if ``act``;
#: ``("save", s)`` keep the current features as skip ``s``; ``("down", k)`` pixel-unshuffle then
#: 1×1 convolution ``k``; ``("up", k, s)`` 1×1 convolution ``k``, pixel shuffle, add skip ``s``.
_UNET = (("conv", 0, True), ("conv", 1, True), ("save", "s1"), ("down", 2),
         ("conv", 3, True), ("conv", 4, True), ("save", "s2"), ("down", 5),
         ("conv", 6, True), ("conv", 7, True), ("up", 8, "s2"),
         ("conv", 9, True), ("conv", 10, True), ("up", 11, "s1"),
         ("conv", 12, True), ("conv", 13, False))


def _plain(layers: int) -> tuple[tuple, ...]:
    """A plain stack of ``layers`` 3×3 convolutions, activations between them."""
    return tuple(("conv", k, k < layers - 1) for k in range(layers))


def _program(arch: dict[str, Any]) -> tuple[tuple, ...]:
    """The op program of a card's architecture (``type`` ``"plain"``, the default, or
    ``"unet"``)."""
    kind = arch.get("type", "plain")
    if kind == "unet":
        if int(arch["conv_layers"]) != 14 or arch["activation"] != "relu":
            raise ValueError("a 'unet' card must have 14 conv layers and ReLU")
        return _UNET
    if kind != "plain":
        raise ValueError(f"unknown architecture type {kind!r}")
    return _plain(int(arch["conv_layers"]))


def _unshuffle(x: np.ndarray, f: int) -> np.ndarray:
    """``(B, H, W) → (B, H/f, W/f, f²)``, channel ``i·f + j`` = pixel ``(f·h + i, f·w + j)``
    (torch's ``pixel_unshuffle``)."""
    B, H, W = x.shape
    return x.reshape(B, H // f, f, W // f, f).transpose(0, 1, 3, 2, 4).reshape(B, H // f, W // f,
                                                                               f * f)


def _shuffle(z: np.ndarray, f: int) -> np.ndarray:
    """Inverse of :func:`_unshuffle` (torch's ``pixel_shuffle``)."""
    B, h, w, _ = z.shape
    return z.reshape(B, h, w, f, f).transpose(0, 1, 3, 2, 4).reshape(B, h * f, w * f)


def _fold(batch: np.ndarray, n: int, axis: int) -> np.ndarray:
    """Adjoint of ``np.pad(..., mode="symmetric")`` at the end of ``axis`` (real length ``n``):
    padded entry ``n + i`` is a copy of a real one (``n − 1 − i`` while ``i < n``, then
    mirrored back again); its gradient is added there and the padding is dropped."""
    extra = batch.shape[axis] - n
    if extra <= 0:
        return batch
    m = np.arange(extra) % (2 * n)  # the padding repeats the mirrored image with period 2n
    source = np.where(m < n, n - 1 - m, m - n)
    real = np.take(batch, np.arange(n), axis=axis)  # (a copy)
    np.add.at(np.moveaxis(real, axis, 0), source,
              np.moveaxis(np.take(batch, np.arange(n, n + extra), axis=axis), axis, 0))
    return real


@dataclass(frozen=True)
class Network:
    """A trained residual network ``R(x, σ)`` (see the module docstring).

    Attributes
    ----------
    name : str
        ``"cnn"`` or ``"cnn_gs"``.
    weights : tuple of ndarray
        Per layer, the ``(9·C_in, C_out)`` im2col matrix (in ``dtype``).
    weights_t : tuple of ndarray
        Per layer, the matrix of the transposed convolution (backward pass).
    biases : tuple of ndarray
    activation : str
        ``"relu"`` or ``"silu"``.
    factor : int
        Pixel-(un)shuffle factor.
    sigma_max : float
        Noise levels are clamped to ``[0, sigma_max]``.
    dtype : type
        Arithmetic of the passes (see :func:`load`); results are returned as float64.
    card : dict
        The model card written by the training script.
    program : tuple
        The op program (see :data:`_UNET`, :func:`_plain`); the weights of 1×1 layers are
        ``(C_in, C_out)`` matrices.
    """

    name: str
    weights: tuple[np.ndarray, ...]
    weights_t: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    activation: str
    factor: int
    sigma_max: float
    dtype: type
    card: dict[str, Any] = field(repr=False)
    program: tuple[tuple, ...] = field(repr=False)

    @property
    def stride(self) -> int:
        """Image sides must be multiples of this (padding makes them so)."""
        return self.factor * 2 ** sum(op[0] == "down" for op in self.program)

    @property
    def gradient_step(self) -> bool:
        """True for ``cnn_gs`` (``D = I − ∇g``), False for ``cnn`` (``D = I − R``)."""
        return self.name == "cnn_gs"

    # ------------------------------------------------------------------ core passes

    def _prepare(self, x: np.ndarray, zeros: bool = False
                 ) -> tuple[np.ndarray, tuple[int, ...], tuple[int, int]]:
        """``x`` (H, W) or (H, W, 3) → a batch ``(B, H', W')`` with sides multiples of
        :attr:`stride`: the padding mirrors the last rows/columns, or is zero with ``zeros``
        (a cotangent ``u`` of ``x``)."""
        shape = x.shape
        batch = x[None] if x.ndim == 2 else np.moveaxis(x, -1, 0)
        f = self.stride
        extra = (-shape[0] % f, -shape[1] % f)
        if any(extra):
            mode = "constant" if zeros else "symmetric"  # (repeats a side of length 1)
            batch = np.pad(batch, ((0, 0), (0, extra[0]), (0, extra[1])), mode=mode)
        return np.ascontiguousarray(batch, dtype=self.dtype), shape, extra

    @staticmethod
    def _restore(batch: np.ndarray, shape: tuple[int, ...], fold: bool = False) -> np.ndarray:
        """Crop the padding (with ``fold``, a gradient: each padded row/column is a copy of a
        real one, so its gradient is added there first)."""
        H, W = shape[:2]
        if fold and (batch.shape[1] > H or batch.shape[2] > W):
            batch = _fold(_fold(batch, H, axis=1), W, axis=2)
        batch = batch[:, :H, :W]
        return batch[0] if len(shape) == 2 else np.moveaxis(batch, 0, -1)

    def _forward(self, batch: np.ndarray, sigma: float, keep: bool) -> tuple[np.ndarray, dict]:
        """``R`` on a batch; with ``keep`` also the pre-activations (for :meth:`_backward`)."""
        z = _unshuffle(batch, self.factor)
        level = min(max(sigma, 0.0), self.sigma_max) / self.sigma_max
        h = np.concatenate([z, np.full(z.shape[:3] + (1,), level, dtype=z.dtype)], axis=-1)
        pre: dict[int, np.ndarray] = {}
        skips: dict[str, np.ndarray] = {}
        for op in self.program:
            if op[0] == "conv":
                _, k, act = op
                h = _conv(h, self.weights[k], self.biases[k])
                if act:
                    if keep:
                        pre[k] = h
                    h = np.maximum(h, 0.0) if self.activation == "relu" else h * _sigmoid(h)
            elif op[0] == "save":
                skips[op[1]] = h
            elif op[0] == "down":
                h = _unshuffle_channels(h) @ self.weights[op[1]] + self.biases[op[1]]
            else:  # up
                _, k, skip = op
                h = _shuffle_channels(h @ self.weights[k] + self.biases[k]) + skips.pop(skip)
        return _shuffle(h, self.factor), pre

    def _backward(self, grad_out: np.ndarray, pre: dict) -> np.ndarray:
        """``J_Rᵀ u`` for ``u`` = ``grad_out`` (B, H, W), from the kept pre-activations: the
        program run backwards (each op's adjoint)."""
        g = _unshuffle(grad_out, self.factor)
        skips: dict[str, np.ndarray] = {}
        for op in reversed(self.program):
            if op[0] == "conv":
                _, k, act = op
                if act:
                    a = pre[k]
                    if self.activation == "relu":
                        g = g * (a > 0)
                    else:
                        s = _sigmoid(a)
                        g = g * (s * (1.0 + a * (1.0 - s)))
                g = _conv(g, self.weights_t[k], None)
            elif op[0] == "save":
                g = g + skips.pop(op[1])
            elif op[0] == "down":
                g = _shuffle_channels(g @ self.weights_t[op[1]])
            else:  # up: the skip receives the gradient as it is
                _, k, skip = op
                skips[skip] = g
                g = _unshuffle_channels(g) @ self.weights_t[k]
        return _shuffle(g[..., : self.factor**2], self.factor)  # drop the σ-map channel

    # ------------------------------------------------------------------ public

    def residual(self, x: np.ndarray, sigma: float) -> np.ndarray:
        """``R(x, σ)`` for an image ``x`` of shape (H, W) or (H, W, 3)."""
        batch, shape, _ = self._prepare(np.asarray(x, dtype=np.float64))
        out = self._restore(self._forward(batch, sigma, keep=False)[0], shape)
        return out.astype(np.float64)

    def vjp(self, x: np.ndarray, sigma: float, u: np.ndarray) -> np.ndarray:
        """``J_R(x)ᵀ u``: the hand-written backward pass of ``R`` w.r.t. the image."""
        x = np.asarray(x, dtype=np.float64)
        u = np.asarray(u, dtype=np.float64)
        if u.shape != x.shape:
            raise ValueError(f"u must have the shape of x {x.shape}, got {u.shape}")
        batch, shape, _ = self._prepare(x)
        _, pre = self._forward(batch, sigma, keep=True)
        ub = self._prepare(u, zeros=True)[0]
        out = self._restore(self._backward(ub, pre), shape, fold=True)
        return out.astype(np.float64)

    def potential(self, x: np.ndarray, sigma: float) -> float:
        """``g(x) = ½‖x − N(x)‖² = ½‖R(x, σ)‖²`` (the ``cnn_gs`` potential)."""
        r = self.residual(x, sigma)
        return 0.5 * float(np.sum(r * r))

    def gradient(self, x: np.ndarray, sigma: float) -> np.ndarray:
        """``∇g(x) = J_R(x)ᵀ R(x, σ)`` (one forward and one backward pass)."""
        batch, shape, extra = self._prepare(np.asarray(x, dtype=np.float64))
        r, pre = self._forward(batch, sigma, keep=True)
        if any(extra):  # g only sums over the real pixels: the padding carries no residual
            r = r.copy()
            r[:, shape[0]:, :] = 0.0
            r[:, :, shape[1]:] = 0.0
        return self._restore(self._backward(r, pre), shape, fold=True).astype(np.float64)

    def denoise(self, x: np.ndarray, sigma: float) -> np.ndarray:
        """``D(x)``: ``x − R(x, σ)`` (``cnn``) or ``x − ∇g(x)`` (``cnn_gs``)."""
        x = np.asarray(x, dtype=np.float64)
        return x - (self.gradient(x, sigma) if self.gradient_step else self.residual(x, sigma))


def load(name: str, directory: Path | str | None = None, dtype: type | None = None) -> Network:
    """Load the trained network ``name`` (``"cnn"`` or ``"cnn_gs"``) from ``assets/``.

    ``dtype`` is the arithmetic of the passes: by default float32 for ``cnn`` (twice as fast
    as float64, agrees with it to ~1e-6) and float64 for ``cnn_gs`` (its finite-difference
    Jacobian must be symmetric to round-off in the diagnostics).

    Raises
    ------
    FileNotFoundError
        The weights are missing (``train/denoiser.py`` writes them).
    """
    if dtype is None:
        dtype = np.float64 if name == "cnn_gs" else np.float32
    if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return _load(str(name), str(Path(directory) if directory is not None else ASSETS),
                 np.dtype(dtype).type)


@functools.lru_cache(maxsize=8)
def _load(name: str, directory: str, dtype: type) -> Network:
    base = Path(directory)
    npz, card_path = base / f"{name}.npz", base / f"{name}.json"
    if not npz.exists() or not card_path.exists():
        raise FileNotFoundError(f"weights of the {name!r} denoiser not found in {base} "
                                f"(run train/denoiser.py --model {name})")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    arch = card["architecture"]
    if arch["activation"] not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {arch['activation']!r} in {card_path.name}")
    program = _program(arch)
    weights, weights_t, biases = [], [], []
    with np.load(npz) as arrays:
        for k in range(arch["conv_layers"]):
            w = arrays[f"w{k}"].astype(dtype)  # torch layout (C_out, C_in, kh, kw)
            c_out, c_in, kh = w.shape[:3]
            if kh == 1:  # 1×1 convolution: a matrix, its transpose for the backward pass
                weights.append(np.ascontiguousarray(w[:, :, 0, 0].T))
                weights_t.append(np.ascontiguousarray(w[:, :, 0, 0]))
            else:
                weights.append(np.ascontiguousarray(
                    w.transpose(2, 3, 1, 0).reshape(9 * c_in, c_out)))
                # Transposed convolution = convolution with the flipped kernel, channels swapped.
                flipped = w[:, :, ::-1, ::-1]
                weights_t.append(np.ascontiguousarray(
                    flipped.transpose(2, 3, 0, 1).reshape(9 * c_out, c_in)))
            biases.append(arrays[f"b{k}"].astype(dtype))
    return Network(name, tuple(weights), tuple(weights_t), tuple(biases), arch["activation"],
                   int(arch["factor"]), float(card["sigma_max"]), dtype, card, program)


# --------------------------------------------------------------------------- held-out data


def held_out_pair(name: str, sigma: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A grey held-out ``skimage.data`` image in [0, 1] and a seeded noisy copy of it."""
    from skimage import color, data

    image = getattr(data, name)()
    image = color.rgb2gray(image) if image.ndim == 3 else image / 255.0
    rng = np.random.default_rng(seed)
    return image, image + sigma * rng.standard_normal(image.shape)


def psnr(clean: np.ndarray, estimate: np.ndarray) -> float:
    """PSNR in dB for images in [0, 1] (``skimage.metrics``, data range 1)."""
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(clean, estimate, data_range=1.0))


# --------------------------------------------------------------------------- registry


class _Apply:
    """The ``apply`` a registry factory returns (with ``potential`` for ``cnn_gs``)."""

    def __init__(self, net: Network, sigma: float) -> None:
        self.net, self.sigma = net, sigma
        if net.gradient_step:
            self.potential = lambda x: net.potential(x, self.sigma)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.net.denoise(x, self.sigma)  # the registry refuses 1-D input first


def _factory(name: str):
    def factory(sigma: float) -> _Apply:  # sigma already checked by denoisers.build
        return _Apply(load(name), sigma)

    factory.__name__ = f"_{name}"
    return factory


register(
    "cnn", _factory("cnn"), linear=False, symmetric=False, supports_1d=False,
    description="A small residual CNN (a U-Net over three scales with a noise-level map, "
                "trained by this project on skimage.data images, run in numpy): a learned "
                "denoiser whose Jacobian is not symmetric.",
)
register(
    "cnn_gs", _factory("cnn_gs"), linear=False, symmetric=True, supports_1d=False,
    description="A gradient-step CNN, D = I − ∇g with g = ½‖x − N(x)‖² (N a small trained "
                "network, ∇g by a numpy backward pass): RED with it minimises f + λg.",
)
