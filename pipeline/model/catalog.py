"""The catalog of tools and resources: its entries, and the index from every id, name and alias."""
from __future__ import annotations

import collections
import difflib
import functools
import re
from dataclasses import dataclass, field

from pipeline.model.digest import CatalogEntry
from pipeline.model.settings import Site, encode_title


@dataclass(frozen=True)
class Catalog:
    """Every entry, and an index from each lower-cased id, name and alias to its entry."""

    entries: tuple[CatalogEntry, ...] = ()
    path: str = "digests/catalog.yaml"
    index: dict[str, CatalogEntry] = field(default_factory=dict, compare=False)
    source_hash: str = field(default="", compare=False)

    @functools.cached_property
    def mention_pattern(self) -> re.Pattern[str] | None:
        """Return a pattern matching any entry's name or alias as a whole word (case-sensitive)."""
        labels = sorted({label for e in self.entries for label in e.labels[1:]}, key=len, reverse=True)
        if not labels:
            return None
        return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, labels)) + r")(?!\w)")

    def mentioned(self, label: str) -> CatalogEntry:
        """Return the entry with name or alias `label` exactly."""
        return self.index[fold_label(label)]

    def lookup(self, label: str) -> CatalogEntry | None:
        """Return the entry whose id, name or alias is `label` (case-insensitive)."""
        return self.index.get(fold_label(label))

    def get(self, entry_id: str) -> CatalogEntry:
        return self.index[entry_id]

    def suggest(self, label: str) -> str:
        """Return a hint naming the nearest ids to `label`.

        difflib compares `label` with each candidate in turn, some ten microseconds each: against
        every key of a large catalog, a thousand unknown references took half a minute. The
        candidates are the keys sharing the most three-letter pieces with `label`, the rarest pieces
        counted first (at most SUGGESTION_BUDGET keys looked at, SUGGESTION_CANDIDATES compared), and
        each label is answered once.
        """
        folded = fold_label(label)
        if folded not in self._suggested:
            counts: collections.Counter[str] = collections.Counter()
            touched = 0
            for piece in sorted(_pieces(folded), key=lambda p: (len(self._by_piece.get(p, ())), p)):
                keys = self._by_piece.get(piece, ())  # the rarest pieces first: they tell the most
                if touched and touched + len(keys) > SUGGESTION_BUDGET:
                    break
                counts.update(keys)
                touched += len(keys)
            candidates = [key for key, _ in counts.most_common(SUGGESTION_CANDIDATES)]
            close = difflib.get_close_matches(folded, candidates, n=3, cutoff=0.6)
            self._suggested[folded] = list(dict.fromkeys(self.index[c].id for c in close))
        ids = self._suggested[folded]
        if not ids:
            return "add an entry to the catalog, or define the link in the digest: [label]: https://…"
        quoted = " or ".join(f"'{i}'" for i in ids)
        return f"did you mean {quoted}?"

    @functools.cached_property
    def _by_piece(self) -> dict[str, list[str]]:
        """Each three-letter piece of an index key -> the keys holding it."""
        found: dict[str, list[str]] = {}
        for key in self.index:
            for piece in _pieces(key):
                found.setdefault(piece, []).append(key)
        return found

    @functools.cached_property
    def _suggested(self) -> dict[str, list[str]]:
        return {}


SUGGESTION_CANDIDATES = 20
SUGGESTION_BUDGET = 2000  # keys looked at per suggestion, whatever the catalog's size


def _pieces(text: str) -> set[str]:
    """Return the three-letter pieces of `text`, padded so that a short word has some."""
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def fold_label(label: str) -> str:
    """Return `label` as the index keys it: spaces collapsed, case folded."""
    return " ".join(label.split()).casefold()


def page_url(page: str, site: Site) -> str | None:
    """Return the https URL of an interwiki page, as MediaWiki encodes titles; None if the prefix is unknown."""
    prefix, title = split_prefix(page, site)
    if prefix is None:
        return None
    return site.interwiki[prefix].replace("$1", encode_title(title.strip()))


def split_prefix(page: str, site: Site) -> tuple[str | None, str]:
    """Return the longest interwiki prefix of `page` known to `site`, and the title after it."""
    parts = page.split(":")
    for n in range(len(parts) - 1, 0, -1):
        prefix = ":".join(parts[:n])
        if prefix in site.interwiki:
            return prefix, ":".join(parts[n:])
    return None, page
