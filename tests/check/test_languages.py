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
        assert 'lang="en"' not in body
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
