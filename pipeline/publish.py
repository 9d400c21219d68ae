"""`clinics publish`: write the archive's pages to Meta-Wiki through the MediaWiki Action API.

A dry run by default: read every page's current revision, and show as a unified diff
what publishing would change. With --yes, log in as the bot (site.yaml's wiki.user, its
bot password from the environment variable wiki.password_env) and edit: each final
digest version's page, the tools page, and only the generated sections of the main page.
A page whose text is already the same is not edited.

Publishing is planned, then applied: `plan` decides from each page's current revision
what to do with it; `apply` edits, each edit based on the revision that was read
(wikiapi.Api.edit sends baserevid, basetimestamp and starttimestamp), so that a page
changed meanwhile comes back as an edit conflict and is reported, never overwritten.
"""
from __future__ import annotations

import argparse
import difflib
import enum
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import wikipages, wikitext
from .wikiapi import Api, ApiError, Revision, WikiError, check_api_url, user_agent

if TYPE_CHECKING:
    from .archive import Archive
    from .site import Site


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `publish` command to the CLI."""
    parser = sub.add_parser(
        "publish", parents=[common], help="publish the digests to Meta-Wiki (a dry run unless --yes)",
        description="Create or update each digest's page, the tools page and the main page's generated "
                    "sections. Without --yes, only show the changes as a diff.")
    parser.add_argument("--yes", action="store_true", help="really edit the wiki")
    parser.add_argument("--api-url", default=None, help="the wiki's api.php (default: wiki.api_url in site.yaml)")
    parser.add_argument("--user", default=None, help="the bot user, Name@app (default: wiki.user in site.yaml)")
    parser.set_defaults(run=run_publish)


class Action(enum.Enum):
    CREATE = "create"
    EDIT = "edit"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class Wanted:
    """What one page should say after publishing."""

    title: str
    summary: str
    text: str = ""  # the whole page; for the main page, see `sections`
    sections: tuple[wikipages.GeneratedSection, ...] = ()  # the main page: only these change

    def text_for(self, current: Revision) -> str:
        """Return the complete text to save over `current`; raises MarkerError for broken markers."""
        if self.sections:
            return wikipages.splice(current.text if current.exists else "", self.sections)
        return self.text


@dataclass(frozen=True)
class Change:
    """What publishing does to one page, decided from its current revision."""

    title: str
    action: Action
    summary: str
    text: str
    current: Revision
    problem: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Outcome:
    """What happened to one change: its new revision, or why it failed."""

    change: Change
    revid: int = 0
    timestamp: str = ""
    error: str = ""


# ------------------------------------------------------------------ what to publish

def wanted_pages(archive: Archive) -> list[Wanted]:
    """Return every page publish writes: the digests, the tools page, then the main page's sections."""
    found = []
    for page in wikipages.pages_of(archive):
        if page.digest is not None:
            summary = f"Digest of Wikimedia Clinic #{page.digest.number_text} ({page.digest.language})"
            found.append(Wanted(page.title, summary, wikitext.page_text(archive, page.digest)))
        else:
            found.append(Wanted(page.title, "List of the tools and resources mentioned in the Wikimedia Clinics",
                                wikipages.tools_page_text(archive)))
    sections = tuple(wikipages.main_sections(archive))
    names = ", ".join(section.name for section in sections)
    found.append(Wanted(archive.site.wiki.page_prefix, f"Update the generated sections ({names}) from the digests",
                        sections=sections))
    return found


def plan(wanted: Sequence[Wanted], current: dict[str, Revision]) -> list[Change]:
    """Return what publishing does to each page, given the pages' current revisions."""
    changes = []
    for page in wanted:
        revision = current.get(page.title) or Revision(page.title, exists=False)
        try:
            text = page.text_for(revision)
        except wikipages.MarkerError as exc:
            changes.append(Change(page.title, Action.REFUSED, page.summary, "", revision, str(exc), exc.hint))
            continue
        if not revision.exists:
            action = Action.CREATE
        elif _same_text(revision.text, text):
            action = Action.UNCHANGED
        else:
            action = Action.EDIT
        changes.append(Change(page.title, action, page.summary, text, revision))
    return changes


def _same_text(saved: str, text: str) -> bool:
    """Return True when saving `text` would change nothing: MediaWiki drops trailing whitespace."""
    return saved.rstrip() == text.rstrip()


def diff(change: Change) -> str:
    """Return the unified diff of `change`, from the wiki's text to the text to publish."""
    before = change.current.text.splitlines(keepends=True) if change.current.exists else []
    after = change.text.rstrip("\n").splitlines(keepends=True)
    lines = list(difflib.unified_diff(before, after, f"{change.title} (on the wiki)",
                                      f"{change.title} (to publish)"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


# ------------------------------------------------------------------ the command

def run_publish(args: argparse.Namespace) -> int:
    """Show (or, with --yes, make) the edits that bring the wiki up to date."""
    from .cli import EXIT_ERRORS, EXIT_OK, load

    archive, status = load(args)
    if archive is None or status != EXIT_OK:
        if archive is not None:
            print("clinics: nothing was published", file=sys.stderr)
        return status
    wiki = archive.site.wiki
    url = args.api_url or wiki.api_url
    try:
        check_api_url(url)
        password = _password(archive.site) if args.yes else ""
        api = Api(url, user_agent(archive.site))
        wanted = wanted_pages(archive)
        changes = plan(wanted, api.revisions([page.title for page in wanted]))
        if not args.yes:
            return _dry_run(changes)
        api.login(args.user or wiki.user, password)
        outcomes = apply(api, changes, _report)
    except (WikiError, ApiError) as exc:
        print(f"clinics: error: {exc}", file=sys.stderr)
        if getattr(exc, "hint", ""):
            print(f"  hint: {exc.hint}", file=sys.stderr)  # type: ignore[union-attr]
        return EXIT_ERRORS
    counts = _counts(o.change.action for o in outcomes if not o.error)
    failed = sum(1 for o in outcomes if o.error)
    print(f"published: {counts}, {failed} failed", file=sys.stderr)
    return EXIT_ERRORS if failed else EXIT_OK


def _password(site: Site) -> str:
    """Return the bot password from the environment variable site.yaml names."""
    name = site.wiki.password_env
    password = os.environ.get(name, "") if name else ""
    if not password:
        raise WikiError(f"no bot password: the environment variable {name or '(wiki.password_env)'} is empty",
                        f"create a bot password at Special:BotPasswords for {site.wiki.user.split('@')[0]}, "
                        f"then: export {name or 'CLINICS_WIKI_PASSWORD'}=…")
    return password


def apply(api: Api, changes: Iterable[Change], report: Callable[[Outcome], None] = lambda o: None) -> list[Outcome]:
    """Make every CREATE and EDIT change; return what happened to each change."""
    outcomes = []
    for change in changes:
        if change.action in (Action.CREATE, Action.EDIT):
            outcome = _edit(api, change)
        elif change.action is Action.REFUSED:
            outcome = Outcome(change, error=f"{change.problem}\n  hint: {change.hint}")
        else:
            outcome = Outcome(change, change.current.revid, change.current.timestamp)
        report(outcome)
        outcomes.append(outcome)
    return outcomes


def _edit(api: Api, change: Change) -> Outcome:
    try:
        saved = api.edit(change.title, change.text, change.summary, change.current)
    except ApiError as exc:
        return Outcome(change, error=exc.explain())
    if saved.unchanged:  # the wiki found nothing to change (its own normalisation of the text)
        change = Change(change.title, Action.UNCHANGED, change.summary, change.text, change.current)
    return Outcome(change, saved.revid, saved.timestamp)


_DONE = {Action.CREATE: "created", Action.EDIT: "edited", Action.UNCHANGED: "unchanged"}
_TO_DO = {Action.CREATE: "to create", Action.EDIT: "to edit", Action.UNCHANGED: "unchanged"}


def _report(outcome: Outcome) -> None:
    title = outcome.change.title
    if outcome.error:
        print(f"failed    {title}: {outcome.error}", file=sys.stderr)
    else:
        print(f"{_DONE[outcome.change.action]:<9} {title} (revision {outcome.revid})", file=sys.stderr)


def _dry_run(changes: Sequence[Change]) -> int:
    from .cli import EXIT_ERRORS, EXIT_OK

    for change in changes:
        if change.action is Action.REFUSED:
            print(f"refused   {change.title}: {change.problem}\n  hint: {change.hint}", file=sys.stderr)
            continue
        print(f"{'would ' + change.action.value if change.action is not Action.UNCHANGED else 'unchanged':<16}"
              f"{change.title}", file=sys.stderr)
        if change.action is not Action.UNCHANGED:
            sys.stdout.write(diff(change))
    refused = sum(1 for c in changes if c.action is Action.REFUSED)
    print(f"dry run: {_counts((c.action for c in changes if c.action is not Action.REFUSED), _TO_DO)}, "
          f"{refused} refused; nothing was changed (run with --yes to publish)", file=sys.stderr)
    return EXIT_ERRORS if refused else EXIT_OK


def _counts(actions: Iterable[Action], words: dict[Action, str] = _DONE) -> str:
    found = list(actions)
    return ", ".join(f"{sum(1 for a in found if a is action)} {word}" for action, word in words.items())
