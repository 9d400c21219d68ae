"""digests/schedule.yaml -> the upcoming Calls, every entry checked (model/calendar.py: which are upcoming).

Nothing here reads the wall clock: "upcoming" is always relative to a digest's date or to
the newest digest, so that builds stay reproducible.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.model.calendar import Call, DEFAULT_DURATION
from pipeline.model.diagnostics import Diagnostic, error
from pipeline.model.digest import Scheduled
from pipeline.model.localised import Localised
from pipeline.model.settings import Site
from pipeline.read.yamldata import YamlData, check_keys, read_yaml_file, type_name

KEYS = ("number", "start", "duration", "link", "language", "scheduled", "note")
EARLIEST, LATEST = 2000, 2999  # the years a call may start in


def load_schedule(path: Path, site: Site, display: str | None = None) -> tuple[list[Call], list[Diagnostic]]:
    """Return the calls in schedule.yaml (none when it is missing) and every problem in it."""
    shown = display or str(path)
    data, problems = read_yaml_file(path, shown, "the schedule")
    if data is None or data.value is None:
        return [], problems
    if not isinstance(data.value, list):
        return [], problems + [error("wrong-type", "the schedule must be a list of calls", data.at(()),
                                     "start each call with '- number: …'")]
    calls = [call for i in range(len(data.value)) if (call := _read_call(data, i, site, problems))]
    return calls, problems


def _read_call(data: YamlData, i: int, site: Site, problems: list[Diagnostic]) -> Call | None:
    item = data.value[i]
    if not isinstance(item, dict):
        problems.append(error("wrong-type", f"a call must be a mapping, not {type_name(item)}", data.at((i,)),
                              "write 'number:', 'start:' and 'link:' for each call"))
        return None
    found = check_keys(data, (i,), KEYS, ("number", "start", "link"), "a scheduled call")
    number = item.get("number")
    if number is not None and (type(number) is not int or number < 1):
        found.append(error("wrong-type", f"'number' must be a whole number of 1 or more, not {number!r}",
                           data.at((i, "number"))))
    start = _start(data, i, found)
    duration = item.get("duration", DEFAULT_DURATION)
    if type(duration) is not int or not 1 <= duration <= 24 * 60:
        found.append(error("wrong-type", f"'duration' must be a whole number of minutes, not {duration!r}",
                           data.at((i, "duration")), "for example 'duration: 90'"))
    link = item.get("link")
    if link is not None and (not isinstance(link, str) or not link.startswith("https://") or
                             any(c.isspace() for c in link) or len(link) <= len("https://")):
        found.append(error("not-https", f"meeting link {link!r} is not an https:// address",
                           data.at((i, "link")), "paste the meeting's full https:// link"))
    language = data.text((i, "language")) if "language" in item else site.default_language
    if not isinstance(language, str):
        found.append(error("wrong-type", f"'language' must be one language code, not {type_name(language)}",
                           data.at((i, "language")), "a call is held in one language: write e.g. 'language: es'"))
    elif language not in site.languages:
        found.append(error("unknown-language", f"language {language!r} is not in {site.path}",
                           data.at((i, "language")), f"languages in {site.path}: {', '.join(site.languages)}"))
    code = language if isinstance(language, str) else site.default_language
    topics = _localised(data, (i, "scheduled", "topic"), code, site, found)
    scheduled = _scheduled(data, i, found, topics.text(code))
    note = _localised(data, (i, "note"), code, site, found)
    problems.extend(found)
    if found or start is None:
        return None
    return Call(number, start, duration, link, language, scheduled, note, topics, location=data.at((i,)))


def _localised(data: YamlData, path: tuple[object, ...], code: str, site: Site, found: list[Diagnostic]) -> Localised:
    """Return the text at `path`: plain text in the call's language, or a mapping {en: …, es: …}."""
    value: object = data.value[path[0]]
    for step in path[1:]:
        value = value.get(step) if isinstance(value, dict) else None
    name = str(path[-1])
    if value is None:
        return Localised()
    if isinstance(value, str):
        return Localised.single(code, " ".join(value.split()))
    hint = f"write the text in the call's language, or one per language: '{name}: {{en: …, es: …}}'"
    if not isinstance(value, dict) or not value:
        found.append(error("wrong-type", f"'{name}' must be text or a mapping of languages to text, not "
                           f"{type_name(value)}", data.at(path), hint))
        return Localised()
    texts = []
    for key, text in value.items():
        if key not in site.languages:
            found.append(error("unknown-language", f"'{name}' is given in {key!r}, which is not in {site.path}",
                               data.key_at(path + (key,)), f"languages in {site.path}: {', '.join(site.languages)}"))
        elif not isinstance(text, str) or not text.strip():
            found.append(error("wrong-type", f"'{name}' in {key!r} must be text, not {type_name(text)}",
                               data.at(path + (key,)), hint))
        else:
            texts.append((str(key), " ".join(text.split())))
    return Localised(tuple(texts))


def _start(data: YamlData, i: int, found: list[Diagnostic]) -> dt.datetime | None:
    value = data.value[i].get("start")
    if value is None:
        return None
    hint = "write the start in UTC as YYYY-MM-DDTHH:MM:SSZ, e.g. 2020-09-15T13:00:00Z"
    try:
        start = dt.datetime.fromisoformat(str(value))
    except ValueError:
        found.append(error("bad-start", f"start {value!r} is not a date and time", data.at((i, "start")), hint))
        return None
    if start.tzinfo is None or start.utcoffset() != dt.timedelta(0):
        found.append(error("bad-start", f"start {value!r} is not in UTC", data.at((i, "start")), hint))
        return None
    if not EARLIEST <= start.year <= LATEST:  # every time zone of the world, and a week before, stay on the calendar
        found.append(error("bad-start", f"start {value!r} is not a date the program could hold a call on",
                           data.at((i, "start")), f"write a year from {EARLIEST} to {LATEST}"))
        return None
    return start.astimezone(dt.timezone.utc)


def _scheduled(data: YamlData, i: int, found: list[Diagnostic], topic: str) -> Scheduled | None:
    value = data.value[i].get("scheduled")
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("topic"), (str, dict)):
        found.append(error("wrong-type", "'scheduled' must be a mapping with 'topic' and 'presenter'",
                           data.at((i, "scheduled")), "write 'topic: …' and 'presenter: …' under 'scheduled:'"))
        return None
    found.extend(check_keys(data, (i, "scheduled"), ("topic", "presenter"), ("topic",), "scheduled"))
    presenter = value.get("presenter") or ""
    if not isinstance(presenter, str):
        found.append(error("wrong-type", "'presenter' must be text", data.at((i, "scheduled", "presenter"))))
        return None
    return Scheduled(topic, " ".join(presenter.split())) if topic else None
