"""One description of a user-settable parameter, shared by every registry entry.

A :class:`Param` says what a parameter is called (in code and on screen), its unit and one-line
help, its default, the range a page offers for it and the values the library accepts. Degradations
(:mod:`red_core.operators`), algorithms (:mod:`red_core.solvers`) and the pages read the same
entries: a page draws its widgets from them, parses URL values with :meth:`Param.parse_text` and
the library validates keyword arguments with :meth:`Param.check`.

Examples
--------
>>> from red_core.params import Param
>>> p = Param("blur_sigma", "Blur std", 1.6, low=0.5, high=5.0, step=0.1, unit="pixels",
...           help="Standard deviation of the Gaussian kernel.", minimum=0.0, open_minimum=True)
>>> p.check("2.5")
2.5
>>> p.parse_text("nan") is None
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Param", "check_params"]

Kind = Literal["float", "int", "choice", "bool", "object"]


@dataclass(frozen=True)
class Param:
    """A parameter of a degradation, an algorithm or a page.

    Parameters
    ----------
    name : str
        The keyword name in the library (``blur_sigma``, ``lam``).
    label : str
        What a page calls it (``"Blur std"``, ``"λ"``).
    default : any
        The default value; ``None`` when it is computed from the problem (algorithms).
    low, high, step : float, optional
        The range and step a page offers (slider or number input).
    unit : str
        Unit shown next to the value (``"pixels"``, ``"×1/255"``, ``""``).
    help : str
        One line: what the parameter does and which way to move it.
    kind : {"float", "int", "choice", "bool", "object"}
        ``object`` values (an explicit mask) are passed through unchecked.
    choices : tuple
        The allowed values of a ``choice``.
    minimum, maximum : float, optional
        What the library accepts (inclusive unless ``open_minimum`` / ``open_maximum``);
        wider than ``low``/``high``, which are only what a page offers.
    widget : bool
        False for library-only parameters a page does not draw (an explicit mask).
    log : bool
        A page should offer the range on a logarithmic scale.
    relative : bool
        ``low``/``high`` are multiples of a default computed from the problem (λ, β, μ).
    symbol : str
        The maths symbol (``"λ"``); ``label`` is the words.
    """

    name: str
    label: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    unit: str = ""
    help: str = ""
    kind: Kind = "float"
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    open_minimum: bool = False
    open_maximum: bool = False
    widget: bool = True
    log: bool = False
    relative: bool = False
    symbol: str = ""

    # ------------------------------------------------------------------ validation

    @property
    def rule(self) -> str:
        """The accepted values in words (for error messages)."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        what = "a whole number" if self.kind == "int" else "a finite number"
        parts = []
        if self.minimum is not None:
            parts.append(f"{'>' if self.open_minimum else '>='} {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"{'<' if self.open_maximum else '<='} {self.maximum:g}")
        return what + (" " + " and ".join(parts) if parts else "")

    def check(self, value: Any, owner: str = "") -> Any:
        """``value`` converted to the parameter's kind, or a ``ValueError`` naming the rule."""
        prefix = f"{owner}: " if owner else ""
        if self.kind == "object":
            return value
        if self.kind == "choice":
            for choice in self.choices:
                if value == choice or str(value) == str(choice):
                    return choice
            raise ValueError(f"{prefix}{self.name} must be {self.rule}, got {value!r}")
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{prefix}{self.name} must be {self.rule}, got {value!r}")
        try:
            if isinstance(value, bool):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{prefix}{self.name} must be {self.rule}, got {value!r}") from None
        if not math.isfinite(number) or not self._within(number):
            raise ValueError(f"{prefix}{self.name} must be {self.rule}, got {value!r}")
        if self.kind == "int":
            if number != int(number):
                raise ValueError(f"{prefix}{self.name} must be {self.rule}, got {value!r}")
            return int(number)
        return number

    def _within(self, v: float) -> bool:
        if self.minimum is not None and (v < self.minimum or (self.open_minimum
                                                              and v == self.minimum)):
            return False
        if self.maximum is not None and (v > self.maximum or (self.open_maximum
                                                              and v == self.maximum)):
            return False
        return True

    def offered(self, value: Any) -> bool:
        """Whether ``value`` (already checked) lies in the range a page offers."""
        if self.kind in ("choice", "bool", "object"):
            return True
        if self.low is not None and value < self.low:
            return False
        return not (self.high is not None and value > self.high)

    def parse_text(self, text: Any) -> Any:
        """A URL or form value for a page: the checked value inside the offered range, else
        ``None`` (the page falls back to the default and says so)."""
        try:
            value = self.check(text)
        except ValueError:
            return None
        return value if self.offered(value) else None


def check_params(
    params: Mapping[str, Any], specs: Iterable[Param], owner: str,
    defaults: Callable[[Param], Any] | None = None,
) -> dict[str, Any]:
    """Validate keyword arguments against ``specs``: unknown names and bad values raise one
    ``ValueError`` naming ``owner``; missing (or ``None``) ones take ``spec.default`` (or
    ``defaults(spec)``). Returns every parameter, in the order of ``specs``."""
    specs = tuple(specs)
    known = {p.name for p in specs}
    unknown = sorted(set(params) - known)
    if unknown:
        allowed = ", ".join(p.name for p in specs) or "no parameters"
        raise ValueError(f"{owner}: unknown parameter(s) {unknown}; allowed: {allowed}")
    out: dict[str, Any] = {}
    for p in specs:
        value = params.get(p.name)
        if value is None:
            out[p.name] = defaults(p) if defaults is not None else p.default
        else:
            out[p.name] = p.check(value, owner)
    return out
