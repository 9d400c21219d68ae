"""Text an output in one language needs and lacks: a warning per text and language, with a hint.

Where a translation is lacking, outputs take the English text and mark it (lang="en" in HTML and
wikitext); `check` says so, once per text and language, so that the gap is seen before it is sent.
"""
from __future__ import annotations

from collections.abc import Iterable

from pipeline.model.archive import Archive
from pipeline.model.calendar import Call
from pipeline.model.diagnostics import Diagnostic, warning
from pipeline.model.localised import Localised


def check_schedule_languages(archive: Archive) -> list[Diagnostic]:
    """Return a warning for each scheduled topic or note an output needs in a language it is not given in."""
    needed: dict[int, dict[str, str]] = {}  # call -> language -> the first output that needs it
    for call in archive.calls:
        needed.setdefault(call.number, {})[call.language] = f"the announcement of call {call.number_text}"
    for digest in archive.digests:
        for call in archive.upcoming(digest.meta.date):
            if call in archive.calls:
                needed.setdefault(call.number, {}).setdefault(digest.language, f"digest {digest.id}")
    problems: list[Diagnostic] = []
    for call in archive.calls:
        wants = needed.get(call.number, {})
        problems += _lacking(call, "scheduled topic", "topic", call.topics, wants.items())
        problems += _lacking(call, "note", "note", call.note, [(call.language, wants[call.language])])
    return problems


def _lacking(call: Call, what: str, key: str, text: Localised, wants: Iterable[tuple[str, str]]) -> list[Diagnostic]:
    if not text:
        return []
    found = []
    for code, output in sorted(wants):
        if not text.has(code):
            shown = text.pick(code)[1]
            found.append(warning(
                "missing-translation", f"call {call.number_text}'s {what} has no '{code}' text, which {output} "
                f"needs: it shows the '{shown}' text instead, marked lang=\"{shown}\"", call.location,
                f"write it in schedule.yaml in each language, as {key}: {{{shown}: …, {code}: …}}"))
    return found


def check_catalog_languages(archive: Archive) -> list[Diagnostic]:
    """Return a warning for each catalog entry a digest cites that lacks the digest's language."""
    needs: dict[tuple[str, str], str] = {}  # (entry, language) -> the first digest that needs it
    for digest in archive.digests:
        for entry_id in digest.citations:
            needs.setdefault((entry_id, digest.language), digest.id)
    problems = []
    for (entry_id, code), digest_id in sorted(needs.items()):
        entry = archive.catalog.index.get(entry_id)
        if entry is None or not entry.lacks(code):
            continue
        missing = " and ".join(what for what, text in (("name", entry.names), ("description", entry.descriptions))
                               if text and not text.has(code))
        shown = (entry.names if entry.names and not entry.names.has(code) else entry.descriptions).pick(code)[1]
        problems.append(warning(
            "missing-translation", f"catalog entry '{entry_id}' has no '{code}' {missing}, which digest {digest_id} "
            f"needs: it shows the '{shown}' text instead, marked lang=\"{shown}\"", entry.location,
            f"write it in each language, as {missing.split(' and ')[0]}: {{{shown}: …, {code}: …}}"))
    return problems
