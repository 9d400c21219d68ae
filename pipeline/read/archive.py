"""A folder of digests before any is parsed: its settings, catalog and schedule, and each digest's front matter.

The digests themselves are read, parsed and checked by check/archive.py."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.model.archive import Archive
from pipeline.model.catalog import Catalog
from pipeline.model.diagnostics import Diagnostic
from pipeline.model.digest import Digest, Meta
from pipeline.model.settings import Site
from pipeline.read.catalog import load_catalog
from pipeline.read.frontmatter import read_meta
from pipeline.read.schedule import load_schedule
from pipeline.read.sentlog import SENT_LOG, load_sent_events
from pipeline.read.settings import load_site
from pipeline.read.source import load_source



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
    archive.sent_events, found = load_sent_events(folder, display_path(folder / SENT_LOG))
    archive.diagnostics += found
    return archive, site_path


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
