"""Dates, weekdays, times, time-zone cities, offsets and lists as a language writes them, from CLDR (Babel).

Nothing here is written by hand: site.yaml holds the program's own sentences, and every date or
list inside them comes from the Unicode CLDR data that Babel ships. Babel's format functions take a
Locale; parsing one costs more than formatting, so each language's is parsed once and kept, and
each date, time, city and list pattern is made once per language: an archive writes the same few
hundred dates into thousands of outputs (every digest lists the calls after it).
"""
from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence

import babel
import babel.dates
import babel.lists


@functools.cache
def cldr_locale(code: str) -> babel.Locale:
    """Return the CLDR locale of a site.yaml language code (en, es, pt-br); raises ValueError if CLDR has none."""
    try:
        return babel.Locale.parse(code.replace("-", "_"))
    except (babel.UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"CLDR has no locale '{code}'") from exc


def cldr_problem(code: str) -> str | None:
    """Return why `code` names no CLDR locale, or None if it names one."""
    try:
        cldr_locale(code)
    except ValueError as exc:
        return str(exc)
    return None


@functools.lru_cache(maxsize=4096)
def long_date(code: str, day: dt.date) -> str:
    """Return "October 27, 2020", "27 de octubre de 2020", "27 октября 2020 г."."""
    return babel.dates.format_date(day, "long", locale=cldr_locale(code))


@functools.lru_cache(maxsize=4096)
def full_date(code: str, day: dt.date) -> str:
    """Return the date with its weekday: "Tuesday, October 27, 2020", "martes, 27 de octubre de 2020"."""
    return babel.dates.format_date(day, "full", locale=cldr_locale(code))


@functools.lru_cache(maxsize=4096)
def weekday(code: str, day: dt.date, standalone: bool = False) -> str:
    """Return the weekday's name, in running text or (`standalone`) alone, as in a table column."""
    return babel.dates.format_date(day, "cccc" if standalone else "EEEE", locale=cldr_locale(code))


def clock_time(code: str, moment: dt.datetime | dt.time) -> str:
    """Return the hour and minute on a 24-hour clock as the language writes them: "15:00" (CLDR skeleton Hm)."""
    return _clock(code, moment.hour, moment.minute)  # not the moment: 15:00 UTC equals 09:00 in Mexico City


@functools.lru_cache(maxsize=4096)
def _clock(code: str, hour: int, minute: int) -> str:
    return babel.dates.format_skeleton("Hm", dt.time(hour, minute), locale=cldr_locale(code))


def date_time(code: str, date_text: str, time_text: str) -> str:
    """Return a date and a time joined as the language joins them ("{1}, {0}" in English)."""
    pattern = str(cldr_locale(code).datetime_formats["medium"])
    return pattern.replace("{1}", "\x00").replace("{0}", time_text).replace("\x00", date_text)


@functools.lru_cache(maxsize=4096)
def zone_city(code: str, zone: str) -> str:
    """Return the exemplar city of an IANA zone in the language: "Ciudad de México", "Мехико"."""
    return babel.dates.get_timezone_location(zoneinfo.ZoneInfo(zone), locale=cldr_locale(code), return_city=True)


def utc_offset(code: str, moment: dt.datetime) -> str:
    """Return the offset of an aware datetime in the language's GMT format: "GMT-06:00"."""
    return babel.dates.get_timezone_gmt(moment, width="long", locale=cldr_locale(code))


def join_list(code: str, items: Sequence[str]) -> str:
    """Return the items joined as the language lists them: "A, B, and C", "A, B y C", "A, B и C"."""
    return babel.lists.format_list(list(items), style="standard", locale=cldr_locale(code))


@functools.lru_cache(maxsize=4096)
def list_pattern(code: str, count: int) -> str:
    """Return the language's list of `count` fields {v0} … as a template: "{v0}, {v1} y {v2}"."""
    return join_list(code, [f"{{v{n}}}" for n in range(count)]) if count else ""


def direction(code: str) -> str:
    """Return "rtl" or "ltr", the direction the language is written in."""
    return "rtl" if cldr_locale(code).text_direction == "rtl" else "ltr"
