"""The build cache: what each digest file parsed to, and what its outputs were rendered from.

Keys are content hashes, never modification times: a digest is parsed again only when its
bytes or something its parse depends on change (the code, site.yaml, the catalog's names, the
introductions), and rendered again only when its parse or its rendering context changes (the
templates, the catalog entries it cites, its other versions, the upcoming calls it lists).
"""
from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pipeline.build.files import replacing
from pipeline.model.diagnostics import Diagnostic
from pipeline.model.digest import Digest

CACHE_FOLDER = ".cache"
CACHE_FILE = f"{CACHE_FOLDER}/digests.pickle"
_FORMAT = 9  # bump when the pickled shape changes


@dataclass(slots=True)
class Entry:
    """What one digest file gave the last time it was parsed and rendered."""

    parse_key: str
    digest: Digest | None  # a summary (no element trees); None when the file had errors
    diagnostics: list[Diagnostic]
    rendered: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # stage -> (key, outputs)


class BuildCache:
    """Entries by source path, loaded from and saved to the output folder."""

    def __init__(self, out: Path, salt: str) -> None:
        self.path = out / CACHE_FILE
        self.salt = salt
        self.entries: dict[str, Entry] = {}
        self.pages: dict[str, tuple[str, tuple[str, ...]]] = {}  # stage -> (key, outputs) of archive-wide files
        self._blobs: dict[str, tuple[Entry, bytes]] = {}  # each entry as loaded, and its pickle
        # What the render keys were made from (see RenderKeys.world), and each digest's: path ->
        # (parse key, render key). While the world stays the same, they need not be made again.
        self.world = ""
        self.contexts: dict[str, tuple[str, str]] = {}
        try:
            with open(self.path, "rb") as handle:
                self._load(handle)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError, AttributeError, ImportError):
            # no cache, or one from another version: build from scratch
            self.entries, self.pages, self._blobs, self.world, self.contexts = {}, {}, {}, "", {}

    def _load(self, handle: BinaryIO) -> None:
        """Read the header, then, if it is this version's, every entry, one small pickle each."""
        stored_format, stored_salt, count, pages, world, contexts = pickle.load(handle)
        if stored_format != _FORMAT or stored_salt != self.salt:
            return
        for _ in range(count):
            path, blob = pickle.load(handle)
            entry = pickle.loads(blob)
            self.entries[path] = entry
            self._blobs[path] = (entry, blob)
        self.pages, self.world, self.contexts = pages, world, contexts

    def hit(self, display: str, parse_key: str) -> Entry | None:
        entry = self.entries.get(display)
        return entry if entry is not None and entry.parse_key == parse_key else None

    def save(self, keep: set[str]) -> None:
        """Write the entries of the files in `keep` atomically."""
        entries = {path: entry for path, entry in self.entries.items() if path in keep}
        contexts = {path: made for path, made in self.contexts.items() if path in keep}
        with replacing(self.path) as handle:
            pickle.dump((_FORMAT, self.salt, len(entries), self.pages, self.world, contexts), handle,
                        protocol=pickle.HIGHEST_PROTOCOL)
            for path, entry in entries.items():  # one pickle each: its memo never holds the whole cache
                loaded, blob = self._blobs.get(path, (None, b""))
                if loaded is not entry:  # an entry as it was loaded is written as it was read
                    blob = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump((path, blob), handle, protocol=pickle.HIGHEST_PROTOCOL)


def fingerprint(*parts: object) -> str:
    """Return a short hash of `parts` (bytes, strings, or anything with a stable repr)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:32]


def fingerprint_rows(head: object, rows: Iterable[object]) -> str:
    """Return a hash of `head` and `rows`, one row at a time: never the repr of them all at once."""
    h = hashlib.sha256(repr(head).encode("utf-8"))
    for row in rows:
        h.update(b"\0" + repr(row).encode("utf-8"))
    return h.hexdigest()[:32]


def folder_fingerprint(*folders: Path, pattern: str = "*") -> str:
    """Return a hash of the names and bytes of the files in `folders`."""
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:32]
