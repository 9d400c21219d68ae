"""Which digests exist in which languages: call × language -> final, draft, outdated or missing."""
from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipeline.model.catalog import Catalog
from pipeline.model.digest import Digest, Status


class State(enum.Enum):
    FINAL = "final"
    DRAFT = "draft"
    OUTDATED = "outdated"  # translated from a version that changed since
    MISSING = "missing"


@dataclass(frozen=True)
class TranslationTable:
    """The state of every call in every language, and how many catalog entries lack each language."""

    languages: tuple[str, ...]
    rows: tuple[tuple[int, tuple[State, ...]], ...]  # (call number, one state per language)
    lacking: tuple[int, ...]  # per language: catalog entries without its name or description


def translation_table(digests: Iterable[Digest], languages: Sequence[str], catalog: Catalog,
                      outdated: Iterable[str] = ()) -> TranslationTable:
    """Return the table of `digests`; `outdated` holds the ids of translations whose source changed since."""
    stale = set(outdated)
    found: dict[int, dict[str, Digest]] = {}
    for digest in digests:
        found.setdefault(digest.meta.number, {})[digest.language] = digest
    rows = []
    for number in sorted(found):
        versions: Mapping[str, Digest] = found[number]
        states = []
        for code in languages:
            digest = versions.get(code)
            if digest is None:
                states.append(State.MISSING)
            elif digest.id in stale:
                states.append(State.OUTDATED)
            else:
                states.append(State.FINAL if digest.meta.status is Status.FINAL else State.DRAFT)
        rows.append((number, tuple(states)))
    lacking = tuple(sum(1 for entry in catalog.entries if entry.lacks(code)) for code in languages)
    return TranslationTable(tuple(languages), tuple(rows), lacking)


def table_text(table: TranslationTable) -> str:
    """Return the table as `clinics status` prints it: a column per language, aligned."""
    width = max([len(State.OUTDATED.value), *map(len, table.languages)])
    head = "call  " + "  ".join(code.ljust(width) for code in table.languages)
    lines = [head.rstrip()]
    for number, states in table.rows:
        lines.append((f"{number:03d}".ljust(6) + "  ".join(s.value.ljust(width) for s in states)).rstrip())
    lines.append(("catalog entries lacking the language: "
                  + ", ".join(f"{code} {count}" for code, count in zip(table.languages, table.lacking))))
    return "\n".join(lines) + "\n"
