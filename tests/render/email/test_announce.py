"""Announcements of scheduled calls: times across zones, the attached calendar, sending them."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
from pathlib import Path

import icalendar
import yaml
from conftest import DIGESTS, TEMPLATES, run_cli
from smtp import inbox, server  # noqa: F401 - the SMTP server fixture

from pipeline.check.archive import load_archive
from pipeline.deliver import mail as send
from pipeline.render.email.announce import announce
from pipeline.render.email.text import LIMIT

NOW = dt.datetime(2020, 9, 8, 9, 0, tzinfo=dt.timezone.utc)


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def test_announcements_are_built_for_the_lists_that_take_each_call(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("build", "--digests", example, "--out", out).status == 0
    assert sorted(p.name for p in (out / "email" / "wikimedia-l").glob("announce-*")) == ["announce-010.eml"]
    assert sorted(p.name for p in (out / "email" / "iberocoop").glob("announce-*")) == ["announce-012.eml"]
    assert (out / "email" / "announce-011.txt").exists()  # no list takes Russian: a preview only

    plain = parse((out / "email" / "wikimedia-l" / "announce-010.eml").read_bytes())
    assert plain["Subject"] == "Wikimedia Clinic #010: Tuesday, September 15, 2020, 13:00 UTC – Abstract Wikipedia"
    assert plain["To"] == "wikimedia-l@lists.wikimedia.org" and plain["Content-Language"] == "en"
    assert plain.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in plain.iter_parts()] == ["text/plain", "text/calendar"]
    text = plain.get_body(("plain",)).get_content()
    assert "Join the call: https://meet.google.com/wmc-clin-010" in text
    assert "Scheduled segment: Abstract Wikipedia, presented by Denny Vrandečić." in text
    assert "* Madrid: Tuesday, September 15, 2020, 15:00 (GMT+02:00)" in text
    assert "* Kolkata: Tuesday, September 15, 2020, 18:30 (GMT+05:30)" in text
    assert all(len(line) <= 78 or line.startswith("https://") for line in text.splitlines())

    attachment = next(plain.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_filename() == "wikimedia-clinic-010.ics"
    events = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == ["wikimedia-clinic-010@wikimedia.org"]

    spanish = parse((out / "email" / "iberocoop" / "announce-012.eml").read_bytes())
    assert spanish["Subject"] == "Clínica Wikimedia n.º 012: martes, 27 de octubre de 2020, 15:00 UTC"
    kinds = [p.get_content_type() for p in spanish.walk()]
    assert kinds == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar"]
    html = spanish.get_body(("html",)).get_content()
    assert "Madrid: martes, 27 de octubre de 2020, 16:00 (GMT+01:00)" in html  # after the change to winter time
    assert 'href="https://meet.google.com/wmc-clin-012"' in html


def test_weekday_and_date_change_across_zones(example: Path) -> None:
    site = yaml.safe_load((example / "site.yaml").read_text(encoding="utf-8"))
    site["timezones"] = ["Pacific/Honolulu", "Pacific/Auckland", "Asia/Kathmandu"]
    (example / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    (example / "schedule.yaml").write_text(
        "- number: 10\n  start: 2020-12-31T22:30:00Z\n  link: https://meet.example.org/x\n", encoding="utf-8")
    archive = load_archive(example, TEMPLATES, dt.date(2026, 1, 1))
    assert [d.code for d in archive.diagnostics if d.severity.value == "error"] == []
    lines = [item[0] for item in announce(archive, archive.calls[0]).bodies.letter.appendix[0].items]
    assert lines == [
        "Honolulu: Thursday, December 31, 2020, 12:30 (GMT-10:00)",
        "Auckland: Friday, January 1, 2021, 11:30 (GMT+13:00)",
        "Kathmandu: Friday, January 1, 2021, 04:15 (GMT+05:45)",
    ]


def test_an_announcement_is_sent_and_logged(example: Path, inbox) -> None:  # noqa: F811
    handler, port = inbox
    archive = load_archive(example, TEMPLATES, dt.date(2026, 1, 1))
    out = io.StringIO()
    send.send(archive, "announce-010", "wikimedia-l", server(port), yes=True, now=NOW, out=out)
    ((mail_from, rcpt, data, _),) = handler.received
    assert rcpt == ["wikimedia-l@lists.wikimedia.org"]
    received = parse(data)
    assert received["Date"].datetime == NOW
    assert next(received.iter_attachments()).get_content_type() == "text/calendar"
    again = send.SendError
    try:
        send.send(archive, "announce-010", "wikimedia-l", server(port), yes=True, now=NOW, out=out)
    except again as exc:
        assert "announce-010 was already sent to wikimedia-l" in str(exc)
    else:
        raise AssertionError("a second send of the announcement went through")
    assert len(handler.received) == 1


def test_an_unknown_or_unlisted_announcement_is_refused(example: Path) -> None:
    archive = load_archive(example, TEMPLATES, dt.date(2026, 1, 1))
    for item, list_name, message in [
        ("announce-099", "wikimedia-l", "call 099 is not in the schedule"),
        ("announce-011", "wikimedia-l", "wikimedia-l does not take messages in 'ru'"),
    ]:
        try:
            send.find(archive, item, list_name)
        except send.SendError as exc:
            assert str(exc) == message
        else:
            raise AssertionError(item)


def without_attachments(data: bytes) -> str:
    """Return the text a plain-digest member reads: Mailman keeps the text/plain part and drops the rest."""
    message = parse(data)
    [text] = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    return text.get_content().replace("\r\n", "\n")


def test_the_text_stands_without_the_invitation(example: Path, tmp_path: Path) -> None:
    """Plain-digest members lose the .ics: the text says everything, and links to a calendar form."""
    from urllib.parse import parse_qs, urlsplit

    site = example / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8").replace(
        "timezones:", "calendar_url: https://clinics.example.org/calendar/\ntimezones:"), encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("build", "--digests", example, "--out", out).status == 0
    text = without_attachments((out / "email" / "wikimedia-l" / "announce-010.eml").read_bytes())
    for detail in ("call #010", "Tuesday, September 15, 2020, at 13:00 UTC", "lasts 90 minutes",
                   "Abstract Wikipedia, presented by Denny Vrandečić", "https://meet.google.com/wmc-clin-010",
                   "Madrid: Tuesday, September 15, 2020, 15:00 (GMT+02:00)"):
        assert detail in " ".join(text.split()), detail
    assert "added to Google Calendar [1]" in " ".join(text.split())
    links = dict(line.split(" ", 1) for line in text.replace("[1]\n", "[1] ").splitlines()
                 if line.startswith("[") and " " in line)
    form = urlsplit(links["[1]"])
    assert (form.scheme, form.netloc, form.path) == ("https", "calendar.google.com", "/calendar/render")
    query = parse_qs(form.query)
    assert query["action"] == ["TEMPLATE"] and query["dates"] == ["20200915T130000Z/20200915T143000Z"]
    assert query["text"] == ["Wikimedia Clinic #010: Abstract Wikipedia"]
    assert query["location"] == ["https://meet.google.com/wmc-clin-010"]
    assert "presented by Denny Vrandečić" in query["details"][0]
    assert "The invitation is also at https://clinics.example.org/calendar/010.ics." in " ".join(text.split())
    assert (out / "calendar" / "010.ics").exists()  # the file that address serves, once published
    assert all(len(line) <= LIMIT or line.startswith("https://") for line in text.splitlines())
    spanish = " ".join(without_attachments((out / "email" / "iberocoop" / "announce-012.eml").read_bytes()).split())
    assert "también puede añadirse a Google Calendar [" in spanish and "https://clinics.example.org/calendar/012.ics" in spanish


def test_calendar_url_must_be_https(example: Path) -> None:
    site = example / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8").replace(
        "timezones:", "calendar_url: http://clinics.example.org/\ntimezones:"), encoding="utf-8")
    result = run_cli("check", "--digests", example)
    assert result.status == 1
    assert "error[not-https]: 'calendar_url' must be an https:// address, not 'http://clinics.example.org/'" in result.err


def event_of(data: bytes) -> icalendar.Event:
    [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    return event


def sent_event(data: bytes) -> icalendar.Event:
    return event_of(next(parse(data).iter_attachments()).get_content())


def test_a_changed_call_gets_a_higher_sequence_once_announced(example: Path, tmp_path: Path, inbox) -> None:  # noqa: F811
    """Clients that compare SEQUENCE (RFC 5546) ignored a rescheduled call sent again with SEQUENCE:0."""
    handler, port = inbox
    schedule = example / "schedule.yaml"
    out = tmp_path / "out"

    def build() -> icalendar.Event:
        result = run_cli("build", "--digests", example, "--out", out)
        assert result.status == 0, result.err
        return event_of((out / "calendar" / "010.ics").read_bytes())

    def send_it() -> icalendar.Event:
        archive = load_archive(example, TEMPLATES, dt.date(2026, 1, 1))
        send.send(archive, "announce-010", "wikimedia-l", server(port), yes=True, resend=True, now=NOW,
                  out=io.StringIO())
        return sent_event(handler.received[-1][2])

    first = build()
    assert first["SEQUENCE"] == 0
    assert build()["SEQUENCE"] == 0  # built again, unchanged and unsent
    sent = send_it()
    assert (sent["SEQUENCE"], sent["DTSTAMP"].dt) == (0, first["DTSTAMP"].dt)
    assert build()["SEQUENCE"] == 0  # what was sent, unchanged

    schedule.write_text(schedule.read_text(encoding="utf-8").replace("2020-09-15T13:00:00Z", "2020-09-15T14:00:00Z"),
                        encoding="utf-8")
    moved = build()
    assert moved["SEQUENCE"] == 1 and moved["DTSTAMP"].dt > NOW  # later than the version sent
    assert moved["DTSTART"].dt == dt.datetime(2020, 9, 15, 14, 0, tzinfo=dt.timezone.utc)
    assert build()["SEQUENCE"] == 1  # the same change is the same version
    assert send_it()["SEQUENCE"] == 1
    lines = [json.loads(line) for line in (example / send.SENT_LOG).read_text(encoding="utf-8").splitlines()]
    assert [(r["event"], r["sequence"]) for r in lines] == [("sending", 0), ("sent", 0), ("sending", 1), ("sent", 1)]

    schedule.write_text(schedule.read_text(encoding="utf-8").replace("2020-09-15T14:00:00Z", "2020-09-15T13:00:00Z"),
                        encoding="utf-8")
    assert build()["SEQUENCE"] == 2  # back to the first time: a change again for those who have version 1


def test_a_damaged_sent_log_leaves_sequence_numbers_alone_with_a_warning(example: Path, tmp_path: Path) -> None:
    (example / send.SENT_LOG).write_text(
        '{"event": "sent", "id": "announce-010", "content": "x", "sequence": 4, "date": "2020-09-08T09:00:00+00:00"}\n'
        '{"event": "sent", "id": "announce-010", "sequ\n'
        '[1, 2]\n', encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", "--digests", example, "--out", out)
    assert result.status == 0, result.err
    assert "sent-log.jsonl:2: warning[sent-log-line]: 2 lines of the sent log cannot be read" in result.err
    assert event_of((out / "calendar" / "010.ics").read_bytes())["SEQUENCE"] == 5  # content "x" is not this one
    assert "warning[sent-log-line]" not in run_cli("build", "--digests", DIGESTS, "--out", tmp_path / "o2").err
