"""The algorithm registry: one :class:`Algorithm` entry per RED or PnP method.

An entry holds the generator (written like its formula), the family, the label, the update
rule (text and LaTeX), the parameters (:class:`red_core.params.Param` with ranges and help) and
how their defaults follow the problem, the step-size rule of its theory, which denoiser-sigma
group it belongs to and which parameter to lower when it diverges. The entries are registered
next to their generators (``red``, ``pnp``); :func:`register` adds one from anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from red_core.params import Param, check_params
from red_core.problem import Problem
from red_core.registry import Registry
from red_core.solvers.records import State

__all__ = ["Algorithm", "entry", "names", "register", "registry", "unregister"]

Denoiser = Callable[..., Any]


@dataclass(frozen=True)
class Algorithm:
    """One RED or PnP method.

    Parameters
    ----------
    name : str
        Registry name (``"red-fp"``).
    label : str
        Display name (``"RED fixed point"``); :attr:`short` is the acronym (``"RED-FP"``).
    family : {"red", "pnp"}
    generator : callable
        ``generator(problem, D, **params)`` yields the starting point, then one
        :class:`~red_core.solvers.records.State` per iteration.
    params : tuple of Param
        Its parameters; ``low``/``high`` are multiples of the default when ``relative``.
    defaults : callable
        ``defaults(problem, denoiser) -> dict`` of every parameter: values that work.
    update : str
        The update rule in plain text; ``formula`` the same in LaTeX.
    sigma_group : str
        Which suggested denoiser sigma it uses (``red_core.denoisers.SIGMA_GROUPS``).
    step_rule : str
        The step-size condition of its theory, in words.
    step_bound : callable, optional
        ``step_bound(problem, params) -> (bound, strict)`` for methods with a step size.
    lower_when_diverging : str
        The parameter to lower when the run diverges.
    denoised_at_iterate : bool
        Its states carry ``D(x)`` at the iterate, so the runner's objective and residual cost no
        extra denoiser call (RED-GD, RED-FP, RED-PG/DPG, PnP-HQS).
    derived : callable, optional
        ``derived(problem, params) -> dict``: defaults that follow other parameters, applied
        after the given values (RED-GD's step follows λ, RED-ADMM's β is λ).
    colour : str
        Its colour in every figure (RED warm, PnP cool).
    """

    name: str
    label: str
    short: str
    family: Literal["red", "pnp"]
    generator: Callable[..., Iterator[State]]
    params: tuple[Param, ...]
    defaults: Callable[[Problem, Denoiser | None], dict[str, Any]]
    update: str
    formula: str
    sigma_group: str
    step_rule: str
    lower_when_diverging: str
    colour: str = "#555555"
    denoised_at_iterate: bool = False
    derived: Callable[[Problem, Mapping[str, Any]], dict[str, Any]] | None = None
    step_bound: Callable[[Problem, Mapping[str, Any]], tuple[float, bool]] | None = None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise ValueError(f"{self.name} has no parameter {name!r}")

    def resolve(self, problem: Problem, denoiser: Denoiser | None,
                params: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter: the given ones checked, the others at their defaults."""
        defaults = self.defaults(problem, denoiser)
        resolved = check_params(params, self.params, self.name, lambda p: defaults[p.name])
        if self.derived is not None:
            given = {k for k, v in params.items() if v is not None}
            follow = self.derived(problem, resolved)
            resolved.update({k: v for k, v in follow.items() if k not in given})
        return resolved

    def step_ok(self, problem: Problem, params: Mapping[str, Any]) -> bool | None:
        """Whether the step size meets :attr:`step_rule` (None without a step size)."""
        if self.step_bound is None:
            return None
        bound, strict = self.step_bound(problem, params)
        return params["step"] < bound if strict else params["step"] <= bound * (1 + 1e-12)


_REGISTRY: Registry[Algorithm] = Registry("method")


def register(spec: Algorithm, replace: bool = False) -> Algorithm:
    """Add an algorithm (``replace=True`` to redefine one)."""
    if spec.family not in ("red", "pnp"):
        raise ValueError(f"{spec.name}: family must be 'red' or 'pnp', got {spec.family!r}")
    if spec.lower_when_diverging not in {p.name for p in spec.params}:
        raise ValueError(f"{spec.name}: lower_when_diverging must name one of its parameters")
    return _REGISTRY.add(spec.name, spec, replace)


def unregister(name: str) -> None:
    """Remove an algorithm (e.g. one a notebook or a test registered)."""
    _REGISTRY.remove(name)


def names(family: str | None = None) -> tuple[str, ...]:
    """Registered algorithm names (of one ``family``), in registration order."""
    return _REGISTRY.names(None if family is None else lambda a: a.family == family)


def entry(name: str) -> Algorithm:
    """The :class:`Algorithm` called ``name``."""
    return _REGISTRY.get(name)


def registry() -> Mapping[str, Algorithm]:
    """The live registry, name -> entry (read-only view)."""
    return _REGISTRY.view()
