"""Checks that need more than one file, or the parsed model: pure functions returning diagnostics."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as etree
from collections import defaultdict
from collections.abc import Iterator, Sequence

from pipeline.model.calendar import Call
from pipeline.model.catalog import Catalog
from pipeline.model.diagnostics import Diagnostic, error, warning
from pipeline.model.digest import Digest, Status
from pipeline.parse.tree import Locator


def check_digest(digest: Digest, catalog: Catalog, locator: Locator) -> list[Diagnostic]:
    """Return warnings for catalog names written as plain text in a digest that never links them."""
    pattern = catalog.mention_pattern
    if pattern is None:
        return []
    cited = set(digest.citations)
    problems: list[Diagnostic] = []
    warned: set[str] = set()
    for topic in digest.topics:
        if topic.is_intro:
            continue
        for block in (topic.heading, *topic.elements):
            for text in _prose(block):
                for match in pattern.finditer(text):
                    entry = catalog.mentioned(match.group(0))
                    if entry.id in cited or entry.id in warned:
                        continue
                    warned.add(entry.id)
                    problems.append(warning(
                        "unlinked-mention", f"'{match.group(0)}' is in the catalog but never linked here",
                        locator.inside(block, match.group(0)),
                        f"link it once, e.g. [{match.group(0)}][] (catalog entry '{entry.id}')"))
    return problems


def _prose(el: etree.Element) -> Iterator[str]:
    """Yield the text of `el` that is neither a link nor code, in document order, without recursion."""
    stack: list[etree.Element | str] = [el]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
            continue
        if item.tag in ("a", "code"):
            continue
        if item.text:
            yield item.text
        for child in reversed(item):
            if child.tail:
                stack.append(child.tail)
            stack.append(child)


def check_calls(digests: list[Digest], today: dt.date | None = None) -> list[Diagnostic]:
    """Return the problems the front matter of all digests shows: duplicates, disagreements, gaps, dates."""
    problems: list[Diagnostic] = []
    by_number: dict[int, list[Digest]] = defaultdict(list)
    for digest in digests:
        by_number[digest.meta.number].append(digest)
    for versions in by_number.values():
        problems += _check_versions(versions)
    numbers = sorted(by_number)
    for before, after in zip(numbers, numbers[1:]):
        if after - before > 1:
            missing = ", ".join(f"{n:03d}" for n in range(before + 1, after))
            first = by_number[after][0]
            problems.append(warning("number-gap", f"no digest for call {missing}", first.meta.key_location("number", first.path),
                                    "write the missing digests, or check this file's number"))
    if today is not None:
        for digest in digests:
            if digest.meta.status is Status.FINAL and digest.meta.date > today:
                problems.append(warning("future-date", f"final digest dated {digest.meta.date}, after today "
                                        f"({today})", digest.meta.key_location("date", digest.path),
                                        "check the date, or set 'status: draft' until the call has happened"))
    return problems


def check_citations(digests: list[Digest], catalog: Catalog) -> list[Diagnostic]:
    """Return a warning for each catalog entry that no digest links."""
    cited = {entry for digest in digests for entry in digest.citations}
    return [warning("uncited-entry", f"no digest links catalog entry '{entry.id}'", entry.location,
                    "link it from a digest, or remove it from the catalog")
            for entry in catalog.entries if entry.id not in cited and digests]


def _check_versions(versions: list[Digest]) -> list[Diagnostic]:
    problems = []
    seen: dict[str, Digest] = {}
    for digest in sorted(versions, key=lambda d: d.path):
        other = seen.get(digest.language)
        if other is not None:
            problems.append(error(
                "duplicate-version", f"call {digest.number_text} in '{digest.language}' is also in {other.path}",
                digest.meta.key_location("language", digest.path),
                "keep one file per call and language (NNN.LANG.md for each language)"))
        seen[digest.language] = digest
    first = versions[0]
    for digest in versions[1:]:
        for name in ("date", "time", "attendance", "call_language"):
            mine, theirs = getattr(digest.meta, name), getattr(first.meta, name)
            if mine != theirs:
                problems.append(error(
                    "version-mismatch", f"{name} differs between versions of call {digest.number_text}: "
                    f"{_show(mine)} here, {_show(theirs)} in {first.path}", digest.meta.key_location(name, digest.path),
                    f"versions of one call must agree on {name}; correct the one that is wrong"))
    return problems


def _show(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if hasattr(value, "staff"):
        return f"{value.staff} staff, {value.volunteers} volunteers"  # type: ignore[attr-defined]
    return str(value)


def check_schedule(calls: Sequence[Call], digests: Sequence[Digest]) -> list[Diagnostic]:
    """Return the problems between the schedule and the digests: duplicates, overlaps, stale calls."""
    problems: list[Diagnostic] = []
    digested = {d.meta.number: d for d in digests}
    seen: dict[int, Call] = {}
    for call in calls:
        if call.number in digested:
            problems.append(error(
                "scheduled-has-digest", f"call {call.number_text} already has a digest ({digested[call.number].path})",
                call.location, "remove the call from the schedule once its digest is written"))
        if call.number in seen:
            problems.append(error(
                "duplicate-call", f"call {call.number_text} is scheduled twice (first on line "
                f"{seen[call.number].location.line})", call.location, "keep one entry per call"))
        seen.setdefault(call.number, call)
    ordered = sorted(calls, key=lambda c: c.start)
    for before, after in zip(ordered, ordered[1:]):
        if after.start < before.end:
            problems.append(error(
                "overlapping-calls", f"call {after.number_text} starts at {after.start:%Y-%m-%d %H:%M} UTC, "
                f"before call {before.number_text} ends ({before.end:%H:%M} UTC)", after.location,
                "check the start times and durations"))
    newest = max((d.meta.date for d in digests), default=None)
    for call in calls:
        if newest is not None and call.start.date() < newest:
            problems.append(warning(
                "stale-call", f"call {call.number_text} starts on {call.start:%Y-%m-%d}, before the newest "
                f"digest ({newest})", call.location, "remove calls that have taken place"))
    return problems
