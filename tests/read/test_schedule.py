"""The schedule: its checks, the calendar files, and the upcoming calls each digest lists."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import icalendar
import pytest
from conftest import TEMPLATES, check, digest_text, run_cli

CALL = "- number: {n}\n  start: {start}\n  link: https://meet.example.org/{n}\n"


def with_schedule(folder: Path, schedule: str) -> list[str]:
    (folder / "001.md").write_text(digest_text(1), encoding="utf-8")
    (folder / "schedule.yaml").write_text(schedule, encoding="utf-8")
    return check(folder, ignore=("uncited-entry", "unlinked-mention"))


SCHEDULE_ERRORS = {
    "has-digest": (CALL.format(n=1, start="2020-09-15T13:00:00Z"), [
        "digests/schedule.yaml:1:3: error[scheduled-has-digest]: call 001 already has a digest (digests/001.md)\n"
        "  hint: remove the call from the schedule once its digest is written"]),
    "twice": (CALL.format(n=2, start="2020-09-15T13:00:00Z") + CALL.format(n=2, start="2020-09-25T13:00:00Z"), [
        "digests/schedule.yaml:4:3: error[duplicate-call]: call 002 is scheduled twice (first on line 1)\n"
        "  hint: keep one entry per call"]),
    "overlap": (CALL.format(n=2, start="2020-09-15T13:00:00Z") + CALL.format(n=3, start="2020-09-15T14:00:00Z"), [
        "digests/schedule.yaml:4:3: error[overlapping-calls]: call 003 starts at 2020-09-15 14:00 UTC, before "
        "call 002 ends (14:30 UTC)\n  hint: check the start times and durations"]),
    "not-https": (CALL.format(n=2, start="2020-09-15T13:00:00Z").replace("https:", "http:"), [
        "digests/schedule.yaml:3:9: error[not-https]: meeting link 'http://meet.example.org/2' is not an "
        "https:// address\n  hint: paste the meeting's full https:// link"]),
    "language": (CALL.format(n=2, start="2020-09-15T13:00:00Z") + "  language: fr\n", [
        "digests/schedule.yaml:4:13: error[unknown-language]: language 'fr' is not in digests/site.yaml\n"
        "  hint: languages in digests/site.yaml: en, es, ru"]),
    "stale": (CALL.format(n=2, start="2020-06-01T13:00:00Z"), [
        "digests/schedule.yaml:1:3: warning[stale-call]: call 002 starts on 2020-06-01, before the newest "
        "digest (2020-06-15)\n  hint: remove calls that have taken place"]),
    "not-utc": (CALL.format(n=2, start="2020-09-15T13:00:00+02:00"), [
        "digests/schedule.yaml:2:10: error[bad-start]: start '2020-09-15T13:00:00+02:00' is not in UTC\n"
        "  hint: write the start in UTC as YYYY-MM-DDTHH:MM:SSZ, e.g. 2020-09-15T13:00:00Z"]),
    "bad-start": (CALL.format(n=2, start="next tuesday"), [
        "digests/schedule.yaml:2:10: error[bad-start]: start 'next tuesday' is not a date and time\n"
        "  hint: write the start in UTC as YYYY-MM-DDTHH:MM:SSZ, e.g. 2020-09-15T13:00:00Z"]),
    "unknown-key": (CALL.format(n=2, start="2020-09-15T13:00:00Z") + "  topic: x\n", [
        "digests/schedule.yaml:4:3: error[unknown-key]: unknown key 'topic' in a scheduled call\n"
        "  hint: allowed keys: number, start, duration, link, language, scheduled, note"]),
}


@pytest.mark.parametrize("name", sorted(SCHEDULE_ERRORS))
def test_schedule_checks(scratch: Path, name: str) -> None:
    schedule, expected = SCHEDULE_ERRORS[name]
    assert with_schedule(scratch, schedule) == expected


def test_example_schedule_has_call_010(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("build", "--digests", example, "--out", out).status == 0
    cal = icalendar.Calendar.from_ical((out / "calendar" / "clinics.ics").read_bytes())
    events = cal.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [
        "wikimedia-clinic-010@wikimedia.org", "wikimedia-clinic-011@wikimedia.org",
        "wikimedia-clinic-012@wikimedia.org"]
    first = events[0]
    assert first.decoded("DTSTART") == dt.datetime(2020, 9, 15, 13, 0, tzinfo=dt.timezone.utc)
    assert first.decoded("DTSTART").strftime("%A") == "Tuesday"
    assert first.decoded("DTEND") - first.decoded("DTSTART") == dt.timedelta(minutes=90)
    assert str(first["SUMMARY"]) == "Wikimedia Clinic #010: Abstract Wikipedia"
    assert str(first["URL"]) == str(first["LOCATION"]) == "https://meet.google.com/wmc-clin-010"
    assert "Denny Vrandečić" in str(first["DESCRIPTION"])
    assert str(cal["METHOD"]) == "PUBLISH"
    single = icalendar.Calendar.from_ical((out / "calendar" / "010.ics").read_bytes())
    assert [str(e["UID"]) for e in single.walk("VEVENT")] == ["wikimedia-clinic-010@wikimedia.org"]


def test_calendar_crosses_daylight_saving_in_a_listed_zone(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("build", "--digests", example, "--out", out).status == 0
    events = icalendar.Calendar.from_ical((out / "calendar" / "clinics.ics").read_bytes()).walk("VEVENT")
    madrid = zoneinfo.ZoneInfo("Europe/Madrid")
    local = [e.decoded("DTSTART").astimezone(madrid) for e in events[1:]]
    assert [(t.day, t.hour, t.utcoffset()) for t in local] == [
        (20, 17, dt.timedelta(hours=2)), (27, 16, dt.timedelta(hours=1))]


def test_ical_lines_are_folded_and_escaped() -> None:
    from pipeline.render.calendar import escape, fold

    assert escape("a, b; c\\d\ne") == "a\\, b\\; c\\\\d\\ne"
    line = "DESCRIPTION:" + "ü" * 80
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_calendar_is_reproducible(example: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert run_cli("build", "--digests", example, "--out", tmp_path / name).status == 0
    assert (tmp_path / "a/calendar/clinics.ics").read_bytes() == (tmp_path / "b/calendar/clinics.ics").read_bytes()


def test_upcoming_calls_after_each_digest(example: Path) -> None:
    from pipeline.check.archive import load_archive
    from pipeline.render.document import document

    archive = load_archive(example, TEMPLATES, dt.date(2026, 1, 1))
    by_id = {d.id: d for d in archive.digests}
    first = document(archive, by_id["001"]).upcoming
    assert first[0] == ("Call #002: Wednesday, June 17, 2020, 08:00 UTC",)
    assert first[1] == ("Call #003: Tuesday, June 23, 2020",)  # its digest gives no time
    last = document(archive, by_id["009"]).upcoming
    assert [line[0] for line in last] == [
        "Call #010: Tuesday, September 15, 2020, 13:00 UTC", "Call #011: Tuesday, October 20, 2020, 15:00 UTC",
        "Call #012: Tuesday, October 27, 2020, 15:00 UTC"]
    assert last[0][1] == " – scheduled segment: Abstract Wikipedia, presented by Denny Vrandečić"
    spanish = document(archive, by_id["006.es"]).upcoming
    assert spanish[0] == ("Llamada n.º 007: miércoles, 5 de agosto de 2020",)


def test_new_takes_date_time_and_language_from_the_schedule(example: Path) -> None:
    result = run_cli("new", "012", "--digests", example, cwd=example.parent)
    assert result.status == 0, result.err
    text = (example / "012.md").read_text(encoding="utf-8")
    assert text.startswith('---\nnumber: 12\ndate: 2020-10-27\nlanguage: es\ntime: "15:00"\nstatus: draft')


def test_new_for_an_unscheduled_call_uses_today(example: Path) -> None:
    result = run_cli("new", "013", "--digests", example, "--today", "2020-11-03", cwd=example.parent)
    assert result.status == 0, result.err
    assert (example / "013.md").read_text(encoding="utf-8").startswith("---\nnumber: 13\ndate: 2020-11-03\n")


def test_ical_text_keeps_every_line_break_inside_its_value() -> None:
    from pipeline.render.calendar import escape

    assert escape("a\u2028b\x85c\r\nd\re\x07f") == "a\\nb\\nc\\nd\\nef"
