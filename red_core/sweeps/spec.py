"""A sweep's description: the TOML spec (:class:`SweepSpec`) and its grid of :class:`Cell`.

A spec names the problems (images × degradations × noise levels × seeds), the algorithms, the
denoisers and the parameter axes; :meth:`SweepSpec.cells` expands it into one :class:`Cell` per
combination. Every check happens here, before anything runs, and a bad spec raises
:class:`SpecError` with one line that says what to change.

The spec (``SweepSpec.from_toml``)::

    [problem]
    images = ["camera", "astronaut"]    # images.builtin names, paths of image files, or
                                        # "upload:<hash>" names of arrays given to submit()
    size = 128                          # longer side of the built-in images (default 256)
    degradations = ["gaussian_blur", {name = "super_resolution", factor = 3}]
    noise = [0.01]                      # noise_sigma values (pixel units)
    seeds = [0]                         # default [0]
    [run]
    methods = ["red-fp", "pnp-admm"]
    denoisers = ["tv"]
    max_iter = 30                       # default 100 (or a list, or the max_iter axis)
    [axes]                              # every axis is optional
    lam_scale = [0.5, 1, 2]             # λ as a multiple of the method's default (RED only)
    denoiser_sigma = [3, 5, 10]         # σ_d in units of 1/255 (default: the suggested one)
    # sigma_scale = [0.5, 1, 2]         # σ_d as a multiple of the suggested one
    # beta_scale = [0.5, 1, 2]          # β as a multiple of its default (methods with β)
    # step_scale = [0.5, 1]             # the step μ as a multiple of its default
    # max_iter = [10, 30, 100]
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = [
    "AXES", "DEFAULT_MAX_ITER", "DEFAULT_SIZE", "MAX_CELLS", "SCALE_PARAMS", "UPLOAD_PREFIX",
    "Cell", "SpecError", "SweepSpec", "upload_name",
]

#: The parameter axes a spec may sweep, in the order cells are expanded.
AXES: tuple[str, ...] = (
    "lam_scale", "denoiser_sigma", "sigma_scale", "beta_scale", "step_scale", "max_iter",
)
#: The algorithm parameter each ``*_scale`` axis multiplies.
SCALE_PARAMS: dict[str, str] = {"lam_scale": "lam", "beta_scale": "beta", "step_scale": "step"}
#: A grid larger than this needs an explicit confirmation (the command line's ``--yes``).
MAX_CELLS = 10_000
#: The defaults of the optional keys.
DEFAULT_SIZE = 256
DEFAULT_MAX_ITER = 100
#: Image names of this form refer to arrays handed to :func:`red_core.sweeps.submit`.
UPLOAD_PREFIX = "upload:"
#: Bumped when a cell's result would change for the same description (the cache key has it).
CELL_VERSION = 1

_SECTIONS = {
    "problem": ("images", "size", "degradations", "noise", "seeds"),
    "run": ("methods", "denoisers", "max_iter"),
    "axes": AXES,
}


class SpecError(ValueError):
    """A sweep spec that cannot run; the message is one line saying what to change."""


def upload_name(image: Any) -> str:
    """The name an uploaded array goes by in a spec: ``"upload:"`` + 16 hex digits of the
    sha256 of its shape, dtype and bytes (the same array always gets the same name).

    Examples
    --------
    >>> import numpy as np
    >>> upload_name(np.zeros((4, 4))) == upload_name(np.zeros((4, 4)))
    True
    >>> upload_name(np.zeros((4, 4))).startswith("upload:")
    True
    """
    import numpy as np

    array = np.ascontiguousarray(image)
    digest = hashlib.sha256(f"{array.shape}|{array.dtype.str}|".encode())
    digest.update(array.tobytes())
    return UPLOAD_PREFIX + digest.hexdigest()[:16]


@dataclass(frozen=True)
class Cell:
    """One run of a sweep: every input of one ``solvers.run``, small, frozen and hashable.

    Attributes
    ----------
    image : str
        A :data:`red_core.images.BUILTIN` name, the path of an image file, or an
        ``"upload:<hash>"`` name (:func:`upload_name`).
    size : int
        Longer side of a built-in image (``images.builtin(image, size=size)``); a file is
        scaled down to it (never up); an upload is used as given.
    degradation : str
        An ``operators.names()`` entry; ``degradation_params`` its non-default parameters as
        sorted ``(name, value)`` pairs.
    noise : float
        ``noise_sigma`` of the observation (pixel units).
    seed : int
        Seed of the noise (and of the inpainting mask).
    method, denoiser : str
        Registry names.
    max_iter : int
    lam_scale, beta_scale, step_scale : float
        λ, β, the step μ as multiples of the method's defaults (1 = the default; a scale other
        than 1 needs a method that has the parameter).
    denoiser_sigma : float or None
        σ_d in units of 1/255; None takes ``sigma_scale`` × the suggested σ_d
        (``solvers.default_denoiser_sigma(problem, method, denoiser)``).
    sigma_scale : float
        Only with ``denoiser_sigma = None``.
    """

    image: str
    size: int
    degradation: str
    noise: float
    seed: int
    method: str
    denoiser: str
    max_iter: int = DEFAULT_MAX_ITER
    lam_scale: float = 1.0
    denoiser_sigma: float | None = None
    sigma_scale: float = 1.0
    beta_scale: float = 1.0
    step_scale: float = 1.0
    degradation_params: tuple[tuple[str, Any], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.denoiser_sigma is not None and self.sigma_scale != 1.0:
            raise ValueError("give denoiser_sigma or sigma_scale, not both")
        # One spelling per value: 3 and 3.0 are the same cell (and the same cache entry).
        for name in ("noise", "lam_scale", "sigma_scale", "beta_scale", "step_scale"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.denoiser_sigma is not None:
            object.__setattr__(self, "denoiser_sigma", float(self.denoiser_sigma))
        for name in ("size", "seed", "max_iter"):
            object.__setattr__(self, name, int(getattr(self, name)))
        object.__setattr__(self, "degradation_params",
                           tuple(sorted((str(k), v) for k, v in self.degradation_params)))

    @property
    def is_upload(self) -> bool:
        return self.image.startswith(UPLOAD_PREFIX)

    @property
    def is_builtin(self) -> bool:
        from red_core import images

        return self.image in images.BUILTIN

    @property
    def key(self) -> str:
        """A stable hex digest of every field (the same in every process and on every run)."""
        text = json.dumps([CELL_VERSION, list(asdict(self).items())], default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def inputs(self) -> dict[str, Any]:
        """The cell's inputs as the table's columns (``degradation_params`` as JSON text)."""
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["degradation_params"] = json.dumps(dict(self.degradation_params), sort_keys=True)
        return row


# ----------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep spec; :meth:`cells` is its grid, :attr:`size` the number of cells.

    Build it with :meth:`from_toml` or :meth:`from_dict` (which check every name and value).

    Examples
    --------
    >>> spec = SweepSpec.from_dict({
    ...     "problem": {"images": ["camera"], "size": 32, "degradations": ["gaussian_blur"],
    ...                 "noise": [0.01]},
    ...     "run": {"methods": ["red-fp"], "denoisers": ["tv"], "max_iter": 5},
    ...     "axes": {"lam_scale": [0.5, 1, 2], "denoiser_sigma": [3, 5]}})
    >>> spec.size, spec.cells()[0].lam_scale, spec.cells()[0].denoiser_sigma
    (6, 0.5, 3.0)
    """

    images: tuple[str, ...]
    image_size: int
    degradations: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    noise: tuple[float, ...]
    seeds: tuple[int, ...]
    methods: tuple[str, ...]
    denoisers: tuple[str, ...]
    axes: tuple[tuple[str, tuple], ...] = ()

    # ------------------------------------------------------------------ building

    @classmethod
    def from_toml(cls, source: str | Path) -> SweepSpec:
        """Parse a spec from a TOML file (a :class:`~pathlib.Path`, or a string ending in
        ``.toml``) or from TOML text. Relative image paths are taken from the file's folder."""
        base = None
        if isinstance(source, Path) or ("\n" not in source and source.strip().endswith(".toml")):
            path = Path(source)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as err:
                raise SpecError(f"cannot read the spec {str(path)!r}: {err.strerror}") from None
            base = path.resolve().parent
        else:
            text = source
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise SpecError(f"the spec is not valid TOML: {err}") from None
        return cls.from_dict(data, base=base)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Path | None = None) -> SweepSpec:
        """Check a spec given as nested dicts (the TOML's tables) and build it.

        Raises
        ------
        SpecError
            Unknown section, key or name, an empty list, a value out of range, an axis that
            does not apply to a method (``lam_scale`` with a PnP method), or
            ``denoiser_sigma`` together with ``sigma_scale``.
        """
        from red_core import denoisers, operators, solvers

        if not isinstance(data, Mapping):
            raise SpecError("the spec must be a table with [problem], [run] and [axes]")
        for section, value in data.items():
            if section not in _SECTIONS:
                raise SpecError(f"unknown section [{section}]; use {_names(_SECTIONS)}")
            if not isinstance(value, Mapping):
                raise SpecError(f"[{section}] must be a table")
            for key in value:
                if key not in _SECTIONS[section]:
                    raise SpecError(f"unknown key {section}.{key}; [{section}] takes "
                                    f"{_names(_SECTIONS[section])}")
        problem, run, axes = (dict(data.get(s, {})) for s in ("problem", "run", "axes"))

        images_ = tuple(_image(v, base) for v in _strings(problem, "problem.images"))
        size = _integer(problem.get("size", DEFAULT_SIZE), "problem.size", 1)
        degradations = tuple(_degradation(v, operators) for v in
                             _values(problem, "problem.degradations"))
        noise = tuple(_number(v, "problem.noise", 0.0) for v in _values(problem, "problem.noise"))
        seeds = tuple(_integer(v, "problem.seeds", 0) for v in
                      _values({"seeds": problem.get("seeds", [0])}, "problem.seeds"))
        methods = _strings(run, "run.methods")
        for name in methods:
            if name not in solvers.names():
                raise SpecError(f"unknown method {name!r} in run.methods; choose from "
                                f"{_names(solvers.names())}")
        denoiser_names = _strings(run, "run.denoisers")
        for name in denoiser_names:
            if name not in denoisers.names():
                raise SpecError(f"unknown denoiser {name!r} in run.denoisers; choose from "
                                f"{_names(denoisers.names())}")
            if not denoisers.available(name):
                missing = ", ".join(denoisers.entry(name).requires)
                raise SpecError(f"denoiser {name!r} needs the package(s) {missing}, not "
                                "installed here")
        if "max_iter" in run and "max_iter" in axes:
            raise SpecError("give max_iter in [run] or in [axes], not both")
        if "max_iter" not in axes:
            axes["max_iter"] = run.get("max_iter", DEFAULT_MAX_ITER)
        if "denoiser_sigma" in axes and "sigma_scale" in axes:
            raise SpecError("axes.denoiser_sigma and axes.sigma_scale are exclusive: σ_d is "
                            "given either in units of 1/255 or as a multiple of the suggested one")
        checked = []
        for name in AXES:
            if name not in axes:
                continue
            where = "run.max_iter" if name == "max_iter" and "max_iter" in run else f"axes.{name}"
            values = _values(axes, name, where)
            if name == "max_iter":
                values = tuple(_integer(v, where, 1) for v in values)
            else:
                values = tuple(_number(v, where, 0.0, open_minimum=True) for v in values)
            if len(set(values)) != len(values):
                raise SpecError(f"{where} repeats a value: {list(values)}")
            checked.append((name, values))
            if name in SCALE_PARAMS:
                _check_scale_axis(name, values, methods, solvers)
        _check_sides(images_, size, degradations, operators)
        return cls(images_, size, degradations, noise, seeds, methods, denoiser_names,
                   tuple(checked))

    # ------------------------------------------------------------------ using

    @property
    def size(self) -> int:
        """The number of cells (computed without expanding the grid)."""
        return math.prod(len(v) for v in (self.images, self.degradations, self.noise,
                                          self.seeds, self.methods, self.denoisers)) * \
            math.prod(len(values) for _, values in self.axes)

    def axis(self, name: str) -> tuple | None:
        """The values of axis ``name``, or None when the spec does not sweep it."""
        return dict(self.axes).get(name)

    def cells(self) -> list[Cell]:
        """Every cell, problems outermost, then methods, denoisers and the axes (the grid's
        row-major order, the same on every call)."""
        names = [name for name, _ in self.axes]
        grids = [values for _, values in self.axes]
        out = []
        for image, (deg, params), noise, seed, method, denoiser in itertools.product(
                self.images, self.degradations, self.noise, self.seeds, self.methods,
                self.denoisers):
            for combo in itertools.product(*grids):
                out.append(Cell(image=image, size=self.image_size, degradation=deg,
                                noise=noise, seed=seed, method=method, denoiser=denoiser,
                                degradation_params=params, **dict(zip(names, combo, strict=True))))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The spec as nested dicts (``from_dict(spec.to_dict())`` gives it back)."""
        axes = dict(self.axes)
        return {
            "problem": {
                "images": list(self.images), "size": self.image_size,
                "degradations": [name if not params else {"name": name, **dict(params)}
                                 for name, params in self.degradations],
                "noise": list(self.noise), "seeds": list(self.seeds),
            },
            "run": {"methods": list(self.methods), "denoisers": list(self.denoisers)},
            "axes": {name: list(values) for name, values in axes.items()},
        }


# ----------------------------------------------------------------------------- checks


def _names(items: Iterable[str]) -> str:
    return ", ".join(items)


def _values(section: Mapping[str, Any], key: str, where: str | None = None) -> tuple:
    """A list from the spec (a scalar is a list of one); missing or empty is an error."""
    where = where or key
    name = key.split(".")[-1]
    if name not in section:
        raise SpecError(f"{where} is missing")
    value = section[name]
    values = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if not values:
        raise SpecError(f"{where} is empty: give at least one value")
    return values


def _strings(section: Mapping[str, Any], where: str) -> tuple[str, ...]:
    values = _values(section, where.split(".")[-1], where)
    for v in values:
        if not isinstance(v, str) or not v:
            raise SpecError(f"{where} must list names (strings), got {v!r}")
    if len(set(values)) != len(values):
        raise SpecError(f"{where} repeats a name: {list(values)}")
    return values


def _number(value: Any, where: str, minimum: float, open_minimum: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    number = float(value) if ok else math.nan
    if not (math.isfinite(number) and (number > minimum if open_minimum else number >= minimum)):
        rule = f"{'>' if open_minimum else '>='} {minimum:g}"
        raise SpecError(f"{where} takes finite numbers {rule}, got {value!r}")
    return number


def _integer(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(f"{where} takes whole numbers >= {minimum}, got {value!r}")
    return int(value)


def _image(value: Any, base: Path | None) -> str:
    from red_core import images

    if not isinstance(value, str) or not value:
        raise SpecError(f"problem.images must list names (strings), got {value!r}")
    if value in images.BUILTIN or value.startswith(UPLOAD_PREFIX):
        return value
    path = Path(value).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if path.is_file():
        return str(path.resolve())
    raise SpecError(f"unknown image {value!r} in problem.images: not a built-in "
                    f"({_names(images.BUILTIN)}) nor an image file")


def _degradation(value: Any, operators: Any) -> tuple[str, tuple[tuple[str, Any], ...]]:
    if isinstance(value, str):
        name, params = value, {}
    elif isinstance(value, Mapping) and isinstance(value.get("name"), str):
        name, params = value["name"], {k: v for k, v in value.items() if k != "name"}
    else:
        raise SpecError("problem.degradations lists names or tables {name = ..., <param> = "
                        f"...}}, got {value!r}")
    if name not in operators.names():
        raise SpecError(f"unknown degradation {name!r} in problem.degradations; choose from "
                        f"{_names(operators.names())}")
    spec = operators.entry(name)
    for key in params:
        if key not in {p.name for p in spec.params} or spec.param(key).kind == "object":
            accepted = [p.name for p in spec.params if p.kind != "object"]
            raise SpecError(f"degradation {name!r} has no parameter {key!r}; it takes "
                            f"{_names(accepted) or 'none'}")
    try:
        checked = {k: spec.param(k).check(v, name) for k, v in params.items()}
    except ValueError as err:
        raise SpecError(f"problem.degradations: {err}") from None
    return name, tuple(sorted(checked.items()))


def _check_sides(images_: tuple[str, ...], size: int, degradations: tuple, operators: Any) -> None:
    """Built-in images at ``size`` must be large enough for every degradation."""
    from red_core import images

    for name in images_:
        if name not in images.BUILTIN:
            continue  # files and uploads are checked when their cells run
        side = min(images.builtin(name, size=size).shape[:2])
        for deg, params in degradations:
            spec = operators.entry(deg)
            need = int(spec.min_side(spec.resolve(dict(params))))
            if side < need:
                raise SpecError(f"problem.size {size} is too small: {name} would be {side} "
                                f"pixels on its shorter side and {deg} needs at least {need}")


def _check_scale_axis(axis: str, values: tuple, methods: tuple[str, ...], solvers: Any) -> None:
    """A ``*_scale`` axis other than all ones needs every method to have its parameter."""
    param = SCALE_PARAMS[axis]
    if all(v == 1.0 for v in values):
        return
    lacking = [m for m in methods if param not in {p.name for p in solvers.entry(m).params}]
    if not lacking:
        return
    having = [m for m in solvers.names() if param in {p.name for p in solvers.entry(m).params}]
    if axis == "lam_scale":
        raise SpecError(f"axes.lam_scale: λ exists only for the RED methods, not for "
                        f"{_names(lacking)} (sweep beta_scale or denoiser_sigma for PnP, or "
                        "run two sweeps)")
    raise SpecError(f"axes.{axis}: {_names(lacking)} {'has' if len(lacking) == 1 else 'have'} "
                    f"no {param} (it exists for {_names(having)})")
