"""Text an output in one language needs and lacks: a warning per text and language, with a hint.

Where a translation is lacking, outputs take the English text and mark it (lang="en" in HTML and
wikitext); `check` says so, once per text and language, so that the gap is seen before it is sent.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pipeline.model.archive import Archive
from pipeline.model.calendar import Call
from pipeline.model.diagnostics import Diagnostic, warning
from pipeline.model.localised import Localised
from pipeline.read.translation import content_hash


def check_schedule_languages(archive: Archive) -> list[Diagnostic]:
    """Return a warning for each scheduled topic or note an output needs in a language it is not given in."""
    needed: dict[int, dict[str, str]] = {}  # call -> language -> the first output that needs it
    for call in archive.calls:
        needed.setdefault(call.number, {})[call.language] = f"the announcement of call {call.number_text}"
    for digest in archive.digests:
        for call in archive.upcoming(digest.meta.date):
            if call in archive.calls:
                needed.setdefault(call.number, {}).setdefault(digest.language, f"digest {digest.id}")
    main = archive.site.default_language  # the main page lists every call after the newest digest
    newest = max((d.meta.date for d in archive.digests), default=None)
    for call in archive.calls:
        if newest is None or call.start.date() > newest:
            needed.setdefault(call.number, {}).setdefault(main, "the main page on Meta")
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


def check_translations(archive: Archive) -> list[Diagnostic]:
    """Return a warning for each translation whose source changed since it was made; note them in archive.outdated.

    The Translate extension's "outdated" marker, for digests: a version with `translated_from: es`
    records the content hash of the Spanish version (`source_version`, written by `clinics new
    --from es`); once the Spanish notes change, the translation is outdated until it is updated.
    """
    problems: list[Diagnostic] = []
    archive.outdated = set()
    for digest in archive.digests:
        meta = digest.meta
        if not meta.translated_from:
            continue
        where = meta.key_location("translated_from", digest.path)
        source = next((d for d in archive.versions(meta.number) if d.language == meta.translated_from), None)
        if source is None:
            problems.append(warning(
                "no-translation-source", f"{digest.id} is translated from '{meta.translated_from}', but call "
                f"{digest.number_text} has no version in it", where, "correct 'translated_from', or remove it"))
            continue
        now = content_hash(archive.folder / Path(source.path).name)
        if now is None or now == meta.source_version:
            continue
        if not meta.source_version:
            problems.append(warning(
                "no-source-version", f"{digest.id} is translated from {source.id}, but records no version of it",
                where, f"once it matches {source.id}, write 'source_version: {now}' under 'translated_from'"))
            continue
        archive.outdated.add(digest.id)
        problems.append(warning(
            "outdated-translation", f"{digest.id} is translated from {source.id}, whose notes changed since "
            f"(then {meta.source_version}, now {now})", meta.key_location("source_version", digest.path),
            f"bring it up to date with {Path(source.path).name}, then write 'source_version: {now}'"))
    return problems
