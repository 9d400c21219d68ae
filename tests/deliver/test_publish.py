"""`publish` offline: the Action API client against a scripted session, the publish log, planning, the CLI.

Publishing to a real MediaWiki is tested in test_wiki_mediawiki.py and test_publish_conflicts.py.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import DIGESTS, TEMPLATES, run_cli

from pipeline.check.archive import load_archive
from pipeline.deliver.wiki import plan as publishplan, publish
from pipeline.deliver.wiki.api import (
    Api,
    ApiError,
    Event,
    Revision,
    Saved,
    WikiError,
    check_api_url,
    saved_form,
    user_agent,
)
from pipeline.deliver.wiki.log import Entry, PublishLog, PublishLogError, locked, text_hash
from pipeline.deliver.wiki.plan import Action, Change, Contest, Reason, Wanted, explain, plan
from pipeline.read.archive import load_settings
from pipeline.render.wiki import pages as wikipages

URL = "https://meta.example.org/w/api.php"


class Response:
    def __init__(self, answer: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.answer = answer
        self.status_code = status
        self.headers = headers or {}
        self.url = URL

    def json(self) -> Any:
        if isinstance(self.answer, str):
            raise ValueError("not JSON")
        return self.answer


class Session:
    """Answers requests from a script, and remembers them."""

    def __init__(self, *answers: Response) -> None:
        self.headers: dict[str, str] = {}
        self.answers = list(answers)
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def request(self, method: str, url: str, timeout: Any, params: Any = None, data: Any = None) -> Response:
        assert url == URL
        self.sent.append((method, dict(params or data)))
        return self.answers.pop(0)


def api(*answers: Response) -> tuple[Api, Session, list[float]]:
    session = Session(*answers)
    slept: list[float] = []
    return Api(URL, "test-agent/1", session, slept.append), session, slept  # type: ignore[arg-type]


LAGGED = {"error": {"code": "maxlag", "info": "Waiting for a database server: 7 seconds lagged"}}


def test_every_request_asks_for_maxlag_and_waits_while_the_wiki_is_lagged() -> None:
    client, session, slept = api(Response(LAGGED, headers={"Retry-After": "3"}), Response(LAGGED),
                                 Response({}, status=503, headers={"Retry-After": "2"}), Response({"ok": 1}))
    assert client.call("GET", action="query") == {"ok": 1}
    assert slept == [3.0, 5.0, 2.0]
    assert all(params["maxlag"] == 5 and params["format"] == "json" for _, params in session.sent)
    assert session.headers["User-Agent"] == "test-agent/1"


def test_a_wiki_that_stays_lagged_stops_publishing() -> None:
    client, _, slept = api(*[Response(LAGGED)] * 6)
    with pytest.raises(WikiError, match="stayed lagged or busy after 5 retries"):
        client.call("GET", action="query")
    assert len(slept) == 5


def test_api_errors_and_non_api_answers() -> None:
    client, _, _ = api(Response({"error": {"code": "badtoken", "info": "Invalid CSRF token."}}))
    with pytest.raises(ApiError) as caught:
        client.call("POST", action="edit")
    assert caught.value.explain() == "the wiki refused the edit (badtoken): Invalid CSRF token."
    assert ApiError("editconflict", "").explain() == ("edit conflict: someone changed the page since it was read; "
                                                      "nothing was overwritten")
    client, _, _ = api(Response("<html>not found</html>", status=404))
    with pytest.raises(WikiError) as failed:
        client.call("GET", action="query")
    assert str(failed.value) == f"{URL} did not answer as a MediaWiki API (HTTP 404)"
    assert failed.value.hint == "check --api-url: it must be the wiki's api.php"


def test_revisions_reads_missing_pages_normalised_titles_and_continuations() -> None:
    first = {"curtimestamp": "2026-01-01T00:00:00Z", "continue": {"rvcontinue": "x", "continue": "||"},
             "query": {"normalized": [{"from": "wikimedia Clinics/001", "to": "Wikimedia Clinics/001"}],
                       "pages": [{"title": "Wikimedia Clinics/001", "revisions": [
                           {"revid": 7, "timestamp": "2025-01-01T00:00:00Z", "user": "Bot", "comment": "c",
                            "slots": {"main": {"content": "text"}}}]},
                           {"title": "Wikimedia Clinics/002"}]}}
    second = {"curtimestamp": "2026-01-01T00:00:01Z",
              "query": {"pages": [{"title": "Wikimedia Clinics/002", "missing": True}]}}
    client, session, _ = api(Response(first), Response(second))
    found = client.revisions(["wikimedia Clinics/001", "Wikimedia Clinics/002"])
    assert found == {
        "wikimedia Clinics/001": Revision("wikimedia Clinics/001", True, "text", 7, "2025-01-01T00:00:00Z", "Bot", "c",
                                          "2026-01-01T00:00:00Z"),
        "Wikimedia Clinics/002": Revision("Wikimedia Clinics/002", False, read_at="2026-01-01T00:00:01Z")}
    assert session.sent[0][1]["titles"] == "\x1fwikimedia Clinics/001\x1fWikimedia Clinics/002"
    assert session.sent[1][1]["rvcontinue"] == "x"


TOKEN = Response({"query": {"tokens": {"csrftoken": "abc+\\"}}})


def test_an_edit_names_the_revision_it_replaces() -> None:
    base = Revision("P", True, "old", 41, "2025-01-01T00:00:00Z", read_at="2026-01-01T00:00:00Z")
    saved = {"edit": {"result": "Success", "oldrevid": 41, "newrevid": 42, "newtimestamp": "2026-01-01T00:00:05Z"}}
    client, session, _ = api(TOKEN, Response(saved))
    assert client.edit("P", "new", "Digest of Wikimedia Clinic #001 (en)", base) == Saved(
        42, "2026-01-01T00:00:05Z", replaced=41)
    sent = session.sent[-1][1]
    assert {k: sent[k] for k in ("action", "title", "text", "summary", "baserevid", "starttimestamp",
                                 "nocreate", "bot", "assert", "token", "md5")} == {
        "action": "edit", "title": "P", "text": "new", "summary": "Digest of Wikimedia Clinic #001 (en)",
        "baserevid": 41, "starttimestamp": "2026-01-01T00:00:00Z",
        "nocreate": "1", "bot": "1", "assert": "user", "token": "abc+\\", "md5": "22af645d1859cb5ca6da0c484f1f37ea"}
    # With basetimestamp, MediaWiki lets an edit replace its own user's edits made meanwhile without a conflict.
    assert "createonly" not in sent and "basetimestamp" not in sent


def test_a_new_page_is_created_only_if_nobody_created_it_meanwhile() -> None:
    client, session, _ = api(TOKEN, Response({"edit": {"result": "Success", "nochange": True}}))
    assert client.edit("P", "new", "s", Revision("P", False)).unchanged
    assert session.sent[-1][1]["createonly"] == "1" and "baserevid" not in session.sent[-1][1]
    client, _, _ = api(TOKEN, Response({"error": {"code": "articleexists", "info": "exists"}}))
    with pytest.raises(ApiError) as caught:
        client.edit("P", "new", "s", Revision("P", False))
    assert caught.value.explain() == "someone created the page since it was read; nothing was overwritten"


def test_history_and_deletions() -> None:
    history = {"continue": {"rvcontinue": "x"}, "query": {"pages": [{"title": "P", "revisions": [
        {"revid": 13, "user": "Person", "timestamp": "2026-01-03T00:00:00Z", "comment": "typo"},
        {"revid": 12, "userhidden": True, "timestamp": "2026-01-02T00:00:00Z", "commenthidden": True}]}]}}
    deleted = {"query": {"logevents": [{"user": "Admin", "timestamp": "2026-01-04T00:00:00Z", "comment": "spam"}]}}
    client, session, _ = api(Response(history), Response(deleted), Response({"query": {"logevents": []}}))
    assert client.history("P", limit=2) == ([Event(13, "Person", "2026-01-03T00:00:00Z", "typo"),
                                             Event(12, "(hidden)", "2026-01-02T00:00:00Z", "(hidden)")], True)
    assert session.sent[0][1]["rvlimit"] == 2 and session.sent[0][1]["titles"] == "P"
    assert client.deletion("P") == Event(0, "Admin", "2026-01-04T00:00:00Z", "spam", "delete")
    assert session.sent[1][1]["letype"] == "delete" and session.sent[1][1]["letitle"] == "P"
    assert client.deletion("P") is None


def test_a_refused_login() -> None:
    client, _, _ = api(Response({"query": {"tokens": {"logintoken": "t"}}}),
                       Response({"login": {"result": "Failed", "reason": "Incorrect username or password entered."}}))
    with pytest.raises(WikiError, match="the wiki refused the login of 'Bot@app': Incorrect username"):
        client.login("Bot@app", "secret")


def test_user_agent_and_api_addresses() -> None:
    archive, _ = load_settings(DIGESTS)
    assert re.fullmatch(r"clinics-digests/\S+ \(https://meta\.wikimedia\.org/wiki/Wikimedia_Clinics; "
                        r"wikimedia-clinics@wikimedia\.org\) python-requests/\S+", user_agent(archive.site))
    check_api_url("https://meta.wikimedia.org/w/api.php")
    check_api_url("http://127.0.0.1:8080/w/api.php")
    for bad in ("http://meta.wikimedia.org/w/api.php", "ftp://x/api.php", "meta.wikimedia.org"):
        with pytest.raises(WikiError, match="is not an https:// address of api.php"):
            check_api_url(bad)


# ------------------------------------------------------------------ the publish log

def test_the_log_is_one_sorted_json_document_rewritten_after_each_entry(tmp_path: Path) -> None:
    path = tmp_path / "publish-log.json"
    path.write_text('{"version": 1, "wikis": {"https://other.example/w/api.php": {"X": '
                    '{"revid": 1, "timestamp": "t", "sha256": "h"}}}}', encoding="utf-8")
    log = PublishLog.load(path, URL)
    assert log.entries == {}
    log.record("Main", Entry(9, "t9", "h9", 8, (("upcoming", "u"), ("archive", "a"))))
    log.record("Main/001", Entry(7, "t7", "h7"))
    written = path.read_text(encoding="utf-8")
    assert json.loads(written) == {"version": 1, "wikis": {
        "https://other.example/w/api.php": {"X": {"revid": 1, "sha256": "h", "timestamp": "t"}},  # kept as it was
        URL: {"Main": {"base": 8, "revid": 9, "sha256": "h9", "timestamp": "t9",
                       "sections": {"archive": "a", "upcoming": "u"}},
              "Main/001": {"base": 0, "revid": 7, "sha256": "h7", "timestamp": "t7"}}}}
    assert written == json.dumps(json.loads(written), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    assert [p.name for p in tmp_path.iterdir()] == ["publish-log.json"]  # no temporary file left behind
    again = PublishLog.load(path, URL)
    assert again.get("Main") == Entry(9, "t9", "h9", 8, (("archive", "a"), ("upcoming", "u")))
    main = again.get("Main")
    assert main is not None and main.section("archive") == "a" and main.section("new") is None


@pytest.mark.parametrize("text, problem", [
    ("{not json", "the publish log is not valid JSON"),
    ('{"version": 2, "wikis": {}}', "not a publish log of version 1"),
    ('{"version": 1, "wikis": {"%s": {"P": {"revid": "7", "timestamp": "t", "sha256": "h"}}}}' % URL,
     "the entry of 'P' cannot be read (revid and base must be numbers, timestamp and sha256 strings)"),
    ('{"version": 1, "wikis": {"%s": {"P": {"timestamp": "t"}}}}' % URL, "the entry of 'P' cannot be read ('revid')"),
])
def test_a_log_that_cannot_be_read_stops_publishing(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "publish-log.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PublishLogError) as caught:
        PublishLog.load(path, URL)
    assert str(caught.value).startswith(f"{path}: {problem}")
    assert caught.value.hint == "repair it from the file's history in git; nothing was published"


def test_one_publish_at_a_time(tmp_path: Path) -> None:
    with locked(tmp_path):
        with pytest.raises(PublishLogError, match="another publish is using"):
            with locked(tmp_path):
                pass
    with locked(tmp_path):  # released
        pass


def test_hashes_are_of_the_text_as_the_wiki_saves_it() -> None:
    assert saved_form("a\r\nb\rc \n\n\t") == "a\nb\nc"
    assert saved_form("a\u00a0") == "a\u00a0"  # PHP's rtrim keeps a no-break space
    assert text_hash("text\n") == text_hash("text") != text_hash("text.")


# ------------------------------------------------------------------ planning

def ours(text: str, revid: int = 10, base: int = 9) -> Entry:
    return Entry(revid, f"t{revid}", text_hash(text), base)


def page(text: str, revid: int = 12) -> Revision:
    return Revision("P", True, text, revid, f"t{revid}", "Person", "a change", "now")


WHOLE = Wanted("P", "s", "new\n", source="digests/001.md")


@pytest.mark.parametrize("current, entry, overwrite, action, reason", [
    (None, None, False, Action.CREATE, None),
    (page("new"), None, False, Action.UNCHANGED, None),
    (page("new\n\n"), ours("other"), False, Action.UNCHANGED, None),
    (page("old"), ours("old"), False, Action.EDIT, None),
    (page("old \n"), ours("old"), False, Action.EDIT, None),
    (page("theirs"), ours("old"), False, Action.REFUSED, Reason.EDITED),
    (page("theirs"), ours("old"), True, Action.EDIT, Reason.EDITED),
    (page("a draft"), None, False, Action.REFUSED, Reason.NOT_OURS),
    (page("a draft"), None, True, Action.EDIT, Reason.NOT_OURS),
    (None, ours("old"), False, Action.REFUSED, Reason.DELETED),
    (None, ours("old"), True, Action.CREATE, Reason.DELETED),
])
def test_a_whole_page_is_edited_only_while_it_holds_our_text(current: Revision | None, entry: Entry | None,
                                                              overwrite: bool, action: Action,
                                                              reason: Reason | None) -> None:
    change, = plan([WHOLE], {"P": current} if current else {}, {"P": entry} if entry else {},
                   {"P"} if overwrite else set())
    assert change.action is action
    assert (change.contest.reason if change.contest else None) is reason
    assert change.overwrite == (overwrite and reason is not None)
    assert change.text == "new\n"


def test_what_a_refused_page_says() -> None:
    edited, draft, deleted = [
        plan([WHOLE], {"P": current} if current else {}, {"P": entry} if entry else {})[0].contest
        for current, entry in ((page("theirs"), ours("old")), (page("a draft"), None), (None, ours("old")))]
    assert edited == Contest(Reason.EDITED, "the page was edited on the wiki since publish saved revision 10",
                             "if their change should stay, make it in digests/001.md too; then publish with "
                             "--overwrite 'P' (the diff shows what that would replace)", 10, 9)
    assert draft == Contest(Reason.NOT_OURS, "the page exists, but publish never published it on this wiki (it is "
                                             "not in publish-log.json): it may be someone's draft",
                            "look at the page: if it may be replaced, publish with --overwrite 'P'; if it is a "
                            "draft to keep, move it to another title on the wiki first")
    assert deleted == Contest(Reason.DELETED, "the page was deleted on the wiki since publish saved revision 10",
                              "find out why in the deletion log; to create it again anyway, publish with "
                              "--overwrite 'P'", 10, 9)


OLD = wikipages.GeneratedSection("archive", "== Archive ==\nold table")
NEW = wikipages.GeneratedSection("archive", "== Archive ==\nnew table")
UPCOMING = wikipages.GeneratedSection("upcoming", "== Upcoming ==\nnone")
MAIN = Wanted("P", "s", sections=(NEW,))


def main_page(before: str = "Intro.", section: str = wikipages.marked(OLD), after: str = "Outro.") -> Revision:
    return page(f"{before}\n\n{section}\n\n{after}")


def published(*sections: wikipages.GeneratedSection) -> Entry:
    return Entry(10, "t10", "whole", 9, tuple((s.name, text_hash(wikipages.marked(s))) for s in sections))


def contest_of(change: Change) -> Contest:
    assert change.contest is not None
    return change.contest


def main_plan(current: Revision | None, entry: Entry | None, overwrite: bool = False,
              wanted: Wanted = MAIN) -> Change:
    return plan([wanted], {"P": current} if current else {}, {"P": entry} if entry else {},
                {"P"} if overwrite else set())[0]


def test_the_main_page_changes_between_our_markers_over_people_s_edits_outside_them() -> None:
    change = main_plan(main_page("Intro, edited by a person."), published(OLD))
    assert change.action is Action.EDIT and change.contest is None
    assert change.text == f"Intro, edited by a person.\n\n{wikipages.marked(NEW)}\n\nOutro."
    assert change.sections == (("archive", text_hash(wikipages.marked(NEW))),)
    assert main_plan(main_page(section=wikipages.marked(NEW)), published(OLD)).action is Action.UNCHANGED
    # The first publish fills the markers people placed, or adds the section: the page is theirs, the section ours.
    first = main_plan(main_page(), None)
    assert first.action is Action.EDIT and first.contest is None and "old table" not in first.text
    added = main_plan(page("Written by hand."), None)
    assert added.action is Action.EDIT and added.text == f"Written by hand.\n\n{wikipages.marked(NEW)}\n"
    assert main_plan(None, None).text == f"{wikipages.marked(NEW)}\n"
    # A section we never sent (a new kind of section) is added beside one we did.
    both = main_plan(main_page(), published(OLD), wanted=Wanted("P", "s", sections=(UPCOMING, NEW)))
    assert both.action is Action.EDIT and both.contest is None
    assert f"{wikipages.marked(UPCOMING)}\n\n{wikipages.marked(NEW)}" in both.text


def test_an_edit_between_the_markers_is_refused_unless_overwritten() -> None:
    theirs = wikipages.marked(OLD).replace("old table", "old table, and a person's line")
    change = main_plan(main_page("Intro, edited too.", theirs), published(OLD))
    assert change.action is Action.REFUSED
    assert change.contest == Contest(
        Reason.EDITED_INSIDE, "the generated section 'archive' was edited between its markers since publish saved "
                              "revision 10",
        "the text between the markers is made from the digests and is replaced at every publish: if their change "
        "should stay, make it in the digests or move it outside the markers; then publish with --overwrite 'P'",
        10, 9)
    forced = main_plan(main_page("Intro, edited too.", theirs), published(OLD), overwrite=True)
    assert forced.action is Action.EDIT and forced.overwrite
    assert forced.text == f"Intro, edited too.\n\n{wikipages.marked(NEW)}\n\nOutro."


def test_markers_removed_from_a_published_page_are_refused_unless_overwritten() -> None:
    change = main_plan(page("Intro.\n\nOutro."), published(OLD))
    assert change.action is Action.REFUSED and contest_of(change).reason is Reason.MARKERS_REMOVED
    assert contest_of(change).problem == ("the markers of the generated section 'archive' were removed since "
                                          "publish saved revision 10")
    assert contest_of(change).hint == (
        f"put back the lines '{wikipages.begin_marker('archive')}' and '<!-- clinics:end archive -->' where the "
        "section belongs (revision 10 of the page has them), or publish with --overwrite 'P' to add it again before "
        "the next generated section or at the end of the page")
    forced = main_plan(page("Intro.\n\nOutro."), published(OLD), overwrite=True)
    assert forced.action is Action.EDIT and forced.text == f"Intro.\n\nOutro.\n\n{wikipages.marked(NEW)}\n"


def test_broken_markers_are_refused_even_with_overwrite() -> None:
    broken = page("Intro.\n\n<!-- clinics:begin archive -->\nno end")
    for entry in (None, published(OLD)):
        for overwrite in (False, True):
            change = main_plan(broken, entry, overwrite)
            assert change.action is Action.REFUSED and not change.overwrite
            assert contest_of(change).reason is Reason.MARKERS_BROKEN
            assert contest_of(change).problem == ("the markers of the generated section 'archive' appear 1 "
                                                  "(begin) and 0 (end) times, not once each")
    assert contest_of(main_plan(broken, None)).hint.endswith(
        "or remove both to have the section added again, before the next generated section or at the end of the page")
    assert contest_of(main_plan(broken, published(OLD))).hint == (
        f"restore exactly one '{wikipages.begin_marker('archive')}' line and, after it, one "
        "'<!-- clinics:end archive -->' line, as in revision 10 of the page, the last one publish saved; or remove "
        "both and publish with --overwrite 'P' to have the section added again (--overwrite alone cannot mend them: "
        "publish would not know where the section ends)")


def test_a_deleted_main_page_is_not_created_again_unless_overwritten() -> None:
    assert main_plan(None, published(OLD)).action is Action.REFUSED
    assert main_plan(None, published(OLD), overwrite=True).action is Action.CREATE


def test_the_diff_shows_what_publishing_replaces() -> None:
    change, = plan([WHOLE], {"P": page("old\nsame\n")}, {"P": ours("old\nsame")})
    assert publishplan.diff(change) == ("--- P (revision 12 on the wiki, by Person)\n+++ P (to publish)\n"
                                        "@@ -1,2 +1 @@\n-old\n-same\n+new\n")
    created, = plan([WHOLE], {}, {})
    assert publishplan.diff(created) == "--- P (no page)\n+++ P (to publish)\n@@ -0,0 +1 @@\n+new\n"


# ------------------------------------------------------------------ whose edits

HISTORY = {"query": {"pages": [{"title": "P", "revisions": [
    {"revid": 14, "user": "Person", "timestamp": "t14", "comment": "typo"},
    {"revid": 13, "user": "Other", "timestamp": "t13", "comment": ""},
    {"revid": 12, "user": "Person", "timestamp": "t12", "comment": "link"},
    {"revid": 10, "user": "Bot", "timestamp": "t10", "comment": "Digest"},
    {"revid": 9, "user": "Bot", "timestamp": "t9", "comment": "Digest"}]}]}}


def test_explain_lists_the_edits_since_ours_and_the_overwrite_summary_names_their_authors() -> None:
    client, _, _ = api(Response(HISTORY), Response(HISTORY))
    refused, = plan([WHOLE], {"P": page("theirs", 14)}, {"P": ours("old")})
    explained = explain(client, refused)
    assert [e.revid for e in contest_of(explained).edits] == [14, 13, 12]
    assert explained.summary == "s"
    forced = explain(client, plan([WHOLE], {"P": page("theirs", 14)}, {"P": ours("old")}, {"P"})[0])
    assert forced.summary == "s; overwrites the edits of User:Person and User:Other since revision 10"


def test_explain_lists_the_edits_mediawiki_merged_into_ours() -> None:
    client, _, _ = api(Response(HISTORY))
    merged, = plan([WHOLE], {"P": page("ours merged with theirs", 14)}, {"P": ours("ours", revid=14, base=12)})
    assert [e.revid for e in contest_of(explain(client, merged)).edits] == [13]


def test_explain_a_deleted_page_and_a_draft() -> None:
    deleted = {"query": {"logevents": [{"user": "Admin", "timestamp": "t20", "comment": "not notable"}]}}
    client, _, _ = api(Response(deleted), Response({"query": {"logevents": []}}), Response(HISTORY))
    gone = explain(client, plan([WHOLE], {}, {"P": ours("old")}, {"P"})[0])
    assert gone.summary == "s; creates again the page deleted by User:Admin"
    draft = explain(client, plan([WHOLE], {"P": page("a draft", 14)}, {}, {"P"})[0])
    assert len(contest_of(draft).edits) == 5
    assert draft.summary == ("s; overwrites the edits of User:Bot, User:Person and User:Other (a page clinics had not "
                             "published)")


@pytest.mark.parametrize("users, more, expected", [
    ([], False, "others"), (["A"], False, "User:A"), (["A"], True, "User:A and others"),
    (["A", "B", "A"], False, "User:A and User:B"),
    (["A", "B", "C", "D", "E"], False, "User:A, User:B, User:C and 2 more"),
    (["A", "(hidden)"], False, "User:A and others"), (["(hidden)"], False, "others"),
])
def test_how_the_summary_names_people(users: list[str], more: bool, expected: str) -> None:
    edits = tuple(Event(n, user, "t", "") for n, user in reversed(list(enumerate(users, 1))))
    contest = Contest(Reason.EDITED, "", "", since=3, edits=edits, more=more)
    assert publishplan.overwrite_note(contest) == f"overwrites the edits of {expected} since revision 3"
    inside = dataclasses.replace(contest, reason=Reason.EDITED_INSIDE)
    assert publishplan.overwrite_note(inside) == (f"overwrites the edits between the markers since revision 3 "
                                                  f"(edited since by {expected})")
    removed = dataclasses.replace(contest, reason=Reason.MARKERS_REMOVED)
    assert publishplan.overwrite_note(removed) == ("adds again the generated sections whose markers were removed "
                                                   f"since revision 3 (edited since by {expected})")


def test_what_publish_writes() -> None:
    archive = load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))
    wanted = publishplan.wanted_pages(archive)
    assert [w.title for w in wanted][:2] == ["Wikimedia Clinics/001", "Wikimedia Clinics/002"]
    assert [w.title for w in wanted][-5:] == ["Wikimedia Clinics/Tools and resources",
                                              "Wikimedia Clinics/Tools and resources/es",
                                              "Wikimedia Clinics/Translations", "Wikimedia Clinics/Follow-ups",
                                              "Wikimedia Clinics"]
    summaries = {w.title: w.summary for w in wanted}
    assert summaries["Wikimedia Clinics/006"] == "Digest of Wikimedia Clinic #006 (es)"
    assert summaries["Wikimedia Clinics/006/en"] == "Digest of Wikimedia Clinic #006 (en)"
    assert wanted[-1].sections == tuple(wikipages.main_sections(archive)) and not wanted[-1].text


def test_the_command_needs_the_bot_password_before_anything_else(example: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLINICS_WIKI_PASSWORD", raising=False)
    result = run_cli("publish", "--digests", example, "--yes", "--api-url", "http://127.0.0.1:9/w/api.php")
    assert result.status == 1
    assert "clinics: error: no bot password: the environment variable CLINICS_WIKI_PASSWORD is empty" in result.err
    assert "hint: create a bot password at Special:BotPasswords for Wikimedia Clinics bot" in result.err


def test_the_command_reports_an_unreachable_or_unsafe_wiki(example: Path) -> None:
    result = run_cli("publish", "--digests", example, "--api-url", "http://127.0.0.1:9/w/api.php")
    assert result.status == 1 and "clinics: error: cannot reach http://127.0.0.1:9/w/api.php" in result.err
    result = run_cli("publish", "--digests", example, "--api-url", "http://meta.wikimedia.org/w/api.php")
    assert result.status == 1 and "is not an https:// address of api.php" in result.err


def test_the_command_publishes_nothing_from_a_broken_archive(scratch: Path) -> None:
    (scratch / "001.md").write_text("---\nnumber: 1\ndate: 2020-02-30\n---\n## T\n\nx\n", encoding="utf-8")
    result = run_cli("publish", "--digests", scratch, "--yes", "--api-url", "http://127.0.0.1:9/w/api.php")
    assert result.status == 1
    assert "error[bad-date]" in result.err and "clinics: nothing was published" in result.err


def test_changes_are_applied_in_order_logged_one_by_one_and_failures_reported(tmp_path: Path) -> None:
    read_again = {"curtimestamp": "now", "query": {"pages": [{"title": "B", "revisions": [
        {"revid": 5, "timestamp": "t5", "user": "Person", "comment": "made it",
         "slots": {"main": {"content": "b"}}}]}]}}
    client, _, _ = api(TOKEN, Response({"edit": {"result": "Success", "oldrevid": 1, "newrevid": 9,
                                                 "newtimestamp": "t9"}}),
                       Response({"error": {"code": "articleexists", "info": "exists"}}), Response(read_again),
                       Response({"edit": {"result": "Success", "oldrevid": 4, "newrevid": 10, "newtimestamp": "t10"}}),
                       Response({"error": {"code": "editconflict", "info": "Edit conflict."}}),
                       Response({"error": {"code": "maxlag", "info": "lagged"}}, status=503),
                       *[Response({}, status=503)] * 5)
    log = PublishLog(tmp_path / "publish-log.json", URL)
    written: list[set[str]] = []
    changes = [Change("A", Action.EDIT, "s", "a", Revision("A", True, "old", 1, "t1", read_at="now")),
               Change("B", Action.CREATE, "s", "b", Revision("B", False)),
               Change("C", Action.EDIT, "s", "c", Revision("C", True, "old", 3, "t3"), sections=(("x", "h"),)),
               Change("D", Action.UNCHANGED, "s", "d", Revision("D", True, "d", 7, "t7")),
               Change("E", Action.REFUSED, "s", "e", Revision("E", True, "theirs", 8),
                      Contest(Reason.EDITED, "edited", "fix it", 6, 5)),
               Change("F", Action.EDIT, "s", "f", Revision("F", True, "old", 11, "t11"))]
    outcomes = publish.apply(client, changes, log,
                             lambda o: written.append(set(PublishLog.load(log.path, URL).entries)))
    assert [(o.change.title, o.change.action, o.revid, o.merged, o.error) for o in outcomes] == [
        ("A", Action.EDIT, 9, 0, ""),
        ("B", Action.CREATE, 0, 0, "edit conflict: revision 5 by Person (\"made it\") was saved after publish found "
                                   "no page; nothing was overwritten; run publish again to see their change"),
        ("C", Action.EDIT, 10, 4, ""), ("D", Action.UNCHANGED, 7, 0, ""), ("E", Action.REFUSED, 8, 0, ""),
        ("F", Action.EDIT, 0, 0, "edit conflict: someone changed the page since it was read; nothing was "
                                 "overwritten")]
    assert written == [{"A"}, {"A"}, {"A", "C"}, {"A", "C", "D"}, {"A", "C", "D"}, {"A", "C", "D"}]  # after each
    assert PublishLog.load(log.path, URL).entries == {
        "A": Entry(9, "t9", text_hash("a"), 1), "C": Entry(10, "t10", text_hash("c"), 3, (("x", "h"),)),
        "D": Entry(7, "t7", text_hash("d"), 7)}


def test_an_unchanged_page_is_logged_only_when_the_log_lacks_our_text(tmp_path: Path) -> None:
    log = PublishLog(tmp_path / "publish-log.json", URL)
    log.record("D", Entry(3, "t3", text_hash("d"), 2))
    unchanged = Change("D", Action.UNCHANGED, "s", "d", Revision("D", True, "d", 7, "t7"))
    client, session, _ = api()
    publish.apply(client, [unchanged], log)
    assert log.get("D") == Entry(3, "t3", text_hash("d"), 2) and not session.sent  # reverted to ours: still ours
    publish.apply(client, [dataclasses.replace(unchanged, text="d2", current=Revision("D", True, "d2", 8, "t8"))],
                  log)
    assert log.get("D") == Entry(8, "t8", text_hash("d2"), 8)  # someone wrote what we would: it is ours now


def test_an_interrupted_publish_keeps_the_edits_it_made_in_the_log(tmp_path: Path) -> None:
    client, _, _ = api(TOKEN, Response({"edit": {"result": "Success", "newrevid": 3, "newtimestamp": "t3"}}))
    client.session.answers.append(KeyboardInterruptResponse())  # type: ignore[attr-defined]
    log = PublishLog(tmp_path / "publish-log.json", URL)
    changes = [Change(t, Action.CREATE, "s", t.lower(), Revision(t, False)) for t in ("A", "B")]
    with pytest.raises(KeyboardInterrupt):
        publish.apply(client, changes, log)
    assert PublishLog.load(log.path, URL).entries == {"A": Entry(3, "t3", text_hash("a"))}


class KeyboardInterruptResponse(Response):
    def __init__(self) -> None:
        super().__init__({})

    def json(self) -> Any:
        raise KeyboardInterrupt


def test_overwrite_names_pages_publish_writes() -> None:
    titles = ["Wikimedia Clinics/001", "Wikimedia Clinics/Tools and resources", "Wikimedia Clinics"]
    assert publish.overwrite_titles(["wikimedia_Clinics/001", " Wikimedia  Clinics "], titles) == {
        "Wikimedia Clinics/001", "Wikimedia Clinics"}
    with pytest.raises(publish.UsageError) as caught:
        publish.overwrite_titles(["Wikimedia Clinics/01"], titles)
    assert str(caught.value) == "--overwrite 'Wikimedia Clinics/01': publish writes no page of that title"
    assert caught.value.hint == "did you mean 'Wikimedia Clinics/001'?"


def test_the_command_refuses_an_unknown_overwrite_before_reaching_the_wiki(example: Path) -> None:
    result = run_cli("publish", "--digests", example, "--api-url", "http://127.0.0.1:9/w/api.php",
                     "--overwrite", "Wikimedia Clinics/06")
    assert result.status == 2
    assert "clinics: error: --overwrite 'Wikimedia Clinics/06': publish writes no page of that title" in result.err
    assert "hint: did you mean 'Wikimedia Clinics/006'?" in result.err
