"""The publish plan pinned down where mutation testing found it loose (`make mutate MODULE=plan`).

What publish writes (the text, the source named in a refusal, the summaries), CREATE against EDIT for pages
that were never there, the dry run's diff, and how an overwriting edit names the people it overwrites.
"""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import DIGESTS, TEMPLATES

from pipeline.check.archive import load_archive
from pipeline.deliver.wiki import plan as publishplan
from pipeline.deliver.wiki.api import Event, Revision
from pipeline.deliver.wiki.log import Entry, text_hash
from pipeline.deliver.wiki.plan import Action, Contest, Reason, Wanted, plan
from pipeline.render.wiki import page as wikitext, pages as wikipages


@pytest.fixture(scope="module")
def wanted() -> dict[str, Wanted]:
    archive = load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))
    return {w.title: w for w in publishplan.wanted_pages(archive)}


def test_each_digest_page_holds_the_digest_s_wikitext_and_names_its_file(wanted: dict[str, Wanted]) -> None:
    archive = load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))
    digests = {d.path: d for d in archive.digests}
    page = wanted["Wikimedia Clinics/006"]
    assert page.source == "digests/006.es.md" and not page.sections
    assert page.text == wikitext.page_text(archive, digests["digests/006.es.md"])
    assert page.text.startswith("Este es un resumen de la llamada en línea Clínica Wikimedia n.º 006")
    english = wanted["Wikimedia Clinics/006/en"]
    assert english.source == "digests/006.en.md"
    assert english.text.startswith("This is a digest of the online call Wikimedia Clinic #006")
    first = wanted["Wikimedia Clinics/001"]
    assert (first.summary, first.source) == ("Digest of Wikimedia Clinic #001 (en)", "digests/001.md")


def test_the_tools_page_and_the_main_page(wanted: dict[str, Wanted]) -> None:
    archive = load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))
    tools = wanted["Wikimedia Clinics/Tools and resources"]
    assert tools.summary == "List of the tools and resources mentioned in the Wikimedia Clinics"
    assert tools.source == "digests/catalog.yaml" and not tools.sections
    assert tools.text == wikipages.tools_page_text(archive) and tools.text.startswith("Every tool and resource")
    main = wanted["Wikimedia Clinics"]
    assert main.summary == "Update the generated sections (upcoming, archive) from the digests"
    assert main.source == "the digests" and main.text == ""
    assert [s.name for s in main.sections] == ["upcoming", "archive"]


def test_a_refusal_names_the_file_to_edit_instead(wanted: dict[str, Wanted]) -> None:
    page = wanted["Wikimedia Clinics/Tools and resources"]
    theirs = Revision(page.title, True, "a person's text", 12)
    change, = plan([page], {page.title: theirs}, {page.title: Entry(10, "t", text_hash("ours"), 9)})
    assert change.action is Action.REFUSED and change.contest is not None
    assert "make it in digests/catalog.yaml too" in change.contest.hint


SECTION = wikipages.GeneratedSection("archive", "== Archive ==\ntable")


@pytest.mark.parametrize("wanted_page", [Wanted("P", "s", "text\n"), Wanted("P", "s", sections=(SECTION,))],
                         ids=["whole page", "main page"])
def test_a_page_never_published_and_not_on_the_wiki_is_created(wanted_page: Wanted) -> None:
    for current in ({}, {"P": Revision("P", exists=False)}):
        change, = plan([wanted_page], current, {})
        assert change.action is Action.CREATE
        assert change.contest is None and not change.overwrite
        assert change.summary == "s"


def test_a_page_that_exists_is_edited_not_created() -> None:
    ours = "<!-- clinics:begin archive -->\nold\n<!-- clinics:end archive -->\n"
    entry = Entry(10, "t", "whole", 9, (("archive", text_hash(ours)),))
    change, = plan([Wanted("P", "s", sections=(SECTION,))], {"P": Revision("P", True, ours, 10)}, {"P": entry})
    assert change.action is Action.EDIT and change.contest is None
    assert change.text == wikipages.marked(SECTION) + "\n"


def test_the_diff_keeps_unchanged_lines_as_context() -> None:
    # The wiki's text as MediaWiki gives it: saved without the final newline.
    change, = plan([Wanted("P", "s", "one\nTWO\nthree\n")], {"P": Revision("P", True, "one\ntwo\nthree", 12)},
                   {"P": Entry(12, "t", text_hash("one\ntwo\nthree"))})
    assert publishplan.diff(change) == ("--- P (revision 12 on the wiki)\n+++ P (to publish)\n"
                                        "@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n")


def test_the_diff_of_a_page_without_a_final_newline() -> None:
    change, = plan([Wanted("P", "s", "one\ntwo")], {"P": Revision("P", True, "one\nold", 12, user="Bot")},
                   {"P": Entry(12, "t", text_hash("one\nold"))})
    assert publishplan.diff(change) == ("--- P (revision 12 on the wiki, by Bot)\n+++ P (to publish)\n"
                                        "@@ -1,2 +1,2 @@\n one\n-old\n+two\n")


@pytest.mark.parametrize("users, more, expected", [
    (["A", "B", "C"], False, "User:A, User:B and User:C"),
    (["A", "B", "C"], True, "User:A, User:B, User:C and others"),
    (["A", "B", "C", "D"], False, "User:A, User:B, User:C and 1 more"),
    (["A", "B", "C", "D"], True, "User:A, User:B, User:C and 1 more"),
    (["A", "B", "C", "D", "", "E"], False, "User:A, User:B, User:C and 2 more"),
    (["A", ""], False, "User:A and others"),
    (["A", "B"], False, "User:A and User:B"),
])
def test_how_many_editors_a_summary_names(users: list[str], more: bool, expected: str) -> None:
    edits = tuple(Event(n, user, "t", "") for n, user in reversed(list(enumerate(users, 1))))
    contest = Contest(Reason.DELETED, "", "", since=3, edits=edits, more=more)
    assert publishplan.overwrite_note(contest) == f"creates again the page deleted by {expected}"
