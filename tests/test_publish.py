"""`publish` offline: the Action API client against a scripted session, planning, diffs, the CLI's refusals.

Publishing to a real MediaWiki is tested in test_wiki_mediawiki.py.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import DIGESTS, TEMPLATES, run_cli
from pipeline import publish, wikipages
from pipeline.archive import load_archive, load_settings
from pipeline.publish import Action, Change, Wanted, plan
from pipeline.wikiapi import Api, ApiError, Revision, WikiError, check_api_url, user_agent

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
    saved = {"edit": {"result": "Success", "newrevid": 42, "newtimestamp": "2026-01-01T00:00:05Z"}}
    client, session, _ = api(TOKEN, Response(saved))
    assert client.edit("P", "new", "Digest of Wikimedia Clinic #001 (en)", base).revid == 42
    sent = session.sent[-1][1]
    assert {k: sent[k] for k in ("action", "title", "text", "summary", "baserevid", "basetimestamp", "starttimestamp",
                                 "nocreate", "bot", "assert", "token", "md5")} == {
        "action": "edit", "title": "P", "text": "new", "summary": "Digest of Wikimedia Clinic #001 (en)",
        "baserevid": 41, "basetimestamp": "2025-01-01T00:00:00Z", "starttimestamp": "2026-01-01T00:00:00Z",
        "nocreate": "1", "bot": "1", "assert": "user", "token": "abc+\\", "md5": "22af645d1859cb5ca6da0c484f1f37ea"}
    assert "createonly" not in sent


def test_a_new_page_is_created_only_if_nobody_created_it_meanwhile() -> None:
    client, session, _ = api(TOKEN, Response({"edit": {"result": "Success", "nochange": True}}))
    assert client.edit("P", "new", "s", Revision("P", False)).unchanged
    assert session.sent[-1][1]["createonly"] == "1" and "baserevid" not in session.sent[-1][1]
    client, _, _ = api(TOKEN, Response({"error": {"code": "articleexists", "info": "exists"}}))
    with pytest.raises(ApiError) as caught:
        client.edit("P", "new", "s", Revision("P", False))
    assert caught.value.explain() == "someone created the page since it was read; nothing was overwritten"


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


# ------------------------------------------------------------------ planning

def test_plan_creates_edits_keeps_and_refuses() -> None:
    section = wikipages.GeneratedSection("archive", "table")
    wanted = [Wanted("New", "s", "text\n"), Wanted("Same", "s", "text\n"), Wanted("Changed", "s", "new\n"),
              Wanted("Main", "s", sections=(section,)), Wanted("Broken", "s", sections=(section,))]
    current = {"Same": Revision("Same", True, "text", 1), "Changed": Revision("Changed", True, "old", 2),
               "Main": Revision("Main", True, "Hand-written.", 3),
               "Broken": Revision("Broken", True, "<!-- clinics:end archive -->", 4)}
    changes = plan(wanted, current)
    assert [c.action for c in changes] == [Action.CREATE, Action.UNCHANGED, Action.EDIT, Action.EDIT, Action.REFUSED]
    assert changes[3].text == f"Hand-written.\n\n{wikipages.marked(section)}\n"
    assert changes[4].problem.startswith("the markers of the generated section 'archive' appear 0 (begin)")
    assert publish.diff(changes[2]) == ("--- Changed (on the wiki)\n+++ Changed (to publish)\n@@ -1 +1 @@\n"
                                        "-old\n+new\n")


def test_what_publish_writes() -> None:
    archive = load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))
    wanted = publish.wanted_pages(archive)
    assert [w.title for w in wanted][:2] == ["Wikimedia Clinics/001", "Wikimedia Clinics/002"]
    assert [w.title for w in wanted][-2:] == ["Wikimedia Clinics/Tools and resources", "Wikimedia Clinics"]
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


def test_changes_are_applied_in_order_and_failures_reported() -> None:
    client, _, _ = api(TOKEN, Response({"error": {"code": "editconflict", "info": "conflict"}}),
                       Response({"edit": {"result": "Success", "newrevid": 9, "newtimestamp": "t"}}))
    base = Revision("A", True, "old", 1, "ts", read_at="now")
    changes = [Change("A", Action.EDIT, "s", "new", base), Change("B", Action.CREATE, "s", "b", Revision("B", False)),
               Change("C", Action.UNCHANGED, "s", "c", Revision("C", True, "c", 5, "t5")),
               Change("D", Action.REFUSED, "s", "", Revision("D", True), "broken", "fix it")]
    outcomes = publish.apply(client, changes)
    assert [(o.change.title, o.revid, o.error) for o in outcomes] == [
        ("A", 0, "edit conflict: someone changed the page since it was read; nothing was overwritten"),
        ("B", 9, ""), ("C", 5, ""), ("D", 0, "broken\n  hint: fix it")]
