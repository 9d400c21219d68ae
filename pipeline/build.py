"""Run the stages and write every output atomically, never one path twice."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import timing
from .archive import Archive
from .model import Digest, Status

MANIFEST = ".manifest.json"


@dataclass(frozen=True)
class Output:
    """One file of the build: its path under the output folder, and its bytes."""

    path: str
    data: bytes


DigestRenderer = Callable[[Archive, Digest], Iterable[Output]]
ArchiveRenderer = Callable[[Archive], Iterable[Output]]


@dataclass(frozen=True)
class Stage:
    """A named group of outputs that `build --only NAME` can rebuild alone."""

    name: str
    per_digest: DigestRenderer | None = None
    per_archive: ArchiveRenderer | None = None
    finals_only: bool = True


class BuildLocked(Exception):
    """Another build holds the output folder."""


class OutputClash(Exception):
    """Two renderers produced the same path: a programmer error."""


def stages() -> list[Stage]:
    """Return every stage, in the order outputs are produced."""
    from . import ical, model_json

    found = [Stage("model", per_digest=model_json.render, finals_only=False),
             Stage("calendar", per_archive=ical.render)]
    import importlib

    try:  # TEMPORARY-WIRING: until the email and wiki stages land
        email_mime = importlib.import_module("pipeline.email_mime")
        found.append(Stage("emails", per_digest=email_mime.render))
    except ModuleNotFoundError:
        pass
    try:
        wikitext = importlib.import_module("pipeline.wikitext")
        wikipages = importlib.import_module("pipeline.wikipages")
        found.append(Stage("wiki", per_digest=wikitext.render, per_archive=wikipages.render))
    except ModuleNotFoundError:
        pass
    return found


def render(archive: Archive, only: Iterable[str] = ()) -> Iterator[Output]:
    """Yield every output of `archive`, stage by stage."""
    wanted = set(only)
    for stage in stages():
        if wanted and stage.name not in wanted:
            continue
        for digest in archive.digests:
            if stage.per_digest and (digest.meta.status is Status.FINAL or not stage.finals_only):
                yield from stage.per_digest(archive, digest)
        if stage.per_archive:
            yield from stage.per_archive(archive)


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the output folder's lock, or raise BuildLocked at once."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise BuildLocked(str(out)) from exc
            raise
        yield


def write_outputs(out: Path, outputs: Iterable[Output], only: Iterable[str] = ()) -> tuple[int, int]:
    """Write `outputs` under `out` atomically; return (files written, files unchanged).

    Files of an earlier build that this one no longer makes are removed, within
    the stages built.
    """
    written = unchanged = 0
    seen: set[str] = set()
    for output in outputs:
        if output.path in seen:
            raise OutputClash(output.path)
        seen.add(output.path)
        target = out / output.path
        with timing.stage("write"):
            if _same(target, output.data):
                unchanged += 1
                continue
            write_atomic(target, output.data)
        written += 1
    _remove_stale(out, seen, set(only))
    return written, unchanged


def _same(target: Path, data: bytes) -> bool:
    try:
        return target.stat().st_size == len(data) and target.read_bytes() == data
    except OSError:
        return False


def write_atomic(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a temporary file and a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _remove_stale(out: Path, produced: set[str], only: set[str]) -> None:
    manifest_path = out / MANIFEST
    try:
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    names = [stage.name for stage in stages()]
    current = {}
    for name in names:
        prefix = _stage_prefixes(name)
        files = sorted(p for p in produced if p.startswith(prefix))
        if only and name not in only:
            files = previous.get(name, [])
        else:
            for stale in set(previous.get(name, [])) - set(files):
                with contextlib.suppress(OSError):
                    (out / stale).unlink()
        current[name] = files
    write_atomic(manifest_path, json.dumps(current, indent=1, sort_keys=True).encode())


def _stage_prefixes(name: str) -> str:
    return {"model": "model/", "emails": "email/", "wiki": "wiki/", "calendar": "calendar/"}.get(name, name + "/")
