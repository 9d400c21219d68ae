"""A digest as every stage sees it: its front matter, topics, citations and catalog entries."""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.model.localised import Localised
from pipeline.model.diagnostics import Location
from pipeline.model.followups import Closing, FollowUp
from pipeline.model.frozen import pickled_by_value

if TYPE_CHECKING:
    import xml.etree.ElementTree as etree


# The attribute the parser sets on an <a> element of a topic's tree that a catalog entry resolved: its id.
# Never rendered; the renderers read it to link the entry as each output links catalog entries.
CATALOG_ATTR = "data-catalog"


class Status(enum.Enum):
    DRAFT = "draft"
    FINAL = "final"


@pickled_by_value()
@dataclass(frozen=True, slots=True)
class Count:
    """A head count, exact or approximate ("~8")."""

    value: int
    approximate: bool = False

    def __str__(self) -> str:
        return f"~{self.value}" if self.approximate else str(self.value)


@pickled_by_value()
@dataclass(frozen=True, slots=True)
class Attendance:
    staff: Count | None = None
    volunteers: Count | None = None


@pickled_by_value()
@dataclass(frozen=True, slots=True)
class Scheduled:
    topic: str
    presenter: str = ""


META_KEYS = ("number", "date", "language", "call_language", "time", "duration", "attendance", "scheduled",
             "intro", "status", "answers", "translated_from", "source_version")


@pickled_by_value("language", "call_language")
@dataclass(frozen=True, slots=True)
class Meta:
    """A digest's front matter, validated."""

    number: int
    date: dt.date
    language: str
    call_language: str
    time: dt.time | None = None
    duration: int | None = None
    attendance: Attendance | None = None
    scheduled: Scheduled | None = None
    intro: bool = True
    status: Status = Status.FINAL
    answers: tuple[Closing, ...] = ()  # earlier follow-ups this digest answers, from `answers:`
    translated_from: str = ""  # the language of the version this one was translated from
    source_version: str = ""  # the content hash of that version when it was (clinics new --from)
    # Where each key of META_KEYS is written: line and column, one after the other (0 when absent).
    # Plain small ints, so that ten thousand cached summaries cost no objects for it.
    places: tuple[int, ...] = ()

    def key_location(self, key: str, path: str) -> Location:
        """Return where `key` is written in the file at `path`; its front matter's first line if absent."""
        index = 2 * META_KEYS.index(key)
        if index + 1 < len(self.places) and self.places[index]:
            return Location(path, self.places[index], self.places[index + 1])
        return Location(path, 1, 1)


@pickled_by_value()
@dataclass(frozen=True, slots=True)
class Topic:
    """One level-2 section of a digest; `elements` is its body after the heading."""

    title: str
    heading: etree.Element
    elements: tuple[etree.Element, ...]
    location: Location
    is_intro: bool = False


@pickled_by_value()
@dataclass(frozen=True, slots=True)
class CatalogEntry:
    id: str
    name: str
    description: str
    kind: str
    url: str  # absolute https URL, interwiki prefixes expanded
    page: str = ""  # wiki page with its interwiki prefix, when the target is a page
    aliases: tuple[str, ...] = ()  # in every language
    location: Location = field(default_factory=lambda: Location(""))
    names: Localised = Localised()  # the name in each language it is given in (`name` is the default's)
    descriptions: Localised = Localised()
    pages: tuple[tuple[str, str, str], ...] = ()  # (language, page, url) where a language has its own page

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.id, self.name, *(n for _, n in self.names.texts if n != self.name), *self.aliases)

    def lacks(self, code: str) -> bool:
        """Return whether the entry's name or description is not given in language `code`."""
        return bool(self.names and not self.names.has(code)) or bool(self.descriptions and not self.descriptions.has(code))

    def target(self, code: str) -> tuple[str, str]:
        """Return the url and page of the entry for readers of `code`: its own page there if it has one."""
        for language, page, url in self.pages:
            if language == code:
                return url, page
        return self.url, self.page


@pickled_by_value("citations")
@dataclass(frozen=True, slots=True)
class Digest:
    """One digest version, parsed once; every output is rendered from it."""

    id: str  # "001", "006.es"
    path: str
    meta: Meta
    topics: tuple[Topic, ...]
    citations: tuple[str, ...]  # catalog ids in order of first mention
    source_hash: str = ""
    titles: tuple[str, ...] = ()  # topic titles, kept when the trees are not (a cached summary)
    followups: tuple[FollowUp, ...] = ()  # the task-list items of its topics, in order
    closings: tuple[Closing, ...] = ()  # the earlier follow-ups it answers (front matter and body)

    @property
    def parsed(self) -> bool:
        """Return True when the topics' element trees are here, False for a summary."""
        return bool(self.topics)

    def summary(self) -> Digest:
        """Return this digest without its element trees: what archive-wide pages and checks need."""
        return dataclasses.replace(self, topics=())

    @property
    def number_text(self) -> str:
        return f"{self.meta.number:03d}"

    @property
    def language(self) -> str:
        return self.meta.language
