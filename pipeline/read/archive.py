"""Gather a whole folder of digests into one Archive: settings, catalog, partials, digests."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pipeline import timing
from pipeline.check import validate
from pipeline.model.archive import Archive
from pipeline.model.catalog import Catalog
from pipeline.model.diagnostics import Diagnostic, Location, error, has_errors
from pipeline.model.digest import Digest, Meta, Topic
from pipeline.model.settings import Site
from pipeline.parse.tree import CATALOG_ATTR, Locator, Parser, check_body, parse_partial, split_topics
from pipeline.read.catalog import load_catalog
from pipeline.read.frontmatter import read_meta
from pipeline.read.schedule import check_schedule, load_schedule
from pipeline.read.settings import load_site
from pipeline.read.source import digest_files, load_known, load_source



def display_path(path: Path) -> str:
    """Return `path` as a user typed it: relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def display_prefix(folder: Path) -> str:
    """Return what goes before a file name of `folder` when shown: "digests/" (or "" for ".")."""
    shown = display_path(folder)
    return "" if shown == "." else shown.rstrip("/") + "/"


def load_settings(folder: Path) -> tuple[Archive, Path]:
    """Return an archive holding the settings, catalog and schedule of `folder`, with their problems."""
    site_path = folder / "site.yaml"
    site, problems = load_site(site_path, display_path(site_path))
    if site is None:
        archive = Archive(folder, None, Catalog())  # type: ignore[arg-type]
        archive.diagnostics = problems
        return archive, site_path
    catalog, found = load_catalog(folder / "catalog.yaml", site, display_path(folder / "catalog.yaml"))
    archive = Archive(folder, site, catalog, diagnostics=problems + found)
    archive.calls, found = load_schedule(folder / "schedule.yaml", site, display_path(folder / "schedule.yaml"))
    archive.diagnostics += found
    return archive, site_path


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
    archive.diagnostics += check_between_files(archive, today)
    return archive


def check_between_files(archive: Archive, today: dt.date | None) -> list[Diagnostic]:
    """Return the problems that need every digest: versions, numbering, catalog use, the schedule."""
    with timing.stage("validate"):
        return (validate.check_archive(archive.digests, archive.catalog, today) +
                check_schedule(archive.calls, archive.digests))


@dataclass(frozen=True)
class FrontMatter:
    """What reading a file's front matter found: kept by the build, so that its worker reads it once."""

    source_hash: str  # of the bytes it was read from
    meta: Meta
    problems: tuple[Diagnostic, ...]  # warnings of the file and its front matter (no errors)

    def summary(self, source_id: str, display: str) -> Digest:
        return Digest(id=source_id, path=display, meta=self.meta, topics=(), citations=(),
                      source_hash=self.source_hash)


def scan_meta(path: Path, display: str, raw: bytes, site: Site) -> tuple[Digest, FrontMatter] | tuple[None, None]:
    """Return a summary of the digest at `path` from its front matter alone, or None if that is broken."""
    source, problems = load_source(path, display, raw)
    if source is None:
        return None, None
    meta, found = read_meta(source, site)
    if meta is None:
        return None, None
    front = FrontMatter(source.digest, meta, tuple(problems + found))
    return front.summary(source.id, display), front


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
        root, state = parser.tree(source.body)
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
        citations = tuple(dict.fromkeys(
            el.get(CATALOG_ATTR, "") for topic in topics for block in (topic.heading, *topic.elements)
            for el in block.iter("a") if el.get(CATALOG_ATTR)))
        digest = Digest(id=source.id, path=display, meta=meta, topics=tuple(topics), citations=citations,
                        source_hash=source.digest, titles=tuple(topic.title for topic in topics))
        problems += validate.check_digest(digest, parser.catalog, locator)
    return digest, problems


