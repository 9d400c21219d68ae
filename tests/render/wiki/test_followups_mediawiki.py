"""Follow-ups on a real MediaWiki: the follow-ups page is one sortable table, and a digest's items keep their box.

Plain wikitext only (no template is called): the box is a <span role="img"> whose aria-label says the
state in words, which MediaWiki's sanitizer must keep for screen readers to read it.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import mwparserfromhell
import pytest
from conftest import DIGESTS, ROOT, TEMPLATES
from lxml import html as lxml_html
from mediawiki import LocalWiki, mediawiki  # noqa: F401

from pipeline.check.archive import load_archive
from pipeline.render.wiki import page as wikitext, pages as wikipages

pytestmark = pytest.mark.mediawiki
CASE = ROOT / "tests" / "cases" / "followups" / "digests"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("followups") / "digests"
    shutil.copytree(CASE, folder)
    for name in ("site.yaml", "catalog.yaml"):
        shutil.copy(DIGESTS / name, folder / name)
    return load_archive(folder, TEMPLATES, dt.date(2026, 1, 1))


def boxes(html: str) -> list[tuple[str, str]]:
    """Return each box MediaWiki kept: (its character, what a screen reader says)."""
    tree = lxml_html.fromstring(f"<div>{html}</div>")
    return [(span.text_content(), span.get("aria-label", "")) for span in tree.iter("span") if span.get("role") == "img"]


def test_the_follow_ups_page_is_one_sortable_table_open_ones_first(mediawiki: LocalWiki, archive) -> None:  # type: ignore[no-untyped-def]
    text = wikipages.followups_page(archive)
    code = mwparserfromhell.parse(text)
    assert not code.filter_templates() and not code.filter_arguments()
    rendered = mediawiki.parse(text, wikipages.followups_title(archive))
    tree = lxml_html.fromstring(f"<div>{rendered.html}</div>")
    tables = tree.findall(".//table")
    assert len(tables) == 1 and tables[0].get("class", "").split() == ["wikitable", "sortable"]
    rows = tables[0].findall(".//tr")
    head = [cell.text_content().strip() for cell in rows[0]]
    assert head == ["Id", "What", "Owner", "Opened", "Due", "Status", "Where answered"]
    body = [[cell.text_content().strip() for cell in row] for row in rows[1:]]
    assert [row[0] for row in body] == ["002-1", "001-1", "001-2", "ts-small-wikis"]
    assert [row[5] for row in body] == ["☐ open", "☑ answered", "☑ answered", "☑ answered"]
    assert body[0][4] == "August 1, 2020"
    sort_values = [cell.get("data-sort-value") for row in rows[1:] for cell in row if cell.get("data-sort-value")]
    assert sort_values[:2] == ["00002", "2020-08-01"]  # the Opened and Due columns sort by call and by date
    assert boxes(rendered.html) == [("☐", "open"), ("☑", "answered"), ("☑", "answered"), ("☑", "answered")]
    links = {a.get("title").removesuffix(" (page does not exist)") for a in tree.iter("a") if a.get("title")}
    assert {"Wikimedia Clinics/001", "Wikimedia Clinics/002", "Wikimedia Clinics/003"} <= links


def test_a_digest_page_shows_its_items_with_their_box_id_owner_and_answer(mediawiki: LocalWiki, archive) -> None:  # type: ignore[no-untyped-def]
    digest = next(d for d in archive.digests if d.id == "002.es")
    text = wikitext.page_text(archive, digest)
    assert not mwparserfromhell.parse(text).filter_templates()
    rendered = mediawiki.parse(text, "Wikimedia Clinics/002")
    tree = lxml_html.fromstring(f"<div>{rendered.html}</div>")
    items = [li.text_content() for li in tree.iter("li") if any(s.get("role") == "img" for s in li.iter("span"))]
    assert items == [
        "☐ 002-1: Reunir guías de talleres en línea de otros capítulos – responsable: Claudia, de Wikimedia México; "
        "plazo: 1 de agosto de 2020",
        "☐ ts-small-wikis: Ask the Trust and Safety team who handles a case on a small wiki – sin responsable aún; "
        "abierto en la llamada #001; llamadas desde entonces: 1",
        "☑ 001-1: Write to the list with the deadlines of the rapid grants – responsable: Asaf (WMF); plazo: 1 de "
        "julio de 2020; respondido en la llamada #002 (la respuesta): Los plazos se enviaron a la lista."]
    assert boxes(rendered.html) == [("☐", "pendiente"), ("☐", "pendiente"), ("☑", "respondido")]
    headings = [h.text_content().strip() for h in tree.iter("h2")]
    assert "Seguimientos pendientes de llamadas anteriores" in headings
    assert "Respondidos desde la última llamada" in headings


def test_wiki_syntax_in_an_item_stays_text_everywhere(mediawiki: LocalWiki, tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    folder.mkdir()
    for name in ("site.yaml", "catalog.yaml"):
        shutil.copy(DIGESTS / name, folder / name)
    hostile = "{{Template}} | [[Link]] || ~~~~ ''x'' <b>"
    (folder / "001.md").write_text(
        "---\nnumber: 1\ndate: 2020-06-15\n---\n## A topic\n\n* Volunteer:\n    * Asked.\n\n### Follow-up\n\n"
        f"* [ ] {hostile} (owner: {{{{owner}}}} |-||x, due: 2020-07-01)\n", encoding="utf-8")
    (folder / "002.md").write_text("---\nnumber: 2\ndate: 2020-06-17\n---\n## Another\n\n* Volunteer:\n    * Asked.\n",
                                   encoding="utf-8")
    archive = load_archive(folder, TEMPLATES, dt.date(2026, 1, 1))
    texts = [wikipages.followups_page(archive), *(wikitext.page_text(archive, d) for d in archive.digests)]
    for text in texts:
        assert not mwparserfromhell.parse(text).filter_templates()
    table = lxml_html.fromstring(f"<div>{mediawiki.parse(texts[0], 'Wikimedia Clinics/Follow-ups').html}</div>")
    cells = [cell.text_content().strip() for cell in table.findall(".//tr")[1]]
    assert cells[1:3] == [hostile, "{{owner}} |-||x"]
    later = lxml_html.fromstring(f"<div>{mediawiki.parse(texts[2], 'Wikimedia Clinics/002').html}</div>")
    items = [li.text_content() for li in later.iter("li") if "001-1" in li.text_content()]
    assert items == [f"☐ 001-1: {hostile} – owner: {{{{owner}}}} |-||x; due July 1, 2020; opened on call #001; "
                     "calls since: 1"]
