"""The warm state of `clinics serve`: every digest read once, then only what a change affects.

A session keys each digest as the build does (pipeline/build: the parse key of its bytes, the
render key of what its outputs are made from) and starts from the build's cache in --out, read
and never written: a digest the last build parsed is not parsed again. After a save it reads the
changed files alone, runs the checks between files, and renders a digest's previews when they are
asked for and their render key changed, in memory. It writes nothing anywhere.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.build.cache import BuildCache, fingerprint
from pipeline.build.keys import RenderKeys
from pipeline.build.run import code_fingerprint, salts
from pipeline.build.stages import Stage, stages
from pipeline.check.archive import Intros, check_parsed, check_summaries, read_digest
from pipeline.model.archive import Archive
from pipeline.model.diagnostics import Diagnostic, has_errors
from pipeline.model.digest import Digest
from pipeline.parse.tree import Parser
from pipeline.read.archive import display_prefix, load_settings
from pipeline.read.source import digest_files

SETTINGS = ("site.yaml", "catalog.yaml", "schedule.yaml")
PREVIEWED = ("emails", "wiki")  # the stages whose outputs of one digest the preview shows
KEPT = 32  # parsed models and renderings kept; the others are summaries, parsed again when viewed


@dataclass
class Version:
    """One digest file as the preview knows it: its bytes, its parse key, its summary and problems."""

    name: str  # 006.en.md
    display: str  # digests/006.en.md, as diagnostics name it
    raw: bytes | None  # None: the file could not be read
    parse_key: str
    summary: Digest | None  # None when the file has errors
    diagnostics: list[Diagnostic]

    @property
    def slug(self) -> str:
        """Return the name the preview's addresses use: 006.en."""
        return self.name.removesuffix(".md")


@dataclass(frozen=True)
class Rendering:
    """A digest's previewed outputs (path under the build -> bytes), and what rendering found."""

    key: str
    outputs: dict[str, bytes]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class Change:
    """What a refresh changed: every view, or the previews of these digests (and the index)."""

    generation: int
    everything: bool
    slugs: tuple[str, ...]


@dataclass
class _Settings:
    archive: Archive
    problems: list[Diagnostic]  # of site.yaml, the catalog, the schedule and the introductions
    parse_salt: str = ""
    render_salt: str = ""
    parser: Parser | None = None
    intros: Intros | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # name -> bytes, to quote their lines


class Session:
    """The preview's state; not thread-safe: the server calls it under one lock."""

    def __init__(self, folder: Path, templates: Path, out: Path, today: dt.date, jobs: int | None = None) -> None:
        self.folder = folder
        self.templates = templates
        self.today = today
        self.code = code_fingerprint()
        self.prefix = display_prefix(folder)
        self.generation = 0
        self.versions: dict[str, Version] = {}  # by slug
        self._models: OrderedDict[str, Digest] = OrderedDict()  # slug -> the full model, by parse key
        self._renderings: OrderedDict[str, Rendering] = OrderedDict()
        self._pages: tuple[str, dict[str, bytes]] | None = None
        self.settings = self._load_settings()
        cache = BuildCache(out, self.code)  # the last build's: read, never written
        self.notes = [cache.note] if cache.note else []
        self._read_all(cache, jobs)
        self.archive_problems: list[Diagnostic] = []
        self.keys = self._check()

    # --- reading -----------------------------------------------------------------------------------

    def _load_settings(self) -> _Settings:
        archive, site_path = load_settings(self.folder)
        archive.templates = self.templates
        settings = _Settings(archive, list(archive.diagnostics))
        for name in SETTINGS:
            try:
                settings.files[name] = (self.folder / name).read_bytes()
            except OSError:
                pass
        if archive.site is not None:
            settings.parse_salt, settings.render_salt = salts(archive, site_path, self.templates, self.code)
            settings.parser = Parser(archive.catalog)
            settings.intros = Intros(settings.parser, self.templates, settings.problems)
        return settings

    def _read_all(self, cache: BuildCache | None, jobs: int | None = None) -> None:
        """Know every digest file: from the cache when its parse key is there, else parsed."""
        self.versions = {}
        pending = []
        for path in digest_files(self.folder):
            version = self._version(path, cache)
            if version.summary is None and not version.diagnostics:
                pending.append(version)
            self.versions[version.slug] = version
        for version, (summary, found) in zip(pending, self._parse_all(pending, jobs)):
            version.summary, version.diagnostics = summary, found

    def _version(self, path: Path, cache: BuildCache | None) -> Version:
        """Return what is known of the file at `path` without parsing it (a cache hit is complete)."""
        try:
            raw: bytes | None = path.read_bytes()
        except OSError:
            raw = None
        key = fingerprint(self.settings.parse_salt, raw if raw is not None else b"\0unreadable")
        version = Version(path.name, self.prefix + path.name, raw, key, None, [])
        entry = cache.hit(version.display, key) if cache is not None else None
        if entry is not None:
            version.summary, version.diagnostics = entry.digest, list(entry.diagnostics)
        return version

    def _parse_all(self, pending: list[Version], jobs: int | None) -> list[tuple[Digest | None, list[Diagnostic]]]:
        """Return the summary and problems of each of `pending`: in worker processes when there are many."""
        settings = self.settings
        if settings.archive.site is None or settings.intros is None:
            return [(None, []) for _ in pending]  # nothing can be read without site.yaml: its error says so
        for code in settings.archive.site.languages:
            settings.intros.get(code)  # read here, once, before any worker forks
        workers = min(jobs or multiprocessing.cpu_count(), len(pending) // 16)
        global _worker
        _worker = settings
        try:
            items = [(v.name, v.display, v.raw) for v in pending]
            if workers <= 1:
                return [_parse_one(item) for item in items]
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return pool.map(_parse_one, items, chunksize=8)
        finally:
            _worker = None

    def _check(self) -> RenderKeys:
        """Run the checks between files on the summaries; return the render keys of this state."""
        archive = self.settings.archive
        archive.replace_digests(sorted((v.summary for v in self.versions.values() if v.summary is not None),
                                       key=lambda d: d.path))
        self.archive_problems = []
        if archive.site is not None:
            self.archive_problems = check_summaries(archive, self.today) + check_parsed(archive)
        self._pages = None
        return RenderKeys(archive, self.settings.render_salt)

    # --- changes -----------------------------------------------------------------------------------

    def refresh(self, paths: Iterable[Path]) -> Change | None:
        """Take in the files changed on disk; return what that changed, or None when nothing did."""
        folder, templates = self.folder.resolve(), self.templates.resolve()
        names, template_names = set(), set()
        for path in paths:
            parent = Path(path).parent.resolve()
            if parent == folder:
                names.add(path.name)
            elif parent == templates:
                template_names.add(path.name)
        digest_names = {n for n in names if n.endswith(".md")}
        if not (names & set(SETTINGS) or template_names or digest_names):
            return None
        old_world, old_problems = self.keys.world, self._shared_problems()
        everything = False
        if names & set(SETTINGS) or template_names:
            old_salt = self.settings.parse_salt
            self.settings = self._load_settings()
            self._models.clear()  # parsed against the old catalog and introductions
            everything = True
            if self.settings.parse_salt != old_salt:  # the names in the catalog, site.yaml, an introduction
                self._read_all(None)
        before = {name.removesuffix(".md"): _checked(self.versions.get(name.removesuffix(".md")))
                  for name in digest_names}
        slugs = [slug for slug in map(self._reread, sorted(digest_names)) if slug]
        if everything or any(before.get(slug) != _checked(self.versions.get(slug)) for slug in slugs):
            self.keys = self._check()
        else:  # only notes changed: the checks between files and the render keys' world stay as they are
            self.settings.archive.replace_digests(sorted(
                (v.summary for v in self.versions.values() if v.summary is not None), key=lambda d: d.path))
        everything = everything or self.keys.world != old_world or self._shared_problems() != old_problems
        if not everything and not slugs:
            return None
        self.generation += 1
        return Change(self.generation, everything, tuple(slugs))

    def changed_on_disk(self) -> list[Path]:
        """Return the settings and digest files whose bytes differ from what the session read, or that came or went."""
        found = []
        for name in SETTINGS:
            try:
                data: bytes | None = (self.folder / name).read_bytes()
            except OSError:
                data = None
            if data != self.settings.files.get(name):
                found.append(self.folder / name)
        on_disk = {path.name: path for path in digest_files(self.folder)}
        known = {version.name: version for version in self.versions.values()}
        for name in sorted(on_disk.keys() | known.keys()):
            try:
                data = on_disk[name].read_bytes() if name in on_disk else None
            except OSError:
                data = None
            if name not in known or name not in on_disk or data != known[name].raw:
                found.append(self.folder / name)
        return found

    def _reread(self, name: str) -> str:
        """Read digest file `name` again; return its slug when what is known of it changed, else ""."""
        path = self.folder / name
        slug = name.removesuffix(".md")
        old = self.versions.get(slug)
        if not (path.exists() or path.is_symlink()):
            if old is None:
                return ""
            del self.versions[slug]
            self._forget(slug)
            return slug
        version = self._version(path, None)
        if old is not None and old.parse_key == version.parse_key:
            return ""  # saved with the same bytes
        self._forget(slug)
        summary, found, model = _parse((name, version.display, version.raw), self.settings)
        version.summary, version.diagnostics = summary, found
        if model is not None:
            self._keep(self._models, slug, model)
        self.versions[slug] = version
        return slug

    def _forget(self, slug: str) -> None:
        self._models.pop(slug, None)
        self._renderings.pop(slug, None)

    # --- what the pages show -----------------------------------------------------------------------

    def _shared_problems(self) -> list[Diagnostic]:
        return self.settings.problems + self.archive_problems

    def problems_of(self, version: Version) -> list[Diagnostic]:
        """Return the problems in `version`'s file: its own, and those between files placed in it."""
        shared = [d for d in self.archive_problems if d.location.path == version.display]
        return sorted(dict.fromkeys(version.diagnostics + shared), key=Diagnostic.sort_key)

    def blocking(self) -> list[Diagnostic]:
        """Return the problems of the settings, catalog, schedule and introductions: no preview without them."""
        return sorted(dict.fromkeys(self.settings.problems), key=Diagnostic.sort_key)

    def all_problems(self) -> list[Diagnostic]:
        """Return every problem of the archive, sorted as `clinics check` prints them."""
        found = [d for v in self.versions.values() for d in v.diagnostics] + self._shared_problems()
        return sorted(dict.fromkeys(found), key=Diagnostic.sort_key)

    def rendering(self, version: Version) -> Rendering | None:
        """Return `version`'s previews, rendered now if what they are made from changed; None with errors."""
        if version.summary is None or has_errors(self.problems_of(version)) or has_errors(self.blocking()):
            return None
        key = self.keys.key(version.summary, version.parse_key)
        done = self._renderings.get(version.slug)
        if done is not None and done.key == key:
            self._renderings.move_to_end(version.slug)
            return done
        digest = self._model(version)
        outputs, found = {}, []
        for stage in _previewed():
            assert stage.per_digest is not None
            for item in stage.per_digest(self.settings.archive, digest):
                if isinstance(item, Diagnostic):
                    found.append(item)
                else:
                    outputs[item.path] = item.data
        done = Rendering(key, outputs, tuple(found))
        self._keep(self._renderings, version.slug, done)
        return done

    def _model(self, version: Version) -> Digest:
        """Return the full model of `version` (element trees and all), parsing its bytes if not kept."""
        model = self._models.get(version.slug)
        if model is None:
            _, _, model = _parse((version.name, version.display, version.raw), self.settings)
            assert model is not None  # its summary was made from the same bytes, without errors
            self._keep(self._models, version.slug, model)
        self._models.move_to_end(version.slug)
        return model

    def archive_pages(self) -> dict[str, bytes]:
        """Return the archive-wide outputs (main page sections, tools page, calendar, announcements)."""
        archive = self.settings.archive
        if archive.site is None or has_errors(self.blocking()):
            return {}
        key = self.keys.world + fingerprint([(d.path, d.titles, d.citations, d.meta.status) for d in archive.digests])
        if self._pages is None or self._pages[0] != key:
            made = {}
            for stage in stages():
                if stage.per_archive is not None:
                    made.update((output.path, output.data) for output in stage.per_archive(archive))
            self._pages = (key, made)
        return self._pages[1]

    def source_line(self, path: str, line: int) -> str:
        """Return line `line` of the source file a diagnostic names, as text ("" when not known)."""
        if line < 1:
            return ""
        raw = None
        for version in self.versions.values():
            if version.display == path:
                raw = version.raw
        for name, data in self.settings.files.items():
            if self.prefix + name == path:
                raw = data
        if raw is None:
            return ""
        lines = raw.decode("utf-8", "replace").splitlines()
        return lines[line - 1] if line <= len(lines) else ""

    @staticmethod
    def _keep(store: OrderedDict, slug: str, value: object) -> None:  # type: ignore[type-arg]
        store[slug] = value
        store.move_to_end(slug)
        while len(store) > KEPT:
            store.popitem(last=False)


def _checked(version: Version | None) -> object:
    """Return what the checks between files and the render keys' world read of a file: its front matter
    and citations (its topics' text is its own), or whether it has errors."""
    if version is None or version.summary is None:
        return (version is None, tuple(version.diagnostics) if version else ())
    return version.summary.meta, version.summary.citations


def _previewed() -> list[Stage]:
    return [stage for stage in stages() if stage.name in PREVIEWED and stage.per_digest is not None]


_worker: _Settings | None = None  # set while a pool forks, see _parse_all


def _parse_one(item: tuple[str, str, bytes | None]) -> tuple[Digest | None, list[Diagnostic]]:
    """In a worker: parse one digest file; return its summary and problems."""
    assert _worker is not None
    summary, found, _ = _parse(item, _worker)
    return summary, found


def _parse(item: tuple[str, str, bytes | None], settings: _Settings) -> tuple[Digest | None, list[Diagnostic],
                                                                               Digest | None]:
    """Parse one digest file (name, display, bytes); return its summary, its problems and its full model.

    The model is None when the file has errors, or when the settings are too broken to read it.
    """
    name, display, raw = item
    site, parser, intros = settings.archive.site, settings.parser, settings.intros
    if site is None or parser is None or intros is None:
        return None, [], None
    digest, found = read_digest(Path(settings.archive.folder) / name, display, site, parser, intros, raw=raw)
    if digest is None:
        return None, found, None
    return digest.summary(), found, (None if has_errors(found) else digest)
