"""Render keys: the hash of everything a digest's outputs are made from, so that only what changed is rendered."""
from __future__ import annotations

from pipeline.build.cache import Entry, fingerprint, fingerprint_rows
from pipeline.model.archive import Archive
from pipeline.model.digest import Digest


class RenderKeys:
    """What the outputs of a digest are made from, hashed; the catalog's and calls' hashes made once."""

    def __init__(self, archive: Archive, salt: str) -> None:
        self.archive = archive
        self.salt = salt
        self.entries = {e.id: fingerprint(e.name, e.description, e.kind, e.url, e.page, e.names, e.descriptions, e.pages) for e in archive.catalog.entries}
        self.calls: dict[object, str] = {}
        self.digests: dict[tuple[str, str], str] = {}  # (path, parse key) -> render key
        # Everything a render key is made from but the digest's own parse key: the templates, every
        # catalog entry, the schedule, and what each digest's front matter says about its call (its
        # versions, and the calls after a digest's date, come from those). The same world and parse
        # key give the same render key, so the keys made in a build of the same world are kept.
        self.world = fingerprint_rows(
            (salt, sorted(self.entries.items()), archive.calls),
            ((d.id, d.meta.number, d.language, d.meta.call_language, d.meta.date, d.meta.time, d.meta.duration,
              d.meta.scheduled, d.meta.status, d.followups, d.closings) for d in archive.digests))

    def remember(self, contexts: dict[str, tuple[str, str]]) -> None:
        """Take the render keys made by a build of the same world: path -> (parse key, render key)."""
        self.digests.update(((path, parse_key), key) for path, (parse_key, key) in contexts.items())

    def known(self, entries: dict[str, Entry]) -> dict[str, tuple[str, str]]:
        """Return the render key made for each of `entries` (path -> entry), as `remember` takes them."""
        found = {}
        for path, entry in entries.items():
            key = self.digests.get((path, entry.parse_key))
            if key is not None:
                found[path] = (entry.parse_key, key)
        return found

    def key(self, digest: Digest, parse_key: str) -> str:
        """Return the hash of everything the outputs of `digest` are made from, whatever their stage."""
        if (digest.path, parse_key) not in self.digests:
            self.digests[digest.path, parse_key] = self._context(digest, parse_key)
        return self.digests[digest.path, parse_key]  # one string for every stage: a result holds it once

    def _context(self, digest: Digest, parse_key: str) -> str:
        """Return the hash of what all outputs of `digest` are made from.

        The digest's own bytes are in `parse_key`; beside them: the templates (the salt), the
        catalog entries it cites, its other versions, the upcoming calls it lists, the digests its Meta
        page links as the previous and next, and the follow-ups it shows (its own with their answers,
        and the earlier ones open or answered as of its call).
        """
        archive = self.archive
        upcoming = []
        for call in archive.upcoming(digest.meta.date):
            if call not in self.calls:
                self.calls[call] = fingerprint(call.number, call.start, call.duration, call.link, call.language,
                                               call.scheduled, call.note, call.topics, call.timed)
            upcoming.append(self.calls[call])
        versions = [(d.id, d.language) for d in archive.versions(digest.meta.number)]
        cited = [self.entries[i] for i in digest.citations]
        neighbours = [(d.id, d.meta.number) if d else None for d in archive.neighbours(digest)]
        return fingerprint(parse_key, self.salt, cited, versions, upcoming, neighbours,
                           archive.followups.view(digest))
