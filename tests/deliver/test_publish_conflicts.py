"""`publish` against a real MediaWiki where people edit the pages too: nobody's edit is ever lost.

Each test publishes a small archive of its own under its own page prefix on the session's
wiki (tests/mediawiki.py). "Person" is an ordinary user of that wiki; the bot is its
administrator. publish runs in this process, so that a test can edit a page between
publish's read and its write, or interrupt it.
"""
from __future__ import annotations

import contextlib
import io
import re
import shutil
import signal
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DIGESTS, Result
from mediawiki import LocalWiki, mediawiki  # noqa: F401

from pipeline.cli import main
from pipeline.deliver.wiki import publish as publish_module
from pipeline.deliver.wiki.api import Api, Revision, Saved
from pipeline.deliver.wiki.log import PUBLISH_LOG, PublishLog

pytestmark = pytest.mark.mediawiki

DIGEST = """\
---
number: {number}
date: 2020-0{number}-15
---
## Finding pictures

* A volunteer asked how to find the articles of a category that lack a picture.
* The answer was to try [Quarry][].

## Translations

* Someone asked about translations.
* The answer: ask on the village pump.
"""
ANSWER = "* The answer: ask on the village pump."
QUESTION = "* A volunteer asked how to find the articles of a category that lack a picture."


@pytest.fixture
def archive(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """Return a folder of two digests whose pages live under a prefix of this test's own."""
    folder = tmp_path / "digests"
    folder.mkdir()
    prefix = "Clinics " + re.sub(r"[^A-Za-z0-9]+", " ", request.node.name.removeprefix("test_")).strip()
    site = (DIGESTS / "site.yaml").read_text(encoding="utf-8")
    (folder / "site.yaml").write_text(site.replace("page_prefix: Wikimedia Clinics", f"page_prefix: {prefix}"),
                                      encoding="utf-8")
    shutil.copy(DIGESTS / "catalog.yaml", folder / "catalog.yaml")
    for number in (1, 2):
        (folder / f"00{number}.md").write_text(DIGEST.format(number=number), encoding="utf-8")
    return folder


def prefix_of(folder: Path) -> str:
    return re.search(r"page_prefix: (.*)", (folder / "site.yaml").read_text(encoding="utf-8"))[1]  # type: ignore[index]


def publish(wiki: LocalWiki, folder: Path, *flags: str) -> Result:
    """Run `clinics publish` in this process as the bot, and return its status and output."""
    out, err = io.StringIO(), io.StringIO()
    handler = signal.getsignal(signal.SIGTERM)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["publish", "--digests", str(folder), "--api-url", wiki.api_url, "--user", wiki.bot_user,
                           "--today", "2026-01-01", *flags])
    finally:
        signal.signal(signal.SIGTERM, handler)
    return Result(status, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def _password(mediawiki: LocalWiki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICS_WIKI_PASSWORD", mediawiki.bot_password)


def change(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def text_of(wiki: LocalWiki, title: str) -> str:
    current = wiki.current(title)
    assert current is not None
    return current[1]


def logged(folder: Path, wiki: LocalWiki, title: str) -> int:
    entry = PublishLog.load(folder / PUBLISH_LOG, wiki.api_url).get(title)
    return entry.revid if entry else 0


# ------------------------------------------------------------------ people's edits between two publishes

def test_a_person_s_edit_is_refused_until_overwrite_names_it(mediawiki: LocalWiki, archive: Path) -> None:
    page, other = f"{prefix_of(archive)}/001", f"{prefix_of(archive)}/002"
    first = publish(mediawiki, archive, "--yes")
    assert first.status == 0, first.err
    ours = logged(archive, mediawiki, page)
    theirs = mediawiki.person().edit(page, text_of(mediawiki, page) + "\n* A line added by a person.", "add a line")
    change(archive, "001.md", "village pump.", "village pump or the help desk.")
    change(archive, "002.md", "village pump.", "village pump or the help desk.")

    dry = publish(mediawiki, archive)
    assert dry.status == 1
    refusal = (f"refused   {page}: the page was edited on the wiki since publish saved revision {ours}\n"
               f"  revision {theirs} by Person at ")
    assert refusal in dry.err and ': "add a line"\n' in dry.err
    assert (f"  hint: if their change should stay, make it in {archive}/001.md too; then publish with --overwrite "
            f"'{page}' (the diff shows what that would replace)") in dry.err
    assert f"--- {page} (revision {theirs} on the wiki, by Person)\n+++ {page} (to publish)\n" in dry.out
    assert "\n-* A line added by a person.\n" in dry.out and "\n+* The answer: ask on the village pump or" in dry.out
    assert f"would edit      {other}\n" in dry.err
    assert "dry run: 0 to create, 1 to edit, 3 unchanged, 1 refused; nothing was changed" in dry.err

    refused = publish(mediawiki, archive, "--yes")
    assert refused.status == 1 and refusal in refused.err and "\n-* A line added by a person.\n" in refused.out
    assert "published: 0 created, 1 edited, 3 unchanged, 1 refused, 0 failed" in refused.err
    assert mediawiki.current(page)[0] == theirs  # type: ignore[index]  # their text intact
    assert "village pump or the help desk" in text_of(mediawiki, other)  # the other pages are published

    note = f"overwrites the edits of User:Person since revision {ours}"
    dry = publish(mediawiki, archive, "--overwrite", page, "--overwrite", other)
    assert dry.status == 0, dry.err
    assert f"would edit      {page} ({note})\n" in dry.err and "\n-* A line added by a person.\n" in dry.out
    assert f"note: --overwrite '{other}' is not needed: the page holds no one else's edits\n" in dry.err
    assert mediawiki.current(page)[0] == theirs  # type: ignore[index]

    forced = publish(mediawiki, archive, "--yes", "--overwrite", page)
    assert forced.status == 0, forced.err
    assert re.search(rf"^edited    {re.escape(page)} \(revision \d+; {note}\)$", forced.err, re.MULTILINE)
    latest = mediawiki.history(page)[0]
    assert latest["comment"] == f"Digest of Wikimedia Clinic #001 (en); {note}"
    assert "A line added by a person" not in text_of(mediawiki, page)
    assert logged(archive, mediawiki, page) == latest["revid"]

    again = publish(mediawiki, archive, "--yes")
    assert again.status == 0 and "published: 0 created, 0 edited, 5 unchanged, 0 refused, 0 failed" in again.err


def test_a_page_written_by_hand_before_the_first_publish_is_not_overwritten(mediawiki: LocalWiki,
                                                                            archive: Path) -> None:
    page = f"{prefix_of(archive)}/002"
    draft = mediawiki.person().edit(page, "A draft of the digest, by a person.", "start a draft")
    result = publish(mediawiki, archive, "--yes")
    assert result.status == 1
    assert (f"refused   {page}: the page exists, but publish never published it on this wiki (it is not in "
            f"publish-log.json): it may be someone's draft\n  revision {draft} by Person at ") in result.err
    assert "published: 4 created, 0 edited, 0 unchanged, 1 refused, 0 failed" in result.err
    assert text_of(mediawiki, page) == "A draft of the digest, by a person."

    forced = publish(mediawiki, archive, "--yes", "--overwrite", page.replace(" ", "_"))
    assert forced.status == 0, forced.err
    assert mediawiki.history(page)[0]["comment"] == ("Digest of Wikimedia Clinic #002 (en); overwrites the edits "
                                                     "of User:Person (a page clinics had not published)")
    assert "Topic 2: Finding pictures" in text_of(mediawiki, page)


def test_a_deleted_page_is_not_created_again_unless_overwritten(mediawiki: LocalWiki, archive: Path) -> None:
    page = f"{prefix_of(archive)}/002"
    assert publish(mediawiki, archive, "--yes").status == 0
    mediawiki.delete(page, "a test of deletion")
    result = publish(mediawiki, archive, "--yes")
    assert result.status == 1 and mediawiki.current(page) is None
    assert (f"refused   {page}: the page was deleted on the wiki since publish saved revision "
            f"{logged(archive, mediawiki, page)}\n  deleted by Admin at ") in result.err
    assert ': "a test of deletion"\n' in result.err
    forced = publish(mediawiki, archive, "--yes", "--overwrite", page)
    assert forced.status == 0, forced.err
    assert mediawiki.history(page)[0]["comment"] == ("Digest of Wikimedia Clinic #002 (en); creates again the "
                                                     "page deleted by User:Admin")


# ------------------------------------------------------------------ edits racing with publish

class Racing(Api):
    """The Action API, but someone saves an edit of one page just before publish saves its own."""

    title = ""
    editor: LocalWiki | None = None
    old, new = "", ""

    def edit(self, title: str, text: str, summary: str, base: Revision) -> Saved:
        if title == Racing.title and Racing.editor is not None:
            Racing.editor.edit(title, base.text.replace(Racing.old, Racing.new), "an edit racing with the bot")
        return super().edit(title, text, summary, base)


@pytest.fixture
def racing(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Racing]]:
    monkeypatch.setattr(publish_module, "Api", Racing)
    yield Racing
    Racing.editor = None


@pytest.mark.parametrize("who", ["Person", "Admin"])
def test_an_edit_racing_with_ours_is_an_edit_conflict(mediawiki: LocalWiki, archive: Path, racing: type[Racing],
                                                      who: str) -> None:
    page = f"{prefix_of(archive)}/001"
    assert publish(mediawiki, archive, "--yes").status == 0
    ours = logged(archive, mediawiki, page)
    change(archive, "001.md", "village pump.", "village pump or the help desk.")
    # The same line, changed by someone else; "Admin" is the bot's own account, used by a person.
    racing.title, racing.old, racing.new = page, ANSWER, f"{ANSWER} Said {who}."
    racing.editor = mediawiki.person() if who == "Person" else mediawiki
    result = publish(mediawiki, archive, "--yes")
    assert result.status == 1
    theirs = mediawiki.current(page)
    assert theirs is not None and f"Said {who}." in theirs[1] and "help desk" not in theirs[1]
    assert (f'failed    {page}: edit conflict: revision {theirs[0]} by {who} ("an edit racing with the bot") was '
            f"saved after publish read revision {ours}; nothing was overwritten; run publish again to see their "
            "change\n") in result.err
    assert "published: 0 created, 0 edited, 4 unchanged, 0 refused, 1 failed" in result.err
    assert logged(archive, mediawiki, page) == ours

    racing.editor = None
    after = publish(mediawiki, archive)
    assert f"refused   {page}: the page was edited on the wiki since publish saved revision {ours}" in after.err
    assert f"  revision {theirs[0]} by {who} at " in after.err


def test_an_edit_mediawiki_merges_with_ours_is_reported_and_then_refused(mediawiki: LocalWiki, archive: Path,
                                                                         racing: type[Racing]) -> None:
    page = f"{prefix_of(archive)}/001"
    assert publish(mediawiki, archive, "--yes").status == 0
    ours = logged(archive, mediawiki, page)
    change(archive, "001.md", "village pump.", "village pump or the help desk.")
    racing.title, racing.old, racing.new = page, QUESTION, f"{QUESTION} (Asked in Spanish.)"
    racing.editor = mediawiki.person()
    result = publish(mediawiki, archive, "--yes")
    assert result.status == 0, result.err
    theirs = mediawiki.history(page)[1]["revid"]
    assert re.search(rf"^edited    {re.escape(page)} \(revision \d+; MediaWiki merged it with revision {theirs}, "
                     rf"saved after publish read revision {ours}: check the page\)$", result.err, re.MULTILINE)
    merged = text_of(mediawiki, page)
    assert "(Asked in Spanish.)" in merged and "help desk" in merged  # both edits are there
    racing.editor = None
    after = publish(mediawiki, archive)  # the page is not the text we sent: theirs is in it
    assert after.status == 1
    assert f"refused   {page}: the page was edited on the wiki since publish saved revision " in after.err
    assert f"  revision {theirs} by Person at " in after.err and "\n-* A volunteer asked" in after.out


def test_an_interrupted_publish_does_the_rest_exactly_once(mediawiki: LocalWiki, archive: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = prefix_of(archive)

    class Interrupted(Api):
        def edit(self, title: str, text: str, summary: str, base: Revision) -> Saved:
            saved = super().edit(title, text, summary, base)
            if title == f"{prefix}/002":
                raise KeyboardInterrupt  # after the wiki saved the page, before the log says so
            return saved

    monkeypatch.setattr(publish_module, "Api", Interrupted)
    assert publish(mediawiki, archive, "--yes").status == 130
    assert set(PublishLog.load(archive / PUBLISH_LOG, mediawiki.api_url).entries) == {f"{prefix}/001"}
    monkeypatch.setattr(publish_module, "Api", Api)
    result = publish(mediawiki, archive, "--yes")
    assert result.status == 0, result.err
    assert "published: 3 created, 0 edited, 2 unchanged, 0 refused, 0 failed" in result.err
    titles = [f"{prefix}/001", f"{prefix}/002", f"{prefix}/Tools and resources", f"{prefix}/Translations", prefix]
    assert [len(mediawiki.history(title)) for title in titles] == [1, 1, 1, 1, 1]
    assert set(PublishLog.load(archive / PUBLISH_LOG, mediawiki.api_url).entries) == set(titles)


# ------------------------------------------------------------------ the main page's markers

def test_the_main_page_keeps_edits_outside_the_markers_and_refuses_edits_inside(mediawiki: LocalWiki,
                                                                                 archive: Path) -> None:
    main_page = prefix_of(archive)
    person = mediawiki.person()
    assert publish(mediawiki, archive, "--yes").status == 0
    outside = person.edit(main_page, "A paragraph written by a person.\n\n" + text_of(mediawiki, main_page))
    (archive / "003.md").write_text(DIGEST.format(number=3), encoding="utf-8")
    updated = publish(mediawiki, archive, "--yes")
    assert updated.status == 0, updated.err
    text = text_of(mediawiki, main_page)
    assert text.startswith("A paragraph written by a person.\n\n<!-- clinics:begin upcoming") and "|003]]" in text
    assert mediawiki.history(main_page)[1]["revid"] == outside  # our edit was made over theirs
    ours = logged(archive, mediawiki, main_page)

    inside = person.edit(main_page, text.replace("{| class=", "A person's note in the table.\n{| class="))
    refused = publish(mediawiki, archive, "--yes")
    assert refused.status == 1
    assert (f"refused   {main_page}: the generated section 'archive' was edited between its markers since "
            f"publish saved revision {ours}\n  revision {inside} by Person at ") in refused.err
    assert "\n-A person's note in the table.\n" in refused.out
    assert mediawiki.current(main_page)[0] == inside  # type: ignore[index]

    forced = publish(mediawiki, archive, "--yes", "--overwrite", main_page)
    assert forced.status == 0, forced.err
    text = text_of(mediawiki, main_page)
    assert "A person's note" not in text and text.startswith("A paragraph written by a person.")
    assert mediawiki.history(main_page)[0]["comment"].endswith(
        f"; overwrites the edits between the markers since revision {ours} (edited since by User:Person)")


def test_markers_removed_or_broken_on_a_published_main_page_are_refused(mediawiki: LocalWiki,
                                                                        archive: Path) -> None:
    main_page = prefix_of(archive)
    person = mediawiki.person()
    assert publish(mediawiki, archive, "--yes").status == 0
    ours = logged(archive, mediawiki, main_page)
    text = text_of(mediawiki, main_page)
    begin = re.search(r"<!-- clinics:begin upcoming .*?-->\n", text)[0]  # type: ignore[index]

    removed = person.edit(main_page, text.replace(begin, "").replace("<!-- clinics:end upcoming -->\n", ""))
    result = publish(mediawiki, archive, "--yes")
    assert result.status == 1 and mediawiki.current(main_page)[0] == removed  # type: ignore[index]
    assert (f"refused   {main_page}: the markers of the generated section 'upcoming' were removed since publish "
            f"saved revision {ours}\n") in result.err
    assert (f"  hint: put back the lines '{begin.strip()}' and '<!-- clinics:end upcoming -->' where the section "
            f"belongs (revision {ours} of the page has them), or publish with --overwrite '{main_page}'") in result.err

    broken = person.edit(main_page, text.replace("<!-- clinics:end archive -->", ""))
    for flags in ((), ("--overwrite", main_page)):
        result = publish(mediawiki, archive, "--yes", *flags)
        assert result.status == 1 and mediawiki.current(main_page)[0] == broken  # type: ignore[index]
        assert (f"refused   {main_page}: the markers of the generated section 'archive' appear 1 (begin) and 0 "
                f"(end) times, not once each\n  revision {broken} by Person at ") in result.err
        assert f"as in revision {ours} of the page, the last one publish saved" in result.err


# ------------------------------------------------------------------ what editors met on a real wiki (issue 20)

def test_a_digest_saved_decomposed_is_published_and_then_unchanged(mediawiki: LocalWiki, archive: Path) -> None:
    """MediaWiki stores NFC and checks the md5 of what it stored: NFD text failed every publish with badmd5."""
    decomposed = unicodedata.normalize("NFD", "Fotos del Café")
    change(archive, "001.md", "## Finding pictures", f"## {decomposed}")
    first = publish(mediawiki, archive, "--yes")
    assert first.status == 0, first.err
    assert "Topic 2: Fotos del Café" in text_of(mediawiki, f"{prefix_of(archive)}/001")
    again = publish(mediawiki, archive, "--yes")
    assert again.status == 0 and "published: 0 created, 0 edited, 5 unchanged, 0 refused, 0 failed" in again.err


def test_a_page_moved_without_a_redirect_is_reported_as_moved(mediawiki: LocalWiki, archive: Path) -> None:
    page = f"{prefix_of(archive)}/002"
    assert publish(mediawiki, archive, "--yes").status == 0
    ours = logged(archive, mediawiki, page)
    mediawiki.move(page, f"{page} (moved)", "a better title")
    result = publish(mediawiki, archive)
    assert result.status == 1
    assert (f"refused   {page}: the page was moved to '{page} (moved)' since publish saved revision {ours}, leaving "
            f"no redirect\n  moved to '{page} (moved)' by Admin at ") in result.err
    assert ': "a better title"\n' in result.err and "deleted" not in result.err
    assert (f"  hint: publish writes the page under its own title: to go on publishing it, move '{page} (moved)' "
            f"back to '{page}' on the wiki (Special:MovePage); --overwrite '{page}' would create a second copy "
            "beside the moved page\n") in result.err
    forced = publish(mediawiki, archive, "--yes", "--overwrite", page)
    assert forced.status == 0, forced.err
    assert mediawiki.history(page)[0]["comment"] == ("Digest of Wikimedia Clinic #002 (en); creates again the page "
                                                     f"User:Admin moved to {page} (moved)")


def test_a_bot_password_without_the_edit_grant_is_named_before_any_edit(mediawiki: LocalWiki,
                                                                        archive: Path) -> None:
    user, password = mediawiki.grant_bot_password("readonly", "basic")
    result = Result(*_publish_as(mediawiki, archive, user, password))
    assert result.status == 1
    assert (f"error: '{user}' is logged in but may not create or edit pages: it lacks the rights 'edit' and "
            "'createpage'\n  hint: on the wiki, open Special:BotPasswords/readonly as Admin and tick 'Edit existing "
            "pages' (editpage) and 'Create, edit, and move pages' (createeditmovepage); nothing was changed") \
        in result.err
    assert mediawiki.current(prefix_of(archive)) is None  # nothing was created


def _publish_as(wiki: LocalWiki, folder: Path, user: str, password: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLINICS_WIKI_PASSWORD", password)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["publish", "--digests", str(folder), "--api-url", wiki.api_url, "--user", user,
                           "--today", "2026-01-01", "--yes"])
    return status, out.getvalue(), err.getvalue()


def test_new_pages_are_linked_blue_from_pages_saved_before_them(mediawiki: LocalWiki, archive: Path) -> None:
    """The versions of a call link to each other: the first saved linked to a page that did not exist yet."""
    (archive / "002.es.md").write_text(DIGEST.format(number=2).replace("date:", "language: es\ncall_language: en\ndate:"),
                                       encoding="utf-8")
    result = publish(mediawiki, archive, "--yes")
    assert result.status == 0, result.err
    assert "purged    " in result.err
    prefix = prefix_of(archive)
    html = mediawiki.session.get(mediawiki.api_url.replace("/w/api.php", f"/wiki/{prefix}/002")).text
    links = re.findall(r'<a href="([^"]*)"[^>]*>Español</a>', html)
    assert links and "redlink=1" not in links[0], links


def test_a_publish_log_behind_the_wiki_is_recognised_and_adopted(mediawiki: LocalWiki, archive: Path,
                                                                 tmp_path: Path) -> None:
    """A second checkout (or the wiki at another address) took the bot's own edits for people's."""
    page = f"{prefix_of(archive)}/001"
    assert publish(mediawiki, archive, "--yes").status == 0
    behind = (archive / PUBLISH_LOG).read_bytes()
    other = tmp_path / "other"
    shutil.copytree(archive, other)
    change(archive, "001.md", "village pump.", "village pump or the help desk.")
    assert publish(mediawiki, archive, "--yes").status == 0  # the first checkout publishes a change
    ours = logged(archive, mediawiki, page)
    (other / PUBLISH_LOG).write_bytes(behind)
    change(other, "001.md", "village pump.", "village pump or a mentor.")  # and this one another
    dry = publish(mediawiki, other)
    assert dry.status == 1
    assert (f"refused   {page}: the page was edited on the wiki since publish saved revision "
            f"{logged(other, mediawiki, page)}; but every edit since revision {logged(other, mediawiki, page)} is "
            "publish's own (by Admin, with publish's summary): this checkout's publish-log.json is behind the wiki"
            ) in dry.err
    assert "run publish --adopt to take these revisions into the log" in dry.err
    adopted = publish(mediawiki, other, "--yes", "--adopt")
    assert adopted.status == 0, adopted.err
    assert re.search(rf"^edited    {re.escape(page)} \(revision (\d+); publish's own revision {ours} adopted into "
                     r"the log\)$", adopted.err, re.MULTILINE)
    assert "mentor" in text_of(mediawiki, page) and mediawiki.history(page)[1]["revid"] == ours
    assert logged(other, mediawiki, page) == mediawiki.current(page)[0]  # type: ignore[index]

    person = mediawiki.person().edit(page, text_of(mediawiki, page) + "\n* A person's line.")
    (other / PUBLISH_LOG).write_bytes(behind)
    refused = publish(mediawiki, other, "--yes", "--adopt")  # a person's edit among them: never adopted
    assert refused.status == 1 and "publish's own" not in refused.err.split(f"refused   {page}")[1].split("\n")[0]
    assert mediawiki.current(page)[0] == person  # type: ignore[index]


def test_pages_the_archive_no_longer_has_are_listed_and_kept(mediawiki: LocalWiki, archive: Path) -> None:
    page = f"{prefix_of(archive)}/002"
    assert publish(mediawiki, archive, "--yes").status == 0
    change(archive, "002.md", "date: 2020-02-15\n", "date: 2020-02-15\nstatus: draft\n")
    dry = publish(mediawiki, archive)
    assert (f"left      {page}: publish made this page, but the archive no longer has it (a digest made a draft "
            "again, renamed or removed); it stays on the wiki\n") in dry.err
    assert publish(mediawiki, archive, "--yes").status == 0
    assert mediawiki.current(page) is not None
