"""The numpy engine of the project's CNN denoisers (private: use ``red_core.denoisers.cnn``).

Hand-written (``im2col`` + one BLAS matrix product per layer, and the backward pass of the
gradient-step network): no numpy/scipy library runs convolutional networks. One interpreter of
a short op program (``conv``/``save``/``down``/``up``) runs the plain network and the U-Net,
forward and backward; see :class:`Network`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["Network", "load_network"]

#: Noise levels (in /255 units) of the held-out PSNR on the model cards.
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


@functools.lru_cache(maxsize=8)
def load_network(name: str, directory: str, dtype: type) -> Network:
    """Read ``name.npz`` and ``name.json`` from ``directory`` (cached per arguments)."""
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
