r"""Forward models :math:`y = A x` of the restoration problems.

Every operator is linear and knows its adjoint, its output shape, its operator norm and how to
solve the normal equations :math:`(\alpha A^\top A + \beta I)\,x = r` quickly, which is all the
RED and PnP solvers need (see ``red_core.problem.Problem.prox_data``).

Images are ``(H, W)`` grey or ``(H, W, 3)`` colour float arrays; the same spatial operator acts
on every channel. Blurs use a **circular** (periodic) boundary: the convolution is a product in
the 2-D discrete Fourier domain, so the adjoint, the norm and the normal-equation solve are exact
and cost a couple of FFTs (``scipy.fft``).

Examples
--------
>>> import numpy as np
>>> from red_core import operators
>>> A = operators.build("gaussian_blur", (64, 64), blur_sigma=1.6)
>>> y = A.forward(np.random.default_rng(0).random((64, 64)))
>>> A.out_shape, round(A.norm(), 6)
((64, 64), 1.0)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import scipy.fft as sfft
from scipy.sparse.linalg import LinearOperator as _ScipyOperator
from scipy.sparse.linalg import cg

NAMES: tuple[str, ...] = (
    "denoise",
    "gaussian_blur",
    "uniform_blur",
    "motion_blur",
    "super_resolution",
    "inpainting",
)

_WORKERS = 1  # FFTs of 256² images are too small to gain from threads on 2 cores.


def _spatial(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3):
        raise ValueError(f"shape must be (H, W) or (H, W, 3), got {tuple(shape)}")
    if min(shape[:2]) < 1:
        raise ValueError(f"shape must be positive, got {tuple(shape)}")
    return int(shape[0]), int(shape[1])


class Operator(ABC):
    """A linear forward model with its adjoint.

    Attributes
    ----------
    name : str
        Registry name (see :data:`NAMES`).
    in_shape, out_shape : tuple of int
        Shapes of ``x`` and of ``y = A x``.
    params : dict
        The parameters the operator was built with (after defaults).
    """

    name: str = ""

    def __init__(self, in_shape: tuple[int, ...], out_shape: tuple[int, ...], params: dict):
        self.in_shape = tuple(int(s) for s in in_shape)
        self.out_shape = tuple(int(s) for s in out_shape)
        self.params = dict(params)
        self._norm: float | None = None

    @abstractmethod
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply ``A``."""

    @abstractmethod
    def adjoint(self, y: np.ndarray) -> np.ndarray:
        """Apply ``Aᵀ``."""

    def gram(self, x: np.ndarray) -> np.ndarray:
        """Apply ``AᵀA`` (operators override this with a one-pass formula)."""
        return self.adjoint(self.forward(x))

    def norm(self) -> float:
        """Spectral norm ``‖A‖`` (exact where a closed form exists, else power iteration)."""
        if self._norm is None:
            self._norm = self._exact_norm()
        return self._norm

    def _exact_norm(self) -> float:
        return power_norm(self)

    def solve_normal(self, rhs: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        r"""Solve :math:`(\alpha A^\top A + \beta I)\,x = r` for ``beta > 0``.

        The base implementation uses conjugate gradients; operators with a closed form override it.
        """
        return solve_normal_cg(self, rhs, alpha, beta)

    def check_input(self, x: np.ndarray) -> None:
        if x.shape != self.in_shape:
            raise ValueError(
                f"{self.name}: expected an array of shape {self.in_shape}, got {x.shape}"
            )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if k != "mask")
        sep = ", " if args else ""
        return f"{type(self).__name__}({self.in_shape} -> {self.out_shape}{sep}{args})"


def power_norm(op: Operator, n_iter: int = 100, seed: int = 0) -> float:
    """Estimate ``‖A‖`` by power iteration on ``AᵀA``."""
    x = np.random.default_rng(seed).standard_normal(op.in_shape)
    x /= np.linalg.norm(x)
    lam = 0.0
    for _ in range(n_iter):
        z = op.gram(x)
        lam_new = float(np.linalg.norm(z))
        if lam_new == 0.0:
            return 0.0
        x = z / lam_new
        if abs(lam_new - lam) <= 1e-10 * lam_new:
            break
        lam = lam_new
    return float(np.sqrt(lam_new))


def solve_normal_cg(
    op: Operator, rhs: np.ndarray, alpha: float, beta: float, rtol: float = 1e-12
) -> np.ndarray:
    r"""Solve :math:`(\alpha A^\top A + \beta I)\,x = r` by conjugate gradients (``scipy``)."""
    n = rhs.size
    shape = op.in_shape

    def matvec(v: np.ndarray) -> np.ndarray:
        return (alpha * op.gram(v.reshape(shape)) + beta * v.reshape(shape)).ravel()

    lin = _ScipyOperator((n, n), matvec=matvec, dtype=np.float64)
    x, info = cg(lin, rhs.ravel(), rtol=rtol, atol=0.0, maxiter=10 * n)
    if info != 0:
        raise RuntimeError(f"conjugate gradients did not converge (info={info})")
    return x.reshape(shape)


class Identity(Operator):
    """``A = I``: the denoising problem (also for 1-D signals of shape ``(n,)``)."""

    name = "denoise"

    def __init__(self, shape: tuple[int, ...]):
        if not (len(shape) == 1 and shape[0] >= 1):
            _spatial(shape)
        super().__init__(shape, shape, {})

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.array(x, dtype=np.float64, copy=True)

    adjoint = forward
    gram = forward

    def _exact_norm(self) -> float:
        return 1.0

    def solve_normal(self, rhs: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return rhs / (alpha + beta)


class CircularConvolution(Operator):
    r"""``A x = k ⊛ x`` with a circular boundary, applied per channel.

    In the Fourier domain :math:`\widehat{Ax} = \hat k\,\hat x`, so
    :math:`\widehat{A^\top y} = \overline{\hat k}\,\hat y`, :math:`\|A\| = \max|\hat k|` and
    :math:`(\alpha A^\top A + \beta I)^{-1}` is division by :math:`\alpha|\hat k|^2 + \beta`.
    """

    def __init__(self, shape: tuple[int, ...], kernel: np.ndarray, name: str, params: dict):
        h, w = _spatial(shape)
        kernel = np.asarray(kernel, dtype=np.float64)
        if kernel.shape[0] > h or kernel.shape[1] > w:
            raise ValueError(
                f"{name}: the {kernel.shape[0]}×{kernel.shape[1]} kernel is larger than the "
                f"{h}×{w} image; use a smaller blur or a larger image"
            )
        self.name = name
        super().__init__(shape, shape, params)
        self.kernel = kernel
        self._axes = (0, 1)
        self._khat = _transfer_function(kernel, (h, w))
        if len(shape) == 3:
            self._khat = self._khat[..., None]
        self._k2 = np.abs(self._khat) ** 2
        # ((α, β), 1/(α|k̂|² + β)) of the last normal-equation solve: ONE attribute, rebound
        # whole, so threads sharing this operator never pair a key with another key's filter.
        self._inverse_cache: tuple[tuple[float, float], np.ndarray] | None = None

    def _apply(self, x: np.ndarray, mult: np.ndarray) -> np.ndarray:
        spec = sfft.rfft2(x, axes=self._axes, workers=_WORKERS)
        spec *= mult
        return sfft.irfft2(spec, s=self.in_shape[:2], axes=self._axes, overwrite_x=True,
                           workers=_WORKERS)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._apply(x, self._khat)

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._apply(y, np.conj(self._khat))

    def gram(self, x: np.ndarray) -> np.ndarray:
        return self._apply(x, self._k2)

    def _exact_norm(self) -> float:
        return float(np.sqrt(self._k2.max()))

    def solve_normal(self, rhs: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        # Solvers call this with the same (α, β) every iteration: keep the last inverse filter.
        cache = self._inverse_cache
        if cache is None or cache[0] != (alpha, beta):
            cache = ((alpha, beta), 1.0 / (alpha * self._k2 + beta))
            self._inverse_cache = cache
        return self._apply(rhs, cache[1])


def _transfer_function(
    kernel: np.ndarray, shape: tuple[int, int], full: bool = False
) -> np.ndarray:
    """rfft2 (or fft2) of ``kernel`` zero-padded to ``shape``, its centre moved to pixel (0, 0)."""
    padded = np.zeros(shape)
    kh, kw = kernel.shape
    padded[:kh, :kw] = kernel
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return sfft.fft2(padded) if full else sfft.rfft2(padded)


def gaussian_kernel(blur_sigma: float, size: int | None = None) -> np.ndarray:
    """Normalised 2-D Gaussian kernel of standard deviation ``blur_sigma`` pixels."""
    if size is None:
        size = 2 * int(np.ceil(3.0 * blur_sigma)) + 1
    r = np.arange(size) - (size - 1) / 2.0
    g = np.exp(-0.5 * (r / blur_sigma) ** 2)
    k = np.outer(g, g)
    return k / k.sum()


def motion_kernel(length: float, angle: float) -> np.ndarray:
    """Normalised linear motion-blur kernel: a segment of ``length`` pixels at ``angle`` degrees.

    The segment is sampled finely and splatted bilinearly, so non-integer lengths and any angle
    give a smooth kernel (no library offers a motion PSF).
    """
    size = 2 * int(np.ceil(length / 2.0)) + 3
    c = (size - 1) / 2.0
    t = np.linspace(-length / 2.0, length / 2.0, max(8 * int(np.ceil(length)), 2))
    theta = np.deg2rad(angle)
    xs, ys = c + t * np.cos(theta), c - t * np.sin(theta)
    k = np.zeros((size, size))
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dy, dx, wgt in (
        (0, 0, (1 - fx) * (1 - fy)),
        (0, 1, fx * (1 - fy)),
        (1, 0, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        np.add.at(k, (y0 + dy, x0 + dx), wgt)
    return k / k.sum()


class Decimation(Operator):
    r"""Super-resolution: ``A = S H``, a circular Gaussian anti-alias blur ``H`` then keeping one
    pixel in ``factor`` along each axis (``S``).

    The normal equations have a closed form (Zhao et al., IEEE TIP 2016, via the Woodbury identity):
    :math:`S H H^\top S^\top` is circulant on the low-resolution grid with spectrum the mean of
    :math:`|\hat h|^2` over the ``factor²`` aliased frequencies, so

    .. math:: (\alpha A^\top A + \beta I)^{-1} r
              = \tfrac1\beta\big(r - \alpha H^\top S^\top (\beta I + \alpha S H H^\top S^\top)^{-1}
              S H r\big),

    four FFTs in all. ``H`` and ``W`` must be multiples of ``factor``.
    """

    name = "super_resolution"

    def __init__(self, shape: tuple[int, ...], factor: int, blur_sigma: float, params: dict):
        h, w = _spatial(shape)
        if h % factor or w % factor:
            raise ValueError(
                f"super_resolution ×{factor} needs height and width that are multiples of "
                f"{factor}, got {h}×{w} (crop the image first)"
            )
        out = (h // factor, w // factor) + tuple(shape[2:])
        super().__init__(shape, out, params)
        self.factor = factor
        kernel = gaussian_kernel(blur_sigma)
        self.blur = CircularConvolution(shape, kernel, "gaussian_blur", {})
        k2 = np.abs(_transfer_function(kernel, (h, w), full=True)) ** 2
        # Mean of |ĥ|² over the factor² aliases of each low-resolution frequency.
        m = k2.reshape(factor, h // factor, factor, w // factor).mean(axis=(0, 2))
        self._alias = m[..., None] if len(shape) == 3 else m

    def forward(self, x: np.ndarray) -> np.ndarray:
        f = self.factor
        return self.blur.forward(x)[::f, ::f]

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        f = self.factor
        up = np.zeros(self.in_shape)
        up[::f, ::f] = y
        return self.blur.adjoint(up)

    def _exact_norm(self) -> float:
        return float(np.sqrt(self._alias.max()))

    def solve_normal(self, rhs: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        low = self.forward(rhs)
        spec = sfft.fft2(low, axes=(0, 1), workers=_WORKERS) / (beta + alpha * self._alias)
        low = sfft.ifft2(spec, axes=(0, 1), workers=_WORKERS).real
        return (rhs - alpha * self.adjoint(low)) / beta

    def upsample(self, y: np.ndarray) -> np.ndarray:
        """Bicubic up-sampling of a low-resolution image to ``in_shape`` (a starting point)."""
        from skimage.transform import resize

        return resize(y, self.in_shape, order=3, mode="reflect", anti_aliasing=False)


class Mask(Operator):
    r"""Inpainting: ``A = diag(m)`` with ``m`` 1 on observed pixels, 0 on missing ones.

    The mask is per pixel (shared by the colour channels); ``y`` keeps the image shape with zeros
    at missing pixels. :math:`(\alpha A^\top A + \beta I)^{-1}` is element-wise.
    """

    name = "inpainting"

    def __init__(self, shape: tuple[int, ...], mask: np.ndarray, params: dict):
        h, w = _spatial(shape)
        mask = np.asarray(mask)
        if mask.shape != (h, w):
            raise ValueError(f"inpainting: mask must have shape {(h, w)}, got {mask.shape}")
        super().__init__(shape, shape, params)
        m = mask.astype(np.float64)
        self.mask = m[..., None] if len(shape) == 3 else m

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.mask * x

    adjoint = forward
    gram = forward

    def _exact_norm(self) -> float:
        return float(self.mask.max(initial=0.0))

    def solve_normal(self, rhs: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return rhs / (alpha * self.mask + beta)

    def fill(self, y: np.ndarray, blur_sigma: float = 2.0) -> np.ndarray:
        """Fill missing pixels by normalised Gaussian averaging of the observed ones (a start)."""
        from scipy.ndimage import gaussian_filter

        sig = (blur_sigma, blur_sigma, 0) if y.ndim == 3 else blur_sigma
        num = gaussian_filter(y * self.mask, sig, mode="wrap")
        den = gaussian_filter(np.broadcast_to(self.mask, y.shape), sig, mode="wrap")
        filled = np.where(den > 1e-8, num / np.maximum(den, 1e-8), float(y.mean()))
        return np.where(self.mask > 0, y, filled)


def _positive(name: str, key: str, value: Any, *, integer: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {key} must be a number, got {value!r}") from None
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name}: {key} must be a finite number > 0, got {value!r}")
    if integer and v != int(v):
        raise ValueError(f"{name}: {key} must be a whole number, got {value!r}")
    return v


_ALLOWED_PARAMS = {
    "denoise": set(),
    "gaussian_blur": {"blur_sigma", "kernel_size"},
    "uniform_blur": {"size"},
    "motion_blur": {"length", "angle"},
    "super_resolution": {"factor", "blur_sigma"},
    "inpainting": {"missing", "seed", "mask"},
}


def build(name: str, shape: tuple[int, ...], **params: Any) -> Operator:
    """Build a forward model by name.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`:

        - ``"denoise"``: identity.
        - ``"gaussian_blur"``: ``blur_sigma`` (pixels, default 1.6), ``kernel_size`` (odd, default
          ``2⌈3σ⌉+1``). Circular boundary.
        - ``"uniform_blur"``: ``size`` × ``size`` box (default 9). Circular boundary.
        - ``"motion_blur"``: a line of ``length`` pixels (default 15) at ``angle`` degrees
          (default 45). Circular boundary.
        - ``"super_resolution"``: ``factor`` 2, 3 or 4 (default 2); Gaussian anti-alias blur of std
          ``blur_sigma`` (default ``0.5·factor``, circular) then decimation.
        - ``"inpainting"``: ``missing`` fraction of random pixels in [0, 1) (default 0.5), drawn
          with ``seed`` (default 0); or an explicit boolean ``mask`` (True = observed).
    shape : tuple of int
        ``(H, W)`` or ``(H, W, 3)``: the shape of the unknown image ``x`` (``"denoise"`` also
        takes ``(n,)``, a 1-D signal).

    Returns
    -------
    Operator

    Raises
    ------
    ValueError
        Unknown name or parameter, or a parameter out of range.
    """
    if name not in NAMES:
        raise ValueError(f"unknown operator {name!r}; choose one of {', '.join(NAMES)}")
    unknown = set(params) - _ALLOWED_PARAMS[name]
    if unknown:
        allowed = ", ".join(sorted(_ALLOWED_PARAMS[name])) or "no parameters"
        raise ValueError(f"{name}: unknown parameter(s) {sorted(unknown)}; allowed: {allowed}")
    shape = tuple(int(s) for s in shape)
    if name == "denoise":
        return Identity(shape)
    _spatial(shape)
    if name == "gaussian_blur":
        s = _positive(name, "blur_sigma", params.get("blur_sigma", 1.6))
        size = params.get("kernel_size")
        if size is not None:
            size = int(_positive(name, "kernel_size", size, integer=True))
            if size % 2 == 0:
                raise ValueError(f"{name}: kernel_size must be odd, got {size}")
        return CircularConvolution(
            shape, gaussian_kernel(s, size), name, {"blur_sigma": s, "kernel_size": size}
        )
    if name == "uniform_blur":
        size = int(_positive(name, "size", params.get("size", 9), integer=True))
        return CircularConvolution(shape, np.full((size, size), 1.0 / size**2), name,
                                   {"size": size})
    if name == "motion_blur":
        length = _positive(name, "length", params.get("length", 15))
        angle = float(params.get("angle", 45.0))
        if not np.isfinite(angle):
            raise ValueError(f"{name}: angle must be a finite number of degrees")
        return CircularConvolution(shape, motion_kernel(length, angle), name,
                                   {"length": length, "angle": angle})
    if name == "super_resolution":
        factor = params.get("factor", 2)
        if factor not in (2, 3, 4):
            raise ValueError(f"super_resolution: factor must be 2, 3 or 4, got {factor!r}")
        s = _positive(name, "blur_sigma", params.get("blur_sigma", 0.5 * factor))
        return Decimation(shape, int(factor), s, {"factor": int(factor), "blur_sigma": s})
    # inpainting
    if "mask" in params:
        mask = np.asarray(params["mask"], dtype=bool)
        return Mask(shape, mask, {"missing": float(1.0 - mask.mean()), "mask": mask})
    missing = float(params.get("missing", 0.5))
    if not 0.0 <= missing < 1.0:
        raise ValueError(f"inpainting: missing must be in [0, 1), got {missing!r}")
    seed = int(params.get("seed", 0))
    mask = np.random.default_rng(seed).random(shape[:2]) >= missing
    return Mask(shape, mask, {"missing": missing, "seed": seed})
