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

from pathlib import Path

import numpy as np

from red_core.denoisers._cnn_engine import Network, load_network
from red_core.denoisers.registry import DenoiserSpec, register

__all__ = ["ASSETS", "HELD_OUT_SIGMAS", "SIGMA_MAX", "Network", "held_out_pair", "load"]

#: Where the trained weights and their cards live.
ASSETS = Path(__file__).resolve().parents[2] / "assets"
#: Largest noise level seen in training (pixel values in [0, 1]).
SIGMA_MAX = 50 / 255
#: Noise levels (/255) of the held-out table in each model card.
HELD_OUT_SIGMAS = (15, 25, 50)


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
    return load_network(str(name), str(Path(directory) if directory is not None else ASSETS),
                 np.dtype(dtype).type)


# --------------------------------------------------------------------------- held-out data


def held_out_pair(name: str, sigma: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A grey held-out ``skimage.data`` image in [0, 1] and a seeded noisy copy of it."""
    from skimage import color, data

    image = getattr(data, name)()
    image = color.rgb2gray(image) if image.ndim == 3 else image / 255.0
    rng = np.random.default_rng(seed)
    return image, image + sigma * rng.standard_normal(image.shape)


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


register(DenoiserSpec(
    "cnn", "CNN (trained here)", _factory("cnn"), colour="#e6ab02", supports_1d=False,
    sigma_factor={"red": 8.0, "pnp-split": 8.0, "pnp-pgd": 5.0},
    description="A small residual CNN (a U-Net over three scales with a noise-level map, "
                "trained by this project on skimage.data images, run in numpy): a learned "
                "denoiser whose Jacobian is not symmetric.",
))
register(DenoiserSpec(
    "cnn_gs", "Gradient-step CNN", _factory("cnn_gs"), colour="#1b9e77", symmetric=True,
    speed="slow", supports_1d=False, sigma_factor={"red": 4.0, "pnp-split": 12.0, "pnp-pgd": 0.4},
    description="A gradient-step CNN, D = I − ∇g with g = ½‖x − N(x)‖² (N a small trained "
                "network, ∇g by a numpy backward pass): RED with it minimises f + λg.",
))
