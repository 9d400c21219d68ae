"""Publishing (`clinics publish`): write the archive's pages to Meta-Wiki through the MediaWiki Action API.

A dry run by default: read every page's current revision, and show as a unified diff
what publishing would change. With --yes, log in as the bot (site.yaml's wiki.user, its
bot password from the environment variable wiki.password_env) and edit: each final
digest version's page, the tools page, and only the generated sections of the main page.
A page whose text is already the same is not edited.

Publishing is planned (plan.py), then applied. A page holding someone else's work
since our last publish is refused, with their edits and a diff, unless --overwrite names
it. `apply` edits, each edit based on the revision that was read (api.Api.edit sends
baserevid), so that a page changed meanwhile comes back as an edit conflict and is
reported, never overwritten; the publish log (log.py) is rewritten after every
edit, so an interrupted publish can be run again and does the rest exactly once. A
refused or failed page makes the exit status 1, in a dry run as with --yes, once every
other page is done.
"""
from __future__ import annotations

import contextlib
import dataclasses
import difflib
import os
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from pipeline.deliver.wiki.api import Api, ApiError, WikiError, check_api_url, user_agent
from pipeline.deliver.wiki.log import Entry, PUBLISH_LOG, PublishLog, locked, text_hash
from pipeline.deliver.wiki.plan import Action, Change, Contest, diff, explain, plan, wanted_pages
from pipeline.model.archive import Archive
from pipeline.model.diagnostics import UsageError
from pipeline.model.settings import Site


SHOWN_EDITS = 10  # edits listed under a refused page; the rest are counted


@dataclass(frozen=True)
class Outcome:
    """What happened to one change: its new revision, or why it failed."""

    change: Change
    revid: int = 0
    timestamp: str = ""
    error: str = ""
    merged: int = 0  # a revision saved after ours was read, which MediaWiki merged into ours


# ------------------------------------------------------------------ editing

def apply(api: Api, changes: Iterable[Change], log: PublishLog | None = None,
          report: Callable[[Outcome], None] = lambda o: None) -> list[Outcome]:
    """Make every CREATE and EDIT change, logging each edit made; return what happened to each change."""
    outcomes = []
    for change in changes:
        if change.action in (Action.CREATE, Action.EDIT):
            outcome = _edit(api, change)
        else:
            outcome = Outcome(change, change.current.revid, change.current.timestamp)
        if log is not None and not outcome.error and change.action is not Action.REFUSED:
            _record(log, outcome)
        report(outcome)
        outcomes.append(outcome)
    return outcomes


def _edit(api: Api, change: Change) -> Outcome:
    try:
        saved = api.edit(change.title, change.text, change.summary, change.current)
    except ApiError as exc:
        return Outcome(change, error=_refusal(api, change, exc))
    if saved.unchanged:  # the wiki found nothing to change (its own normalisation of the text)
        change = dataclasses.replace(change, action=Action.UNCHANGED)
    merged = saved.replaced if change.current.exists and saved.replaced != change.current.revid else 0
    return Outcome(change, saved.revid, saved.timestamp, merged=merged)


def _refusal(api: Api, change: Change, error: ApiError) -> str:
    """Return why the wiki refused an edit; for a conflict, whose revision came in between."""
    if error.code not in ("editconflict", "articleexists"):
        return error.explain()
    try:
        now = api.revisions([change.title]).get(change.title)
    except (ApiError, WikiError):
        return error.explain()
    if now is None or not now.exists:
        return error.explain()
    comment = f' ("{now.comment}")' if now.comment else ""
    read = f"read revision {change.current.revid}" if change.current.exists else "found no page"
    return (f"edit conflict: revision {now.revid} by {now.user}{comment} was saved after publish {read}; "
            "nothing was overwritten; run publish again to see their change")


def _record(log: PublishLog, outcome: Outcome) -> None:
    """Log the revision that now holds our text; an unchanged page is logged only if the log lacked it."""
    change = outcome.change
    ours = text_hash(change.text)
    if change.action is Action.UNCHANGED:
        entry = log.get(change.title)
        if entry is not None and (entry.sections == change.sections if change.sections else entry.sha256 == ours):
            return
        current = change.current
        log.record(change.title, Entry(current.revid, current.timestamp, ours, current.revid, change.sections))
        return
    base = change.current.revid if change.current.exists else 0
    log.record(change.title, Entry(outcome.revid, outcome.timestamp, ours, base, change.sections))


# ------------------------------------------------------------------ the command

def publish(archive: Archive, api_url: str, user: str, overwrite: Sequence[str], yes: bool,
            adopt: bool = False) -> bool:
    """Show (or, with `yes`, make) the edits that bring the wiki up to date, reporting each on stderr.

    Return False when a page was refused or an edit failed, True otherwise; raise a ClinicsError
    (UsageError for an --overwrite that names no page) when nothing could be done.
    """
    check_api_url(api_url)
    wanted = wanted_pages(archive)
    titles = overwrite_titles(overwrite, [page.title for page in wanted])
    password = _password(archive.site) if yes else ""
    api = Api(api_url, user_agent(archive.site))
    with locked(archive.folder) if yes else contextlib.nullcontext():
        log = PublishLog.load(archive.folder / PUBLISH_LOG, api_url)
        current = api.revisions([page.title for page in wanted])
        bot = user.partition("@")[0]
        changes = [explain(api, change, bot, adopt) for change in plan(wanted, current, log.entries, titles)]
        _note_needless(changes, titles)
        _report_left(api, log, [page.title for page in wanted])
        if not yes:
            return _dry_run(changes)
        api.login(user, password)
        to_do = {c.action for c in changes}
        api.check_rights(user, [right for right, needed in (("edit", to_do & {Action.CREATE, Action.EDIT}),
                                                            ("createpage", Action.CREATE in to_do)) if needed])
        outcomes = apply(api, changes, log, _report)
        _purge(api, outcomes)
    done = [o.change.action for o in outcomes if not o.error]
    failed = sum(1 for o in outcomes if o.error)
    print(f"published: {_counts(done)}, {failed} failed", file=sys.stderr)
    return not failed and Action.REFUSED not in done


def _purge(api: Api, outcomes: Sequence[Outcome]) -> None:
    """Render again the pages saved before a page they may link to was created: their links to it were red.

    MediaWiki turns such links blue from its job queue, which on a busy wiki runs late (the digest's
    "also available in English" stayed red on Meta until someone purged it). The versions of a call
    link to each other, so no order of creation avoids it.
    """
    created = [n for n, o in enumerate(outcomes) if not o.error and o.change.action is Action.CREATE]
    if not created:
        return
    earlier = [o.change.title for o in outcomes[:created[-1]]
               if not o.error and o.change.action in (Action.CREATE, Action.EDIT)]
    if not earlier:
        return
    try:
        api.purge(earlier)
    except (ApiError, WikiError) as exc:
        print(f"note: the pages saved before the new ones could not be purged ({exc}); their links to the new "
              "pages may show red until the wiki updates them", file=sys.stderr)
        return
    print(f"purged    {len(earlier)} page{'' if len(earlier) == 1 else 's'} saved before the last new one, so "
          "that their links to the new pages show as links to pages that exist", file=sys.stderr)


def _report_left(api: Api, log: PublishLog, titles: Sequence[str]) -> None:
    """List the pages publish made that the archive no longer has (a digest made a draft again, or removed).

    Nothing is deleted: a page on the wiki may be linked to, and deleting is for people to decide.
    """
    gone = sorted(set(log.entries) - set(titles))
    if not gone:
        return
    found = api.revisions(gone)
    for title in gone:
        revision = found.get(title)
        if revision is not None and revision.exists:
            print(f"left      {title}: publish made this page, but the archive no longer has it (a digest made a "
                  "draft again, renamed or removed); it stays on the wiki", file=sys.stderr)
            print("  hint: if it should go, delete it or turn it into a redirect on the wiki; publish never "
                  "deletes a page", file=sys.stderr)


def overwrite_titles(given: Sequence[str], titles: Sequence[str]) -> frozenset[str]:
    """Return the titles --overwrite names, as publish spells them; raise UsageError for an unknown one."""
    found = set()
    for title in given:
        spelled = " ".join(title.replace("_", " ").split())
        spelled = spelled[:1].upper() + spelled[1:]
        if spelled not in titles:
            close = difflib.get_close_matches(spelled, titles, n=1)
            raise UsageError(f"--overwrite '{title}': publish writes no page of that title",
                             f"did you mean '{close[0]}'?" if close else
                             f"it writes {titles[0]!r} … {titles[-1]!r}: see the dry run")
        found.add(spelled)
    return frozenset(found)


def _note_needless(changes: Sequence[Change], overwrite: Collection[str]) -> None:
    for change in changes:
        if change.title in overwrite and not change.overwrite and change.action is not Action.REFUSED:
            print(f"note: --overwrite '{change.title}' is not needed: the page holds no one else's edits",
                  file=sys.stderr)


def _password(site: Site) -> str:
    """Return the bot password from the environment variable site.yaml names."""
    name = site.wiki.password_env
    password = os.environ.get(name, "") if name else ""
    if not password:
        raise WikiError(f"no bot password: the environment variable {name or '(wiki.password_env)'} is empty",
                        f"create a bot password at Special:BotPasswords for {site.wiki.user.split('@')[0]}, "
                        f"then: export {name or 'CLINICS_WIKI_PASSWORD'}=…")
    return password


_DONE = {Action.CREATE: "created", Action.EDIT: "edited", Action.UNCHANGED: "unchanged", Action.REFUSED: "refused"}
_TO_DO = {Action.CREATE: "to create", Action.EDIT: "to edit", Action.UNCHANGED: "unchanged",
          Action.REFUSED: "refused"}


def _report(outcome: Outcome) -> None:
    change = outcome.change
    if outcome.error:
        print(f"failed    {change.title}: {outcome.error}", file=sys.stderr)
    elif change.action is Action.REFUSED:
        _report_refused(change)
    else:
        notes = [f"revision {outcome.revid}"]
        if change.note:
            notes.append(change.note)
        if change.adopted:
            notes.append(f"publish's own revision {change.current.revid} adopted into the log")
        if outcome.merged:
            notes.append(f"MediaWiki merged it with revision {outcome.merged}, saved after publish read revision "
                         f"{change.current.revid}: check the page")
        print(f"{_DONE[change.action]:<9} {change.title} ({'; '.join(notes)})", file=sys.stderr)


def _report_refused(change: Change) -> None:
    """Print why `change` is refused, the edits of others, the hint; and the diff of their text to ours."""
    contest = change.contest
    assert contest is not None
    print(f"refused   {change.title}: {contest.problem}", file=sys.stderr)
    for line in _edit_lines(contest):
        print(f"  {line}", file=sys.stderr)
    print(f"  hint: {contest.hint}", file=sys.stderr)
    if change.current.exists and change.text:
        _show(diff(change))


def _edit_lines(contest: Contest) -> list[str]:
    lines = []
    for event in contest.edits[:SHOWN_EDITS]:
        what = ("deleted" if event.kind == "delete" else f"moved to '{event.target}'" if event.kind == "move"
                else f"revision {event.revid}")
        comment = f': "{event.comment}"' if event.comment else " (no summary)"
        lines.append(f"{what} by {event.user or '(unknown)'} at {event.timestamp}{comment}")
    hidden = len(contest.edits) - SHOWN_EDITS
    if hidden > 0:
        lines.append(f"… and {hidden} older edit{'' if hidden == 1 else 's'}{' and more' if contest.more else ''}")
    elif contest.more:
        lines.append("… and older edits")
    return lines


def _show(text: str) -> None:
    """Write a diff to standard output, flushed so that it stays next to its page's lines on standard error."""
    sys.stdout.write(text)
    sys.stdout.flush()


def _dry_run(changes: Sequence[Change]) -> bool:
    for change in changes:
        if change.action is Action.REFUSED:
            _report_refused(change)
            continue
        note = f" ({change.note})" if change.note else " (adopts publish's own revisions)" if change.adopted else ""
        label = "unchanged" if change.action is Action.UNCHANGED else f"would {change.action.value}"
        print(f"{label:<16}{change.title}{note}", file=sys.stderr)
        if change.action is not Action.UNCHANGED:
            _show(diff(change))
    print(f"dry run: {_counts([c.action for c in changes], _TO_DO)}; nothing was changed "
          "(run with --yes to publish)", file=sys.stderr)
    return not any(c.action is Action.REFUSED for c in changes)


def _counts(actions: Sequence[Action], words: dict[Action, str] = _DONE) -> str:
    return ", ".join(f"{sum(1 for a in actions if a is action)} {word}" for action, word in words.items())
