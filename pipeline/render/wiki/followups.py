"""The page "Wikimedia Clinics/Follow-ups" (every follow-up in one sortable table, open ones first) and the
main page's section that counts the open ones and links to it. Plain wikitext: no template is called."""
from __future__ import annotations

from pipeline.model import locale
from pipeline.model.archive import Archive
from pipeline.model.followup_index import Row
from pipeline.model.settings import Language, wiki_url
from pipeline.render.document import Inline, Link, fill
from pipeline.render.followups import answered_pieces, call_link, check
from pipeline.render.wiki import escape as wikiescape
from pipeline.render.wiki.page import Writer, heading_line

FOLLOWUPS_FILE = "follow-ups.wiki"
FOLLOWUPS_PAGE = "Follow-ups"


def followups_title(archive: Archive) -> str:
    """Return the title of the follow-ups page: "Wikimedia Clinics/Follow-ups"."""
    return f"{archive.site.wiki.page_prefix}/{FOLLOWUPS_PAGE}"


def followups_page_text(archive: Archive, language: Language) -> str:
    """Return the follow-ups page: an introduction, then one table of every item, open ones first."""
    writer = Writer(archive.site, archive.catalog)
    rows = archive.followups.rows(language.code)
    columns = [c.strip() for c in language.t("followups_columns").split("|")]
    lines = [wikiescape.text(language.t("followups_page_intro"), start=True), "",
             '{| class="wikitable sortable"',
             "! " + " !! ".join(wikiescape.cell(c, header=True) for c in columns)]
    for row in rows:
        lines += ["|-", *_row_cells(archive, writer, row, language)]
    lines.append("|}")
    return "\n".join(lines) + "\n"


def _row_cells(archive: Archive, writer: Writer, row: Row, language: Language) -> list[str]:
    """Return the cells of one item: id, what, owner, opened, due, status, where answered."""
    box = check(row.answer is not None, language)
    due = (f'| data-sort-value="{row.due.isoformat()}" | {wikiescape.cell(locale.long_date(language.code, row.due))}'
           if row.due else "|")
    answered: list[Inline] = []
    if row.answer is not None:
        answered = answered_pieces(archive, row, language, 0)
        if row.answer.note:
            answered.append(f": {row.answer.note}")
    return [f"| {wikiescape.cell(row.id)}", f"| {wikiescape.cell(row.what)}",
            f"| {wikiescape.cell(row.owner or language.t('followup_no_owner'))}",
            f'| data-sort-value="{row.number:05d}" | {writer.cell((call_link(archive, row.number, language, 0),))}',
            due, f"| {writer.cell((box, ' ', box.state))}", f"| {writer.cell(answered)}".rstrip()]


def followups_section_text(archive: Archive, language: Language) -> str:
    """Return the main page's "Follow-ups" section, without markers: the count of open items and a link."""
    writer = Writer(archive.site, archive.catalog)
    title = followups_title(archive)
    heading = heading_line(2, wikiescape.heading(language.t("followups_heading")))
    if not archive.followups.ordered:
        return "\n".join([heading, wikiescape.text(language.t("followups_none"), start=True)])
    count = fill(language.strings["followups_count"], count=str(len(archive.followups.open_now())),
                 page=Link(title, wiki_url(archive.site, title), title))
    return "\n".join([heading, writer.paragraph(count)])
