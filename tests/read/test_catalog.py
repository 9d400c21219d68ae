"""The catalog: resolving references, suggestions, missed links, and every catalog error class."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import check, digest_text, run_cli

CATALOG = """\
- id: quarry
  name: Quarry
  aliases: [the SQL tool]
  description: Runs SQL queries against the wiki replicas.
  kind: tool
  url: https://quarry.wmcloud.org/
- id: trust-and-safety
  name: Trust and Safety team
  aliases: [T&S]
  description: Handles safety issues.
  kind: group
  page: "m:Trust and Safety"
- id: cafe
  name: Café
  description: The Spanish Wikipedia's village pump.
  kind: page
  page: "w:es:Wikipedia:Café"
"""


def archive_with(folder: Path, body: str, catalog: str = CATALOG) -> list[str]:
    (folder / "catalog.yaml").write_text(catalog, encoding="utf-8")
    (folder / "001.md").write_text(digest_text(1, "intro: false\n", body), encoding="utf-8")
    return check(folder, ignore=("uncited-entry",))


def links(folder: Path, body: str) -> list[tuple[str, str, str | None]]:
    import datetime as dt

    from conftest import TEMPLATES
    from pipeline.check.archive import load_archive

    (folder / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (folder / "001.md").write_text(digest_text(1, "intro: false\n", body), encoding="utf-8")
    archive = load_archive(folder, TEMPLATES, dt.date(2026, 1, 1))
    assert [d for d in archive.diagnostics if d.severity.value == "error"] == []
    (digest,) = archive.digests
    return [("".join(a.itertext()), a.get("href", ""), a.get("data-catalog"))
            for topic in digest.topics for block in topic.elements for a in block.iter("a")]


@pytest.mark.parametrize("body, expected", [
    ("## T\n\nUse [Quarry][].\n", [("Quarry", "https://quarry.wmcloud.org/", "quarry")]),
    ("## T\n\nUse [quarry][].\n", [("quarry", "https://quarry.wmcloud.org/", "quarry")]),
    ("## T\n\nUse [the query tool][quarry].\n", [("the query tool", "https://quarry.wmcloud.org/", "quarry")]),
    ("## T\n\nUse [The SQL Tool][].\n", [("The SQL Tool", "https://quarry.wmcloud.org/", "quarry")]),
    ("## T\n\nAsk [them][T&S].\n", [("them", "https://meta.wikimedia.org/wiki/Trust_and_Safety", "trust-and-safety")]),
    ("## T\n\nSee the [Café][].\n", [("Café", "https://es.wikipedia.org/wiki/Wikipedia:Caf%C3%A9", "cafe")]),
    ("## T\n\nSee [Quarry].\n", [("Quarry", "https://quarry.wmcloud.org/", "quarry")]),
])
def test_references_resolve_by_id_name_and_alias(scratch: Path, body: str, expected: list[tuple[str, str, str]]) -> None:
    assert links(scratch, body) == expected


def test_a_local_definition_wins(scratch: Path) -> None:
    body = "## T\n\nUse [Quarry][].\n\n[quarry]: https://example.org/my-quarry\n"
    assert links(scratch, body) == [("Quarry", "https://example.org/my-quarry", None)]


def test_bracketed_prose_is_not_a_reference(scratch: Path) -> None:
    assert links(scratch, "## T\n\nHe said [sic] it twice.\n") == []
    assert archive_with(scratch, "## T\n\nHe said [sic] it twice.\n") == []


def test_unresolved_reference_suggests_the_nearest_id(scratch: Path) -> None:
    assert archive_with(scratch, "## T\n\nA line.\nThen try [Quary][] here.\n") == [
        "digests/001.md:9:10: error[unknown-ref]: no catalog entry or link definition for 'Quary'\n"
        "  hint: did you mean 'quarry'?"]


def test_unresolved_reference_without_a_near_id(scratch: Path) -> None:
    assert archive_with(scratch, "## T\n\nSee [the tool][zzzzzz].\n") == [
        "digests/001.md:8:5: error[unknown-ref]: no catalog entry or link definition for 'zzzzzz'\n"
        "  hint: add an entry to the catalog, or define the link in the digest: [label]: https://…"]


def test_catalog_name_in_plain_text_warns(scratch: Path) -> None:
    assert archive_with(scratch, "## T\n\nWe used Quarry for this.\n") == [
        "digests/001.md:8:9: warning[unlinked-mention]: 'Quarry' is in the catalog but never linked here\n"
        "  hint: link it once, e.g. [Quarry][] (catalog entry 'quarry')"]


def test_plain_mention_is_fine_when_linked_elsewhere(scratch: Path) -> None:
    assert archive_with(scratch, "## T\n\nWe used [Quarry][].\n\nQuarry again, and `Quarry` in code.\n") == []


def test_uncited_entry_warns(scratch: Path) -> None:
    (scratch / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (scratch / "001.md").write_text(digest_text(1, "intro: false\n", "## T\n\n[Quarry][] and [T&S][] and [Café][]\n"))
    assert check(scratch, ignore=()) == []
    (scratch / "001.md").write_text(digest_text(1, "intro: false\n", "## T\n\n[Quarry][] and [T&S][]\n"))
    assert check(scratch, ignore=()) == [
        "digests/catalog.yaml:13:3: warning[uncited-entry]: no digest links catalog entry 'cafe'\n"
        "  hint: link it from a digest, or remove it from the catalog"]


ENTRY = "- id: {id}\n  name: {name}\n  description: D.\n  kind: tool\n  url: https://example.org/{id}\n"
BODY = "## T\n\n[a][] [b][]\n"

CATALOG_ERRORS = {
    "duplicate-id": (ENTRY.format(id="a", name="A") + ENTRY.format(id="a", name="B"), [
        "digests/catalog.yaml:6:3: error[duplicate-id]: id 'a' is already used by entry 'a' (line 1)\n"
        "  hint: every id, name and alias must be unique across the catalog"]),
    "duplicate-name": (ENTRY.format(id="a", name="Same") + ENTRY.format(id="b", name="same"), [
        "digests/catalog.yaml:6:3: error[duplicate-name]: name 'same' is already used by entry 'a' (line 1)\n"
        "  hint: every id, name and alias must be unique across the catalog"]),
    "duplicate-alias": (ENTRY.format(id="a", name="A") + ENTRY.format(id="b", name="B").replace(
        "  description", "  aliases: [A]\n  description"), [
        "digests/catalog.yaml:6:3: error[duplicate-alias]: alias 'A' is already used by entry 'a' (line 1)\n"
        "  hint: every id, name and alias must be unique across the catalog"]),
    "no-target": (ENTRY.format(id="a", name="A").replace("  url: https://example.org/a\n", "") +
                  ENTRY.format(id="b", name="B"), [
        "digests/catalog.yaml:1:3: error[no-target]: entry 'a' has neither 'url' nor 'page'\n"
        "  hint: add 'url: https://…' or 'page: \"m:Page title\"'"]),
    "two-targets": (ENTRY.format(id="a", name="A") + "  page: m:A\n" + ENTRY.format(id="b", name="B"), [
        "digests/catalog.yaml:1:3: error[two-targets]: entry 'a' has both 'url' and 'page'\n"
        "  hint: keep exactly one target: 'url' for a web address, 'page' for a wiki page"]),
    "not-https": (ENTRY.format(id="a", name="A").replace("https://", "http://") + ENTRY.format(id="b", name="B"), [
        "digests/catalog.yaml:5:8: error[not-https]: url 'http://example.org/a' of 'a' is not an https:// address\n"
        "  hint: catalog links must use https://"]),
    "unknown-prefix": (ENTRY.format(id="a", name="A").replace("url: https://example.org/a", "page: zz:Page") +
                       ENTRY.format(id="b", name="B"), [
        "digests/catalog.yaml:5:9: error[unknown-prefix]: unknown interwiki prefix 'zz' in page 'zz:Page'\n"
        "  hint: known prefixes: c, d, foundation, m, mw, phab, w, w:es, w:nl, w:ru, w:tr, wikitech"]),
    "unknown-key": (ENTRY.format(id="a", name="A").replace("  kind", "  kinds: tool\n  kind") +
                    ENTRY.format(id="b", name="B"), [
        "digests/catalog.yaml:4:3: error[unknown-key]: unknown key 'kinds' in a catalog entry\n"
        "  hint: did you mean 'kind'?"]),
    "bad-kind": (ENTRY.format(id="a", name="A").replace("kind: tool", "kind: tools") +
                 ENTRY.format(id="b", name="B"), [
        "digests/catalog.yaml:4:9: error[bad-kind]: kind 'tools' is not one of tool, page, program, group, contact\n"
        "  hint: did you mean 'tool'?"]),
    "bad-id": (ENTRY.format(id="A_1", name="A") + ENTRY.format(id="b", name="B"), [
        "digests/catalog.yaml:1:7: error[bad-id]: id 'A_1' is not a lower-case slug\n"
        "  hint: use lower-case letters, digits and single hyphens, e.g. 'trust-and-safety'"]),
}


@pytest.mark.parametrize("code", sorted(CATALOG_ERRORS))
def test_catalog_error_classes(scratch: Path, code: str) -> None:
    catalog, expected = CATALOG_ERRORS[code]
    found = archive_with(scratch, BODY, catalog)
    assert [line for line in found if "unknown-ref" not in line] == expected


def test_catalog_command_lists_citing_digests(example: Path) -> None:
    result = run_cli("catalog", "--digests", example, cwd=example.parent)
    assert result.status == 0, result.err
    block = result.out.split("trust-and-safety  (group)  Trust and Safety team\n")[1].split("\n\n")[0]
    lines = block.splitlines()
    assert lines[0] == "    m:Trust and Safety"
    assert lines[1] == "    https://meta.wikimedia.org/wiki/Trust_and_Safety"
    assert lines[2].startswith("    cited by: 001, 002, 003")


def test_the_generated_section_in_each_output(scratch: Path) -> None:
    """Each entry once, in order of first mention, with its link and description: text, HTML and wikitext."""
    import datetime as dt

    from lxml import html as lxml_html

    from conftest import TEMPLATES
    from pipeline.render.email import mime as email_mime
    from pipeline.render.wiki import page as wikitext
    from pipeline.check.archive import load_archive

    (scratch / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    body = "## T\n\nAsk [T&S][], then use [Quarry][], then [the SQL tool][] again and [them][trust-and-safety].\n"
    (scratch / "001.md").write_text(digest_text(1, "intro: false\n", body), encoding="utf-8")
    archive = load_archive(scratch, TEMPLATES, dt.date(2026, 1, 1))
    (digest,) = archive.digests
    assert digest.citations == ("trust-and-safety", "quarry")

    made = email_mime.bodies(archive, digest)
    text = made.text.split("Tools and resources mentioned\n-----------------------------\n\n", 1)[1]
    assert text.startswith("* Trust and Safety team [2] – Handles safety issues.\n"
                           "* Quarry [3] – Runs SQL queries against the wiki replicas.\n")
    assert "[2] https://meta.wikimedia.org/wiki/Trust_and_Safety" in made.text
    assert "[3] https://quarry.wmcloud.org/" in made.text

    page = lxml_html.fromstring(made.html)
    heading = next(h for h in page.iter("h2") if h.text_content() == "Tools and resources mentioned")
    items = heading.getnext().findall("li")
    assert [(li.text_content(), li.find("a").get("href")) for li in items] == [
        ("Trust and Safety team – Handles safety issues.", "https://meta.wikimedia.org/wiki/Trust_and_Safety"),
        ("Quarry – Runs SQL queries against the wiki replicas.", "https://quarry.wmcloud.org/")]

    wiki = wikitext.page_text(archive, digest)
    assert ("== Tools and resources mentioned ==\n"
            "* [[Trust and Safety|Trust and Safety team]] – Handles safety issues.\n"
            "* [https://quarry.wmcloud.org/ Quarry] – Runs SQL queries against the wiki replicas.\n") in wiki
