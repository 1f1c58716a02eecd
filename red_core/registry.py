"""The one mechanism behind the three registries (degradations, denoisers, algorithms).

Each registry module keeps a :class:`Registry` of its entries and adds its own checks of an
entry before :meth:`Registry.add`; look-ups, listing and removal are the same everywhere.

Examples
--------
>>> from red_core.registry import Registry
>>> shapes = Registry("shape")
>>> shapes.add("disk", 1)
1
>>> shapes.names(), shapes.get("disk")
(('disk',), 1)
>>> try:
...     shapes.get("cube")
... except ValueError as err:
...     print(err)
unknown shape 'cube'; choose one of disk
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Generic, TypeVar

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries in registration order.

    Parameters
    ----------
    kind : str
        What an entry is, for messages (``"denoiser"``, ``"operator"``, ``"method"``).
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T, replace: bool = False) -> T:
        """Register ``entry`` as ``name`` (an existing name needs ``replace=True``)."""
        if name in self._entries and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered (use replace=True)")
        self._entries[name] = entry
        return entry

    def remove(self, name: str) -> None:
        """Remove ``name`` (e.g. an entry a notebook or a test registered)."""
        self.get(name)
        del self._entries[name]

    def get(self, name: str) -> T:
        """The entry called ``name``; ``ValueError`` naming the choices when there is none."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise ValueError(f"unknown {self.kind} {name!r}; choose one of "
                             f"{', '.join(self._entries)}") from None

    def find(self, name: str) -> T | None:
        """The entry called ``name``, or None."""
        return self._entries.get(name) if isinstance(name, str) else None

    def names(self, keep: Callable[[T], bool] | None = None) -> tuple[str, ...]:
        """Registered names (those whose entry ``keep`` accepts), in registration order."""
        return tuple(n for n, e in self._entries.items() if keep is None or keep(e))

    def view(self) -> Mapping[str, T]:
        """The live registry, name -> entry (read-only)."""
        return MappingProxyType(self._entries)
