"""The settings of site.yaml as one typed object: the site, its languages, lists, wiki and SMTP server."""
from __future__ import annotations

import datetime as dt
import enum
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.policy import SMTP
from urllib.parse import quote

from pipeline.model import locale

_WIKI_SAFE = ";@$!*(),/~:"  # what MediaWiki's wfUrlencode leaves unescaped


class ListFormat(enum.Enum):
    PLAIN = "plain"
    MULTIPART = "multipart"


@dataclass(frozen=True)
class Language:
    """A language of site.yaml: its sentences, and its dates, times, zones and lists from CLDR."""

    code: str
    name: str
    strings: Mapping[str, str]
    language_names: Mapping[str, str] = field(default_factory=dict)  # as in "held … in {language}"

    def t(self, key: str, **values: object) -> str:
        """Return the localised string `key` with `values` filled in."""
        return fill_text(self.strings[key], values)

    def date(self, day: dt.date) -> str:
        """Return `day` as this language writes a date in prose: "October 27, 2020"."""
        return locale.long_date(self.code, day)

    def day(self, day: dt.date) -> str:
        """Return `day` with its weekday: "Tuesday, October 27, 2020"."""
        return locale.full_date(self.code, day)

    def weekday(self, day: dt.date, standalone: bool = False) -> str:
        return locale.weekday(self.code, day, standalone)

    def time(self, moment: dt.datetime) -> str:
        """Return the hour and minute of `moment` (in its own zone) as this language writes them: "15:00"."""
        return locale.clock_time(self.code, moment)

    def when(self, moment: dt.datetime) -> dict[str, str]:
        """Return the fields a sentence about a moment may use: day, date, weekday, time."""
        day = moment.date()
        return {"day": self.day(day), "date": self.date(day), "weekday": self.weekday(day), "time": self.time(moment)}

    def zone(self, name: str) -> str:
        """Return the city of an IANA zone in this language: "Ciudad de México"."""
        return locale.zone_city(self.code, name)

    def offset(self, moment: dt.datetime) -> str:
        return locale.utc_offset(self.code, moment)

    def join(self, items: Sequence[str]) -> str:
        """Return `items` joined as this language lists them: "A, B y C"."""
        return locale.join_list(self.code, items)

    @property
    def direction(self) -> str:
        return locale.direction(self.code)


def fill_text(pattern: str, values: Mapping[str, object]) -> str:
    """Return `pattern` with its {fields} filled in, as str.format does, and no doubled full stop.

    A value that ends in a full stop ("20 октября 2020 г.") before a full stop of the sentence
    ("… {date}{call_language}. Это …", the field between empty) keeps one: typography, not a pattern.
    """
    out: list[str] = []
    stop_from_value = False  # the text so far ends in a full stop a value brought
    for literal, name, spec, conversion in string.Formatter().parse(pattern):
        if literal:
            out.append(literal[1:] if stop_from_value and literal.startswith(".") else literal)
            stop_from_value = False
        if name is not None:
            value = values[name]
            text = format(repr(value) if conversion == "r" else value if conversion is None else str(value), spec or "")
            if text:
                out.append(text)
                stop_from_value = text.endswith(".")
    return "".join(out)


_NAMED_ADDRESS = re.compile(r"(?P<name>.*?)\s*<(?P<address>[^<>\s]+@[^<>\s]+)>")
_BARE_ADDRESS = re.compile(r"[^<>\s\"]+@[^<>\s\"]+")


def split_address(value: str) -> tuple[str, str] | None:
    """Return the display name and address of "Name <user@host>" or "user@host"; None for anything else.

    Unlike email.utils.parseaddr, an unquoted comma or colon in the name stays in the name.
    """
    text = value.strip()
    named = _NAMED_ADDRESS.fullmatch(text)
    if named:
        return named["name"].strip().strip('"').strip(), named["address"]
    if _BARE_ADDRESS.fullmatch(text):
        return "", text
    return None


def address_problem(address: str) -> str | None:
    """Return why `address` (the user@host part) is not one plain mail address, or None if it is one.

    Read by the email package's header registry, as a To header: a comma makes it two addresses
    (the envelope would then name one and the header another), "a@b@c" is a defect, and an
    address that is not ASCII would be written as an encoded word that no server delivers to.
    """
    if not address.isascii():
        return "it is not ASCII, and mail servers take an address in ASCII only"
    header = SMTP.header_factory("To", address)
    found = header.addresses
    if len(found) > 1:
        return f"it holds {len(found)} addresses; a field takes one"
    if header.defects or len(found) != 1 or found[0].addr_spec != address or not found[0].domain:
        return "it is not one address of the form user@host"
    return None


def address_of(value: str) -> str:
    """Return the address alone of "Name <user@host>" (the value as it is if it is no such thing)."""
    found = split_address(value)
    return found[1] if found else value


@dataclass(frozen=True)
class MailingList:
    name: str
    address: str
    languages: tuple[str, ...]
    format: ListFormat


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    starttls: bool
    user: str
    password_env: str


@dataclass(frozen=True)
class Wiki:
    base_url: str
    api_url: str
    page_prefix: str
    local_prefix: str
    category: str
    user: str
    password_env: str
    max_page_kib: int = 2048  # MediaWiki's $wgMaxArticleSize on the wiki: no page publish writes is larger


@dataclass(frozen=True)
class Site:
    title: str
    sender: str
    wiki: Wiki
    smtp: Smtp
    lists: tuple[MailingList, ...]
    interwiki: Mapping[str, str]
    languages: Mapping[str, Language]
    timezones: tuple[str, ...] = ()
    calendar_url: str = ""  # where build/calendar/ is published, if it is: the .ics of call NNN is there as NNN.ics
    path: str = "digests/site.yaml"
    default_language: str = "en"
    followups_warn_after: int = 3  # followups.warn_after_calls: an item open longer is a warning
    source_hash: str = field(default="", compare=False)

    def language(self, code: str) -> Language:
        return self.languages[code]


def encode_title(title: str) -> str:
    """Return `title` as it stands in a wiki address: spaces as underscores, encoded as MediaWiki does."""
    return quote(title.replace(" ", "_"), safe=_WIKI_SAFE)


def wiki_url(site: Site, title: str) -> str:
    """Return the https address of `title` on the archive's wiki."""
    return site.wiki.base_url + encode_title(title)


# What MediaWiki refuses in a title ($wgLegalTitleChars leaves these out), and its length limit in bytes.
_TITLE_ILLEGAL = re.compile(r"[#<>\[\]|{}\x00-\x1f\x7f\ufffd]")
# MediaWiki decodes character references in a link's target, and refuses a title that still holds one.
_TITLE_REFERENCE = re.compile(r"&(?:[A-Za-z0-9\u0080-\U0010ffff]+|#[0-9]+|#x[0-9A-Fa-f]+);")
_TITLE_BYTES = 255


def title_problem(title: str) -> str | None:
    """Return why MediaWiki would refuse `title` as (part of) a page title, or None if it takes it."""
    if not title.strip():
        return "it is empty"
    bad = _TITLE_ILLEGAL.search(title)
    if bad:
        return f"MediaWiki allows no {bad.group()!r} in a title"
    if "~~~" in title:
        return "MediaWiki allows no '~~~' in a title"
    reference = _TITLE_REFERENCE.search(title)
    if reference:
        return f"MediaWiki allows no character reference ({reference.group()!r}) in a title: write the character"
    if re.search(r"%[0-9A-Fa-f]{2}", title):
        return "a title holds no %-escapes: write the characters themselves"
    if any(part in (".", "..") for part in title.split("/")):
        return "MediaWiki allows no '.' or '..' between slashes"
    if len(title.encode("utf-8")) > _TITLE_BYTES:
        return f"it is longer than MediaWiki's {_TITLE_BYTES} bytes"
    return None
