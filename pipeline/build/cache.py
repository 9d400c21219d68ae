"""The build cache: what each digest file parsed to, and what its outputs were rendered from.

Keys are content hashes, never modification times: a digest is parsed again only when its
bytes or something its parse depends on change (the code, site.yaml, the catalog's names, the
introductions), and rendered again only when its parse or its rendering context changes (the
templates, the catalog entries it cites, its other versions, the upcoming calls it lists).

The cache lives in the output folder, where anyone who can write there could plant a file; and
unpickling a planted file runs its code. So the cache file starts with an HMAC-SHA256 of the rest,
keyed with a secret of the user's that lives outside the output folder (`key_path`: 32 random bytes,
mode 600, made on first use). A file whose MAC does not verify is never unpickled: the build starts
afresh and says so in one line. Pickle behind a MAC rather than JSON: the summaries are frozen
dataclasses of dates, enums and tuples, which pickle keeps exactly and loads in a fraction of the time.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import os
import pickle
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pipeline.build.files import replacing
from pipeline.model.diagnostics import Diagnostic
from pipeline.model.digest import Digest

CACHE_FOLDER = ".cache"
CACHE_FILE = f"{CACHE_FOLDER}/digests.pickle"
_FORMAT = 11  # bump when the pickled shape changes (11: follow-ups in Digest and Meta)
_MAGIC = b"clinics-cache\n"
KEY_ENV = "CLINICS_CACHE_KEY"  # where the key is, instead of the user's cache folder


def key_path() -> Path:
    """Return where the user's cache key is: $CLINICS_CACHE_KEY, else under $XDG_CACHE_HOME or ~/.cache."""
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clinics-digests" / "cache-key"


def cache_key() -> bytes | None:
    """Return the user's cache key, made on first use; None when it can be neither read nor made."""
    path = key_path()
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    except FileExistsError:
        pass  # another build made it meanwhile
    except OSError:
        return None
    try:
        return _read_key(path)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        key = handle.read(33)
    return key if len(key) == 32 else None


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
        self.note = ""  # one line for the user when an existing cache file was not used
        self.key = cache_key()
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
        except OSError:
            return  # no cache yet
        if self.key is None:
            self.note = f"no cache key at {key_path()}: building everything, and keeping no cache"
            return
        payload = _verified(data, self.key)
        if payload is None:
            self.note = f"{self.path} was not written by a build of yours, or is damaged: building everything anew"
            return
        try:
            self._load(io.BytesIO(payload))
        except (EOFError, ValueError, TypeError, pickle.UnpicklingError, AttributeError, ImportError, IndexError):
            # written by another version of the code: build from scratch
            self.entries, self.pages, self._blobs, self.world, self.contexts = {}, {}, {}, "", {}

    def _load(self, handle: BinaryIO) -> None:
        """Read the header, then, if it is this version's, every entry, one small pickle each."""
        stored_format, stored_salt, count, pages, world, contexts = pickle.load(handle)
        if stored_format != _FORMAT or stored_salt != self.salt:
            return
        if not (isinstance(count, int) and isinstance(pages, dict) and isinstance(world, str) and
                isinstance(contexts, dict)):
            raise ValueError("a cache header of another shape")
        for _ in range(count):
            path, blob = pickle.load(handle)
            entry = pickle.loads(blob)
            if not isinstance(path, str) or not isinstance(entry, Entry):
                raise ValueError("a cache entry of another shape")
            self.entries[path] = entry
            self._blobs[path] = (entry, blob)
        self.pages, self.world, self.contexts = pages, world, contexts

    def hit(self, display: str, parse_key: str) -> Entry | None:
        entry = self.entries.get(display)
        return entry if entry is not None and entry.parse_key == parse_key else None

    def save(self, keep: set[str]) -> None:
        """Write the entries of the files in `keep` atomically, behind their MAC; nothing without a key."""
        if self.key is None:
            return
        entries = {path: entry for path, entry in self.entries.items() if path in keep}
        contexts = {path: made for path, made in self.contexts.items() if path in keep}
        body = io.BytesIO()
        pickle.dump((_FORMAT, self.salt, len(entries), self.pages, self.world, contexts), body,
                    protocol=pickle.HIGHEST_PROTOCOL)
        for path, entry in entries.items():  # one pickle each: its memo never holds the whole cache
            loaded, blob = self._blobs.get(path, (None, b""))
            if loaded is not entry:  # an entry as it was loaded is written as it was read
                blob = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump((path, blob), body, protocol=pickle.HIGHEST_PROTOCOL)
        payload = body.getvalue()
        with replacing(self.path) as handle:
            handle.write(_MAGIC + hmac.digest(self.key, payload, "sha256") + payload)


def _verified(data: bytes, key: bytes) -> bytes | None:
    """Return what follows the MAC in `data` when the MAC is right for it under `key`, else None."""
    head = len(_MAGIC) + 32
    if len(data) < head or not data.startswith(_MAGIC):
        return None
    mac, payload = data[len(_MAGIC):head], data[head:]
    return payload if hmac.compare_digest(mac, hmac.digest(key, payload, "sha256")) else None

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
