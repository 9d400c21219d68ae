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


# -- the catalog in every language ------------------------------------------------------------

def _build(folder: Path, out: Path) -> None:
    from conftest import run_cli

    result = run_cli("build", "--digests", folder, "--out", out)
    assert result.status == 0, result.err


def test_the_spanish_digest_lists_the_catalog_in_spanish(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(example, out)
    wiki = (out / "wiki" / "006.es.wiki").read_text(encoding="utf-8")
    text = (out / "email" / "006.es.txt").read_text(encoding="utf-8")
    html = (out / "email" / "006.es.html").read_text(encoding="utf-8")
    assert "* [[Trust and Safety|Equipo de Confianza y Seguridad]] – El equipo de la Fundación Wikimedia" in wiki
    assert "* [[Wikimedia México]] – El capítulo de Wikimedia en México." in wiki
    for body in (wiki, " ".join(text.split()), html):
        assert "Trust and Safety team" not in body and "Wikimedia Mexico" not in body
    # The one English text: the link to the English version, named in English, and marked.
    assert wiki.count('lang="en"') == 1 and '<span lang="en" dir="ltr">[[Wikimedia Clinics/006/en|English]]' in wiki
    assert html.count('lang="en"') == 1 and '/006/en" lang="en" dir="ltr"' in html
    assert "Wikimedia México [6] – El capítulo de Wikimedia en México." in " ".join(text.split())


def test_an_entry_lacking_the_language_is_english_marked_and_warned_about(example: Path, tmp_path: Path) -> None:
    catalog = example / "catalog.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(
        "    es: El capítulo de Wikimedia en México.\n", ""), encoding="utf-8")
    found = [line for line in check(example) if "missing-translation" in line]
    assert len(found) == 1 and found[0].startswith("digests/catalog.yaml:")
    assert ("warning[missing-translation]: catalog entry 'wikimedia-mexico' has no 'es' description, which digest "
            "006.es needs: it shows the 'en' text instead, marked lang=\"en\"\n"
            "  hint: write it in each language, as description: {en: …, es: …}") in found[0]
    out = tmp_path / "out"
    _build(example, out)
    wiki = (out / "wiki" / "006.es.wiki").read_text(encoding="utf-8")
    html = (out / "email" / "006.es.html").read_text(encoding="utf-8")
    text = (out / "email" / "006.es.txt").read_text(encoding="utf-8")
    assert ('* [[Wikimedia México]] – <span lang="en" dir="ltr">The Wikimedia chapter in Mexico.</span>') in wiki
    assert '<span lang="en" dir="ltr">The Wikimedia chapter in Mexico.</span>' in html
    assert "Wikimedia México [" in text and "The Wikimedia chapter in Mexico." in " ".join(text.split())
    assert "<span" not in text


def test_an_alias_in_any_language_resolves(example: Path) -> None:
    body = (example / "006.es.md").read_text(encoding="utf-8")
    (example / "006.es.md").write_text(body + "\nVéase también [Confianza y Seguridad][].\n", encoding="utf-8")
    (example / "009.md").write_text((example / "009.md").read_text(encoding="utf-8")
                                    + "\nSee also [Equipo de Confianza y Seguridad][].\n", encoding="utf-8")
    assert [line for line in check(example) if "error" in line] == []
    archive = load_archive(example, TEMPLATES, dt.date(2026, 1, 1))
    by_id = {d.id: d for d in archive.digests}
    assert "trust-and-safety" in by_id["006.es"].citations and "trust-and-safety" in by_id["009"].citations


def test_the_tools_page_has_a_version_per_language(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(example, out)
    spanish = (out / "wiki" / "tools-and-resources.es.wiki").read_text(encoding="utf-8")
    assert spanish.startswith("Todas las herramientas y recursos mencionados en una Clínica Wikimedia")
    assert "* [[Trust and Safety|Equipo de Confianza y Seguridad]] – El equipo" in spanish
    assert '* <span lang="en" dir="ltr">[https://meet.google.com/ Google Meet]</span> – <span lang="en"' in spanish
    import json
    pages = json.loads((out / "wiki" / "pages.json").read_text(encoding="utf-8"))
    assert pages["Wikimedia Clinics/Tools and resources/es"] == "tools-and-resources.es.wiki"


def test_a_catalog_text_in_an_unknown_language_or_without_english_is_refused(example: Path) -> None:
    catalog = example / "catalog.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(
        "    es: Política de espacios amigables", "    xx: Política de espacios amigables").replace(
        "    en: Trust and Safety team\n", ""), encoding="utf-8")
    found = [line.split("\n")[0] for line in check(example) if "error" in line and "catalog.yaml" in line]
    assert [line.split(": ", 2)[1] for line in found] == ["error[unknown-language]", "error[missing-key]"]
    assert "'name' has no 'en' text, which every output falls back on" in found[1]


# -- translation status -----------------------------------------------------------------------

def test_status_shows_each_call_in_each_language_and_an_outdated_translation(example: Path) -> None:
    from conftest import run_cli

    before = run_cli("status", "--digests", example)
    assert before.status == 0, before.err
    lines = before.out.splitlines()
    assert lines[0].split() == ["call", "en", "es", "ru"]
    assert lines[6].split() == ["006", "final", "final", "missing"]
    assert lines[-1] == "catalog entries lacking the language: en 0, es 23, ru 32"
    source = example / "006.es.md"
    source.write_text(source.read_text(encoding="utf-8") + "\n* Una nota añadida después.\n", encoding="utf-8")
    after = run_cli("status", "--digests", example)
    assert after.out.splitlines()[6].split() == ["006", "outdated", "final", "missing"]
    found = [line for line in check(example) if "outdated-translation" in line]
    assert len(found) == 1 and found[0].startswith("digests/006.en.md:7:1: warning[outdated-translation]: 006.en is "
                                                   "translated from 006.es, whose notes changed since (then ")
    assert "hint: bring it up to date with 006.es.md, then write 'source_version: " in found[0]


def test_the_translations_page_holds_the_same_table(example: Path, tmp_path: Path) -> None:
    import json

    source = example / "006.es.md"
    source.write_text(source.read_text(encoding="utf-8") + "\n* Una nota añadida después.\n", encoding="utf-8")
    out = tmp_path / "out"
    _build(example, out)
    page = (out / "wiki" / "translations.wiki").read_text(encoding="utf-8")
    assert "\n! # !! English !! Español !! Русский\n" in page
    assert "|-\n| [[Wikimedia Clinics/006|006]]\n| outdated\n| final\n| missing\n" in page
    assert page.endswith("\nCatalog entries lacking each language: English 0, Español 23, and Русский 32.\n")
    pages = json.loads((out / "wiki" / "pages.json").read_text(encoding="utf-8"))
    assert pages["Wikimedia Clinics/Translations"] == "translations.wiki"


def test_new_from_copies_the_front_matter_and_records_the_source(example: Path) -> None:
    from conftest import run_cli

    (example / "006.en.md").unlink()
    made = run_cli("new", "006", "--lang", "en", "--from", "es", "--digests", example)
    assert made.status == 0, made.err
    text = (example / "006.en.md").read_text(encoding="utf-8")
    front = text.split("---\n")[1]
    assert "language: en\ncall_language: es\nstatus: draft" in front and "translated_from: es\n" in front
    assert "attendance:\n  staff: 7\n  volunteers: 10\n" in front
    assert text.split("---\n", 2)[2] == (example / "006.es.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    assert [line for line in check(example) if "translation" in line or "error" in line] == []
    again = run_cli("new", "006", "--lang", "en", "--from", "es", "--digests", example)
    assert again.status == 1 and "already exists; it was left as it is" in again.err
    missing = run_cli("new", "007", "--lang", "en", "--from", "ru", "--digests", example)
    assert missing.status == 1 and "call 007 has no version in 'ru'" in missing.err


def test_an_entry_with_its_own_page_in_a_language_links_it_there(example: Path, tmp_path: Path) -> None:
    catalog = example / "catalog.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(
        '  page: "m:Trust and Safety"\n', '  page: {en: "m:Trust and Safety", es: "m:Trust and Safety/es"}\n'),
        encoding="utf-8")
    out = tmp_path / "out"
    _build(example, out)
    assert "* [[Trust and Safety/es|Equipo de Confianza y Seguridad]] – El equipo" in (
        out / "wiki" / "006.es.wiki").read_text(encoding="utf-8")
    assert 'href="https://meta.wikimedia.org/wiki/Trust_and_Safety/es"' in (
        out / "email" / "006.es.html").read_text(encoding="utf-8")
    english = (out / "wiki" / "tools-and-resources.wiki").read_text(encoding="utf-8")
    assert "* [[Trust and Safety|Trust and Safety team]] – " in english


def test_a_reference_in_a_digest_links_the_entrys_page_in_its_language(example: Path, tmp_path: Path) -> None:
    catalog = example / "catalog.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(
        '  page: "m:Wikimedia México"\n', '  page: {en: "m:Wikimedia México", es: "m:Wikimedia México/es"}\n'),
        encoding="utf-8")
    out = tmp_path / "out"
    _build(example, out)
    assert "* Claudia, de [[Wikimedia México/es|Wikimedia México]]:" in (
        out / "wiki" / "006.es.wiki").read_text(encoding="utf-8")
    assert "https://meta.wikimedia.org/wiki/Wikimedia_M%C3%A9xico/es" in (
        out / "email" / "006.es.txt").read_text(encoding="utf-8")
    assert "[[Wikimedia México|Wikimedia Mexico]]" in (out / "wiki" / "006.en.wiki").read_text(encoding="utf-8")
