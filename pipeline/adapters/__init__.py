"""The only code that knows a dependency's internals: one module per library.

Each adapter uses a library's private or undocumented members for a reason it states (speed a
user waits for, or a scan that stays linear on hostile input), checks at first use that those
members still behave as it expects, and otherwise falls back to the library's public behaviour:
slower, the same output, and one note on standard error. Each has a contract test
(tests/test_adapters.py) that runs the unpatched library in a process of its own.
"""
from __future__ import annotations

import sys

_noted: set[str] = set()


def fall_back(library: str, version: str, reason: str) -> None:
    """Say once per process that `library` is used through its public behaviour, and why."""
    if library in _noted:
        return
    _noted.add(library)
    print(f"clinics: note: {library} {version}: {reason}; using its public behaviour instead "
          "(slower, the same output)", file=sys.stderr)
