"""The checks of follow-ups across digests: answers that name no item, or answer one twice or too early;
items without an owner, past their due date, or open for more calls than site.yaml allows."""
from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Sequence

from pipeline.model.diagnostics import Diagnostic, error, warning
from pipeline.model.digest import Digest
from pipeline.model.followup_index import FollowupIndex, Tracked, versions_first
from pipeline.model.followups import FollowUp


def check_followups(digests: Sequence[Digest], warn_after: int, today: dt.date | None) -> list[Diagnostic]:
    """Return every problem of the archive's follow-ups: errors in what answers them, warnings for broken promises."""
    index = FollowupIndex(digests)
    problems = _reused_ids(digests) + _version_mismatches(digests) + _answers(digests, index)
    newest = max((d.meta.number for d in digests), default=0)
    day = today or max((d.meta.date for d in digests), default=None)
    for digest in digests:
        for item in digest.followups:
            if not item.owner:
                problems.append(warning(
                    "followup-no-owner", f"follow-up {item.id} has no owner", item.location,
                    "say who will do it: '(owner: Name (WMF))' at the end of the item"))
    for tracked in index.open_now():
        problems += _broken_promise(tracked, newest, day, warn_after)
    return problems


def _broken_promise(tracked: Tracked, newest: int, day: dt.date | None, warn_after: int) -> list[Diagnostic]:
    item = tracked.item
    owner = f"owner: {item.owner}" if item.owner else "no owner"
    found = []
    if item.due is not None and day is not None and item.due < day:
        found.append(warning(
            "followup-past-due", f"follow-up {item.id} ({owner}) was due on {item.due} and is still open",
            item.location, "answer it in a later digest ('### Answered follow-ups' or 'answers:'), or set a new "
                           "due date with the owner"))
    if newest - item.number > warn_after:
        found.append(warning(
            "followup-stale", f"follow-up {item.id} ({owner}) has been open for {newest - item.number} calls "
            f"(more than {warn_after})", item.location,
            "ask the owner where it stands, and answer it in the next digest; "
            "site.yaml's followups.warn_after_calls sets the limit"))
    return found


def _reused_ids(digests: Sequence[Digest]) -> list[Diagnostic]:
    """Return an error for an explicit id that two calls use."""
    first: dict[str, FollowUp] = {}
    problems = []
    for digest in versions_first(digests):
        for item in digest.followups:
            seen = first.setdefault(item.id, item)
            if seen.number != item.number:
                problems.append(error(
                    "duplicate-followup", f"follow-up id '{item.id}' is already used by call {seen.number:03d} "
                    f"({seen.location})", item.location, "give this follow-up another {#id}"))
    return problems


def _version_mismatches(digests: Sequence[Digest]) -> list[Diagnostic]:
    """Return an error where the versions of one call disagree on its follow-ups: ids, due dates, boxes."""
    by_call: dict[int, list[Digest]] = defaultdict(list)
    for digest in versions_first(digests):
        by_call[digest.meta.number].append(digest)
    problems = []
    for main, *others in by_call.values():
        expected = {item.id: item for item in main.followups}
        for other in others:
            mine = {item.id: item for item in other.followups}
            if list(mine) != list(expected):
                problems.append(error(
                    "followup-versions", f"the follow-ups of this version ({', '.join(mine) or 'none'}) differ from "
                    f"those of {main.path} ({', '.join(expected) or 'none'})",
                    other.followups[0].location if other.followups else other.meta.key_location("number", other.path),
                    "write the same follow-ups, in the same order, in every version of a call"))
                continue
            for key, item in mine.items():
                theirs = expected[key]
                if (item.due, item.done, item.answered_call) != (theirs.due, theirs.done, theirs.answered_call):
                    problems.append(error(
                        "followup-versions", f"follow-up {key} differs from {theirs.location} in its due date or "
                        "answer", item.location, "versions of a call must agree on each follow-up's due date "
                                                 "and answer"))
    return problems


def _answers(digests: Sequence[Digest], index: FollowupIndex) -> list[Diagnostic]:
    """Return an error for each answer naming no follow-up, answering one twice, or before it was opened."""
    known = sorted(index.items)
    problems = []
    dates = {d.meta.number: d.meta.date for d in digests}
    for closing in (c for closings in index.closings.values() for c in closings):
        tracked = index.items.get(closing.id)
        if tracked is None:
            problems.append(error("unknown-followup", f"no follow-up has the id '{closing.id}'", closing.location,
                                  _suggest(closing.id, known)))
            continue
        if closing.number <= tracked.number or dates.get(closing.number, dt.date.max) < dates[tracked.number]:
            problems.append(error(
                "followup-answered-before", f"follow-up {closing.id} was opened on call {tracked.number:03d} "
                f"({tracked.item.location.path}); call {closing.number:03d} cannot answer it",
                closing.location, "answer a follow-up in a digest of a later call, or mark it [x] in its own digest "
                                  "with 'answered: …'"))
            continue
        first = tracked.answer
        if first is not None and first.location != closing.location:
            problems.append(error(
                "followup-answered-twice", f"follow-up {closing.id} is answered already, at {first.location}",
                closing.location, "answer each follow-up once; take this answer out, or the other one"))
    return problems


def _suggest(wrong: str, known: list[str]) -> str:
    close = difflib.get_close_matches(wrong, known, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    return "name a follow-up of an earlier digest by its id: `clinics followups` lists them"

