"""The degradations on offer: one :class:`Degradation` entry per forward model.

An entry holds everything a page, a sweep or a test needs about a degradation: the builder of
its operator, its label, its parameters (:class:`red_core.params.Param`: ranges, defaults, units
and help, from which pages draw their widgets), the smallest image side it needs and the rule an
image must satisfy (sides a multiple of some factor, centre-cropped to it). Entries are
registered next to their operator class (``base``, ``blurs``, ``decimation``, ``masks``);
:func:`register` adds one from anywhere (see ``docs/EXTENDING.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from red_core.operators.base import Operator, spatial_shape
from red_core.params import Param, check_params
from red_core.registry import Registry

__all__ = [
    "Degradation", "build", "entry", "names", "red_sigma_shrinking", "red_weight_rising",
    "register", "rising_from", "unit_scale", "unregister",
]

Params = Mapping[str, Any]


def _sixteen(params: Params) -> int:
    return 16


def _one(params: Params) -> int:
    return 1


def red_weight_rising(noise_sigma: float) -> float:
    """The shape of RED's default weight ``λσₑ²`` for a blur, decimation or mask at noise
    ``σₑ``: 0.04 at ``σₑ ≤ 0.01``, rising as ``(σₑ/0.01)^1.5`` to 4 at ``σₑ ≈ 0.2`` (a stronger
    prior against stronger noise; RED-FP + TV on camera 96², 5 degradations × σₑ 2.5–50/255).
    Entries raise its low-noise plateau with :func:`rising_from` (``bench/red_defaults.py
    --tune``, docs/BENCHMARKS.md)."""
    return min(4.0, max(0.04, 0.04 * (noise_sigma / 0.01) ** 1.5))


def red_sigma_shrinking(noise_sigma: float) -> float:
    """The shape of the multiplier of RED's suggested denoiser sigma at noise ``σₑ`` (1 at
    ``σₑ ≤ 0.01``): with the larger λ of strong noise a lighter denoiser works better,
    ``(0.01/σₑ)^0.75`` (same measurement)."""
    return min(1.0, (0.01 / max(noise_sigma, 1e-12)) ** 0.75)


def rising_from(plateau: float) -> Callable[[float], float]:
    """A degradation's own RED weight: ``λσₑ² = plateau`` at ``σₑ = 0.01``, falling as
    ``(σₑ/0.01)^0.3`` below it (halved at ``σₑ = 0.001``, the noiseless floor), and the
    measured rise :func:`red_weight_rising` above, once it passes the plateau.

    Examples
    --------
    >>> rule = rising_from(0.08)
    >>> rule(0.01), round(rule(0.001), 3), rule(0.1) == red_weight_rising(0.1)
    (0.08, 0.04, True)
    """
    return lambda noise_sigma: max(red_weight_rising(noise_sigma),
                                   plateau * min(noise_sigma / 0.01, 1.0) ** 0.3)


def unit_scale(noise_sigma: float) -> float:
    """1 at every noise level: the denoiser's suggested σ_d as it is (PnP's default)."""
    return 1.0


@dataclass(frozen=True)
class Degradation:
    """One forward model ``A`` a user can pick.

    Parameters
    ----------
    name : str
        Registry name (``operators.build(name, shape, **params)``).
    label : str
        Display name (``"Gaussian blur"``).
    builder : callable
        ``builder(shape, **params) -> Operator`` with every parameter checked and defaulted.
    params : tuple of Param
        Its parameters; ``Param.default = None`` means "computed by the builder".
    description : str
        One sentence for the page.
    min_side : callable
        ``min_side(params) -> int``: the smallest image side it works on.
    multiple : callable
        ``multiple(params) -> int``: height and width must be multiples of it (images are
        centre-cropped to that, see :meth:`prepare`).
    seeded : bool
        Part of the operator is random and drawn with the problem's seed (the inpainting mask).
    signals : bool
        Also accepts 1-D signals of shape ``(n,)``.
    red_weight : callable
        ``red_weight(σₑ) -> λσₑ²``: the default weight of RED's prior at noise ``σₑ``.
    red_sigma_scale : callable
        ``red_sigma_scale(σₑ)``: multiplies the denoiser's suggested σ_d for RED methods
        (see :meth:`red_sigma_multiplier`).
    red_sigma_plateau : float
        A cap on ``red_sigma_scale`` at low noise (0.7 on the blurs, masks and super-resolution:
        it goes with the raised λ of :func:`rising_from`, since RED's results lie on a ridge
        ``λ·σ_d ≈ const``). A denoiser whose entry says ``follows_red_sigma_plateau=False``
        (the wavelet's thresholding) gets the scale alone.
    pnp_sigma_scale : callable
        ``pnp_sigma_scale(σₑ)``: multiplies the denoiser's suggested σ_d for the PnP splitting
        methods (ADMM, HQS: their β = 1/σ_d² follows it; PnP-PGD keeps its own factor).
    """

    name: str
    label: str
    builder: Callable[..., Operator]
    params: tuple[Param, ...] = ()
    description: str = ""
    min_side: Callable[[Params], int] = _sixteen
    multiple: Callable[[Params], int] = _one
    seeded: bool = False
    signals: bool = False
    red_weight: Callable[[float], float] = red_weight_rising
    red_sigma_scale: Callable[[float], float] = red_sigma_shrinking
    red_sigma_plateau: float = 1.0
    pnp_sigma_scale: Callable[[float], float] = unit_scale

    def red_sigma_multiplier(self, noise_sigma: float, plateau: bool = True) -> float:
        """The multiplier of RED's suggested σ_d at noise ``σₑ``: :attr:`red_sigma_scale`,
        capped at :attr:`red_sigma_plateau` unless ``plateau`` is False.

        Examples
        --------
        >>> spec = entry("gaussian_blur")
        >>> spec.red_sigma_multiplier(0.01), spec.red_sigma_multiplier(0.01, plateau=False)
        (0.7, 1.0)
        >>> spec.red_sigma_multiplier(0.1) == red_sigma_shrinking(0.1)
        True
        """
        scale = float(self.red_sigma_scale(noise_sigma))
        return min(self.red_sigma_plateau, scale) if plateau else scale

    def param(self, name: str) -> Param:
        """The :class:`Param` called ``name``."""
        for p in self.params:
            if p.name == name:
                return p
        raise ValueError(f"{self.name} has no parameter {name!r}")

    def resolve(self, params: Params) -> dict[str, Any]:
        """Every parameter checked, missing ones at their defaults."""
        return check_params(params, self.params, self.name)

    @property
    def widgets(self) -> tuple[Param, ...]:
        """The parameters a page draws."""
        return tuple(p for p in self.params if p.widget)

    def prepare(self, image: Any, params: Params | None = None) -> Any:
        """``image`` centre-cropped so its sides are multiples of :attr:`multiple`."""
        k = int(self.multiple(self.resolve(params or {})))
        if k <= 1:
            return image
        h, w = (image.shape[0] // k) * k, (image.shape[1] // k) * k
        top, left = (image.shape[0] - h) // 2, (image.shape[1] - w) // 2
        return image[top:top + h, left:left + w]


_REGISTRY: Registry[Degradation] = Registry("operator")


def register(spec: Degradation, replace: bool = False) -> Degradation:
    """Add a degradation (``replace=True`` to redefine one)."""
    if not spec.name.isidentifier():
        raise ValueError(f"degradation name must be an identifier, got {spec.name!r}")
    return _REGISTRY.add(spec.name, spec, replace)


def unregister(name: str) -> None:
    """Remove a degradation (e.g. one a notebook or a test registered)."""
    _REGISTRY.remove(name)


def names() -> tuple[str, ...]:
    """Registered degradation names, in registration order."""
    return _REGISTRY.names()


def entry(name: str) -> Degradation:
    """The :class:`Degradation` called ``name``."""
    return _REGISTRY.get(name)


def build(name: str, shape: tuple[int, ...], **params: Any) -> Operator:
    """Build the forward model ``name`` for images of ``shape``.

    Parameters
    ----------
    name : str
        A registered degradation (:func:`names`): ``denoise``, ``gaussian_blur``,
        ``uniform_blur``, ``motion_blur``, ``super_resolution``, ``inpainting``.
    shape : tuple of int
        ``(H, W)`` or ``(H, W, 3)``: the shape of the unknown image ``x`` (``"denoise"`` also
        takes ``(n,)``, a 1-D signal).
    **params
        The entry's parameters (``entry(name).params``); missing ones take their defaults.

    Returns
    -------
    Operator

    Raises
    ------
    ValueError
        Unknown name or parameter, or a parameter out of range.

    Examples
    --------
    >>> from red_core import operators
    >>> operators.build("motion_blur", (32, 32), length=9, angle=30).params
    {'length': 9.0, 'angle': 30.0}
    """
    spec = entry(name)
    shape = tuple(int(s) for s in shape)
    if not (spec.signals and len(shape) == 1 and shape[0] >= 1):
        spatial_shape(shape)
    return spec.builder(shape, **spec.resolve(params))
