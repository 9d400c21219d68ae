"""Writing files so that a reader sees the old bytes or the new ones, never a mix."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def replacing(target: Path, durable: bool = False) -> Iterator[BinaryIO]:
    """Yield a temporary file beside `target`; when the block ends well, it replaces `target`.

    `durable`: also sync the file and its folder, so that a crash right after cannot lose it
    (for the logs people commit, not for outputs a build makes again).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    if durable:
        sync_folder(target.parent)


def sync_folder(folder: Path) -> None:
    """Make the folder's list of files durable (a rename or a new file in it survives a crash)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(target: Path, data: bytes, durable: bool = False) -> None:
    """Replace `target` with `data` (see `replacing`)."""
    with replacing(target, durable) as handle:
        handle.write(data)
