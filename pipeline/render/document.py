"""What every output of a digest says, in the digest's language: the words shared by email and wiki.

Renderers differ in markup only; the sentences, headings, links and lists come from here,
so that the HTML email, the text email and the Meta page carry the same visible text.
"""
from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.model.archive import Archive
from pipeline.model.calendar import Call
from pipeline.model.digest import CatalogEntry, Digest, Topic
from pipeline.model.settings import Language, wiki_url


# What browsers and MediaWiki collapse into one space; a no-break or ideographic space is text.
BLANK = " \t\n\r\f"
BLANK_RUN = re.compile(f"[{BLANK}]+")


def collapsed(text: str) -> str:
    """Return `text` with each run of BLANK made one space, as a browser shows it."""
    if "  " in text or not text.isprintable():  # else there is nothing to collapse
        return BLANK_RUN.sub(" ", text)
    return text


@dataclass(frozen=True)
class Link:
    """A generated link: on Meta a wikilink to `page` when it is set, elsewhere `url`."""

    label: str
    url: str
    page: str = ""  # a page title on the wiki the archive lives on


@dataclass(frozen=True)
class Check:
    """A follow-up's box, ticked when it is answered; `state` says which in words, for screen readers."""

    done: bool
    state: str  # "open", "answered", in the document's language


Inline = str | Link | Check
Paragraph = tuple[Inline, ...]


@dataclass(frozen=True)
class ItemList:
    """A generated list after the topics, under its heading: the open and the answered follow-ups."""

    heading: str
    items: tuple[Paragraph, ...]


@dataclass(frozen=True)
class Section:
    heading: str  # "Topic 2: Universal Code of Conduct"
    topic: Topic


@dataclass(frozen=True)
class Document:
    """One digest version as its outputs present it."""

    digest: Digest
    language: Language
    title: str  # "Digest of Wikimedia Clinic #006"
    date_text: str  # "July 16th 2020"
    opening: tuple[Paragraph, ...]
    page: Link  # this version's page on Meta
    versions: tuple[Link, ...]  # the other language versions, on Meta
    sections: tuple[Section, ...]
    tools_heading: str
    tools: tuple[CatalogEntry, ...]
    upcoming_heading: str = ""
    upcoming: tuple[Paragraph, ...] = ()  # one list item per call after this digest's date
    followups: tuple[ItemList, ...] = ()  # filled by render/followups.py: earlier calls' open and answered items

    @property
    def topic_titles(self) -> tuple[str, ...]:
        """Return the titles of the topics volunteers brought (not the Introduction)."""
        return tuple(s.topic.title for s in self.sections if not s.topic.is_intro)


def page_title(archive: Archive, digest: Digest) -> str:
    """Return the Meta title of `digest`: Wikimedia Clinics/006, or Wikimedia Clinics/006/en."""
    base = f"{archive.site.wiki.page_prefix}/{digest.number_text}"
    main = archive.versions(digest.meta.number)[0]
    return base if main.id == digest.id else f"{base}/{digest.language}"


def fill(pattern: str, **values: Inline | Sequence[Inline]) -> Paragraph:
    """Return `pattern` with its {fields} replaced by text or links, as inline pieces."""
    pieces: list[Inline] = []
    for literal, name, spec, conversion in string.Formatter().parse(pattern):
        if literal:
            pieces.append(literal)
        if name is None:
            continue
        value = values[name]
        if isinstance(value, (str, Link, Check)):
            pieces.append(format(value, spec or "") if isinstance(value, str) else value)
        else:
            pieces.extend(value)
    return tuple(pieces)


def join_links(links: Sequence[Link], separator: str = ", ") -> list[Inline]:
    """Return `links` separated by `separator`, as inline pieces."""
    pieces: list[Inline] = []
    for n, link in enumerate(links):
        if n:
            pieces.append(separator)
        pieces.append(link)
    return pieces


def document(archive: Archive, digest: Digest) -> Document:
    """Return how every output presents `digest`."""
    site = archive.site
    language = site.language(digest.language)
    meta = digest.meta
    date_text = language.format_date(meta.date)
    sections = tuple(
        Section(language.t("topic", n=n, title=topic.title), topic) for n, topic in enumerate(digest.topics, 1))
    title = language.t("title", number=digest.number_text)
    own_title = page_title(archive, digest)
    page = Link(own_title, wiki_url(site, own_title), own_title)
    versions = tuple(
        Link(site.language(other.language).name, wiki_url(site, page_title(archive, other)),
             page_title(archive, other))
        for other in archive.versions(meta.number) if other.id != digest.id)
    return Document(
        digest=digest, language=language, title=title,
        date_text=date_text, opening=_opening(digest, language, date_text, versions),
        page=page, versions=versions, sections=sections,
        tools_heading=language.t("tools_heading"),
        tools=tuple(archive.catalog.get(entry_id) for entry_id in digest.citations),
        upcoming_heading=language.t("upcoming_heading"),
        upcoming=upcoming_lines(archive.upcoming(meta.date), language) or ((language.t("upcoming_none"),),))


def upcoming_lines(calls: Sequence[Call], language: Language) -> tuple[Paragraph, ...]:
    """Return one line per call: number, weekday, date, time in UTC, segment, meeting link."""
    return tuple(call_line(call, language) for call in calls)


def call_line(call: Call, language: Language) -> Paragraph:
    """Return "Call #010: Tuesday, September 15th 2020, 13:00 UTC – scheduled segment: … – join the call"."""
    day = call.start.date()
    key = "upcoming_call" if call.timed else "upcoming_call_untimed"
    pieces: list[Inline] = [language.t(key, number=call.number_text, weekday=language.weekdays[day.weekday()],
                                       date=language.format_date(day), time=f"{call.start:%H:%M}")]
    if call.scheduled and call.scheduled.presenter:
        pieces.append(" – " + language.t("upcoming_segment", topic=call.scheduled.topic,
                                         presenter=call.scheduled.presenter))
    elif call.scheduled:
        pieces.append(" – " + language.t("upcoming_segment_topic", topic=call.scheduled.topic))
    if call.link:
        pieces += [" – ", Link(language.t("meeting_link"), call.link)]
    return tuple(pieces)


def _opening(digest: Digest, language: Language, date_text: str, versions: Sequence[Link]) -> tuple[Paragraph, ...]:
    meta = digest.meta
    call_language = ""
    if meta.call_language != meta.language:
        name = language.language_names.get(meta.call_language, meta.call_language)
        call_language = language.t("call_language", language=name)
    sentences = [language.t("opening", number=digest.number_text, date=date_text, call_language=call_language)]
    if meta.intro:  # without the standard introduction (a call opened by a scheduled segment) it would not be true
        sentences.append(language.t("volunteer_topics"))
    attendance = meta.attendance
    if attendance and attendance.staff and attendance.volunteers:
        sentences.append(language.t("attendance", staff=attendance.staff, volunteers=attendance.volunteers))
    elif attendance and attendance.staff:
        sentences.append(language.t("attendance_staff", staff=attendance.staff))
    elif attendance and attendance.volunteers:
        sentences.append(language.t("attendance_volunteers", volunteers=attendance.volunteers))
    if meta.scheduled and meta.scheduled.presenter:
        sentences.append(language.t("scheduled", topic=meta.scheduled.topic, presenter=meta.scheduled.presenter))
    elif meta.scheduled:
        sentences.append(language.t("scheduled_topic", topic=meta.scheduled.topic))
    paragraphs: list[Paragraph] = [(" ".join(sentences),)]
    if versions:
        paragraphs.append(fill(language.strings["other_versions"], versions=join_links(versions)))
    return tuple(paragraphs)
