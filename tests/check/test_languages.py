"""Schedule notes and topics per language: each output in its own language, else the English text, marked."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import TEMPLATES, check

from pipeline.check.archive import load_archive
from pipeline.render.email.announce import announce


def _announcement(folder: Path, number: int):
    archive = load_archive(folder, TEMPLATES, dt.date(2026, 1, 1))
    call = next(c for c in archive.calls if c.number == number)
    return announce(archive, call)


def test_the_spanish_announcement_is_wholly_in_spanish(example: Path) -> None:
    made = _announcement(example, 12)
    for body in (made.bodies.text, made.bodies.html, made.ics.decode("utf-8")):
        assert "Open topics" not in body and "Mexico City" not in body
    assert "Temas abiertos\\; la llamada se celebra en español." in made.ics.decode("utf-8")
    assert "Temas abiertos; la llamada se celebra en español." in made.bodies.text
    assert "Ciudad de México: martes, 27 de octubre de 2020, 9:00 (GMT-06:00)" in made.bodies.text
    assert 'lang="en"' not in made.bodies.html
    assert check(example) == []


def test_a_note_lacking_the_calls_language_is_english_marked_and_warned_about(example: Path) -> None:
    schedule = example / "schedule.yaml"
    schedule.write_text(schedule.read_text(encoding="utf-8").replace(
        "    es: Temas abiertos; la llamada se celebra en español.\n", ""), encoding="utf-8")
    assert check(example) == [
        "digests/schedule.yaml:25:3: warning[missing-translation]: call 012's note has no 'es' text, which the "
        "announcement of call 012 needs: it shows the 'en' text instead, marked lang=\"en\"\n"
        "  hint: write it in schedule.yaml in each language, as note: {en: …, es: …}"]
    made = _announcement(example, 12)
    assert '<span lang="en" dir="ltr">Open topics; the call is held in Spanish.</span>' in made.bodies.html
    assert "\nOpen topics; the call is held in Spanish.\n" in made.bodies.text  # plain text: unmarked


def test_a_topic_in_each_language(example: Path) -> None:
    made = _announcement(example, 11)
    assert "Запланированная часть: Приоритизация стратегии, ведущий — Kaarel Vaidla (WMF)." in " ".join(
        made.bodies.text.split())
    assert made.bodies.letter.subject.endswith("– Приоритизация стратегии")
    assert "Strategy prioritization" not in made.bodies.text + made.ics.decode("utf-8").replace("\r\n ", "")


def test_a_topic_a_digest_lists_in_another_language_is_marked_there(example: Path) -> None:
    """A Spanish digest dated before call 011 lists it: the topic has no Spanish, so the English is marked."""
    (example / "009.es.md").write_text((example / "009.md").read_text(encoding="utf-8").replace(
        "language: en", "language: es"), encoding="utf-8")
    found = [line for line in check(example) if "missing-translation" in line]
    assert found and all("'es'" in line for line in found)
    assert any("call 011's scheduled topic has no 'es' text, which digest 009.es needs" in line for line in found)


def test_a_note_in_an_unknown_language_is_refused(example: Path) -> None:
    schedule = example / "schedule.yaml"
    schedule.write_text(schedule.read_text(encoding="utf-8").replace(
        "    en: Open topics;", "    xx: Open topics;"), encoding="utf-8")
    assert [line.split(": ", 2)[1] for line in check(example)] == ["error[unknown-language]"]
