"""The calendar of upcoming calls as iCalendar (RFC 5545): one file for all, one per call.

An event's SEQUENCE counts the changes subscribers were sent: 0 until an announcement of the
call goes out, the same while its content (time, title, description, place) is what was sent,
and one more than the last one sent once it changes. The sent log (read/sentlog.py) is the
record; DTSTAMP then moves past the moment the last version was sent. Clients that compare
SEQUENCE (RFC 5546, 2.1.4) replace the event they have only when it is higher.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import quote, urlencode

from pipeline.model.archive import Archive
from pipeline.model.calendar import Call, SentEvent
from pipeline.model.output import Output
from pipeline.model.settings import Site


PRODID = "-//Wikimedia Clinics//Digest pipeline//EN"


def render(archive: Archive) -> Iterator[Output]:
    """Yield build/calendar/clinics.ics and build/calendar/NNN.ics for each scheduled call."""

    when = stamp(archive)
    calls = sorted(archive.calls, key=lambda c: (c.start, c.number))
    yield Output("calendar/clinics.ics", calendar(calls, archive.site, when, archive.sent_events))
    for call in calls:
        yield Output(f"calendar/{call.number_text}.ics", calendar([call], archive.site, when, archive.sent_events))


def stamp(archive: Archive) -> dt.datetime:
    """Return DTSTAMP: the archive's "as of" moment (its newest digest), never the clock."""
    newest = max((d.meta.date for d in archive.digests), default=dt.date(2020, 1, 1))
    return dt.datetime.combine(newest, dt.time(0, 0), tzinfo=dt.timezone.utc)


def uid(call: Call, site: Site) -> str:
    """Return the event's UID, stable across builds and edits of the call's details."""
    domain = site.sender.rsplit("@", 1)[-1].strip(" >") or "wikimedia.org"
    return f"wikimedia-clinic-{call.number_text}@{domain}"


def calendar(calls: Sequence[Call], site: Site, stamp: dt.datetime,
             sent: Mapping[int, SentEvent] | None = None) -> bytes:
    """Return a VCALENDAR (METHOD:PUBLISH) holding one VEVENT per call; `sent` is what was announced."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(site.title)}"]
    for call in calls:
        lines += event(call, site, stamp, (sent or {}).get(call.number))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")


def event(call: Call, site: Site, stamp: dt.datetime, sent: SentEvent | None = None) -> list[str]:
    """Return the content lines of one call's VEVENT, given the version of it last sent, if any."""
    content = _content(call, site)
    sequence, stamp = version(content, stamp, sent)
    return ["BEGIN:VEVENT", f"UID:{uid(call, site)}", f"DTSTAMP:{_utc(stamp)}", *content,
            f"SEQUENCE:{sequence}", "END:VEVENT"]


def version(content: Sequence[str], stamp: dt.datetime, sent: SentEvent | None) -> tuple[int, dt.datetime]:
    """Return the SEQUENCE and DTSTAMP of an event whose content lines are `content`."""
    if sent is None:
        return 0, stamp
    if sent.content == content_hash(content):
        return sent.sequence, max(stamp, sent.date)
    return sent.sequence + 1, max(stamp, sent.date + dt.timedelta(seconds=1))


def event_version(call: Call, site: Site, sent: SentEvent | None) -> tuple[str, int]:
    """Return the content hash and SEQUENCE of the event of `call` as it is built now: what a send records."""
    content = _content(call, site)
    return content_hash(content), version(content, dt.datetime.now(dt.timezone.utc), sent)[0]


def content_hash(content: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(content).encode("utf-8")).hexdigest()


def _content(call: Call, site: Site) -> list[str]:
    """Return the event's lines that subscribers see change: when, what, where."""
    details = _details(call, site)
    return [
        f"DTSTART:{_utc(call.start)}",
        f"DTEND:{_utc(call.end)}",
        f"SUMMARY:{escape(_summary(call, site))}",
        f"DESCRIPTION:{escape(chr(10).join(details))}",
        f"LOCATION:{escape(call.link)}",
        f"URL:{call.link}",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
    ]


def google_link(call: Call, site: Site) -> str:
    """Return the address that opens Google Calendar's "new event" form filled in with `call`.

    The form's documented parameters: text, dates (start/end in UTC), details, location.
    """
    summary, details = _summary(call, site), _details(call, site)
    query = {"action": "TEMPLATE", "text": summary, "dates": f"{_utc(call.start)}/{_utc(call.end)}",
             "details": "\n".join(details), "location": call.link}
    return "https://calendar.google.com/calendar/render?" + urlencode(query, safe="/", quote_via=quote)


def published_file(call: Call, site: Site) -> str:
    """Return the address of the call's .ics where site.yaml says build/calendar/ is published, or ""."""
    return f"{site.calendar_url.rstrip('/')}/{call.number_text}.ics" if site.calendar_url else ""


def _details(call: Call, site: Site) -> list[str]:
    """Return the lines of the event's description, in the call's language: segment, note, link."""
    return [line for line in (_segment(call, site), call.note.text(call.language), call.link) if line]


def _topic(call: Call) -> str:
    return call.topics.text(call.language) or (call.scheduled.topic if call.scheduled else "")


def _summary(call: Call, site: Site) -> str:
    summary = site.language(call.language).t("event_title", number=call.number_text)
    return summary + f": {_topic(call)}" if call.scheduled else summary


def _segment(call: Call, site: Site) -> str:
    if call.scheduled is None:
        return ""
    language = site.language(call.language)
    if call.scheduled.presenter:
        text = language.t("upcoming_segment", topic=_topic(call), presenter=call.scheduled.presenter)
    else:
        text = language.t("upcoming_segment_topic", topic=_topic(call))
    return text[:1].upper() + text[1:] + "."


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """Return `text` as an iCalendar TEXT value: backslash, semicolon, comma and newline escaped."""
    text = text.replace("\r\n", "\n")
    # Every other line break (CR, NEL, U+2028, U+2029) is a line break too; other controls are dropped.
    text = "".join("\n" if char in _BREAKS else char for char in text
                   if char in _BREAKS or char == "\n" or unicodedata.category(char) != "Cc")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


_BREAKS = frozenset("\r\x0b\x0c\x85\u2028\u2029")


def fold(line: str) -> str:
    """Return `line` folded at 75 octets, never inside a UTF-8 character (RFC 5545, 3.1)."""
    out: list[str] = []
    current = ""
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)
