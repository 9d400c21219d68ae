"""Load digests/site.yaml into one typed Site object, validated once."""
from __future__ import annotations

import difflib
import re
import string
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from pipeline.model.diagnostics import Diagnostic, Location, error, has_errors
from pipeline.model.locale import cldr_problem
from pipeline.model.settings import (
    Language,
    ListFormat,
    MailingList,
    Site,
    Smtp,
    Wiki,
    address_problem,
    split_address,
    title_problem,
)
from pipeline.read.text import VALUE_PROBLEMS
from pipeline.read.yamldata import YamlData, check_keys, expect, read_yaml_file, type_name

DEFAULT_WARN_AFTER = 3  # calls an open follow-up may wait before `check` warns about it
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}\Z")
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?\Z")


# Every localised string the outputs use, with the fields it may hold. A renderer that calls
# language.t("key") needs its key here: then a site.yaml without it, or with a field the code
# does not fill ("{numero}"), is refused by `check` instead of failing halfway through a build.
# Dates come from CLDR (model/locale.py): {date} "October 27, 2020", {day} "Tuesday, October 27, 2020",
# {weekday} "Tuesday", {time} "15:00"; a pattern never spells out a date itself.
STRINGS: dict[str, tuple[str, ...]] = {
    "announce_calendar": ("google",), "announce_calendar_file": ("ics",), "announce_join": ("link",),
    "announce_opening": ("date", "day", "duration", "number", "time", "weekday"),
    "announce_subject": ("date", "day", "number", "time", "weekday"), "announce_welcome": (), "announce_zones": (),
    "zone_time": ("date", "day", "offset", "time", "weekday", "zone"),
    "archive_columns": (), "archive_heading": (), "archive_link": (),
    "attendance": ("staff", "volunteers"), "attendance_staff": ("staff",), "attendance_volunteers": ("volunteers",),
    "call_language": ("language",), "cited_in": (), "event_title": ("number",), "footer": (), "greeting": (),
    "kind_contact": (), "kind_group": (), "kind_page": (), "kind_program": (), "kind_tool": (),
    "links_heading": (), "next_digest": ("link",), "previous_digest": ("link",), "meeting_link": (), "on_meta": ("page",), "opening": ("call_language", "date", "number"),
    "volunteer_topics": (),
    "other_versions": ("versions",), "scheduled": ("presenter", "topic"), "scheduled_topic": ("topic",),
    "signature": (), "subject": ("number", "topics"), "title": ("number",), "tools_heading": (),
    "tools_page_intro": (), "tools_by_year": ("years",), "tools_year_intro": ("year",), "topic": ("n", "title"), "upcoming_call": ("date", "day", "number", "time", "weekday"),
    "upcoming_call_untimed": ("date", "day", "number", "weekday"), "upcoming_columns": (), "upcoming_heading": (),
    "upcoming_none": (),
    "upcoming_segment": ("presenter", "topic"), "upcoming_segment_topic": ("topic",),
    "followups_open_heading": (), "followups_answered_heading": (), "followups_subsection": (),
    "followups_heading": (), "followups_count": ("count", "page"), "followups_none": (), "followups_page_intro": (),
    "followups_columns": (), "followup_open": (), "followup_done": (), "followup_owner": ("owner",),
    "followup_no_owner": (), "followup_due": ("date",), "followup_call": ("number",),
    "followup_opened": ("age", "call"), "followup_answered": ("call",), "followup_answer_link": (),
    "translations_intro": (), "translations_lacking": ("counts",), "state_final": (), "state_draft": (),
    "state_outdated": (), "state_missing": (),
}

_TOP = ("title", "sender", "timezones", "wiki", "smtp", "lists", "interwiki", "languages")
_OPTIONAL = ("calendar_url", "followups")
_FOLLOWUPS = ("warn_after_calls",)
_WIKI = ("base_url", "api_url", "page_prefix", "local_prefix", "category", "user", "password_env")
_WIKI_OPTIONAL = ("max_page_kib",)
_SMTP = ("host", "port", "starttls", "user", "password_env")
_LIST = ("name", "address", "languages", "format")
_LANGUAGE = ("name", "strings", "language_names")
_LANGUAGE_REQUIRED = ("name", "strings")
_LANGUAGE_OBSOLETE = ("date", "months", "weekdays")  # hand-written date formats: CLDR writes dates now


def load_site(path: Path, display: str | None = None) -> tuple[Site | None, list[Diagnostic]]:
    """Return the validated settings in `path`, or None and the problems found."""
    shown = display or str(path)
    data, problems = read_yaml_file(path, shown, "the settings file", error(
        "no-site", "the settings file is missing", Location(shown), "create site.yaml beside the digests (see README.md)"))
    if data is None or has_errors([p for p in problems if p.code not in VALUE_PROBLEMS]):
        return None, problems  # a broken document; a value's own problem leaves the rest worth checking
    if not isinstance(data.value, dict):
        return None, problems + [error(
            "wrong-type", f"site.yaml must be a mapping of settings, not {type_name(data.value)}", data.at(()),
            "start from the project's digests/site.yaml: 'title:', 'sender:', 'wiki:' …")]
    reader = _SiteReader(data)
    site = reader.read(shown)
    return (None if has_errors(reader.problems) else site), problems + reader.problems


class _SiteReader:
    def __init__(self, data: YamlData) -> None:
        self.data = data
        self.problems: list[Diagnostic] = []

    def text(self, path: tuple[object, ...], default: str = "") -> str:
        value = self._get(path)
        if value is None:
            return default
        problem = expect(self.data, path, str, "text")
        if problem:
            self.problems.append(problem)
            return default
        if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value.strip()):
            self.problems.append(error("wrong-type", f"'{_name(path)}' must be a single line, without control "
                                       "characters", self.data.at(path), "write it on one line"))
        return str(value)

    def address(self, path: tuple[object, ...]) -> str:
        """Return the mail address at `path` ("Name <user@host>" or "user@host"), checked."""
        value = self.text(path)
        parts = split_address(value) if value else None
        if value and parts is None:
            self.problems.append(error("bad-address", f"'{_name(path)}' is not a mail address: {value!r}",
                                       self.data.at(path), "write user@host, or Name <user@host>"))
        elif parts is not None and address_problem(parts[1]):
            self.problems.append(error("bad-address", f"'{_name(path)}' is not a mail address: {value!r}: "
                                       f"{address_problem(parts[1])}", self.data.at(path),
                                       "write one address, user@host or Name <user@host>, in ASCII"))
        return value

    def _get(self, path: tuple[object, ...]) -> object:
        value: object = self.data.value
        for step in path:
            if isinstance(value, dict) and step in value:
                value = value[step]
            elif isinstance(value, list) and isinstance(step, int) and step < len(value):
                value = value[step]
            else:
                return None
        return value

    def section(self, key: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> bool:
        problem = expect(self.data, (key,), dict, "a mapping")
        if problem:
            self.problems.append(problem)
            return False
        self.problems += check_keys(self.data, (key,), required + optional, required, key)
        return True

    def read(self, shown: str) -> Site:
        self.problems += check_keys(self.data, (), _TOP + _OPTIONAL, _TOP)
        wiki = smtp = None
        if "wiki" in self.data.value and self.section("wiki", _WIKI, _WIKI_OPTIONAL):
            wiki = Wiki(*(self.text(("wiki", key)) for key in _WIKI), max_page_kib=self.max_page_kib())
            for key in ("base_url", "api_url"):
                self.https(("wiki", key))
            for key in ("page_prefix", "local_prefix", "category"):
                problem = title_problem(getattr(wiki, key)) if getattr(wiki, key) else None
                if problem:
                    self.problems.append(error("bad-title", f"'wiki.{key}' is no title MediaWiki takes: {problem}",
                                               self.data.at(("wiki", key)), "write a plain page title, e.g. "
                                               "'Wikimedia Clinics' (the wiki would refuse every page of it)"))
        if "smtp" in self.data.value and self.section("smtp", _SMTP):
            port = self._get(("smtp", "port"))
            self.typed(("smtp", "port"), int, "a whole number")
            self.typed(("smtp", "starttls"), bool, "true or false")
            smtp = Smtp(self.text(("smtp", "host")), port if isinstance(port, int) else 0,
                        self._get(("smtp", "starttls")) is True, self.text(("smtp", "user")),
                        self.text(("smtp", "password_env")))
        languages = self.languages()
        self.https(("calendar_url",))
        return Site(
            title=self.text(("title",)), sender=self.address(("sender",)),
            wiki=wiki or Wiki(*[""] * 7), smtp=smtp or Smtp("", 0, False, "", ""),
            lists=self.lists(languages), interwiki=self.interwiki(), languages=languages,
            timezones=self.timezones(), calendar_url=self.text(("calendar_url",)), path=shown,
            followups_warn_after=self.warn_after())

    def max_page_kib(self) -> int:
        path = ("wiki", "max_page_kib")
        value = self._get(path)
        if value is None:
            return Wiki.max_page_kib
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1_048_576:
            self.problems.append(error("wrong-type", f"'wiki.max_page_kib' must be a whole number of kibibytes "
                                       f"from 1 to 1048576, not {value!r}", self.data.at(path),
                                       "write the wiki's $wgMaxArticleSize: 2048 on Wikimedia wikis"))
            return Wiki.max_page_kib
        return value

    def warn_after(self) -> int:
        """Return `followups.warn_after_calls`: after how many calls an open follow-up is a warning (default 3)."""
        if "followups" not in self.data.value:
            return DEFAULT_WARN_AFTER
        problem = expect(self.data, ("followups",), dict, "a mapping", "write 'warn_after_calls: 3' under it")
        if problem:
            self.problems.append(problem)
            return DEFAULT_WARN_AFTER
        self.problems += check_keys(self.data, ("followups",), _FOLLOWUPS, (), "followups")
        value = self._get(("followups", "warn_after_calls"))
        if value is None:
            return DEFAULT_WARN_AFTER
        if type(value) is not int or value < 1:
            self.problems.append(error(
                "wrong-type", f"'followups.warn_after_calls' must be a whole number of 1 or more, not {value!r}",
                self.data.at(("followups", "warn_after_calls")), "for example 'warn_after_calls: 3'"))
            return DEFAULT_WARN_AFTER
        return value

    def typed(self, path: tuple[object, ...], kind: type, expected: str, hint: str = "") -> None:
        problem = expect(self.data, path, kind, expected, hint)
        if problem:
            self.problems.append(problem)

    def https(self, path: tuple[object, ...]) -> None:
        value = self._get(path)
        if isinstance(value, str) and not value.startswith("https://"):
            self.problems.append(error("not-https", f"'{_name(path)}' must be an https:// address, not '{value}'",
                                       self.data.at(path), "write the address with https://"))

    def timezones(self) -> tuple[str, ...]:
        import zoneinfo

        value = self._get(("timezones",))
        if not isinstance(value, list):
            self.typed(("timezones",), list, "a list of IANA time zone names")
            return ()
        zones = []
        for i, name in enumerate(value):
            try:
                zoneinfo.ZoneInfo(str(name))
                zones.append(str(name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                self.problems.append(error("unknown-timezone", f"unknown time zone '{name}'",
                                           self.data.at(("timezones", i)),
                                           "use an IANA name such as 'Europe/Madrid'"))
        return tuple(zones)

    def interwiki(self) -> dict[str, str]:
        value = self._get(("interwiki",))
        if not isinstance(value, dict):
            self.typed(("interwiki",), dict, "a mapping of prefix to URL")
            return {}
        for prefix, url in value.items():
            path = ("interwiki", prefix)
            if not isinstance(url, str) or "$1" not in url or not url.startswith("https://"):
                self.problems.append(error("bad-interwiki", f"interwiki '{prefix}' must be an https URL with $1",
                                           self.data.at(path), "for example https://meta.wikimedia.org/wiki/$1"))
        return {str(k): str(v) for k, v in value.items()}

    def lists(self, languages: Mapping[str, Language]) -> tuple[MailingList, ...]:
        value = self._get(("lists",))
        if not isinstance(value, list):
            self.typed(("lists",), list, "a list of mailing lists")
            return ()
        found = []
        for i, item in enumerate(value):
            path = ("lists", i)
            if not isinstance(item, dict):
                self.typed(path, dict, "a mapping (name, address, languages, format)")
                continue
            self.problems += check_keys(self.data, path, _LIST, _LIST, "a mailing list")
            name = self.text(path + ("name",))
            if not SAFE_NAME.match(name):
                self.problems.append(error("bad-name", f"list name '{name}' must be lower-case letters, digits and '-'",
                                           self.data.at(path + ("name",)), "it names a folder under build/email/"))
            fmt = self.text(path + ("format",))
            if fmt and fmt not in {f.value for f in ListFormat}:
                self.problems.append(error("bad-format", f"list format '{fmt}' is neither 'plain' nor 'multipart'",
                                           self.data.at(path + ("format",)),
                                           "plain: text only; multipart: text first, HTML second"))
            codes = item.get("languages") if isinstance(item.get("languages"), list) else []
            declared = self._get(("languages",))
            for j, code in enumerate(codes):
                if not isinstance(code, str):
                    self.typed(path + ("languages", j), str, "a language code",
                               "list the codes of the list's languages, e.g. 'languages: [en, es]'")
                elif code not in (declared if isinstance(declared, dict) else languages):
                    self.problems.append(error("unknown-language", f"list language '{code}' is not in 'languages'",
                                               self.data.at(path + ("languages", j)),
                                               "known: " + ", ".join(languages)))
            found.append(MailingList(name, self.address(path + ("address",)), tuple(map(str, codes)),
                                     ListFormat(fmt) if fmt in ("plain", "multipart") else ListFormat.PLAIN))
        return tuple(found)

    def languages(self) -> dict[str, Language]:
        value = self._get(("languages",))
        if not isinstance(value, dict) or not value:
            self.typed(("languages",), dict, "a mapping of language codes")
            return {}
        reference = value.get("en") if isinstance(value.get("en"), dict) else next(iter(value.values()))
        strings = reference.get("strings") if isinstance(reference, dict) else None
        wanted = set(strings) if isinstance(strings, dict) else set()
        found = {}
        for code, item in value.items():
            language = self.language(str(code), item, wanted)
            if language:
                found[str(code)] = language
        return found

    def language(self, code: str, item: object, wanted: set[str]) -> Language | None:
        path: tuple[object, ...] = ("languages", code)
        if not LANGUAGE_CODE.match(code):
            self.problems.append(error("bad-language-code", f"'{code}' is not a language code",
                                       self.data.key_at(path), "use a code such as en, es or ru"))
            return None
        if not isinstance(item, dict):
            self.typed(path, dict, "a mapping")
            return None
        self.problems += check_keys(self.data, path, _LANGUAGE + _LANGUAGE_OBSOLETE, _LANGUAGE_REQUIRED,
                                    f"language '{code}'")
        for key in _LANGUAGE_OBSOLETE:
            if key in item:
                self.problems.append(error(
                    "obsolete-key", f"language '{code}' writes its own '{key}': dates, weekdays and months "
                    "come from CLDR now", self.data.key_at(path + (key,)),
                    f"remove '{key}'; the sentences take {{date}}, {{day}}, {{weekday}} and {{time}} as the "
                    "language writes them"))
        problem = cldr_problem(code)
        if problem:
            self.problems.append(error("unknown-locale", f"language '{code}': {problem}, so its dates and lists "
                                       "cannot be written", self.data.key_at(path),
                                       "use a code CLDR knows, such as en, es, ru, ar or pt-br"))
            return None
        strings = item.get("strings") if isinstance(item.get("strings"), dict) else {}
        if "strings" in item and not isinstance(item.get("strings"), dict):
            self.typed(path + ("strings",), dict, "a mapping of string names to text",
                       "indent each string under 'strings:', as 'greeting: Hello,'")
            return None
        unused = [str(key) for key in strings if key not in STRINGS]
        for key in sorted((wanted | set(STRINGS)) - set(strings)):
            close = difflib.get_close_matches(key, unused, n=1)
            self.problems.append(error("missing-string", f"language '{code}' has no string '{key}'",
                                       self.data.at(path + ("strings",)),
                                       f"rename '{close[0]}' to '{key}'" if close else "add it, translated"))
        for key, value in strings.items():
            if not isinstance(value, str):
                self.typed(path + ("strings", key), str, "text")
            elif key in STRINGS:
                self.check_fields(path + ("strings", key), value, set(STRINGS[key]))
        return Language(code, self.text(path + ("name",)), {str(k): str(v) for k, v in strings.items()},
                        {str(k): str(v) for k, v in self.names(path + ("language_names",)).items()})

    def names(self, path: tuple[object, ...]) -> dict[object, object]:
        """Return the optional mapping of language codes to names at `path`, after checking it is one."""
        value = self._get(path)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.typed(path, dict, "a mapping of language codes to names",
                       "write it as {en: English, es: Spanish}, or leave it out")
            return {}
        for key, name in value.items():
            if not isinstance(name, str):
                self.typed(path + (key,), str, "text, the language's name", "write the name as plain text")
                return {}
        return value

    def check_fields(self, path: tuple[object, ...], pattern: str, allowed: set[str]) -> None:
        try:
            fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(pattern)
                      if name is not None]
        except ValueError as exc:
            fields = []
            self.problems.append(error("bad-pattern", f"'{_name(path)}': {exc}", self.data.at(path),
                                       "write literal braces as {{ and }}"))
        names = {name for name, _, _ in fields if name.isidentifier()}
        for name, spec, conversion in fields:
            if spec or conversion or not name.isidentifier():  # {n:>9999999}, {n!r}, {n.attr}, {n[0]}, {}
                written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
                self.problems.append(error(
                    "bad-pattern", f"'{_name(path)}' writes '{written}': a pattern holds plain fields only",
                    self.data.at(path), "write the field as {name}, with no format, conversion, index or "
                                        "attribute; write a literal brace as {{ or }}"))
        for name in sorted(names - allowed):
            fields = ", ".join("{" + field + "}" for field in sorted(allowed))
            self.problems.append(error("bad-pattern", f"'{_name(path)}' uses unknown field '{{{name}}}'",
                                       self.data.at(path), f"the fields it may use: {fields}" if allowed else
                                       "it takes no fields; write a literal brace as {{ or }}"))


def _name(path: tuple[object, ...]) -> str:
    return ".".join(str(step) for step in path)
