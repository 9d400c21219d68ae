"""The archive as every command sees it: each digest read, parsed and checked, then the checks between files.

`read_digest` is the one reader of a digest file, for `load_archive` (check, send, publish, catalog)
and for the build's workers alike; `check_summaries` then `check_parsed` are the checks between
files, in that order, for both.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline import timing
from pipeline.check import languages, validate
from pipeline.check.followups import check_followups
from pipeline.model.archive import Archive
from pipeline.model.diagnostics import Diagnostic, Location, error, has_errors
from pipeline.model.digest import CATALOG_ATTR, Digest, Topic
from pipeline.model.settings import Site
from pipeline.parse.followups import extract
from pipeline.parse.tree import Locator, Parser, check_body, parse_partial, split_topics
from pipeline.read.archive import FrontMatter, display_path, display_prefix, load_settings
from pipeline.read.frontmatter import read_meta
from pipeline.read.source import digest_files, load_known, load_source



def load_archive(folder: Path, templates: Path, today: dt.date | None = None) -> Archive:
    """Return the archive in `folder`, every file parsed, with every diagnostic."""
    archive, _ = load_settings(folder)
    if archive.site is None:
        return archive
    archive.templates = templates
    parser = Parser(archive.catalog)
    intros = Intros(parser, templates, archive.diagnostics)
    prefix = display_prefix(folder)
    for path in digest_files(folder):
        digest, found = read_digest(path, prefix + path.name, archive.site, parser, intros)
        archive.diagnostics += found
        if digest is not None:
            archive.digests.append(digest)
    archive.diagnostics += check_summaries(archive, today) + check_parsed(archive, today)
    return archive


def check_summaries(archive: Archive, today: dt.date | None) -> list[Diagnostic]:
    """Return the problems between files that every digest's front matter shows: numbering, versions, the schedule.

    The first of the two checks between files, in the order every command runs them; the build
    runs it on the summaries of its cache, before any digest is parsed again.
    """
    with timing.stage("validate"):
        return (validate.check_calls(archive.digests, today) + validate.check_schedule(archive.calls, archive.digests)
                + languages.check_schedule_languages(archive) + languages.check_translations(archive))


def check_parsed(archive: Archive, today: dt.date | None = None) -> list[Diagnostic]:
    """Return the problems between files that need every digest parsed: catalog entries no digest cites, follow-ups."""
    with timing.stage("validate"):
        return (validate.check_citations(archive.digests, archive.catalog)
                + check_followups(archive.digests, archive.site.followups_warn_after, today)
                + languages.check_catalog_languages(archive))


class Intros:
    """The Introduction partials, parsed the first time a digest in their language asks for one."""

    def __init__(self, parser: Parser, templates: Path, problems: list[Diagnostic]) -> None:
        self.parser = parser
        self.templates = templates
        self.problems = problems
        self.topics: dict[str, Topic | None] = {}

    def get(self, code: str) -> Topic | None:
        """Return the Introduction in language `code`, or None when it is missing or broken."""
        if code not in self.topics:
            self.topics[code] = self._load(code)
        return self.topics[code]

    def _load(self, code: str) -> Topic | None:
        path = self.templates / f"intro.{code}.md"
        if not path.exists():
            return None
        topics, found = parse_partial(self.parser, path, display_path(path))
        self.problems += found
        if len(topics) != 1:
            self.problems.append(error(
                "intro-topics", f"the introduction must be one '## ' topic, found {len(topics)}",
                Location(display_path(path), 1), "keep exactly one level-2 heading"))
            return None
        return None if has_errors(found) else topics[0]


def read_digest(path: Path, display: str, site: Site, parser: Parser, intros: Intros,
                raw: bytes | None = None, front: FrontMatter | None = None) -> tuple[Digest | None, list[Diagnostic]]:
    """Return one digest file parsed into the model, and every problem in it.

    `front`: what reading the file's front matter found already, used if the file has not changed since.
    """
    with timing.stage("load"):
        source = load_known(path, display, front.source_hash) if front is not None else None
        if source is not None and front is not None:
            meta, problems = front.meta, list(front.problems)
        else:
            source, problems = load_source(path, display, raw)
            if source is None:
                return None, problems
            meta, found = read_meta(source, site)
            problems += found
    with timing.stage("parse"):
        root, state = parser.tree(source.body, meta.language if meta is not None else "")
        locator = Locator(display, source.body, source.body_line)
        locator.place_blocks(root)
        topics, found = split_topics(root, locator)
    with timing.stage("validate"):
        problems += found
        problems += check_body(root, state, locator, parser.catalog)
    if meta is None:
        return None, problems
    if meta.intro:
        intro = intros.get(meta.language)
        if intro is None:
            if not (intros.templates / f"intro.{meta.language}.md").exists():
                problems.append(error("no-intro", f"there is no introduction in '{meta.language}'",
                                      Location(display, source.front_line),
                                      f"write templates/intro.{meta.language}.md, or set 'intro: false'"))
            return None, problems
        topics = [intro, *topics]
    with timing.stage("link"):
        strings = site.language(meta.language).strings
        followups = extract(topics, locator, meta.number, strings.get("followups_subsection", ""))
        problems += followups.problems
        citations = tuple(dict.fromkeys(
            el.get(CATALOG_ATTR, "") for topic in topics for block in (topic.heading, *topic.elements)
            for el in block.iter("a") if el.get(CATALOG_ATTR)))
        digest = Digest(id=source.id, path=display, meta=meta, topics=tuple(topics), citations=citations,
                        source_hash=source.digest, titles=tuple(topic.title for topic in topics),
                        followups=tuple(followups.items), closings=(*meta.answers, *followups.closings))
        problems += validate.check_digest(digest, parser.catalog, locator)
    return digest, problems
