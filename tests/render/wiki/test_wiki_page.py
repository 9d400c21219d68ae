"""The wikitext renderer, offline: each element type, the digest pages, the main page's sections, the tools page.

MediaWiki's own reading of these pages is checked in test_wiki_mediawiki.py.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import mwparserfromhell
import pytest
from conftest import DIGESTS, TEMPLATES, run_cli

from pipeline.check.archive import load_archive
from pipeline.model.archive import Archive
from pipeline.parse.tree import Parser
from pipeline.read.archive import load_settings
from pipeline.render.document import page_title
from pipeline.render.wiki import page as wikitext, pages as wikipages


@pytest.fixture(scope="module")
def settings() -> Archive:
    archive, _ = load_settings(DIGESTS)
    return archive


@pytest.fixture(scope="module")
def example() -> Archive:
    return load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))


def render(archive: Archive, markdown: str) -> str:
    root, state = Parser(archive.catalog).tree(markdown)
    assert not state.unresolved
    return wikitext.Writer(archive.site, archive.catalog).blocks(root)


@pytest.mark.parametrize("markdown, expected", [
    ("A paragraph\nwith a soft   break.", "A paragraph with a soft break."),
    ("One.\n\nTwo.", "One.\n\nTwo."),
    ("*it* **bold** ***both*** `code {{x}}`", "''it'' '''bold''' '''''both''''' <code>code &#123;{x}}</code>"),
    ("_a *b* c_ and *it's*'s", "''a b c'' and ''it's''&#39;s"),
    ("a  \nb", "a<br /> b"),
    ("### Sub\n\ntext\n\n#### Deeper", "=== Sub ===\ntext\n\n==== Deeper ===="),
    ("---", "----"),
    ("* a\n* b\n    * c\n        * d\n* e", "* a\n* b\n** c\n*** d\n* e"),
    ("1. a\n2. b\n    * c", "# a\n# b\n#* c"),
    ("3. c\n4. d", '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>'),
    ("* one\n\n    two\n\n* three", "* one\n*: two\n* three"),
    ("* item\n\n        code\n        more", "* item\n*: <pre>code&#10;more</pre>"),
    ("* item\n\n    > quoted\n    >\n    > * in a list", "* item\n*: <blockquote><p>quoted</p><ul><li>in a list</li></ul></blockquote>"),
    ("    code {{x}} ~~~~\n    </pre> &amp;", "<pre>code {{x}} ~~&#126;~\n&lt;/pre> &amp;amp;</pre>"),
    ("> quote\n>\n> * list\n> * = two", "<blockquote>\nquote\n\n* list\n* = two\n</blockquote>"),
    ("| a | b |\n|:-|-:|\n| x \\| y | {\\| |", '{| class="wikitable"\n! style="text-align: left;" | a\n'
     '! style="text-align: right;" | b\n|-\n| style="text-align: left;" | x &#124; y\n'
     '| style="text-align: right;" | {&#124;\n|}'),
    ("\\* star\n\n\\# hash\n\n= eq\n\n\\---- rule", "&#42; star\n\n&#35; hash\n\n&#61; eq\n\n&#45;--- rule"),
])
def test_blocks_and_inlines(settings: Archive, markdown: str, expected: str) -> None:
    assert render(settings, markdown) == expected


@pytest.mark.parametrize("markdown, expected", [
    ("[Trust and Safety][]", "[[Trust and Safety]]"),  # the label is the title: no pipe
    ("[them][trust-and-safety]", "[[Trust and Safety|them]]"),
    ("[grants][wikimedia-grants]", "[[:Grants:Start|grants]]"),  # a colon in a local title: never a namespace
    ("[the proposal][global-templates]", "[[mw:Global templates|the proposal]]"),
    ("[PAWS][]", "[[wikitech:PAWS|PAWS]]"),
    ("[Quarry][]", "[https://quarry.wmcloud.org/ Quarry]"),
    ("[a | b \\] c](https://example.org/x)", "[https://example.org/x a &#124; b &#93; c]"),
    ("[](https://example.org/x) and [*it*](https://example.org/y)",
     "[https://example.org/x <nowiki/>] and [https://example.org/y ''it'']"),
    ("see https://example.org/a_b. and (https://example.org/c)", "see https://example.org/a_b. and "
     "(https://example.org/c)"),
    ("see https://example.org/a_(b)", "see [https://example.org/a_(b) https&#58;//example.org/a_(b)]"),
    ("<https://example.org/x>'s and <https://example.org/q?a=1&amp;b>", "[https://example.org/x "
     "https&#58;//example.org/x]'s and [https://example.org/q?a=1&amp;amp;b https&#58;//example.org/q?a=1&amp;amp;b]"),
    ("<https://example.org/a''b>", "[https://example.org/a&#39;'b https&#58;//example.org/a&#39;'b]"),
    ("<someone@example.org>", "[mailto:someone@example.org someone@example.org]"),
    ("[PAWS][]es, [Quarry][]s", "[[wikitech:PAWS|PAWS]]<nowiki/>es, [https://quarry.wmcloud.org/ Quarry]s"),
    ("see [[Quarry][]", "see &#91;[https://quarry.wmcloud.org/ Quarry]"),
])
def test_links(settings: Archive, markdown: str, expected: str) -> None:
    assert render(settings, markdown) == expected


def test_a_title_no_wikilink_can_name_becomes_an_external_link(settings: Archive) -> None:

    entry = settings.catalog.get("trust-and-safety")
    odd = replace(entry, page="m:Trust [and] Safety")
    writer = wikitext.Writer(settings.site, settings.catalog)
    assert writer.tool_line(odd, settings.site.language("en")) == ("* [https://meta.wikimedia.org/wiki/Trust_and_Safety Trust and Safety team] – "
                                     + entry.description)
    category = replace(entry, page="m:Category:Safety")
    assert writer.tool_line(category, settings.site.language("en")).startswith("* [[:Category:Safety|Trust and Safety team]] – ")


def test_the_spanish_page_of_call_006(example: Archive) -> None:
    digest = next(d for d in example.digests if d.id == "006.es")
    text = wikitext.page_text(example, digest)
    assert page_title(example, digest) == "Wikimedia Clinics/006"
    assert text.startswith("Este es un resumen de la llamada en línea Clínica Wikimedia n.º 006, celebrada el "
                           "16 de julio de 2020.")
    assert ("\n\nEste resumen también está disponible en <span lang=\"en\" dir=\"ltr\">"
            "[[Wikimedia Clinics/006/en|English]]</span>.\n\n") in text
    headings = re.findall(r"^(==+) (.*) \1$", text, re.MULTILINE)
    assert [h for level, h in headings if level == "=="] == [
        "Tema 1: Introducción", "Tema 2: Impacto de la pandemia en los afiliados",
        "Tema 3: Apoyo que se necesita de la Fundación", "Seguimientos pendientes de llamadas anteriores",
        "Herramientas y recursos mencionados"]
    assert "== Tema 1: Introducción ==\n=== Principios básicos ===\nLas Clínicas son" in text
    assert "* Claudia, de [[Wikimedia México]]:\n** Planteó" in text
    assert "\n* [https://meet.jit.si/ Jitsi Meet] – Un servicio de videoconferencia libre" in text
    assert "\n* [[Trust and Safety|Equipo de Confianza y Seguridad]] – El equipo" in text
    assert text.endswith("\n\n← Anterior: [[Wikimedia Clinics/005|Resumen de la Clínica Wikimedia n.º 005]] · "
                         "[[Wikimedia Clinics|Archivo de resúmenes de llamadas anteriores]] · Siguiente: "
                         "[[Wikimedia Clinics/007|Resumen de la Clínica Wikimedia n.º 007]] →\n\n"
                         "[[Category:Wikimedia Clinics digests]]\n")


def test_digest_pages_link_their_neighbours_not_the_upcoming_calls(example: Archive) -> None:
    """Archived pages listed "Upcoming calls" from 2020 for ever: they link the calls before and after instead."""
    pages = {d.id: wikitext.page_text(example, d) for d in wikipages.published(example)}
    assert all("Upcoming calls" not in text and "Próximas llamadas" not in text for text in pages.values())
    assert "← Previous" not in pages["001"] and "Next: [[Wikimedia Clinics/002|" in pages["001"]
    assert "← Previous: [[Wikimedia Clinics/008|Digest of Wikimedia Clinic #008]]" in pages["009"]
    assert "Next:" not in pages["009"]
    assert "Next: [[Wikimedia Clinics/006/en|Digest of Wikimedia Clinic #006]] →" in pages["005"]  # in its language
    assert "Siguiente:" in pages["006.es"] and "Next: [[Wikimedia Clinics/007|" in pages["006.en"]


def test_the_english_version_links_back(example: Archive) -> None:
    digest = next(d for d in example.digests if d.id == "006.en")
    text = wikitext.page_text(example, digest)
    assert page_title(example, digest) == "Wikimedia Clinics/006/en"
    assert "held on July 16, 2020, in Spanish." in text
    assert ("This digest is also available in <span lang=\"es\" dir=\"ltr\">[[Wikimedia Clinics/006|Español]]"
            "</span>.") in text


def test_every_page_links_only_what_its_digest_links(example: Archive) -> None:
    wiki = example.site.wiki
    for digest in wikipages.published(example):
        code = mwparserfromhell.parse(wikitext.page_text(example, digest))
        assert not code.filter_templates() and not code.filter_comments() and not code.filter_arguments()
        targets = {str(link.title) for link in code.filter_wikilinks()}
        entries = [example.catalog.get(i) for i in digest.citations]
        allowed = {f"Category:{wiki.category}", wiki.page_prefix} | {
            page_title(example, d) for d in example.versions(digest.meta.number)} | {
            page_title(example, d) for d in example.neighbours(digest) if d is not None}
        allowed |= {page_title(example, d) for d in example.digests}  # a follow-up links the calls that opened or answered it
        for entry in entries:
            local = entry.page.removeprefix(f"{wiki.local_prefix}:")
            allowed |= {entry.page, local, f":{local}"}
        assert targets <= allowed, digest.id
        urls = {str(link.url) for link in code.filter_external_links()}
        meetings = {call.link for call in example.upcoming(digest.meta.date)}
        answers = {tracked.answer.url for tracked in example.followups.ordered if tracked.answer}
        assert urls <= {e.url for e in entries if not e.page} | meetings | answers | {
            a.get("href") for t in digest.topics for b in t.elements for a in b.iter("a")}, digest.id


def test_pages_json_and_files(example: Archive) -> None:
    outputs = {o.path: o.data.decode() for o in wikipages.render(example)}
    assert sorted(outputs) == ["wiki/follow-ups.wiki", "wiki/main-page-sections.wiki", "wiki/pages.json",
                               "wiki/tools-and-resources.es.wiki", "wiki/tools-and-resources.wiki",
                               "wiki/translations.wiki"]
    pages = json.loads(outputs["wiki/pages.json"])
    assert pages["Wikimedia Clinics/006"] == "006.es.wiki" and pages["Wikimedia Clinics/006/en"] == "006.en.wiki"
    assert pages["Wikimedia Clinics/Tools and resources"] == "tools-and-resources.wiki"
    assert pages["Wikimedia Clinics/Follow-ups"] == "follow-ups.wiki"
    assert list(pages) == sorted(pages) and len(pages) == 14


def test_the_archive_table(example: Archive) -> None:
    text = wikipages.main_sections_text(example).split(wikipages.end_marker("followups") + "\n\n", 1)[1]
    assert text.startswith(wikipages.begin_marker("archive") + "\n== Archive of digests of past calls ==\n"
                           '{| class="wikitable"\n! # !! Date !! Topics !! Language\n|-\n')
    assert text.endswith("|}\n<!-- clinics:end archive -->\n")
    assert ("|-\n| [[Wikimedia Clinics/006|006]]\n| July 16, 2020\n"
            "| Impacto de la pandemia en los afiliados; Apoyo que se necesita de la Fundación<br />"
            "Impact of the pandemic on affiliates; Needed support from the Foundation\n"
            "| <span lang=\"es\" dir=\"ltr\">[[Wikimedia Clinics/006|Español]]</span> / "
            "[[Wikimedia Clinics/006/en|English]]\n") in text
    numbers = re.findall(r"^\| \[\[Wikimedia Clinics/\d+\|(\d+)\]\]$", text, re.MULTILINE)
    assert numbers == sorted(numbers) == ["001", "002", "003", "004", "005", "006", "007", "008", "009"]
    assert "| Universal Code of Conduct\n" in text  # the introduction is not a topic


def test_the_upcoming_calls_table(example: Archive) -> None:
    text = wikipages.main_sections_text(example)
    assert text.startswith(wikipages.begin_marker("upcoming") + "\n== Upcoming calls ==\n{| class=\"wikitable\"\n"
                           "! # !! Weekday !! Date !! Time (UTC) !! Meeting link !! Scheduled topic\n"
                           "|-\n| 010\n| Tuesday\n| September 15, 2020\n| 13:00\n"
                           "| [https://meet.google.com/wmc-clin-010 join the call]\n"
                           "| Abstract Wikipedia (Denny Vrandečić)\n|-\n| 011\n")
    assert "|-\n| 012\n| Tuesday\n| October 27, 2020\n| 15:00\n" in text
    assert text.index(wikipages.end_marker("upcoming")) < text.index(wikipages.begin_marker("archive"))


def test_a_call_without_later_schedule_says_so(example: Archive) -> None:
    example.calls = []
    section = wikipages.upcoming_section(example)
    assert section.text == "== Upcoming calls ==\nNo further calls are scheduled yet."


def test_a_draft_has_no_page_and_no_row(example: Archive) -> None:

    from pipeline.model.digest import Status

    archive = Archive(example.folder, example.site, example.catalog, list(example.digests))
    archive.digests = [replace(d, meta=replace(d.meta, status=Status.DRAFT)) if d.id == "009" else d
                       for d in archive.digests]
    assert "Wikimedia Clinics/009" not in [p.title for p in wikipages.pages_of(archive)]
    assert "Wikimedia Clinics/009|" not in wikipages.main_sections_text(archive)


def test_the_tools_page(example: Archive) -> None:
    text = wikipages.tools_page_text(example)
    assert text.startswith("Every tool and resource mentioned on a Wikimedia Clinic call, with the digests "
                           "that mention it.\n\n== Tools ==\n")
    assert re.findall(r"^== (.*) ==$", text, re.MULTILINE) == [
        "Tools", "Pages", "Programs", "Teams and groups", "Contacts"][:len(re.findall("^== ", text, re.MULTILINE))]
    assert ("* [[Wikimedia México|Wikimedia Mexico]] – The Wikimedia chapter in Mexico.\n"
            "** Mentioned in: [[Wikimedia Clinics/006|006]], [[Wikimedia Clinics/006/en|006/en]]\n") in text
    assert text.count("\n* ") + text.startswith("* ") == len(example.catalog.entries)


def split_at(example: Archive, kib: int, later: frozenset[int] = frozenset()) -> tuple[Archive, list[wikipages.Page]]:
    """Return `example` on a wiki that takes pages of `kib` KiB, the calls in `later` held a year later, and its tools pages."""
    small = replace(example.site, wiki=replace(example.site.wiki, max_page_kib=kib))
    digests = [replace(d, meta=replace(d.meta, date=d.meta.date.replace(year=2021))) if d.meta.number in later else d
               for d in example.digests]
    archive = Archive(example.folder, small, example.catalog, digests)
    return archive, wikipages.tools_pages(archive)


def mentions(pages: list[wikipages.Page]) -> list[str]:
    return sorted(line for page in pages for line in page.text.split("\n") if line.startswith("** "))


def test_a_tools_page_larger_than_the_wiki_takes_is_split_by_year(example: Archive) -> None:
    """At about 2,800 calls the page passed MediaWiki's default $wgMaxArticleSize (2 MiB), and no edit saved it."""
    [whole] = wikipages.tools_pages(example)
    assert whole.title == "Wikimedia Clinics/Tools and resources" and whole.text == wikipages.tools_page_text(example)
    archive, pages = split_at(example, 6, later=frozenset({6, 7, 8, 9}))
    index, first, second = pages
    assert (index.title, index.file) == ("Wikimedia Clinics/Tools and resources", "tools-and-resources.wiki")
    assert (first.title, first.file) == ("Wikimedia Clinics/Tools and resources/2020", "tools-and-resources-2020.wiki")
    assert second.title == "Wikimedia Clinics/Tools and resources/2021"
    assert len(wikipages.tools_page_text(archive).encode("utf-8")) > 6 * 1024  # too large whole
    assert all(len(page.text.encode("utf-8")) <= 6 * 1024 for page in pages)
    assert ("\n\nThe digests that mention each one, by year: [[Wikimedia Clinics/Tools and resources/2020|2020]] "
            "and [[Wikimedia Clinics/Tools and resources/2021|2021]].\n\n") in index.text
    assert "Mentioned in" not in index.text
    assert index.text.count("\n* ") == len(example.catalog.entries)  # every entry, cited or not
    assert first.text.startswith("Every tool and resource mentioned on a Wikimedia Clinic call in 2020, with the "
                                 "digests that mention it.\n\n== Tools ==\n")
    assert "[[Wikimedia Clinics/006|006]]" in second.text and "[[Wikimedia Clinics/006|006]]" not in first.text
    assert len(mentions([first, second])) >= len(mentions([whole]))  # every mention, in its year
    assert {p.title for p in wikipages.pages_of(archive)} >= {p.title for p in pages}


def test_the_tools_page_in_another_language_is_split_the_same_way(example: Archive) -> None:
    archive, _ = split_at(example, 7, later=frozenset({6, 7, 8, 9}))  # Spanish, marked English: larger
    index, first, second = wikipages.tools_pages_in_languages(archive)
    assert (index.title, index.file) == ("Wikimedia Clinics/Tools and resources/es", "tools-and-resources.es.wiki")
    assert (first.title, first.file) == ("Wikimedia Clinics/Tools and resources/es/2020",
                                         "tools-and-resources-2020.es.wiki")
    assert second.title == "Wikimedia Clinics/Tools and resources/es/2021"
    assert ("Los resúmenes que mencionan cada uno, por año: [[Wikimedia Clinics/Tools and resources/es/2020|2020]] "
            "y [[Wikimedia Clinics/Tools and resources/es/2021|2021]].") in index.text
    assert first.text.startswith("Todas las herramientas y recursos mencionados en una Clínica Wikimedia en 2020")
    assert all(len(page.text.encode("utf-8")) <= 7 * 1024 for page in (index, first, second))


def test_a_year_too_large_for_one_page_has_a_page_per_kind(example: Archive) -> None:
    [whole] = wikipages.tools_pages(example)
    _, (index, *pages) = split_at(example, 6)
    assert [p.title.removeprefix("Wikimedia Clinics/Tools and resources/") for p in pages] == [
        "2020/Tools", "2020/Pages", "2020/Programs", "2020/Teams and groups", "2020/Contacts"]
    assert pages[0].file == "tools-and-resources-2020-tool.wiki"
    assert all(len(page.text.encode("utf-8")) <= 6 * 1024 for page in (index, *pages))
    assert ("by year: 2020 ([[Wikimedia Clinics/Tools and resources/2020/Tools|Tools]], [[Wikimedia Clinics/Tools "
            "and resources/2020/Pages|Pages]], ") in index.text
    assert mentions(pages) == mentions([whole])


SECTION = wikipages.GeneratedSection("archive", "== Archive ==\nnew table")


@pytest.mark.parametrize("page, expected", [
    ("Intro.\n\n<!-- clinics:begin archive -->\nold\n<!-- clinics:end archive -->\n\nOutro.",
     f"Intro.\n\n{wikipages.marked(SECTION)}\n\nOutro."),
    (f"Intro.\n{wikipages.begin_marker('archive')}\nold\n<!--clinics:end archive-->", f"Intro.\n{wikipages.marked(SECTION)}"),
    ("Intro only.\n", f"Intro only.\n\n{wikipages.marked(SECTION)}\n"),
    ("", f"{wikipages.marked(SECTION)}\n"),
])
def test_splice_replaces_only_between_the_markers(page: str, expected: str) -> None:
    assert wikipages.splice(page, [SECTION]) == expected
    assert wikipages.splice(expected, [SECTION]) == expected


@pytest.mark.parametrize("page, problem", [
    ("<!-- clinics:begin archive -->\nno end", "appear 1 (begin) and 0 (end) times, not once each"),
    ("no begin\n<!-- clinics:end archive -->", "appear 0 (begin) and 1 (end) times, not once each"),
    ("<!-- clinics:begin archive -->\n<!-- clinics:begin archive -->\n<!-- clinics:end archive -->",
     "appear 2 (begin) and 1 (end) times, not once each"),
    ("<!-- clinics:end archive -->\n<!-- clinics:begin archive -->",
     "are in the wrong order: the end marker comes before the begin marker"),
])
def test_splice_refuses_broken_markers(page: str, problem: str) -> None:
    with pytest.raises(wikipages.MarkerError) as caught:
        wikipages.splice(page, [SECTION])
    assert str(caught.value) == f"the markers of the generated section 'archive' {problem}"
    assert caught.value.hint.startswith("restore exactly one '<!-- clinics:begin archive (generated")


def test_make_wiki_builds_only_the_wiki(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_cli("build", "--only", "wiki", "--out", out, "--today", "2026-01-01")
    assert first.status == 0, first.err
    files = sorted(p.name for p in (out / "wiki").iterdir())
    assert files == ["001.wiki", "002.wiki", "003.wiki", "004.wiki", "005.wiki", "006.en.wiki", "006.es.wiki",
                     "007.wiki", "008.wiki", "009.wiki", "follow-ups.wiki", "main-page-sections.wiki", "pages.json",
                     "tools-and-resources.es.wiki", "tools-and-resources.wiki", "translations.wiki"]
    assert not (out / "email").exists()
    before = {p.name: p.read_bytes() for p in (out / "wiki").iterdir()}
    second = run_cli("build", "--only", "wiki", "--out", out, "--today", "2026-01-01")
    assert second.status == 0 and "0 files written" in second.err
    assert {p.name: p.read_bytes() for p in (out / "wiki").iterdir()} == before
    assert "| Universal Code of Conduct\n" in before["main-page-sections.wiki"].decode()
