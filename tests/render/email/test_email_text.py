"""The plain-text email: 72 columns, underlined headings, hanging indents, numbered links, the HTML's words."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import DIGESTS, TEMPLATES, digest_text
from lxml import html as lxml_html

from pipeline.check.archive import load_archive
from pipeline.model.diagnostics import has_errors
from pipeline.render.email import mime as email_mime
from pipeline.render.email.text import LIMIT, width

TODAY = dt.date(2026, 1, 1)
_MARKER = re.compile(r" ?\[\d+\]")
_LINK_LINE = re.compile(r"\[\d+\] +\S+\Z")


@pytest.fixture(scope="module")
def example() -> dict[str, email_mime.Bodies]:
    """Return the bodies of every example digest, by id."""
    archive = load_archive(DIGESTS, TEMPLATES, TODAY)
    return {digest.id: email_mime.bodies(archive, digest) for digest in archive.digests}


def bodies_of(folder: Path, body: str, front: str = "intro: false\n") -> email_mime.Bodies:
    """Return the bodies of a one-digest archive whose notes are `body`."""
    (folder / "001.md").write_text(digest_text(1, front, body), encoding="utf-8")
    archive = load_archive(folder, TEMPLATES, TODAY)
    assert not has_errors(archive.diagnostics), [d.format() for d in archive.diagnostics]
    return email_mime.bodies(archive, archive.digests[0])


def notes(text: str) -> str:
    """Return the part of a text body between the first topic's underline and the tools section."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Topic 1: ")) + 3
    end = next(i for i, line in enumerate(lines) if line in ("Tools and resources mentioned", "Upcoming calls"))
    return "\n".join(lines[start:end]).strip("\n")


def one_line_links(text: str) -> str:
    """Return `text` with each entry of the "Links" list on one line: "[n]" and a long URL below it joined."""
    return re.sub(r"^(\[\d+\])\n(\S+)$", r"\1 \2", text, flags=re.MULTILINE)


def links_list(text: str) -> dict[int, str]:
    """Return the numbered URLs of the "Links" list."""
    found = {}
    for line in one_line_links(text).split("\n"):
        if _LINK_LINE.match(line):
            number, url = line.split(maxsplit=1)
            found[int(number.strip("[]"))] = url
    return found


def text_words(text: str, links_heading: str) -> list[str]:
    """Return the words a reader reads in a text body, without link markers, follow-ups' boxes ("[x]", which
    the HTML shows as a checkbox character) and the links list."""
    kept = []
    lines = one_line_links(text).split("\n")
    for n, line in enumerate(lines):
        if _LINK_LINE.match(line) or line == "-- " or re.fullmatch(r"[=~.-]+", line):
            continue
        if line == links_heading and n + 1 < len(lines) and set(lines[n + 1]) == {"-"}:
            continue
        kept.append(_MARKER.sub("", line).replace("[x]", "").replace("[ ]", ""))
    return re.findall(r"\w+", "\n".join(kept))


_HTML_BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "td", "th",
                "blockquote", "pre", "br", "hr", "body"}


def html_words(page: str) -> list[str]:
    """Return the words a reader sees in an HTML body, list numbers included."""
    body = lxml_html.document_fromstring(page).find("body")
    parts: list[str] = []

    def walk(el: lxml_html.HtmlElement) -> None:
        block = el.tag in _HTML_BLOCKS
        parts.append(" " if block else "")
        parent = el.getparent()
        if el.tag == "li" and parent is not None and parent.tag == "ol":
            parts.append(f"{int(parent.get('start', '1')) + parent.index(el)}. ")
        parts.append(el.text or "")
        for child in el:
            if isinstance(child.tag, str):
                walk(child)
            parts.append(child.tail or "")
        parts.append(" " if block else "")

    walk(body)
    return re.findall(r"\w+", "".join(parts))


# The examples

def test_every_line_fits_in_78_columns_unless_it_is_a_url_alone_from_column_0(
        example: dict[str, email_mime.Bodies]) -> None:
    """neomutt at 80 columns split "[10] https://meta.wikimedia.org/wiki/Strategy/…" mid-URL (issue 20)."""
    for digest_id, made in example.items():
        for line in made.text.split("\n"):
            if width(line) > LIMIT:
                assert re.fullmatch(r"https://\S+", line), (digest_id, line)
    text = example["006.en"].text
    assert "\nhttps://meta.wikimedia.org/wiki/Strategy/Wikimedia_movement/2018-20/Recommendations\n" in text


def test_the_links_list_has_every_marker_once_in_order(example: dict[str, email_mime.Bodies]) -> None:
    for digest_id, made in example.items():
        listed = links_list(made.text)
        assert list(listed) == list(range(1, len(listed) + 1)), digest_id
        assert len(set(listed.values())) == len(listed), f"{digest_id}: one number per address"
        before_list = made.text[: made.text.index("\nLinks\n")] if "\nLinks\n" in made.text else made.text
        used = [int(n) for n in re.findall(r"\[(\d+)\]", before_list + made.text.split("\n-- \n")[1])]
        assert sorted(set(used)) == list(listed), digest_id
        first_use = list(dict.fromkeys(used))
        assert first_use == sorted(first_use), f"{digest_id}: numbered in order of first mention"
        assert all(url.startswith(("https://", "mailto:")) for url in listed.values()), digest_id


def test_catalog_links_point_at_the_catalog_address(example: dict[str, email_mime.Bodies]) -> None:
    text = example["001"].text
    listed = {url: n for n, url in links_list(text).items()}
    number = listed["https://meta.wikimedia.org/wiki/Universal_Code_of_Conduct"]
    assert f"about the\nUniversal Code of Conduct [{number}]: what it is" in text


def test_no_markup_reaches_the_text(example: dict[str, email_mime.Bodies]) -> None:
    for digest_id, made in example.items():
        assert not re.search(r"</?(p|a|ul|ol|li|em|strong|div|span|br|h\d|table|tr|td)\b", made.text), digest_id
        assert not re.search(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", made.text), digest_id
    assert "`<translate>` tags" in example["008"].text  # code written in a note, as written


def test_the_text_has_the_html_words_in_the_same_order(example: dict[str, email_mime.Bodies]) -> None:
    for digest_id, made in example.items():
        links_heading = made.letter.links_heading
        assert text_words(made.text, links_heading) == html_words(made.html), digest_id


def test_the_text_opens_and_closes_as_a_letter(example: dict[str, email_mime.Bodies]) -> None:
    text = example["006.es"].text
    assert text.startswith("Resumen de la Clínica Wikimedia n.º 006\n" + "=" * 39 + "\n\n16 de julio de 2020\n\n"
                           "Estimados wikimedistas:\n\nEste es un resumen de la llamada en línea")
    assert "\n\nTema 2: Impacto de la pandemia en los afiliados\n" + "-" * 47 + "\n" in text
    assert "\n\nEl equipo de las Clínicas Wikimedia\n\n-- \nLas Clínicas Wikimedia son" in text
    assert text.endswith("Archivo de resúmenes de llamadas anteriores [{}]\n".format(len(links_list(text))))
    assert "\nEnlaces\n-------\n\n[1] " in text


def test_the_opening_links_the_other_version_and_the_meta_page(example: dict[str, email_mime.Bodies]) -> None:
    text = example["006.en"].text
    listed = links_list(text)
    assert listed[1] == "https://meta.wikimedia.org/wiki/Wikimedia_Clinics/006"
    assert listed[2] == "https://meta.wikimedia.org/wiki/Wikimedia_Clinics/006/en"
    assert "This digest is also available in Español [1]. It is archived on\nMeta-Wiki as Wikimedia " \
           "Clinics/006/en [2]." in text


def test_a_table_too_wide_for_columns_keeps_its_cells_in_order(example: dict[str, email_mime.Bodies]) -> None:
    text = example["007"].text
    assert "Tool | What you write | Good for\n" in text
    assert re.search(r"\nQuarry \[\d+\] \| SQL queries against copies of the wiki databases \| lists\n"
                     r"  of pages, edits, categories, users\n", text)


# Stage tests: a note in, the text out

def test_nested_bullets_hang_under_their_text(scratch: Path) -> None:
    body = ("## Hanging\n\n* Asaf (WMF), from a team whose name is long enough to need a second line of text:\n"
            "    * A point that is itself long enough that it has to wrap onto a second line, and a third one too"
            " as well.\n    * Short.\n* Volunteer:\n    * Asked.\n")
    assert notes(bodies_of(scratch, body).text) == (
        "* Asaf (WMF), from a team whose name is long enough to need a second\n"
        "  line of text:\n"
        "  - A point that is itself long enough that it has to wrap onto a second\n"
        "    line, and a third one too as well.\n"
        "  - Short.\n"
        "* Volunteer:\n"
        "  - Asked.")


def test_ordered_lists_and_loose_items(scratch: Path) -> None:
    body = "## Steps\n\n1. First step.\n\n    More about the first step.\n\n2. Second step.\n"
    assert notes(bodies_of(scratch, body).text) == (
        "1. First step.\n\n   More about the first step.\n\n2. Second step.")


def test_emphasis_code_and_headings(scratch: Path) -> None:
    body = ("## Marks\n\n### A subsection\n\nSome *light* and **strong** words, ***both***, and `git log` "
            "as typed.\n\n#### Deeper\n\nEnd.\n")
    assert notes(bodies_of(scratch, body).text) == (
        "A subsection\n~~~~~~~~~~~~\n\nSome *light* and *strong* words, *both*, and `git log` as typed.\n\n"
        "Deeper\n......\n\nEnd.")


def test_a_link_is_a_marker_and_an_address_shows_itself(scratch: Path) -> None:
    url = "https://example.org/" + "a-very-long-path/" * 6 + "end"
    body = (f"## Links\n\nSee [the page](https://example.org/page), then {url} and <someone@example.org>, "
            "then [the page](https://example.org/page) again.\n")
    text = bodies_of(scratch, body).text
    assert notes(text) == (
        "See the page [2], then\n"
        f"{url}\n"
        "and someone@example.org, then the page [2] again.")
    listed = links_list(text)
    assert listed[2] == "https://example.org/page"
    assert url not in listed.values() and "mailto:someone@example.org" not in listed.values()


def test_a_marker_never_starts_a_line(scratch: Path) -> None:
    body = "## Glue\n\n" + "word " * 11 + "abcdefghi [linked](https://example.org/x) end.\n"
    assert notes(bodies_of(scratch, body).text) == (
        "word word word word word word word word word word word abcdefghi\nlinked [2] end.")


def test_what_looks_like_markup_in_a_note_is_text(scratch: Path) -> None:
    body = "## Markup\n\nA note about <script>alert(1)</script> & the &amp; entity.\n"
    made = bodies_of(scratch, body)
    assert notes(made.text) == "A note about <script>alert(1)</script> & the &amp; entity."
    assert "A note about &lt;script&gt;alert(1)&lt;/script&gt; &amp; the &amp;amp; entity." in made.html
    assert "<script" not in made.html


def test_a_code_block_is_kept_as_written(scratch: Path) -> None:
    body = "## Code\n\nRun:\n\n    SELECT page_title\n      FROM page;\n\nDone.\n"
    assert notes(bodies_of(scratch, body).text) == "Run:\n\n    SELECT page_title\n      FROM page;\n\nDone."


def test_a_narrow_table_is_aligned(scratch: Path) -> None:
    body = "## Table\n\n| Tool | Cost |\n|---|--:|\n| Quarry | 0 |\n| PAWS | 10 |\n"
    assert notes(bodies_of(scratch, body).text) == (
        "Tool    Cost\n------  ----\nQuarry     0\nPAWS      10")


def test_wide_characters_count_two_columns() -> None:
    assert width("abc") == 3
    assert width("日本語") == 6
    assert width("e\u0301") == 1


def test_a_url_too_wide_for_its_line_gets_a_line_of_its_own_from_column_0(scratch: Path) -> None:
    fits = "https://example.org/" + "x" * 54  # 74 columns: wider than 72, but "* " and it fit in 78
    wide = "https://example.org/" + "a-very-long-path/" * 4 + "end"  # 91 columns
    body = f"## Links\n\n* Volunteer: see\n    * {wide} for it.\n* Also {fits}\n* Then [a page]({wide}).\n"
    text = bodies_of(scratch, body).text
    assert notes(text) == (f"* Volunteer: see\n  -\n{wide}\n    for it.\n* Also\n  {fits}\n* Then a page [2].")
    assert f"\n[2]\n{wide}\n" in text  # "[2] " and the URL would be 95 columns
    assert all(width(line) <= LIMIT or line == wide for line in text.split("\n"))


def test_no_line_is_the_separator_of_a_plain_digest(scratch: Path) -> None:
    """Mailman's plain digests (RFC 1153) end a message at a line of exactly 30 hyphens."""
    body = "## Starting a user group\n\n| A column of thirty characters. |\n|---|\n| x |\n"
    text = bodies_of(scratch, body).text
    assert "Topic 1: Starting a user group\n" + "-" * 31 + "\n" in text
    assert "A column of thirty characters.\n" + "-" * 31 + "\nx" in text
    assert "-" * 30 not in text.split("\n")
