"""Planning a publish: what each page should say, and whether it is ours to change.

`plan` decides from each page's current revision and the publish log (log.py) what
publishing does to it. A page is contested when it holds work that is not ours: it no
longer holds the text we last sent (someone edited it since), we never published it (it
may be someone's draft), it was deleted since we published it, or, on the main page, the
text between the markers of a section we sent was edited or its markers removed. A
contested page is refused unless --overwrite names it. Broken markers (one missing,
repeated, out of order) are always refused: publish would not know where a section ends.
Everything outside the markers of the main page is people's and always kept, so the main
page is never contested for it, and the first publish may add its sections to a main page
written by people. `explain` lists the edits that contest a page, for the report and for
the summary of an edit that overwrites them.
"""
from __future__ import annotations

import dataclasses
import difflib
import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pipeline.deliver.wiki.api import Api, Event, Revision, saved_form
from pipeline.deliver.wiki.log import Entry, PUBLISH_LOG, text_hash
from pipeline.model.archive import Archive
from pipeline.render.wiki import page as wikitext, pages as wikipages



class Action(enum.Enum):
    CREATE = "create"
    EDIT = "edit"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


class Reason(enum.Enum):
    """Why a page holds work that is not ours."""

    NOT_OURS = "not-ours"  # it exists, and we never published it
    EDITED = "edited"  # it no longer holds the text we last sent
    DELETED = "deleted"  # we published it, and someone deleted it since
    MOVED = "moved"  # we published it, and someone moved it to another title since, leaving no redirect
    EDITED_INSIDE = "edited-inside"  # the main page: edited between the markers of a section we sent
    MARKERS_REMOVED = "markers-removed"  # the main page: both markers of a section we sent are gone
    MARKERS_BROKEN = "markers-broken"  # the main page: a marker missing, repeated or out of order


@dataclass(frozen=True)
class Wanted:
    """What one page should say after publishing."""

    title: str
    summary: str
    text: str = ""  # the whole page; for the main page, see `sections`
    sections: tuple[wikipages.GeneratedSection, ...] = ()  # the main page: only these change
    source: str = ""  # the file a person edits to change the page

    def hashes(self) -> tuple[tuple[str, str], ...]:
        """Return the hash of each generated section, markers included, by name."""
        return tuple(sorted((s.name, text_hash(wikipages.marked(s))) for s in self.sections))


@dataclass(frozen=True)
class Contest:
    """Why a page is not ours to edit, and the edits of others on it since our last publish."""

    reason: Reason
    problem: str
    hint: str
    since: int = 0  # our last revision of the page; 0 when we never published it
    after: int = 0  # every revision after this one, but `since`, is someone else's
    edits: tuple[Event, ...] = ()  # newest first, filled in by `explain`
    more: bool = False  # the page has more such edits than `edits`
    own: bool = False  # every one of `edits` is publish's own: the publish log is behind the wiki


@dataclass(frozen=True)
class Change:
    """What publishing does to one page, decided from its current revision and the publish log."""

    title: str
    action: Action
    summary: str
    text: str
    current: Revision
    contest: Contest | None = None
    overwrite: bool = False  # contested, and --overwrite names it
    sections: tuple[tuple[str, str], ...] = ()  # the main page: hashes of the sections sent
    adopted: bool = False  # contested by publish's own edits only, and --adopt takes them into the log

    @property
    def note(self) -> str:
        """Return what an overwriting edit says it overwrites; "" for any other change."""
        return overwrite_note(self.contest) if self.overwrite and self.contest else ""


# ------------------------------------------------------------------ what to publish

def wanted_pages(archive: Archive) -> list[Wanted]:
    """Return every page publish writes: the digests, the tools page, then the main page's sections."""
    found = []
    for page in wikipages.pages_of(archive):
        if page.digest is not None:
            summary = f"Digest of Wikimedia Clinic #{page.digest.number_text} ({page.digest.language})"
            found.append(Wanted(page.title, summary, wikitext.page_text(archive, page.digest),
                                source=page.digest.path))
        elif page.file == wikipages.FOLLOWUPS_FILE:
            found.append(Wanted(page.title, "List of the follow-ups promised on Wikimedia Clinics calls",
                                page.text, source="the digests"))
        elif page.file == wikipages.TRANSLATIONS_FILE:
            found.append(Wanted(page.title, "Which digests of the Wikimedia Clinics exist in which language",
                                page.text, source="the digests"))
        else:
            found.append(Wanted(page.title, "List of the tools and resources mentioned in the Wikimedia Clinics",
                                page.text, source=archive.catalog.path))
    sections = tuple(wikipages.main_sections(archive))
    names = ", ".join(section.name for section in sections)
    found.append(Wanted(archive.site.wiki.page_prefix, f"Update the generated sections ({names}) from the digests",
                        sections=sections, source="the digests"))
    return found


def plan(wanted: Sequence[Wanted], current: Mapping[str, Revision], log: Mapping[str, Entry],
         overwrite: Collection[str] = ()) -> list[Change]:
    """Return what publishing does to each page, given its current revision and our last edit of it."""
    changes = []
    for page in wanted:
        revision = current.get(page.title) or Revision(page.title, exists=False)
        decide = _plan_main if page.sections else _plan_whole
        changes.append(decide(page, revision, log.get(page.title), page.title in overwrite))
    return changes


def _plan_whole(page: Wanted, revision: Revision, entry: Entry | None, overwrite: bool) -> Change:
    if revision.exists and same_text(revision.text, page.text):
        return Change(page.title, Action.UNCHANGED, page.summary, page.text, revision)
    contest = None
    if entry is None and revision.exists:
        contest = _contest(Reason.NOT_OURS, page, entry)
    elif entry is not None and not revision.exists:
        contest = _contest(Reason.DELETED, page, entry)
    elif entry is not None and text_hash(revision.text) != entry.sha256:
        contest = _contest(Reason.EDITED, page, entry)
    action = Action.EDIT if revision.exists else Action.CREATE
    return _decide(page, action, page.text, revision, contest, overwrite)


def _plan_main(page: Wanted, revision: Revision, entry: Entry | None, overwrite: bool) -> Change:
    """Plan the main page: only our sections change; people's edits between their markers contest it."""
    on_wiki = revision.text if revision.exists else ""
    if entry is not None and not revision.exists:
        contest = _contest(Reason.DELETED, page, entry)
        return _decide(page, Action.CREATE, wikipages.splice("", page.sections), revision, contest, overwrite)
    removed, edited = [], []
    for section in page.sections:
        try:
            span = wikipages.section_span(on_wiki, section.name)
        except wikipages.MarkerError as exc:
            return Change(page.title, Action.REFUSED, page.summary, "", revision, _broken(page, entry, exc),
                          sections=page.hashes())
        logged = entry.section(section.name) if entry else None
        if logged is not None and span is None:
            removed.append(section.name)
        elif logged is not None and span is not None and text_hash(on_wiki[span[0]:span[1]]) != logged:
            edited.append(section.name)
    text = wikipages.splice(on_wiki, page.sections)
    if revision.exists and same_text(on_wiki, text):
        return Change(page.title, Action.UNCHANGED, page.summary, text, revision, sections=page.hashes())
    found = _main_contest(page, entry, removed, edited) if entry is not None and (removed or edited) else None
    action = Action.EDIT if revision.exists else Action.CREATE
    return _decide(page, action, text, revision, found, overwrite)


def _decide(page: Wanted, action: Action, text: str, revision: Revision, contest: Contest | None,
            overwrite: bool) -> Change:
    if contest is not None and not overwrite:
        action = Action.REFUSED
    return Change(page.title, action, page.summary, text, revision, contest, contest is not None and overwrite,
                  page.hashes())


def _contest(reason: Reason, page: Wanted, entry: Entry | None) -> Contest:
    """Return why whole page `page` is contested, and how to resolve it."""
    flag = f"--overwrite '{page.title}'"
    since = entry.revid if entry else 0
    if reason is Reason.NOT_OURS:
        return Contest(reason, f"the page exists, but publish never published it on this wiki (it is not in "
                               f"{PUBLISH_LOG}): it may be someone's draft",
                       f"look at the page: if it may be replaced, publish with {flag}; if it is a draft to keep, "
                       "move it to another title on the wiki first")
    if reason is Reason.DELETED:
        return Contest(reason, f"the page was deleted on the wiki since publish saved revision {since}",
                       f"find out why in the deletion log; to create it again anyway, publish with {flag}",
                       since, entry.base if entry else 0)
    return Contest(reason, f"the page was edited on the wiki since publish saved revision {since}",
                   f"if their change should stay, make it in {page.source} too; then publish with {flag} "
                   "(the diff shows what that would replace)", since, entry.base if entry else 0)


def _main_contest(page: Wanted, entry: Entry, removed: Sequence[str], edited: Sequence[str]) -> Contest:
    flag = f"--overwrite '{page.title}'"
    problems, hints = [], []
    if edited:
        problems.append(f"the generated section{_s(edited)} {_names(edited)} {_was(edited)} edited between "
                        f"{_its(edited)} markers since publish saved revision {entry.revid}")
        hints.append("the text between the markers is made from the digests and is replaced at every publish: "
                     "if their change should stay, make it in the digests or move it outside the markers; then "
                     f"publish with {flag}")
    if removed:
        lines = " and ".join(f"'{wikipages.begin_marker(n)}' and '{wikipages.end_marker(n)}'" for n in removed)
        problems.append(f"the markers of the generated section{_s(removed)} {_names(removed)} were removed since "
                        f"publish saved revision {entry.revid}")
        hints.append(f"put back the lines {lines} where the section belongs (revision {entry.revid} of the page "
                     f"has them), or publish with {flag} to add it again before the next generated section or "
                     "at the end of the page")
    reason = Reason.EDITED_INSIDE if edited else Reason.MARKERS_REMOVED
    return Contest(reason, "; ".join(problems), "; ".join(hints), entry.revid, entry.base)


def _broken(page: Wanted, entry: Entry | None, error: wikipages.MarkerError) -> Contest:
    """Return why broken markers stop the main page: --overwrite cannot say where a section ends."""
    if entry is None or entry.section(error.name) is None:
        return Contest(Reason.MARKERS_BROKEN, str(error), error.hint)
    hint = (f"restore exactly one '{wikipages.begin_marker(error.name)}' line and, after it, one "
            f"'{wikipages.end_marker(error.name)}' line, as in revision {entry.revid} of the page, the last one "
            f"publish saved; or remove both and publish with --overwrite '{page.title}' to have the section added "
            "again (--overwrite alone cannot mend them: publish would not know where the section ends)")
    return Contest(Reason.MARKERS_BROKEN, str(error), hint, entry.revid, entry.base)


def _s(names: Sequence[str]) -> str:
    return "" if len(names) == 1 else "s"


def _was(names: Sequence[str]) -> str:
    return "was" if len(names) == 1 else "were"


def _its(names: Sequence[str]) -> str:
    return "its" if len(names) == 1 else "their"


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def same_text(saved: str, text: str) -> bool:
    """Return True when saving `text` over `saved` would change nothing."""
    return saved_form(saved) == saved_form(text)


# How every edit summary of publish begins (wanted_pages): how its own edits are told from people's.
OWN_SUMMARIES = ("Digest of Wikimedia Clinic #", "List of the tools and resources mentioned in the Wikimedia Clinics",
                 "List of the follow-ups promised on Wikimedia Clinics calls",
                 "Which digests of the Wikimedia Clinics exist in which language", "Update the generated sections")
_ADOPTABLE = (Reason.NOT_OURS, Reason.EDITED, Reason.EDITED_INSIDE)


def is_own(event: Event, bot: str) -> bool:
    """Return True for an edit publish made: by the bot's account, with one of publish's summaries."""
    return event.kind == "edit" and event.user == bot and event.comment.startswith(OWN_SUMMARIES)


def explain(api: Api, change: Change, bot: str = "", adopt: bool = False) -> Change:
    """Return `change` with the edits that contest it and, when overwriting them, a summary that says so.

    `bot` is the account publish edits as (the name before "@"): when every edit that contests a
    page is its own, the publish log is behind the wiki (a publish from another checkout, or the wiki
    at another address). The refusal says so; with `adopt`, the page is taken as publish's own.
    """
    contest = change.contest
    if contest is None or (contest.reason is Reason.MARKERS_BROKEN and not contest.since):
        return change
    if contest.reason is Reason.DELETED:
        deletion, moved = api.deletion(change.title), api.move(change.title)
        edits, more = ([deletion] if deletion else []), False
        if moved is not None and (deletion is None or moved.timestamp > deletion.timestamp):
            contest, edits = _moved(change.title, contest, moved), [moved]
    else:
        found, more = api.history(change.title)
        edits = [e for e in found if e.revid > contest.after and e.revid != contest.since]
        more = more and (not found or found[-1].revid > contest.after)
    own = (contest.reason in _ADOPTABLE and bool(edits) and not more and bool(bot)
           and all(is_own(e, bot) for e in edits))
    if own:
        contest = _behind(change.title, contest, bot)
        if adopt:
            action = Action.UNCHANGED if same_text(change.current.text, change.text) else Action.EDIT
            return dataclasses.replace(change, action=action, contest=None, overwrite=False, adopted=True)
    explained = dataclasses.replace(change, contest=dataclasses.replace(contest, edits=tuple(edits), more=more,
                                                                        own=own))
    return dataclasses.replace(explained, summary=f"{change.summary}; {explained.note}") if explained.note else explained


def _behind(title: str, contest: Contest, bot: str) -> Contest:
    """Return `contest` told as what it is: publish's own edits that this checkout's log does not know."""
    since = f"since revision {contest.since}" if contest.since else "of it"
    return dataclasses.replace(contest, problem=(
        f"{contest.problem}; but every edit {since} is publish's own (by {bot}, with publish's summary): "
        f"this checkout's {PUBLISH_LOG} is behind the wiki"),
        hint=("it happens when publishing from another checkout, or to the same wiki under another address: "
              "run publish --adopt to take these revisions into the log (it edits only where the digests "
              "changed since), or copy the log of the checkout that made them"))


def _moved(title: str, contest: Contest, move: Event) -> Contest:
    """Return why a page moved away from `title` without a redirect is not created again."""
    target = move.target or "another title"
    return dataclasses.replace(contest, reason=Reason.MOVED, problem=(
        f"the page was moved to '{target}' since publish saved revision {contest.since}, leaving no redirect"),
        hint=(f"publish writes the page under its own title: to go on publishing it, move '{target}' back to "
              f"'{title}' on the wiki (Special:MovePage); --overwrite '{title}' would create a second copy "
              "beside the moved page"))


def overwrite_note(contest: Contest) -> str:
    """Return what overwriting `contest` does, for the edit summary: whose edits it replaces."""
    users = _users(contest.edits, contest.more)
    if contest.reason is Reason.DELETED:
        return f"creates again the page deleted by {users}"
    if contest.reason is Reason.MOVED:
        target = next((e.target for e in contest.edits if e.kind == "move" and e.target), "another title")
        return f"creates again the page {users} moved to {target}"
    if contest.reason is Reason.NOT_OURS:
        return f"overwrites the edits of {users} (a page clinics had not published)"
    if contest.reason is Reason.EDITED:
        return f"overwrites the edits of {users} since revision {contest.since}"
    # On the main page, an edit since ours may have been outside the markers: name the editors, not the culprits.
    done = ("overwrites the edits between the markers" if contest.reason is Reason.EDITED_INSIDE
            else "adds again the generated sections whose markers were removed")
    return f"{done} since revision {contest.since} (edited since by {users})"


def _users(edits: Sequence[Event], more: bool) -> str:
    """Return who made `edits` (newest first), oldest first: "User:A, User:B and 2 more"."""
    names = list(dict.fromkeys(f"User:{e.user}" for e in reversed(edits) if e.user and e.user != "(hidden)"))
    if not names:
        return "others"
    if len(names) > 3:
        names = names[:3] + [f"{len(names) - 3} more"]
    elif more or any(e.user in ("", "(hidden)") for e in edits):
        names.append("others")
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def diff(change: Change) -> str:
    """Return the unified diff of `change`, from the wiki's text to the text to publish."""
    current = change.current
    before = current.text.splitlines(keepends=True) if current.exists else []
    after = saved_form(change.text).splitlines(keepends=True)
    where = f"revision {current.revid} on the wiki" + (f", by {current.user}" if current.user else "")
    lines = list(difflib.unified_diff(before, after, f"{change.title} ({where if current.exists else 'no page'})",
                                      f"{change.title} (to publish)"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
