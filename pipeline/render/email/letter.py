"""The letter: an email as both its bodies present it, and the frame every letter shares.

A digest's letter (mime.compose) frames its document; an announcement's (announce.compose) has an
opening and no sections. Both get the same greeting, signature, footer and archive link here, and
one subject line made safe for a header.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.model.settings import Language, Site, wiki_url
from pipeline.render.document import Link, Paragraph, Section

SUBJECT_LIMIT = 150  # characters; longer subjects are cut at a word and end with "…"
_SPACE = re.compile(r"\s+")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class ItemSection:
    """A section after the topics that is one list: the tools mentioned, the upcoming calls."""

    heading: str
    items: tuple[Paragraph, ...]


@dataclass(frozen=True)
class Letter:
    """An email as both bodies present it: a title, an opening, sections, lists, a signature, a footer.

    A digest's letter frames its document; an announcement's has an opening and no sections.
    """

    title: str
    language: str  # its code, e.g. "es"
    sections: tuple[Section, ...]  # the topics: heading and element tree
    subject: str  # one line, shortened
    dateline: str
    greeting: str
    opening: tuple[Paragraph, ...]  # the document's, with the link to this version's Meta page
    appendix: tuple[ItemSection, ...]  # after the topics, in order
    signature: str
    footer: tuple[Paragraph, ...]
    links_heading: str


@dataclass(frozen=True)
class Bodies:
    """The two bodies of one digest version's email."""

    letter: Letter
    text: str
    html: str


def frame(site: Site, language: Language, *, title: str, code: str, sections: tuple[Section, ...], subject: str,
          dateline: str, opening: tuple[Paragraph, ...],
          appendix: tuple[ItemSection, ...]) -> Letter:
    """Return the letter of these parts, with the greeting, signature, footer and archive link of `language`."""
    archive_link = Link(language.t("archive_heading"), wiki_url(site, site.wiki.page_prefix), site.wiki.page_prefix)
    return Letter(
        title=title, language=code, sections=sections, subject=shorten(header_text(subject), SUBJECT_LIMIT),
        dateline=dateline, greeting=language.t("greeting"), opening=opening,
        appendix=appendix, signature=language.t("signature"), footer=((language.t("footer"),), (archive_link,)),
        links_heading=language.t("links_heading"))


def header_text(value: str) -> str:
    """Return `value` as one header line: every line break and control character becomes a space.

    The one function that stands between source text and a header: CR, LF, U+0085, U+2028,
    U+2029, tabs and other controls cannot start a new header or fold one, and bidirectional
    overrides cannot disguise what a subject says.
    """
    cleaned = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char
        for char in value if char not in _BIDI_CONTROLS)
    return _SPACE.sub(" ", cleaned).strip()


def fitted_subject(pattern: Callable[[str], str], topics: str, limit: int = SUBJECT_LIMIT) -> str:
    """Return the subject `pattern` makes of `topics`, the topics cut at a word so that the whole fits `limit`.

    Only the topics are shortened: the words the pattern adds (the number, "Clinic digest") stay,
    wherever the pattern puts them.
    """
    topics = header_text(topics)
    whole = header_text(pattern(topics))
    if len(whole) <= limit:
        return whole
    room = limit - len(header_text(pattern("")))
    return shorten(header_text(pattern(shorten(topics, max(room, 2)))), limit)


def shorten(text: str, limit: int) -> str:
    """Return `text`, or its words up to `limit` characters followed by "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ;,:.–-") + "…"
