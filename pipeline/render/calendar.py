"""The calendar of upcoming calls as iCalendar (RFC 5545): one file for all, one per call."""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator, Sequence
from urllib.parse import quote, urlencode

from pipeline.model.archive import Archive
from pipeline.model.calendar import Call
from pipeline.model.output import Output
from pipeline.model.settings import Site


PRODID = "-//Wikimedia Clinics//Digest pipeline//EN"


def render(archive: Archive) -> Iterator[Output]:
    """Yield build/calendar/clinics.ics and build/calendar/NNN.ics for each scheduled call."""

    when = stamp(archive)
    calls = sorted(archive.calls, key=lambda c: (c.start, c.number))
    yield Output("calendar/clinics.ics", calendar(calls, archive.site, when))
    for call in calls:
        yield Output(f"calendar/{call.number_text}.ics", calendar([call], archive.site, when))


def stamp(archive: Archive) -> dt.datetime:
    """Return DTSTAMP: the archive's "as of" moment (its newest digest), never the clock."""
    newest = max((d.meta.date for d in archive.digests), default=dt.date(2020, 1, 1))
    return dt.datetime.combine(newest, dt.time(0, 0), tzinfo=dt.timezone.utc)


def uid(call: Call, site: Site) -> str:
    """Return the event's UID, stable across builds and edits of the call's details."""
    domain = site.sender.rsplit("@", 1)[-1].strip(" >") or "wikimedia.org"
    return f"wikimedia-clinic-{call.number_text}@{domain}"


def calendar(calls: Sequence[Call], site: Site, stamp: dt.datetime) -> bytes:
    """Return a VCALENDAR (METHOD:PUBLISH) holding one VEVENT per call."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(site.title)}"]
    for call in calls:
        lines += event(call, site, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")


def event(call: Call, site: Site, stamp: dt.datetime) -> list[str]:
    """Return the content lines of one call's VEVENT."""
    summary = _summary(call, site)
    details = [line for line in (_segment(call, site), call.note, call.link) if line]
    return [
        "BEGIN:VEVENT",
        f"UID:{uid(call, site)}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(call.start)}",
        f"DTEND:{_utc(call.end)}",
        f"SUMMARY:{escape(summary)}",
        f"DESCRIPTION:{escape(chr(10).join(details))}",
        f"LOCATION:{escape(call.link)}",
        f"URL:{call.link}",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
        "SEQUENCE:0",
        "END:VEVENT",
    ]


def google_link(call: Call, site: Site) -> str:
    """Return the address that opens Google Calendar's "new event" form filled in with `call`.

    The form's documented parameters: text, dates (start/end in UTC), details, location.
    """
    summary, details = _summary(call, site), [line for line in (_segment(call, site), call.note, call.link) if line]
    query = {"action": "TEMPLATE", "text": summary, "dates": f"{_utc(call.start)}/{_utc(call.end)}",
             "details": "\n".join(details), "location": call.link}
    return "https://calendar.google.com/calendar/render?" + urlencode(query, safe="/", quote_via=quote)


def published_file(call: Call, site: Site) -> str:
    """Return the address of the call's .ics where site.yaml says build/calendar/ is published, or ""."""
    return f"{site.calendar_url.rstrip('/')}/{call.number_text}.ics" if site.calendar_url else ""


def _summary(call: Call, site: Site) -> str:
    summary = site.language(call.language).t("event_title", number=call.number_text)
    return summary + f": {call.scheduled.topic}" if call.scheduled else summary


def _segment(call: Call, site: Site) -> str:
    if call.scheduled is None:
        return ""
    language = site.language(call.language)
    if call.scheduled.presenter:
        text = language.t("upcoming_segment", topic=call.scheduled.topic, presenter=call.scheduled.presenter)
    else:
        text = language.t("upcoming_segment_topic", topic=call.scheduled.topic)
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
