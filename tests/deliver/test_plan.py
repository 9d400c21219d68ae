"""The publish plan pinned down where mutation testing found it loose (`make mutate MODULE=plan`).

What publish writes (the text, the source named in a refusal, the summaries), CREATE against EDIT for pages
that were never there, the dry run's diff, and how an overwriting edit names the people it overwrites.
"""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import DIGESTS, TEMPLATES
from test_publish import Response, api

from pipeline.check.archive import load_archive
from pipeline.deliver.wiki import plan as publishplan
from pipeline.deliver.wiki.api import Event, Revision
from pipeline.deliver.wiki.log import Entry, text_hash
from pipeline.deliver.wiki.plan import Action, Contest, Reason, Wanted, explain, plan
from pipeline.render.wiki import page as wikitext, pages as wikipages


@pytest.fixture
def wanted() -> dict[str, Wanted]:  # made by each test: mutmut counts a call made for a test it ran
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
    assert main.summary == "Update the generated sections (upcoming, followups, archive) from the digests"
    assert main.source == "the digests" and main.text == ""
    assert [s.name for s in main.sections] == ["upcoming", "followups", "archive"]


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


# ------------------------------------------------------------------ the main page's contests, in full

def published_main(*sections: wikipages.GeneratedSection) -> Entry:
    return Entry(10, "t10", "whole", 9, tuple((s.name, text_hash(wikipages.marked(s))) for s in sections))


ARCHIVE = wikipages.GeneratedSection("archive", "== Archive ==\ntable")
UPCOMING = wikipages.GeneratedSection("upcoming", "== Upcoming ==\nnone")
BOTH = Wanted("P", "s", sections=(UPCOMING, ARCHIVE))


def test_a_deleted_main_page_names_our_revision_and_the_one_before() -> None:
    change, = plan([BOTH], {}, {"P": published_main(UPCOMING, ARCHIVE)})
    assert change.action is Action.REFUSED
    assert change.contest == Contest(Reason.DELETED, "the page was deleted on the wiki since publish saved revision 10",
                                     "find out why in the deletion log; to create it again anyway, publish with "
                                     "--overwrite 'P'", 10, 9)


def test_two_sections_edited_and_two_whose_markers_are_gone() -> None:
    old_up = wikipages.GeneratedSection("upcoming", "== Upcoming ==\nold")
    old_arch = wikipages.GeneratedSection("archive", "== Archive ==\nold")
    edited = "Intro.\n\n" + "\n\n".join(wikipages.marked(s).replace("old", "theirs") for s in (old_up, old_arch))
    change, = plan([BOTH], {"P": Revision("P", True, edited, 12)}, {"P": published_main(old_up, old_arch)})
    assert change.contest == Contest(
        Reason.EDITED_INSIDE, "the generated sections 'upcoming', 'archive' were edited between their markers since "
                              "publish saved revision 10",
        "the text between the markers is made from the digests and is replaced at every publish: if their change "
        "should stay, make it in the digests or move it outside the markers; then publish with --overwrite 'P'",
        10, 9)
    gone, = plan([BOTH], {"P": Revision("P", True, "Intro.", 12)}, {"P": published_main(old_up, old_arch)})
    assert gone.contest == Contest(
        Reason.MARKERS_REMOVED, "the markers of the generated sections 'upcoming', 'archive' were removed since "
                                "publish saved revision 10",
        f"put back the lines '{wikipages.begin_marker('upcoming')}' and '{wikipages.end_marker('upcoming')}' and "
        f"'{wikipages.begin_marker('archive')}' and '{wikipages.end_marker('archive')}' where the section belongs "
        "(revision 10 of the page has them), or publish with --overwrite 'P' to add it again before the next "
        "generated section or at the end of the page", 10, 9)
    one_each = "Intro.\n\n" + wikipages.marked(old_up).replace("old", "theirs")
    mixed, = plan([BOTH], {"P": Revision("P", True, one_each, 12)}, {"P": published_main(old_up, old_arch)})
    assert mixed.contest is not None and mixed.contest.reason is Reason.EDITED_INSIDE
    assert mixed.contest.problem == ("the generated section 'upcoming' was edited between its markers since publish "
                                     "saved revision 10; the markers of the generated section 'archive' were removed "
                                     "since publish saved revision 10")
    assert mixed.contest.hint == (
        "the text between the markers is made from the digests and is replaced at every publish: if their change "
        "should stay, make it in the digests or move it outside the markers; then publish with --overwrite 'P'; "
        f"put back the lines '{wikipages.begin_marker('archive')}' and '{wikipages.end_marker('archive')}' where the "
        "section belongs (revision 10 of the page has them), or publish with --overwrite 'P' to add it again before "
        "the next generated section or at the end of the page")


def test_broken_markers_on_a_published_page_name_our_revisions() -> None:
    broken = Revision("P", True, f"Intro.\n\n{wikipages.begin_marker('archive')}\nno end", 12)
    change, = plan([Wanted("P", "s", sections=(ARCHIVE,))], {"P": broken}, {"P": published_main(ARCHIVE)})
    assert change.contest is not None
    assert (change.contest.reason, change.contest.since, change.contest.after) == (Reason.MARKERS_BROKEN, 10, 9)


# ------------------------------------------------------------------ whose edits an overwrite replaces

def history(revids: list[tuple[int, str]], more: bool) -> Response:
    answer: dict[str, object] = {"query": {"pages": [{"title": "P", "revisions": [
        {"revid": r, "user": u, "timestamp": f"t{r}", "comment": ""} for r, u in revids]}]}}
    if more:
        answer["continue"] = {"rvcontinue": "x"}
    return Response(answer)


@pytest.mark.parametrize("revids, more, users, older", [
    ([(14, "Person"), (12, "Other")], True, "User:Other, User:Person and others", True),
    ([(14, "Person"), (12, "Other"), (10, "Bot"), (9, "Bot")], True, "User:Other and User:Person", False),
    ([(14, "Person"), (12, "Other"), (10, "Bot")], True, "User:Other, User:Person and others", True),
    ([(14, "Person"), (12, "Other")], False, "User:Other and User:Person", False),
    ([], True, "others", True),
])
def test_an_overwrite_says_when_older_edits_may_be_others_too(revids: list[tuple[int, str]], more: bool, users: str,
                                                             older: bool) -> None:
    client, session, _ = api(history(revids, more))
    refused, = plan([Wanted("P", "s", "new\n")], {"P": Revision("P", True, "theirs", 14)},
                    {"P": Entry(10, "t10", text_hash("ours"), 9)}, {"P"})
    explained = explain(client, refused)
    assert explained.contest is not None and explained.contest.more is older
    assert explained.summary == f"s; overwrites the edits of {users} since revision 10"
    assert session.sent[0][1]["titles"] == "P"


def test_an_overwrite_of_a_deleted_page_names_who_deleted_it() -> None:
    client, session, _ = api(Response({"query": {"logevents": []}}), Response({"query": {"logevents": []}}))
    gone = explain(client, plan([Wanted("Page", "s", "new\n")], {}, {"Page": Entry(10, "t", "x", 9)}, {"Page"})[0])
    assert gone.contest is not None and gone.contest.edits == () and not gone.contest.more
    assert gone.summary == "s; creates again the page deleted by others"
    assert [(sent[1]["letype"], sent[1]["letitle"]) for sent in session.sent] == [("delete", "Page"), ("move", "Page")]


# ------------------------------------------------------------------ every field of a change

def test_what_each_plan_of_the_main_page_holds() -> None:
    hashes = (("archive", text_hash(wikipages.marked(ARCHIVE))),)
    wanted = Wanted("P", "s", sections=(ARCHIVE,))
    missing = Revision("P", exists=False)
    again, = plan([wanted], {}, {"P": published_main(ARCHIVE)}, {"P"})
    assert (again.action, again.summary, again.text, again.current, again.sections, again.overwrite) == (
        Action.CREATE, "s", wikipages.marked(ARCHIVE) + "\n", missing, hashes, True)
    broken = Revision("P", True, f"{wikipages.begin_marker('archive')}\nno end", 12)
    refused, = plan([wanted], {"P": broken}, {})
    assert (refused.action, refused.summary, refused.text, refused.current, refused.sections) == (
        Action.REFUSED, "s", "", broken, hashes)
    same = Revision("P", True, "Intro.\n\n" + wikipages.marked(ARCHIVE), 12)
    unchanged, = plan([wanted], {"P": same}, {"P": published_main(ARCHIVE)})
    assert (unchanged.action, unchanged.summary, unchanged.current, unchanged.sections, unchanged.contest) == (
        Action.UNCHANGED, "s", same, hashes, None)


def test_what_each_plan_of_a_whole_page_holds() -> None:
    wanted = Wanted("P", "s", "text\n")
    created, = plan([wanted], {}, {})
    assert created.current == Revision("P", exists=False) and created.current.exists is False
    same = Revision("P", True, "text", 12)
    unchanged, = plan([wanted], {"P": same}, {})
    assert (unchanged.action, unchanged.summary, unchanged.text, unchanged.current, unchanged.sections) == (
        Action.UNCHANGED, "s", "text\n", same, ())
