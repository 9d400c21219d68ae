"""What the renderers hand the build: one file of output, its path and its bytes."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    """One file of the build: its path under the output folder, and its bytes."""

    path: str
    data: bytes
