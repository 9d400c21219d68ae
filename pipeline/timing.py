"""Where a build spends its time, stage by stage, for the benchmark (`build --timings FILE`)."""
from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator

STAGES = ("load", "parse", "validate", "link", "html", "inline", "text", "mime", "wikitext", "write")

_spent: defaultdict[str, float] = defaultdict(float)


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the CPU time of the block to stage `name`."""
    start = time.process_time()
    try:
        yield
    finally:
        _spent[name] += time.process_time() - start


def spent() -> dict[str, float]:
    """Return the seconds spent per stage in this process so far."""
    return dict(_spent)


def merge(other: dict[str, float]) -> None:
    """Add the stage times of a worker process to this one's."""
    for name, seconds in other.items():
        _spent[name] += seconds


def since(before: dict[str, float]) -> dict[str, float]:
    """Return the seconds spent per stage since `before` (an earlier `spent()`)."""
    return {name: seconds - before.get(name, 0.0) for name, seconds in _spent.items()
            if seconds != before.get(name, 0.0)}
