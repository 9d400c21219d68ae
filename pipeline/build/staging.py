"""Staging and committing outputs: the lock, the staging folder, atomic renames, the manifest of what was made.

A build writes each output into a staging folder of its own, and moves it into place (an atomic
rename) only when the whole build succeeded; the manifest lists each stage's files, so that the
next build removes those it no longer makes.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path

from pipeline import timing
from pipeline.build.files import write_atomic
from pipeline.build.stages import stages
from pipeline.model.diagnostics import ClinicsError, UsageError

MANIFEST = ".manifest.json"


class BuildLocked(ClinicsError):
    """Another build holds the output folder."""


class OutputClash(Exception):
    """Two renderers produced the same path: a programmer error."""


# Fault injection for the interrupted-build test: with this variable set to a path, the build writes
# its pid there once every output is staged and none is committed, then waits for a signal.
PAUSE_BEFORE_COMMIT = "CLINICS_PAUSE_BEFORE_COMMIT"


def pause_before_commit() -> None:
    flag = os.environ.get(PAUSE_BEFORE_COMMIT)
    if flag:
        Path(flag).write_text(str(os.getpid()), encoding="ascii")
        signal.pause()


def claim(produced: set[str], paths: Iterable[str]) -> None:
    """Add `paths` to the outputs of this build; a path made twice is a programmer's error."""
    for path in paths:
        if path in produced:
            raise OutputClash(path)
        produced.add(path)


def files_under(out: Path) -> set[str]:
    """Return the path of every file under `out`, relative to it (one directory scan, no stat per file)."""
    found = set()
    for folder, _, names in os.walk(out):
        relative = os.path.relpath(folder, out)
        prefix = "" if relative == "." else relative + "/"
        found.update(prefix + name for name in names)
    return found


def stage_file(path: Path, data: bytes) -> None:
    """Write a file of the staging folder: private to this build, so a plain write will do."""
    try:
        handle = open(path, "wb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "wb")
    with handle:
        handle.write(data)


def commit(staged: Path, target: Path) -> bool:
    """Move a staged file into place (an atomic rename), unless the target holds its bytes; return whether it moved."""
    with timing.stage("write"):
        try:
            same = target.stat().st_size == staged.stat().st_size and target.read_bytes() == staged.read_bytes()
        except OSError:
            same = False
        if same:
            return False
        try:
            os.replace(staged, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
    return True


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the output folder's lock, or raise BuildLocked at once.

    A folder created for the lock alone is removed again when nothing was written in it.
    """
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    lock = out / ".lock"
    try:
        try:  # never through a symbolic link: opening one for writing would write where it points
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ClinicsError(f"'{lock}' is a symbolic link, not the build's lock file",
                                   "remove it (the build makes its own) and build again") from exc
            raise
        with os.fdopen(fd, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise BuildLocked(f"another build is writing to '{out}'; wait for it to finish, then run it again") from exc
                raise
            for stale in out.glob(".staging-*"):  # left by a build that was killed
                shutil.rmtree(stale, ignore_errors=True)
            yield
    finally:
        if created and [p.name for p in out.iterdir()] == [".lock"]:
            lock.unlink()
            out.rmdir()


def check_out(out: Path, sources: Iterable[Path]) -> None:
    """Raise UsageError when the output folder is, holds or lies inside one of the `sources` folders.

    A build writes and deletes under its output folder: among the digests or the templates, it
    would mix its files with the sources, and its next build could remove them.
    """
    target = out.resolve()
    for source in sources:
        folder = source.resolve()
        if target == folder or folder in target.parents or target in folder.parents:
            raise UsageError(f"--out '{out}' {'is' if target == folder else 'overlaps'} the source folder '{source}'",
                             "build into a folder of its own, e.g. --out build")


def same(target: Path, data: bytes) -> bool:
    try:
        return target.stat().st_size == len(data) and target.read_bytes() == data
    except OSError:
        return False


def remove_stale(out: Path, produced: set[str], only: set[str]) -> list[str]:
    """Delete the files an earlier build made that this one no longer makes, in the stages built.

    The manifest is read as untrusted: an entry is removed only if it names a file inside its
    stage's folder of `out`, through no symbolic link; anything else is left alone, and named in the
    notes returned.
    """
    manifest_path = out / MANIFEST
    notes = []
    try:
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        previous = {}
    except (OSError, ValueError):
        previous = {}
        notes.append(f"{manifest_path} could not be read; files earlier builds made and this one does not are kept")
    if not isinstance(previous, dict):
        previous = {}
        notes.append(f"{manifest_path} is not a manifest; files earlier builds made and this one does not are kept")
    root = out.resolve()
    current = {}
    for stage in stages():
        files = sorted(p for p in produced if p.startswith(stage.prefix))
        listed = previous.get(stage.name, [])
        listed = [p for p in listed if isinstance(p, str)] if isinstance(listed, list) else []
        if only and stage.name not in only:
            files = [p for p in listed if _inside(root, p, stage.prefix)]
        else:
            for stale in sorted(set(listed) - set(files)):
                if not _inside(root, stale, stage.prefix):
                    notes.append(f"{manifest_path} names '{stale}', which is not a file of the {stage.name} stage "
                                 "of this folder: left alone")
                    continue
                with contextlib.suppress(OSError):
                    (out / stale).unlink()
        current[stage.name] = files
    write_atomic(manifest_path, json.dumps(current, indent=1, sort_keys=True).encode())
    return notes


def _inside(root: Path, name: str, prefix: str) -> bool:
    """Return whether `name` is a plain relative path under `prefix` whose folder is inside `root`."""
    parts = Path(name).parts
    if not name.startswith(prefix) or Path(name).is_absolute() or ".." in parts or "\\" in name or "\0" in name:
        return False
    try:
        folder = (root / name).parent.resolve(strict=False)
    except (OSError, RuntimeError):
        return False
    return folder == root or root in folder.parents
