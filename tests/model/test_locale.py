"""Dates, times, zones and lists in every language of site.yaml come from CLDR, through Babel."""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import DIGESTS

from pipeline.model import locale
from pipeline.model.settings import Language, fill_text
from pipeline.read.settings import load_site

SITE, _ = load_site(DIGESTS / "site.yaml")
MOMENT = dt.datetime(2020, 10, 27, 15, 0, tzinfo=dt.timezone.utc)


def test_a_russian_date_that_ends_in_a_full_stop_ends_the_sentence_once() -> None:
    """CLDR's Russian date ends in "г."; the opening puts a full stop after it: one stays."""
    assert SITE is not None
    russian = SITE.language("ru")
    text = russian.t("opening", number="011", date=russian.date(dt.date(2020, 10, 20)), call_language="")
    assert "прошедшей 20 октября 2020\u202fг. Это обработанное" in text
    assert ".." not in text
    held_elsewhere = russian.t("opening", number="011", date=russian.date(dt.date(2020, 10, 20)),
                               call_language=russian.t("call_language", language="английском"))
    assert "2020\u202fг. на английском языке. Это" in held_elsewhere


@pytest.mark.parametrize("pattern, values, expected", [
    ("{a}. Next", {"a": "Inc."}, "Inc. Next"),
    ("{a}{b}. Next", {"a": "г.", "b": ""}, "г. Next"),
    ("{a}{b}. Next", {"a": "г.", "b": " x"}, "г. x. Next"),
    ("Dr.{a}. Next", {"a": ""}, "Dr.. Next"),  # a full stop of the pattern itself is the writer's
    ("{a}...", {"a": "etc."}, "etc..."),
])
def test_only_a_full_stop_a_value_brought_is_merged(pattern: str, values: dict[str, str], expected: str) -> None:
    assert fill_text(pattern, values) == expected


@pytest.mark.parametrize("code, date, day, city, listed", [
    ("en", "October 27, 2020", "Tuesday, October 27, 2020", "Mexico City", "A, B, and C"),
    ("es", "27 de octubre de 2020", "martes, 27 de octubre de 2020", "Ciudad de México", "A, B y C"),
    ("ru", "27 октября 2020\u202fг.", "вторник, 27 октября 2020\u202fг.", "Мехико", "A, B и C"),
    ("ar", "27 أكتوبر 2020", "الثلاثاء، 27 أكتوبر 2020", "مكسيكو سيتي", "A وB وC"),
    ("he", "27 באוקטובר 2020", "יום שלישי, 27 באוקטובר 2020", "מקסיקו סיטי", "A, B וC"),
])
def test_dates_zones_and_lists_come_from_cldr(code: str, date: str, day: str, city: str, listed: str) -> None:
    language = Language(code, code, {})
    assert language.date(MOMENT.date()) == date
    assert language.day(MOMENT.date()) == day
    assert language.time(MOMENT) == "15:00"
    assert language.zone("America/Mexico_City") == city
    assert language.join(["A", "B", "C"]) == listed


def test_offsets_times_and_directions() -> None:
    english = Language("en", "English", {})
    local = MOMENT.astimezone(dt.timezone(dt.timedelta(hours=-3, minutes=-30)))
    assert english.offset(local) == "GMT-03:30"
    assert english.time(local) == "11:30"
    assert Language("es", "Español", {}).time(local) == "11:30"
    assert english.weekday(MOMENT.date(), standalone=True) == "Tuesday"
    assert (english.direction, Language("he", "עברית", {}).direction, Language("ar", "العربية", {}).direction) == (
        "ltr", "rtl", "rtl")
    assert locale.date_time("en", "Tuesday, October 27, 2020", "15:00 UTC") == "Tuesday, October 27, 2020, 15:00 UTC"
    assert locale.list_pattern("es", 2) == "{v0} y {v1}"


def test_a_locale_is_parsed_once_per_language() -> None:
    assert locale.cldr_locale("es") is locale.cldr_locale("es")
    assert locale.cldr_problem("pt-br") is None
    assert locale.cldr_problem("qqq") == "CLDR has no locale 'qqq'"


def test_every_language_of_site_yaml_is_one_cldr_knows() -> None:
    assert SITE is not None
    for code, language in SITE.languages.items():
        assert locale.cldr_problem(code) is None
        assert language.date(MOMENT.date())  # and writes a date
