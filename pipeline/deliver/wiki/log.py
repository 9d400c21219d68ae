"""The publish log, <digests>/publish-log.json: what `clinics publish` last saved on each page of each wiki.

One JSON document, committed with the digests like the sent log, keyed by the wiki's api.php:

    {"version": 1,
     "wikis": {"https://meta.wikimedia.org/w/api.php": {
       "Wikimedia Clinics/001": {"base": 0, "revid": 1234, "sha256": "…", "timestamp": "2026-01-08T10:00:00Z"},
       "Wikimedia Clinics": {"base": 1200, "revid": 1240, "sha256": "…", "timestamp": "…",
                             "sections": {"archive": "…", "upcoming": "…"}}}}}

revid and timestamp: the revision our last edit made (or, for a page that already said exactly
what we would publish, the revision that said it); base: the revision that edit replaced, so that
every later revision but ours is someone else's (MediaWiki merges an edit saved meanwhile into
ours when the two change different lines); sha256: the hash of the text we sent, as MediaWiki
saves it; sections (the main page only): the hash of each generated section we sent, markers
included, so that an edit between the markers can be told from one elsewhere on the page.

The log is rewritten after every edit through a temporary file that is synced, then renamed over
the old one: an interrupted publish leaves a complete log of the edits it made.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.build.files import write_atomic
from pipeline.deliver.wiki.api import saved_form
from pipeline.model.diagnostics import ClinicsError

PUBLISH_LOG = "publish-log.json"
VERSION = 1


class PublishLogError(ClinicsError):
    """The publish log cannot be read, or another publish holds it."""


def text_hash(text: str) -> str:
    """Return the hash of `text` as the wiki saves it."""
    return hashlib.sha256(saved_form(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """What we last saved on one page: the revision, the revision it replaced, the hashes of our text."""

    revid: int
    timestamp: str
    sha256: str
    base: int = 0
    sections: tuple[tuple[str, str], ...] = ()  # (name, hash), the main page's generated sections

    def section(self, name: str) -> str | None:
        """Return the hash of generated section `name` as we sent it; None if we never sent it."""
        return dict(self.sections).get(name)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"revid": self.revid, "timestamp": self.timestamp, "sha256": self.sha256,
                                 "base": self.base}
        if self.sections:
            found["sections"] = dict(self.sections)
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Entry:
        sections = data.get("sections", {})
        if not isinstance(sections, dict) or not all(isinstance(v, str) for v in sections.values()):
            raise TypeError("'sections' must map section names to hashes")
        entry = cls(data["revid"], data["timestamp"], data["sha256"], data.get("base", 0),
                    tuple(sorted(sections.items())))
        if not (isinstance(entry.revid, int) and isinstance(entry.base, int) and isinstance(entry.timestamp, str)
                and isinstance(entry.sha256, str)):
            raise TypeError("revid and base must be numbers, timestamp and sha256 strings")
        return entry


class PublishLog:
    """The entries of one wiki in the publish log, and the log's other wikis, kept as they were."""

    def __init__(self, path: Path, wiki: str, document: dict[str, Any] | None = None) -> None:
        self.path = path
        self.wiki = wiki
        self._document = document or {"version": VERSION, "wikis": {}}
        raw = self._document["wikis"].get(wiki, {})
        self.entries: dict[str, Entry] = {}
        for title, data in raw.items():
            try:
                self.entries[title] = Entry.from_json(data)
            except (KeyError, TypeError, AttributeError) as exc:
                raise PublishLogError(f"{path}: the entry of '{title}' cannot be read ({exc})",
                                      "repair it from the file's history in git; nothing was published") from exc

    @classmethod
    def load(cls, path: Path, wiki: str) -> PublishLog:
        """Return the log in `path` (empty when there is none yet) for the wiki at `wiki`."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path, wiki)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PublishLogError(f"{path}: the publish log is not valid JSON ({exc})",
                                  "repair it from the file's history in git; nothing was published") from exc
        if not (isinstance(document, dict) and document.get("version") == VERSION
                and isinstance(document.get("wikis"), dict)
                and all(isinstance(pages, dict) for pages in document["wikis"].values())):
            raise PublishLogError(f"{path}: not a publish log of version {VERSION}",
                                  "repair it from the file's history in git; nothing was published")
        return cls(path, wiki, document)

    def get(self, title: str) -> Entry | None:
        return self.entries.get(title)

    def record(self, title: str, entry: Entry) -> None:
        """Set the entry of `title` and write the log to disk before returning."""
        if self.entries.get(title) == entry:
            return
        self.entries[title] = entry
        self._document["wikis"][self.wiki] = {t: e.to_json() for t, e in self.entries.items()}
        data = json.dumps(self._document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        write_atomic(self.path, data.encode("utf-8"), durable=True)


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the digests folder for one publish, or raise PublishLogError when another publish holds it."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PublishLogError(f"another publish is using {folder / PUBLISH_LOG}",
                                  "wait for it to finish, then run publish again") from exc
        yield
    finally:
        os.close(fd)
