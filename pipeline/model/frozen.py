"""Frozen dataclasses that pickle small: the build cache keeps thousands of them."""
from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def pickled_by_value(*shared: str) -> Callable[[type[T]], type[T]]:
    """Make a frozen, slotted dataclass pickle as its class and field values.

    What dataclasses give such a class looks its fields up on every load; a build loads
    thousands of cached summaries, each a handful of these, before it can do anything.
    The strings of the fields named in `shared` (a string, or a tuple of them) are interned
    when loaded: ten thousand summaries citing the same entries then hold each id once.
    """
    def decorate(cls: type[T]) -> type[T]:
        names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        interned = tuple(names.index(name) for name in shared)

        def __reduce__(self: T) -> tuple[Callable[..., T], tuple[object, ...]]:
            values = tuple(getattr(self, name) for name in names)
            return (_loaded, (cls, interned, values)) if interned else (cls, values)

        cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
        return cls
    return decorate


def _loaded(cls: type[T], interned: tuple[int, ...], values: tuple[object, ...]) -> T:
    given = list(values)
    for index in interned:
        value = given[index]
        given[index] = sys.intern(value) if isinstance(value, str) else tuple(map(sys.intern, value))  # type: ignore
    return cls(*given)
