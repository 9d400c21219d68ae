"""Front matter -> Meta, with an exact error for every key that is wrong."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pipeline.model.diagnostics import Diagnostic, Location, error, warning
from pipeline.model.digest import Attendance, Count, META_KEYS, Meta, Scheduled, Status
from pipeline.model.followups import Closing
from pipeline.model.settings import Site
from pipeline.read.source import Source
from pipeline.read.yamldata import YamlData, check_keys, load_yaml, type_name

KEYS = META_KEYS
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_TIME = re.compile(r"(\d{2}):(\d{2})\Z")
_COUNT = re.compile(r"~\s*(\d+)\Z")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def read_meta(source: Source, site: Site) -> tuple[Meta | None, list[Diagnostic]]:
    """Return the validated front matter of `source`, or None and every problem in it."""
    data, problems = load_yaml(source.front_matter, source.path, source.front_line)
    if data is None:
        return None, problems
    if data.value is None:
        return None, problems + [error(
            "missing-key", "the front matter is empty; it needs at least 'number' and 'date'",
            Location(source.path, source.front_line, 1), "write 'number: …' and 'date: …', one key per line")]
    if not isinstance(data.value, dict):
        return None, problems + [error(
            "wrong-type", f"the front matter must be a mapping of keys, not {type_name(data.value)}",
            Location(source.path, source.front_line, 1), "write 'number: …' and 'date: …', one key per line")]
    reader = _MetaReader(data, source, site)
    meta = reader.read()
    problems += reader.problems
    return (meta if not any(p.severity.value == "error" for p in problems) else None), problems


class _MetaReader:
    def __init__(self, data: YamlData, source: Source, site: Site) -> None:
        self.data = data
        self.value: dict[str, Any] = data.value
        self.source = source
        self.site = site
        self.problems: list[Diagnostic] = check_keys(data, (), KEYS, ("number", "date"), "the front matter")

    def fail(self, code: str, key: str | tuple[object, ...], message: str, hint: str = "") -> None:
        path = (key,) if isinstance(key, str) else key
        self.problems.append(error(code, message, self.data.at(path), hint))

    def read(self) -> Meta | None:
        number = self.number()
        date = self.date()
        language = self.language()
        call_language = self.language_key("call_language", language)
        time = self.time()
        duration = self.duration()
        attendance = self.attendance()
        scheduled = self.scheduled()
        intro = self.boolean("intro", True)
        status = self.status()
        answers = self.answers(number or 0)
        translated_from = self.translated_from(language)
        source_version = self.source_version()
        if number is None or date is None or language is None or call_language is None:
            return None
        places: list[int] = []
        for key in META_KEYS:
            where = self.data.key_locations.get((key,))
            places += (where.line, where.column) if where else (0, 0)
        return Meta(number, date, language, call_language, time, duration, attendance, scheduled,
                    intro, status, answers, translated_from, source_version, tuple(places))

    def translated_from(self, language: str | None) -> str:
        code = self.language_key("translated_from", None) if "translated_from" in self.value else None
        if code is not None and code == language:
            self.fail("bad-translation", "translated_from", f"this version is in '{code}' and says it is "
                      f"translated from '{code}'", "name the language of the version it was translated from")
        return code or ""

    def source_version(self) -> str:
        value = self.value.get("source_version")
        if value is None:
            return ""
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{16}", value):
            self.fail("wrong-type", "source_version", f"'source_version' must be the 16 hex digits `clinics new "
                      f"--from` recorded, not {value!r}", "copy it from `clinics check`'s hint, or remove it")
            return ""
        if "translated_from" not in self.value:
            self.fail("missing-key", "source_version", "'source_version' without 'translated_from'",
                      "add 'translated_from: LANG', the language of the version it was translated from")
        return value

    def number(self) -> int | None:
        value = self.value.get("number")
        if value is None:
            return None
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)  # "009", or 09, which YAML reads as text: the number is still plain
        if type(value) is not int or value < 1:
            self.fail("wrong-type", "number", f"'number' must be a whole number of 1 or more, not {value!r}",
                      "write the call's number, e.g. 'number: 6'")
            return None
        if value != self.source.name_number:
            self.fail("number-mismatch", "number",
                      f"number {value} does not match the file name ({self.source.path.rsplit('/', 1)[-1]})",
                      f"write 'number: {self.source.name_number}' or rename the file to {value:03d}.md")
        return value

    def date(self) -> dt.date | None:
        value = self.value.get("date")
        if value is None:
            return None
        match = _DATE.match(str(value)) if isinstance(value, str) else None
        if not match:
            self.fail("bad-date", "date", f"date {value!r} is not written as YYYY-MM-DD",
                      "write the call's date as YYYY-MM-DD")
            return None
        year, month, day = map(int, match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            if year < dt.MINYEAR:
                reason = "there is no year 0"
            elif not 1 <= month <= 12:
                reason = f"month {month} does not exist"
            else:
                reason = f"day out of range for {_MONTHS[month - 1]}"
                if month == 2 and day == 29:
                    reason = f"{year} is not a leap year"
            self.fail("bad-date", "date", f"date '{value}' is not a real date ({reason})",
                      "write the call's date as YYYY-MM-DD")
            return None

    def language(self) -> str | None:
        named = self.source.name_language
        value = self.language_key("language", named or self.site.default_language)
        if value is not None and named and value != named:
            self.fail("language-mismatch", "language",
                      f"language '{value}' does not match the file name ({self.source.path.rsplit('/', 1)[-1]})",
                      f"write 'language: {named}' or rename the file")
        return value

    def language_key(self, key: str, default: str | None) -> str | None:
        value = self.data.text((key,)) if key in self.value else default
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail("wrong-type", key, f"'{key}' must be a language code, not {value!r}",
                      "for example 'en' or 'es'")
            return None
        if value not in self.site.languages:
            import difflib

            close = difflib.get_close_matches(value.strip().lower(), list(self.site.languages), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            hint += f"languages in {self.site.path}: {', '.join(self.site.languages)}"
            self.fail("unknown-language", key if key in self.value else (),
                      f"language '{value}' is not in {self.site.path}", hint)
            return None
        return value

    def time(self) -> dt.time | None:
        value = self.value.get("time")
        if value is None:
            return None
        match = _TIME.match(value) if isinstance(value, str) else None
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            return dt.time(int(match[1]), int(match[2]))
        self.fail("bad-time", "time", f"time {value!r} is not a time of day written HH:MM",
                  "write the UTC start time in quotes, e.g. time: \"17:30\"")
        return None

    def duration(self) -> int | None:
        value = self.value.get("duration")
        if value is None:
            return None
        if type(value) is not int or value < 1:
            self.fail("wrong-type", "duration", f"'duration' must be a whole number of minutes, not {value!r}",
                      "for example 'duration: 90'")
            return None
        if not 70 <= value <= 90:
            self.problems.append(warning(
                "unusual-duration", f"duration of {value} minutes is outside the usual 70-90",
                self.data.at(("duration",)), "check the number: Clinics calls last 70 to 90 minutes"))
        return value

    def attendance(self) -> Attendance | None:
        value = self.value.get("attendance")
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail("wrong-type", "attendance", f"'attendance' must be a mapping, not {type_name(value)}",
                      "write 'staff: 7' and 'volunteers: 10' indented under 'attendance:'")
            return None
        self.problems += check_keys(self.data, ("attendance",), ("staff", "volunteers"), (), "attendance")
        staff = self.count("staff")
        volunteers = self.count("volunteers")
        if staff is not None and staff.value < 2:
            self.problems.append(warning(
                "few-staff", f"only {staff} staff member{'s' if staff.value != 1 else ''} attended; "
                "the program promises at least two", self.data.at(("attendance", "staff")),
                "check the count; if it is right, say so in the notes"))
        return Attendance(staff, volunteers)

    def count(self, key: str) -> Count | None:
        value = self.value["attendance"].get(key)
        if value is None:
            return None
        if type(value) is int and value >= 0:
            return Count(value)
        match = _COUNT.match(value.strip()) if isinstance(value, str) else None
        if match:
            return Count(int(match[1]), approximate=True)
        self.fail("wrong-type", ("attendance", key),
                  f"attendance '{key}' must be a whole number or an approximate count like \"~8\", not {value!r}",
                  "write an exact count (7) or an approximate one in quotes (\"~8\")")
        return None

    def scheduled(self) -> Scheduled | None:
        value = self.value.get("scheduled")
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail("wrong-type", "scheduled", "'scheduled' must be a mapping with 'topic' and 'presenter'",
                      "write 'topic: …' and 'presenter: …' indented under 'scheduled:'")
            return None
        self.problems += check_keys(self.data, ("scheduled",), ("topic", "presenter"), ("topic",), "scheduled")
        topic, presenter = value.get("topic"), value.get("presenter", "")
        for key, text in (("topic", topic), ("presenter", presenter)):
            if text is not None and not isinstance(text, str):
                self.fail("wrong-type", ("scheduled", key), f"scheduled '{key}' must be text, not {text!r}",
                          f"write the {key} as words, in quotes if it holds a colon or starts with a symbol")
                return None
        return Scheduled(" ".join(topic.split()), " ".join((presenter or "").split())) if topic else None

    def answers(self, number: int) -> tuple[Closing, ...]:
        """Return the earlier follow-ups `answers:` says this call answered: each an id, a note and a link."""
        value = self.value.get("answers")
        if value is None:
            return ()
        hint = "write each as '- id: 001-1', then 'note: …' and 'link: https://…' indented under it"
        if not isinstance(value, list):
            self.fail("wrong-type", "answers", f"'answers' must be a list, not {type_name(value)}", hint)
            return ()
        found = []
        for n, entry in enumerate(value):
            path: tuple[object, ...] = ("answers", n)
            if not isinstance(entry, dict):
                self.fail("wrong-type", path, f"each answer must be a mapping of id, note and link, not "
                          f"{type_name(entry)}", hint)
                continue
            self.problems += check_keys(self.data, path, ("id", "note", "link"), ("id", "note", "link"), "an answer")
            texts = {}
            for key in ("id", "note", "link"):
                text = entry.get(key)
                if text is not None and not isinstance(text, str):
                    self.fail("wrong-type", path + (key,), f"the answer's '{key}' must be text, not {text!r}", hint)
                texts[key] = " ".join(text.split()) if isinstance(text, str) else ""
            link = texts["link"]
            if link and not (link.startswith("https://") and len(link) > 8 and " " not in link):
                self.fail("bad-link", path + ("link",), f"the answer's link '{link}' is not an https address",
                          "link to where the answer is: a list post, a wiki page, a ticket (https://…)")
            if all(texts.values()):
                found.append(Closing(texts["id"], number, texts["note"], link, self.data.at(path + ("id",))))
        return tuple(found)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.value.get(key, default)
        if isinstance(value, bool):
            return value
        self.fail("wrong-type", key, f"'{key}' must be true or false, not {value!r}",
                  f"write '{key}: true' or '{key}: false', without quotes")
        return default

    def status(self) -> Status:
        value = self.data.text(("status",)) if "status" in self.value else "final"
        try:
            return Status(value)
        except ValueError:
            self.fail("bad-status", "status", f"status {value!r} is neither 'draft' nor 'final'",
                      "drafts are checked but never published; write 'status: final' when it is ready")
            return Status.FINAL
