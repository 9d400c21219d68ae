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
from pipeline.model.locale import direction, list_pattern
from pipeline.model.localised import Localised
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
    lang: str = ""  # the label's language, when it is not the output's (a catalog name lacking a translation)
    dir: str = ""


@dataclass(frozen=True)
class Check:
    """A follow-up's box, ticked when it is answered; `state` says which in words, for screen readers."""

    done: bool
    state: str  # "open", "answered", in the document's language


@dataclass(frozen=True)
class Foreign:
    """Text in another language than the output's, taken because a translation is lacking.

    HTML and wikitext mark it (lang, dir), so that a screen reader reads it with the right voice;
    plain text shows it as it is.
    """

    text: str
    lang: str
    dir: str = "ltr"


Inline = str | Link | Check | Foreign


def shown(text: Localised, language: Language) -> Inline:
    """Return `text` for an output in `language`: plain if it is given in it, else marked as Foreign."""
    value, code = text.pick(language.code)
    return value if code == language.code else Foreign(value, code, direction(code))


def entry_item(entry: CatalogEntry, language: Language) -> Paragraph:
    """Return a catalog entry for readers of `language`: its name linked, " – ", its description.

    Each in `language` where the catalog gives it, else in English and marked (Link.lang, Foreign).
    """
    url, page = entry.target(language.code)
    name = shown(entry.names, language) if entry.names else entry.name
    description = shown(entry.descriptions, language) if entry.descriptions else entry.description
    link = (Link(name.text, url, page, name.lang, name.dir) if isinstance(name, Foreign)
            else Link(str(name), url, page))
    return (link, " – ", description)


def plain(piece: Inline) -> str:
    """Return the visible text of an inline piece."""
    if isinstance(piece, Check):
        return piece.state
    return piece if isinstance(piece, str) else piece.label if isinstance(piece, Link) else piece.text
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
    """Return `pattern` with its {fields} replaced by text or links, as inline pieces.

    As Language.t does, a text value ending in a full stop before the pattern's own keeps one.
    """
    pieces: list[Inline] = []
    stop_from_value = False
    for literal, name, spec, conversion in string.Formatter().parse(pattern):
        if literal:
            pieces.append(literal[1:] if stop_from_value and literal.startswith(".") else literal)
            stop_from_value = False
        if name is None:
            continue
        value = values[name]
        if isinstance(value, (str, Link, Check, Foreign)):
            text = format(value, spec or "") if isinstance(value, str) else value
            if text:
                pieces.append(text)
                stop_from_value = isinstance(text, str) and text.endswith(".")
        else:
            pieces.extend(value)
            stop_from_value = bool(value) and isinstance(value[-1], str) and value[-1].endswith(".")
    return tuple(piece for piece in pieces if piece)


def join_links(links: Sequence[Link], language: Language | None = None) -> list[Inline]:
    """Return `links` as the language lists them ("A, B y C"; ", " between them without a language)."""
    if language is None:
        pieces: list[Inline] = []
        for n, link in enumerate(links):
            pieces += [", ", link] if n else [link]
        return pieces
    return list(fill(list_pattern(language.code, len(links)), **{f"v{n}": link for n, link in enumerate(links)}))


def document(archive: Archive, digest: Digest) -> Document:
    """Return how every output presents `digest`."""
    site = archive.site
    language = site.language(digest.language)
    meta = digest.meta
    date_text = language.date(meta.date)
    sections = tuple(
        Section(language.t("topic", n=n, title=topic.title), topic) for n, topic in enumerate(digest.topics, 1))
    title = language.t("title", number=digest.number_text)
    own_title = page_title(archive, digest)
    page = Link(own_title, wiki_url(site, own_title), own_title)
    versions = tuple(  # each named in its own language, and marked so: read in its own voice
        Link(site.language(other.language).name, wiki_url(site, page_title(archive, other)),
             page_title(archive, other), other.language, direction(other.language))
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
    key = "upcoming_call" if call.timed else "upcoming_call_untimed"
    pieces: list[Inline] = [language.t(key, number=call.number_text, **language.when(call.start))]
    if call.scheduled:
        pieces += merged([" – ", *segment(call, language, "upcoming_segment")])
    if call.link:
        pieces += [" – ", Link(language.t("meeting_link"), call.link)]
    return tuple(pieces)


def merged(pieces: Sequence[Inline]) -> Paragraph:
    """Return `pieces` with each run of adjacent plain texts made one."""
    out: list[Inline] = []
    for piece in pieces:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        elif piece:
            out.append(piece)
    return tuple(out)


def segment(call: Call, language: Language, key: str) -> Paragraph:
    """Return the sentence `key` (upcoming_segment, scheduled) about the call's segment, its topic in `language`."""
    assert call.scheduled is not None
    topic = shown(call.topics, language) if call.topics else call.scheduled.topic
    if call.scheduled.presenter:
        return fill(language.strings[key], topic=topic, presenter=call.scheduled.presenter)
    return fill(language.strings[f"{key}_topic"], topic=topic)


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
        paragraphs.append(fill(language.strings["other_versions"], versions=join_links(versions, language)))
    return tuple(paragraphs)
