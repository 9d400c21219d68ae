"""Wikitext checked by a real MediaWiki: the same words and links as the HTML email, and publishing.

The local wiki (tests/mediawiki.py) renders each page with action=parse and the pre-save
transform, as a saved page would be; its visible text and link targets must equal those of
the HTML email body, made by pipeline/email_html.py from the same document.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import xml.etree.ElementTree as etree
from pathlib import Path

import pytest
from conftest import DIGESTS, TEMPLATES, run_cli
from mediawiki import LocalWiki, Reading, mediawiki, normal_url, read_html  # noqa: F401

from pipeline.check.archive import load_archive
from pipeline.deliver.wiki.log import PUBLISH_LOG, PublishLog
from pipeline.model.archive import Archive
from pipeline.parse.tree import Parser
from pipeline.read.archive import load_settings
from pipeline.render.document import document
from pipeline.render.email.html import blocks_html, render_html
from pipeline.render.email.mime import compose
from pipeline.render.followups import with_followups
from pipeline.render.wiki import page as wikitext, pages as wikipages

pytestmark = pytest.mark.mediawiki

EMAIL_FRAME = ("dateline",)  # the email's own frame, not part of the digest


def email_body(archive: Archive, digest) -> str:  # type: ignore[no-untyped-def]
    """Return the HTML email of `digest` with only what its Meta page holds.

    The page leaves out the email's frame (title, dateline, greeting, signature, footer), the
    sentence that points to the Meta page itself, and the upcoming calls (it has its neighbours instead).
    """
    doc = with_followups(archive, document(archive, digest))
    letter = compose(archive, doc)
    appendix = tuple(part for part in letter.appendix if part.heading != doc.upcoming_heading)
    letter = dataclasses.replace(letter, greeting="", opening=doc.opening, signature="", footer=(), appendix=appendix)
    return render_html(letter)


def visible(html: str, archive: Archive, email: bool = False) -> Reading:
    """Return what a reader finds in `html`, link targets as they are on Meta."""
    found = read_html(html, skip_tags=("h1",) if email else (), skip_classes=EMAIL_FRAME if email else ())
    site = archive.site
    return dataclasses.replace(found, links=[(normal_url(href, site.wiki.base_url, dict(site.interwiki)), label)
                                             for href, label in found.links])


def test_every_example_digest_reads_on_the_wiki_as_in_the_email(mediawiki: LocalWiki) -> None:
    archive = load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))
    finals = wikipages.published(archive)
    assert len(finals) == 10
    for digest in finals:
        title = wikipages.page_title(archive, digest)
        text = wikitext.page_text(archive, digest)
        navigation = wikitext.Writer(archive.site, archive.catalog).paragraph(
            wikitext.navigation(archive, digest, archive.site.language(digest.language)))
        assert f"\n\n{navigation}\n\n[[Category:" in text
        rendered = mediawiki.parse(text.replace(f"{navigation}\n\n", ""), title)
        page = visible(rendered.html, archive)
        mail = visible(email_body(archive, digest), archive, email=True)
        assert page.text == mail.text, digest.id
        assert page.links == mail.links, digest.id
        assert page.shape == mail.shape, digest.id
        assert rendered.categories == ("Wikimedia_Clinics_digests",)


# ------------------------------------------------------------------ notes full of wiki syntax

NOTES = {
    "bare urls with parentheses": "See https://en.wikipedia.org/wiki/Python_(programming_language), "
                                  "(https://x.org/a) and https://x.org/b_(c)_d. End https://x.org/e_.",
    "templates": "A {{Template}}, {{subst:PAGENAME}}, {{#if:x|y|z}}, {{!}} and {{=}} stay text.",
    "parameters": "Parameters {{{1}}} and {{{name|default}}} and a lone { and } and {{ alone.",
    "language conversion": "Variants -{zh-hans:A; zh-hant:B}- and -{R|raw}- stay text.",
    "wikilinks": "[[Not a link]], [[File:Example.jpg|thumb]], [[Category:Oops]] and [[:Category:Oops]].",
    "external link syntax": "Brackets [https://example.org not a label] and [//example.org/x y] and [mailto:a@b.org].",
    "signatures": "Signatures ~~~ and ~~~~ and ~~~~~ and ~~~~~~ and ~~ and ~ stay.",
    "signatures in code": "`~~~~` and `{{x}}` and `<nowiki>` and `[[y]]` are code.",
    "magic words": "\\_\\_NOTOC\\_\\_ \\_\\_TOC\\_\\_ \\_\\_NOEDITSECTION\\_\\_ \\_\\_FORCETOC\\_\\_ "
                   "\\_\\_INDEX\\_\\_ \\_\\_ÜBER\\_\\_ and `__init__` and `__NOTOC__` and a_b\\_\\_c\\_\\_",
    "quotes": "''Not italic'' and '''not bold''' and '''''neither''''' and rock 'n' roll's ''''.",
    "apostrophes next to emphasis": "*it's*'s and **bold**' and '*quoted*' and ''*x*'' and *a*'''b'''",
    "nested emphasis": "***both*** and *a **b** c* and **a *b* c** and *x **y*** and _a *b* c_ and "
                       "__a **b** c__ and ***a* b**",
    "list markers": "\\* not a list",
    "ordered list marker": "\\# not a list either",
    "indent and definition": ": not indented\n\n; not a term : nor a definition",
    "heading at a line start": "= not a heading =\n\n== nor this ==",
    "horizontal rule": "\\---- not a rule\n\n----- text",
    "table at a line start": "{| class=\"wikitable\"\n|- not a table\n|} end",
    "leading space": "\u00a0leading no-break space, then text",
    "raw HTML": "<script>alert(1)</script> <b>bold?</b> <div>x</div> </div> <br> <span style=\"color:red\">r</span>",
    "extension tags": "<nowiki>a</nowiki> <ref>note</ref> <references/> <pre>p</pre> <gallery> <math>x</math>",
    "comments": "Before <!-- a comment --> after, and an open <!-- one.",
    "entities": "&amp; &lt;b&gt; &#123; &#x7B; &nbsp; &copy; &hellip; AT&T & a&b; &;",
    "magic links": "RFC 1234, ISBN 978-3-16-148410-0, ISBN 0-306-40615-2, PMID 12345 and RFC\u00a01149.",
    "free links in text": "mailto:someone@example.org, news:comp.lang, tel:+1-555, ftp://example.org, "
                          "irc://irc.libera.chat and //example.org are not links.",
    "urls that are links": "See https://example.org/a_(b) and https://example.org/x. Also "
                           "(https://example.org/y) and https://example.org/z, too.",
    "url special characters": "[a](https://example.org/?q={{x}}&a=1) [b](https://example.org/a''b) "
                              "[c](https://example.org/~~~~) [d](https://example.org/__NOTOC__) "
                              "<https://example.org/a|b> [e](https://example.org/&amp;x)",
    "link labels": "[a | b ]] [[c](https://example.org/1) and [**bold** *it's*](https://example.org/2) "
                   "and [~~~~ {{t}}](https://example.org/3) and [](https://example.org/4) and "
                   "[a \\] b | c](https://example.org/5) and [x [y] z](https://example.org/6) and "
                   "[[[double]]](https://example.org/7) and [the \\[\\[Quarry\\]\\] | tool][quarry] and "
                   "[x https://<b> y](https://example.org/8) and https://<b> too",
    "catalog links": "Use [Quarry][], [the SQL tool][quarry], [PAWS][], [T&S][trust-and-safety], "
                     "[grants][wikimedia-grants], [the proposal][global-templates] and the [Café][].",
    "link trail": "[PAWS][]es, [T&S][trust-and-safety]s, [Café][]ñ, [Quarry][]s, "
                  "[Trust and Safety][trust-and-safety]'s and <https://example.org>'s",
    "bracket before a link": "see [[Quarry][] and [https://example.org/q and [<https://example.org/r>]",
    "table cells": "| a \\| b | c \\|\\| d | !! e | [x \\| y](https://example.org/t) |\n"
                   "|:--|--:|:-:|---|\n"
                   "| {\\| | \\|} | \\|- | * x [Quarry \\| SQL][quarry] |\n"
                   "| -1 | +2 | !x !! y | ~~~~ |\n"
                   "| | = z = | ---- | :w |",
    "nested lists": "* \\* star\n    * \\# hash\n        * : colon\n* ; semicolon\n\n1. one\n2. {| two\n",
    "ordered list from 3": "3. three\n4. four\n    * inside",
    "loose list with blocks": "* first\n\n    second paragraph\n\n        code line {{x}}\n        <b>\n\n"
                              "    > quoted *text*\n    > * in a list\n\n* next",
    "blockquote": "> {| quoted table start\n>\n> * a list in a quote\n> * = two =\n>\n> ----",
    "code block": "    </pre> <nowiki> {{x}} ~~~~ &amp;\n     * indented\n    ----\n\n    == h ==",
    "headings": "### = looks like a heading =\n\n#### {{x}} and ~~~~ and [[y]]\n\n### ----",
    "line break": "first line  \n\\* second line  \n: third",
    "redirect": "#REDIRECT [[Somewhere]]",
    "unicode": "العربية ‏RTL‏, emoji 🎉, zero\u200bwidth, combining é, \u2028line sep",
    "lone brackets and pipes": "a ] b [ c | d || e ]] f ! g !! h",
}
NOTES_CATALOG = """
- id: cafe
  name: Café
  description: The Spanish Wikipedia's village pump.
  kind: page
  page: "w:es:Wikipedia:Café"
"""


@pytest.fixture(scope="module")
def notes_archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    folder = tmp_path_factory.mktemp("notes")
    shutil.copy(DIGESTS / "site.yaml", folder / "site.yaml")
    catalog = (DIGESTS / "catalog.yaml").read_text(encoding="utf-8") + NOTES_CATALOG
    (folder / "catalog.yaml").write_text(catalog, encoding="utf-8")
    archive, _ = load_settings(folder)
    assert archive.site is not None and not archive.diagnostics
    return archive


def note_blocks(archive: Archive, markdown: str) -> list[etree.Element]:
    root, state = Parser(archive.catalog).tree(markdown)
    assert not state.unresolved, state.unresolved
    return list(root)


def test_at_least_thirty_notes_full_of_wiki_syntax() -> None:
    assert len(NOTES) >= 30


def test_notes_full_of_wiki_syntax_read_on_the_wiki_as_in_the_email(mediawiki: LocalWiki,
                                                                     notes_archive: Archive) -> None:
    writer = wikitext.Writer(notes_archive.site, notes_archive.catalog)
    names = list(NOTES)
    blocks = [note_blocks(notes_archive, NOTES[name]) for name in names]
    sources = [writer.blocks(elements) for elements in blocks]
    failures = []
    for name, source, elements, html in zip(names, sources, blocks, mediawiki.parse_many(sources)):
        expected = visible(blocks_html(elements), notes_archive)
        found = visible(html, notes_archive)
        if found != expected:
            failures.append(f"{name}:\n  wikitext: {source!r}\n  wiki:  {found}\n  email: {expected}")
    assert not failures, "\n".join(failures)


def test_the_notes_keep_their_links_and_nothing_more(notes_archive: Archive) -> None:
    # The comparison above holds only if it sees links: these notes have the ones the email has.
    elements = note_blocks(notes_archive, NOTES["catalog links"])
    links = visible(blocks_html(elements), notes_archive).links
    assert [target for target, _ in links] == ["https://quarry.wmcloud.org/", "https://quarry.wmcloud.org/",
                     "https://wikitech.wikimedia.org/wiki/PAWS", "https://meta.wikimedia.org/wiki/Trust_and_Safety",
                     "https://meta.wikimedia.org/wiki/Grants:Start", "https://www.mediawiki.org/wiki/Global_templates",
                     "https://es.wikipedia.org/wiki/Wikipedia:Café"]


def test_a_bare_url_keeps_its_balanced_parentheses(notes_archive: Archive) -> None:
    """A pasted Wikipedia address was cut at "(" in the HTML email and on Meta (issue 20)."""
    links = visible(blocks_html(note_blocks(notes_archive, NOTES["bare urls with parentheses"])),
                    notes_archive).links
    assert [target for target, _ in links] == [
        "https://en.wikipedia.org/wiki/Python_(programming_language)", "https://x.org/a", "https://x.org/b_(c)_d",
        "https://x.org/e"]


# ------------------------------------------------------------------ publishing

HAND_WRITTEN = """\
The '''Wikimedia Clinics''' are open calls. This paragraph was written by hand.

<!-- clinics:begin archive -->
a stale table
<!-- clinics:end archive -->

== Hand-written section ==
Keep me, {{and this template}}.
"""


def publish(mediawiki: LocalWiki, folder: Path, *flags: str):  # type: ignore[no-untyped-def]
    return run_cli("publish", "--digests", folder, "--api-url", mediawiki.api_url, "--user", mediawiki.bot_user,
                   "--today", "2026-01-01", *flags)


def test_publish_creates_every_page_once_and_keeps_the_hand_written_parts(
        mediawiki: LocalWiki, example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICS_WIKI_PASSWORD", mediawiki.bot_password)
    main_title = "Wikimedia Clinics"
    mediawiki.edit(main_title, HAND_WRITTEN)
    archive = load_archive(example, TEMPLATES, dt.date(2026, 1, 1))
    titles = [page.title for page in wikipages.pages_of(archive)]

    dry = publish(mediawiki, example)
    assert dry.status == 0, dry.err
    assert "dry run: 14 to create, 1 to edit, 0 unchanged, 0 refused" in dry.err
    assert "+== Archive of digests of past calls ==" in dry.out and "-a stale table" in dry.out
    assert all(mediawiki.current(title) is None for title in titles)  # a dry run edits nothing

    first = publish(mediawiki, example, "--yes")
    assert first.status == 0, first.err
    assert "published: 14 created, 1 edited, 0 unchanged, 0 refused, 0 failed" in first.err
    revisions = {title: mediawiki.current(title) for title in [*titles, main_title]}
    for page in wikipages.pages_of(archive):
        text = wikitext.page_text(archive, page.digest) if page.digest else page.text
        assert revisions[page.title][1] == text.rstrip("\n")  # type: ignore[index]
    main = revisions[main_title][1]  # type: ignore[index]
    before, generated = main.split("<!-- clinics:begin upcoming", 1)  # added before the archive's markers
    assert before == HAND_WRITTEN.split("<!--")[0]
    assert generated.index("== Upcoming calls ==") < generated.index("<!-- clinics:begin archive")
    assert main.endswith("<!-- clinics:end archive -->\n\n== Hand-written section ==\nKeep me, {{and this template}}.")
    assert "a stale table" not in main and "[[Wikimedia Clinics/006/en|English]]" in generated
    log = (example / PUBLISH_LOG).read_bytes()  # each page's revision, as publish saved it
    assert {title: entry.revid for title, entry in PublishLog.load(example / PUBLISH_LOG, mediawiki.api_url)
            .entries.items()} == {title: revision[0] for title, revision in revisions.items()}  # type: ignore[index]

    second = publish(mediawiki, example, "--yes")
    assert second.status == 0, second.err
    assert "published: 0 created, 0 edited, 15 unchanged, 0 refused, 0 failed" in second.err
    assert {title: mediawiki.current(title) for title in revisions} == revisions
    assert (example / PUBLISH_LOG).read_bytes() == log

    rendered = mediawiki.parse(f"{{{{:{main_title}}}}}")  # the saved page, rendered
    assert "This paragraph was written by hand." in read_html(rendered.html).text


def test_publish_refuses_a_main_page_with_a_broken_marker(mediawiki: LocalWiki, example: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICS_WIKI_PASSWORD", mediawiki.bot_password)
    title = "Wikimedia Clinics/Broken"
    (example / "site.yaml").write_text((example / "site.yaml").read_text(encoding="utf-8").replace(
        "page_prefix: Wikimedia Clinics", "page_prefix: Wikimedia Clinics/Broken"), encoding="utf-8")
    revision = mediawiki.edit(title, "Intro.\n\n<!-- clinics:begin archive -->\nno end marker\n")
    result = publish(mediawiki, example, "--yes")
    assert result.status == 1
    assert ("refused   Wikimedia Clinics/Broken: the markers of the generated section 'archive' appear 1 (begin) "
            "and 0 (end) times, not once each") in result.err
    assert "hint: restore exactly one '<!-- clinics:begin archive" in result.err
    assert "published: 14 created, 0 edited, 0 unchanged, 1 refused, 0 failed" in result.err  # the rest goes on
    assert mediawiki.current(title)[0] == revision  # type: ignore[index]
