"""Announcements of upcoming calls: a letter in the digests' style, with the call's .ics attached.

For each scheduled call and each list that takes its language: build/email/<list>/announce-NNN.eml
(text, and HTML where the list takes it, then text/calendar; method=PUBLISH), and the two bodies
as build/email/announce-NNN.txt and .html for preview. The start is given in UTC and in every
time zone site.yaml lists, with the weekday and date as they are there.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage

from pipeline.model.archive import Archive
from pipeline.model.calendar import Call
from pipeline.model.output import Output
from pipeline.model.locale import date_time
from pipeline.model.settings import Language, MailingList, Site
from pipeline.render import calendar as ical
from pipeline.render.document import Link, Paragraph, call_line, fill, segment, shown
from pipeline.render.email.letter import Bodies, ItemSection, Letter, frame, header_text
from pipeline.render.email.mime import new_message, written


LEAD = dt.timedelta(days=7)  # the built Date: a week before the call, where announcements usually go out


@dataclass(frozen=True)
class Announcement:
    """One call's announcement: its bodies and its calendar file."""

    id: str  # "announce-010"
    call: Call
    bodies: Bodies
    ics: bytes


def announcement_id(call: Call) -> str:
    return f"announce-{call.number_text}"


def render(archive: Archive) -> Iterator[Output]:
    """Yield the announcement of every scheduled call, for each list that takes its language."""

    for call in sorted(archive.calls, key=lambda c: (c.start, c.number)):
        made = announce(archive, call)
        yield Output(f"email/{made.id}.html", made.bodies.html.encode("utf-8"))
        yield Output(f"email/{made.id}.txt", made.bodies.text.encode("utf-8"))
        for mailing_list in archive.site.lists:
            if call.language in mailing_list.languages:
                data = build_announcement(archive.site, made, mailing_list).as_bytes()
                yield Output(f"email/{mailing_list.name}/{made.id}.eml", data)


def announce(archive: Archive, call: Call) -> Announcement:
    """Return the announcement of `call`."""
    letter = compose(archive, call)
    ics = ical.calendar([call], archive.site, ical.stamp(archive), archive.sent_events)
    return Announcement(announcement_id(call), call, written(letter, archive.templates), ics)


def compose(archive: Archive, call: Call) -> Letter:
    """Return the letter that announces `call`, in its language."""
    site = archive.site
    language = site.language(call.language)
    day = call.start.date()
    when = {"number": call.number_text, **language.when(call.start)}
    opening: list[Paragraph] = [(language.t("announce_opening", duration=call.duration, **when),)]
    if call.scheduled:
        opening.append(segment(call, language, "scheduled"))
    if call.note:
        opening.append((shown(call.note, language),))
    opening += [(language.t("announce_welcome"),), fill(language.strings["announce_join"], link=Link(call.link, call.link)),
                fill(language.strings["announce_calendar"], google=Link("Google Calendar", ical.google_link(call, site)))]
    if site.calendar_url:
        ics = ical.published_file(call, site)
        opening.append(fill(language.strings["announce_calendar_file"], ics=Link(ics, ics)))
    later = [c for c in archive.upcoming(day) if c.number != call.number]
    appendix = tuple(section for section in (
        ItemSection(language.t("announce_zones"), zone_lines(call, site, language)),
        ItemSection(language.t("upcoming_heading"), tuple(call_line(c, language) for c in later))) if section.items)
    title = language.t("event_title", number=call.number_text)
    topic = call.topics.text(language.code) or (call.scheduled.topic if call.scheduled else "")
    if topic:
        title += f": {topic}"
    subject = language.t("announce_subject", **when)
    if topic:
        subject += f" – {topic}"
    return frame(site, language, title=title, code=language.code, sections=(), subject=subject,
                 dateline=date_time(language.code, when["day"], f"{when['time']} UTC"), opening=tuple(opening),
                 appendix=appendix)


def zone_lines(call: Call, site: Site, language: Language) -> tuple[Paragraph, ...]:
    """Return the start of `call` in each of site.yaml's time zones: city, day, time, offset, all from CLDR."""
    lines = []
    for name in site.timezones:
        local = call.start.astimezone(zoneinfo.ZoneInfo(name))
        lines.append((language.t("zone_time", zone=language.zone(name), offset=language.offset(local),
                                 **language.when(local)),))
    return tuple(lines)


def built_date(call: Call) -> dt.datetime:
    """Return the Date of the built announcement: a week before the call, at its time."""
    return call.start - LEAD


def build_announcement(site: Site, made: Announcement, mailing_list: MailingList, date: dt.datetime | None = None,
                       serial: int = 0) -> EmailMessage:
    """Return the announcement for `mailing_list`: the bodies, then the call's .ics attached."""
    message = new_message(site, made.bodies, mailing_list, made.id, date or built_date(made.call), serial)
    del message["Content-Language"]  # make_mixed() would move it into the first part
    message.make_mixed()
    message.add_attachment(made.ics, maintype="text", subtype="calendar",
                           filename=f"wikimedia-clinic-{made.call.number_text}.ics",
                           params={"method": "PUBLISH", "charset": "utf-8"})
    token = hashlib.sha256(made.ics + made.bodies.text.encode("utf-8")).hexdigest()[:24]
    message.set_boundary(f"=_clinics_mixed_{token}")
    message["Content-Language"] = header_text(made.call.language)
    return message
