"""Run the stages and write every output atomically, never one path twice."""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import multiprocessing
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline import timing
from pipeline.build.cache import BuildCache, Entry, fingerprint, fingerprint_rows, folder_fingerprint
from pipeline.build.files import write_atomic
from pipeline.check.archive import Intros, check_parsed, check_summaries, read_digest
from pipeline.model.archive import Archive
from pipeline.model.diagnostics import ClinicsError, Diagnostic, has_errors
from pipeline.model.digest import Digest, Status
from pipeline.model.output import Output
from pipeline.parse.tree import Parser
from pipeline.read.archive import FrontMatter, display_prefix, load_settings, scan_meta
from pipeline.read.source import digest_files
from pipeline.render import calendar as ical, model_json
from pipeline.render.email import announce, mime as email_mime
from pipeline.render.wiki import page as wikitext, pages as wikipages

MANIFEST = ".manifest.json"

PACKAGE = Path(__file__).resolve().parents[1]  # the code of every stage: its bytes are in every parse key


DigestRenderer = Callable[[Archive, Digest], Iterable[Output | Diagnostic]]  # a Diagnostic: found rendering
ArchiveRenderer = Callable[[Archive], Iterable[Output]]


@dataclass(frozen=True)
class Stage:
    """A named group of outputs that `build --only NAME` can rebuild alone."""

    name: str
    per_digest: DigestRenderer | None = None
    per_archive: ArchiveRenderer | None = None
    finals_only: bool = True


class BuildLocked(ClinicsError):
    """Another build holds the output folder."""


class OutputClash(Exception):
    """Two renderers produced the same path: a programmer error."""


def stages() -> list[Stage]:
    """Return every stage, in the order outputs are produced."""
    return [
        Stage("model", per_digest=model_json.render, finals_only=False),
        Stage("calendar", per_archive=ical.render),
        Stage("emails", per_digest=email_mime.render, per_archive=announce.render),
        Stage("wiki", per_digest=wikitext.render, per_archive=wikipages.render),
    ]


@dataclass
class Result:
    """What a build found and did."""

    diagnostics: list[Diagnostic]
    written: int = 0
    unchanged: int = 0
    parsed: int = 0
    rendered: int = 0

    strict: bool = False

    @property
    def failed(self) -> bool:
        """Return True when the build may write nothing: any error, or any warning under --strict."""
        return has_errors(self.diagnostics) or (self.strict and bool(self.diagnostics))


@dataclass(frozen=True)
class _Job:
    path: Path
    display: str
    parse_key: str
    render: bool  # False: only parse and check (the archive has errors already)
    previous: dict[str, tuple[str, tuple[str, ...]]]


@dataclass(slots=True)
class _Done:
    display: str
    parse_key: str
    digest: Digest | None  # summary
    diagnostics: list[Diagnostic]
    rendered: dict[str, tuple[str, tuple[str, ...]]]
    timings: dict[str, float]
    context: str = ""  # the digest's render key, when this job made it
    staged: str = ""  # the folder, under the staging folder, that holds what this job made


@dataclass
class _Context:
    """What every worker needs; set before the pool forks, so it is shared, not pickled."""

    archive: Archive
    parser: Parser
    intros: Intros
    staging: Path
    out: Path
    stages: list[Stage]
    keys: RenderKeys
    fronts: dict[str, FrontMatter]


_context: _Context | None = None


def build(folder: Path, templates: Path, out: Path, only: Iterable[str] = (), today: dt.date | None = None,
          jobs: int | None = None, strict: bool = False) -> Result:
    """Check `folder` and, when it has no errors, write its outputs under `out`.

    Each digest is parsed again only when its parse key changed, and rendered again only
    when its render key changed; nothing under `out` changes when any error is found.
    """
    archive, site_path = load_settings(folder)
    if archive.site is None or has_errors(archive.diagnostics):
        return Result(archive.diagnostics, strict=strict)
    archive.templates = templates
    chosen = [stage for stage in stages() if not only or stage.name in set(only)]
    code = folder_fingerprint(PACKAGE, pattern="**/*.py")
    intro_files = folder_fingerprint(templates, pattern="intro.*.md")
    labels = sorted((label, entry.id, entry.url) for label, entry in archive.catalog.index.items())
    parse_salt = fingerprint(code, site_path.read_bytes(), labels, intro_files)
    render_salt = folder_fingerprint(templates)
    cache = BuildCache(out, code)
    pending, summaries, fronts = _scan(archive, folder, cache, parse_salt)
    archive.replace_digests(sorted(summaries.values(), key=lambda d: d.path))
    archive.diagnostics += check_summaries(archive, today)
    can_render = not has_errors(archive.diagnostics)
    jobs_list = [_Job(path, display, key, can_render, {}) for path, display, key in pending]
    keys = RenderKeys(archive, render_salt)
    if cache.world == keys.world:
        keys.remember(cache.contexts)
    if can_render:
        jobs_list += _stale_renders(archive, cache, chosen, keys, out, {d for _, d, _ in pending})
    staging = out / f".staging-{os.getpid()}"
    parser = Parser(archive.catalog)
    intros = Intros(parser, templates, archive.diagnostics)
    for language in sorted({d.language for d in archive.digests if d.meta.intro}):
        intros.get(language)  # parsed once, here, and shared by every worker
    global _context
    _context = _Context(archive, parser, intros, staging, out, chosen, keys, fronts)
    try:
        done = _run_jobs(jobs_list, jobs)
        return _finish(archive, cache, keys, done, chosen, out, staging, only, strict,
                       fingerprint(parse_salt, render_salt))
    finally:
        _context = None
        shutil.rmtree(staging, ignore_errors=True)


def _scan(archive: Archive, folder: Path, cache: BuildCache, parse_salt: str) -> tuple[
        list[tuple[Path, str, str]], dict[str, Digest], dict[str, FrontMatter]]:
    """Return the files to parse, a summary of every digest (cached, or from its front matter),
    and the front matter read from each file to parse, for its worker not to read it again."""
    pending: list[tuple[Path, str, str]] = []
    summaries: dict[str, Digest] = {}
    fronts: dict[str, FrontMatter] = {}
    prefix = display_prefix(folder)
    for path in digest_files(folder):
        display = prefix + path.name
        with timing.stage("load"):
            raw = path.read_bytes()
            key = fingerprint(parse_salt, raw)
            entry = cache.hit(display, key)
            if entry is None:
                pending.append((path, display, key))
                summary, front = scan_meta(path, display, raw, archive.site)
                if front is not None:
                    fronts[display] = front
            else:
                archive.diagnostics += entry.diagnostics
                summary = entry.digest
        if summary is not None:
            summaries[display] = summary
    return pending, summaries, fronts


def _stale_renders(archive: Archive, cache: BuildCache, chosen: list[Stage], keys: RenderKeys, out: Path,
                   pending: set[str]) -> list[_Job]:
    """Return a job for each cached digest whose outputs are missing or were made from other inputs."""
    found = []
    existing = _files_under(out)
    for digest in archive.digests:
        if digest.path in pending:
            continue
        entry = cache.entries[digest.path]
        for stage in chosen:
            if not _renders(stage, digest):
                continue
            key, outputs = entry.rendered.get(stage.name, ("", ()))
            if key != keys.key(digest, entry.parse_key) or not existing.issuperset(outputs):
                found.append(_Job(Path(archive.folder) / Path(digest.path).name, digest.path, entry.parse_key,
                                  True, entry.rendered))
                break
    return found


def _files_under(out: Path) -> set[str]:
    """Return the path of every file under `out`, relative to it (one directory scan, no stat per file)."""
    found = set()
    for folder, _, names in os.walk(out):
        relative = os.path.relpath(folder, out)
        prefix = "" if relative == "." else relative + "/"
        found.update(prefix + name for name in names)
    return found


def _renders(stage: Stage, digest: Digest) -> bool:
    return stage.per_digest is not None and (digest.meta.status is Status.FINAL or not stage.finals_only)


class RenderKeys:
    """What the outputs of a digest are made from, hashed; the catalog's and calls' hashes made once."""

    def __init__(self, archive: Archive, salt: str) -> None:
        self.archive = archive
        self.salt = salt
        self.entries = {e.id: fingerprint(e.name, e.description, e.kind, e.url, e.page) for e in archive.catalog.entries}
        self.calls: dict[object, str] = {}
        self.digests: dict[tuple[str, str], str] = {}  # (path, parse key) -> render key
        # Everything a render key is made from but the digest's own parse key: the templates, every
        # catalog entry, the schedule, and what each digest's front matter says about its call (its
        # versions, and the calls after a digest's date, come from those). The same world and parse
        # key give the same render key, so the keys made in a build of the same world are kept.
        self.world = fingerprint_rows(
            (salt, sorted(self.entries.items()), archive.calls),
            ((d.id, d.meta.number, d.language, d.meta.call_language, d.meta.date, d.meta.time, d.meta.duration,
              d.meta.scheduled) for d in archive.digests))

    def remember(self, contexts: dict[str, tuple[str, str]]) -> None:
        """Take the render keys made by a build of the same world: path -> (parse key, render key)."""
        self.digests.update(((path, parse_key), key) for path, (parse_key, key) in contexts.items())

    def known(self, entries: dict[str, Entry]) -> dict[str, tuple[str, str]]:
        """Return the render key made for each of `entries` (path -> entry), as `remember` takes them."""
        found = {}
        for path, entry in entries.items():
            key = self.digests.get((path, entry.parse_key))
            if key is not None:
                found[path] = (entry.parse_key, key)
        return found

    def key(self, digest: Digest, parse_key: str) -> str:
        """Return the hash of everything the outputs of `digest` are made from, whatever their stage."""
        if (digest.path, parse_key) not in self.digests:
            self.digests[digest.path, parse_key] = self._context(digest, parse_key)
        return self.digests[digest.path, parse_key]  # one string for every stage: a result holds it once

    def _context(self, digest: Digest, parse_key: str) -> str:
        """Return the hash of what all outputs of `digest` are made from.

        The digest's own bytes are in `parse_key`; beside them: the templates (the salt), the
        catalog entries it cites, its other versions, and the upcoming calls it lists.
        """
        archive = self.archive
        upcoming = []
        for call in archive.upcoming(digest.meta.date):
            if call not in self.calls:
                self.calls[call] = fingerprint(call.number, call.start, call.duration, call.link, call.language,
                                               call.scheduled, call.note, call.timed)
            upcoming.append(self.calls[call])
        versions = [(d.id, d.language) for d in archive.versions(digest.meta.number)]
        cited = [self.entries[i] for i in digest.citations]
        return fingerprint(parse_key, self.salt, cited, versions, upcoming)


def _run_jobs(jobs_list: list[_Job], jobs: int | None) -> list[_Done]:
    workers = min(jobs or os.cpu_count() or 1, max(1, len(jobs_list) // 8))
    if workers <= 1:
        return [_received(_work(job), here=True) for job in jobs_list]
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # workers start with both blocked, see _quiet_worker
    try:
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_quiet_worker)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
    # Jobs go to the workers a few at a time: each trip through the pool's pipes and threads costs
    # the parent about a millisecond of CPU, a twentieth of a digest's whole cost.
    size = max(1, min(8, len(jobs_list) // (workers * 16)))
    batches = [jobs_list[n:n + size] for n in range(0, len(jobs_list), size)]
    try:
        done: list[_Done] = []
        results = pool.imap_unordered(_work_batch, batches)
        while len(done) < len(jobs_list):
            try:  # a timeout, so that Ctrl-C and SIGTERM are handled at once, not at the end
                done += map(_received, results.next(timeout=0.05))
            except multiprocessing.TimeoutError:
                continue
        pool.close()
        pool.join()
        return done
    except BaseException:
        pool.terminate()  # no join: a result thread may wait forever for a worker just stopped
        raise


def _received(item: _Done, here: bool = False) -> _Done:
    """Take in a worker's result as it arrives: count its timings, share its repeated strings.

    Every result is kept until the build ends, so what each one holds is what a build of ten
    thousand digests holds ten thousand times.
    """
    if not here:  # made in this process, its times are counted already
        timing.merge(item.timings)
    item.timings = {}
    item.rendered = {sys.intern(stage): made for stage, made in item.rendered.items()}
    return item


def _quiet_worker() -> None:
    """Leave Ctrl-C to the parent, which stops the pool and reports once; die quietly when stopped."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def _work_batch(batch: list[_Job]) -> list[_Done]:
    return [_work(job) for job in batch]


def _work(job: _Job) -> _Done:
    """Parse one digest and, if it is clean and may be rendered, render it into the staging folder."""
    context = _context
    assert context is not None
    before = timing.spent()  # a forked worker starts with its parent's times
    archive = context.archive
    digest, found = read_digest(job.path, job.display, archive.site, context.parser, context.intros,
                                front=context.fronts.get(job.display))
    rendered: dict[str, tuple[str, tuple[str, ...]]] = dict(job.previous)
    key = ""
    # Each process stages into a folder of its own: two processes creating files in one folder
    # wait for each other on its lock, which tripled the system time of a build's writes.
    staged = f"p{os.getpid()}"
    if digest is not None and job.render and not has_errors(found):
        key = context.keys.key(digest, job.parse_key)
        for stage in context.stages:
            if not _renders(stage, digest):
                continue
            old_key, old_outputs = job.previous.get(stage.name, ("", ()))
            if key == old_key and all((context.out / p).exists() for p in old_outputs):
                continue
            outputs = []
            for output in stage.per_digest(archive, digest):  # type: ignore[misc]
                if isinstance(output, Diagnostic):  # what only rendering shows, e.g. an email Gmail would clip
                    found.append(output)
                    continue
                with timing.stage("write"):
                    _stage_file(context.staging / staged / output.path, output.data)
                outputs.append(output.path)
            rendered[stage.name] = (key, tuple(outputs))
    summary = digest.summary() if digest is not None else None
    return _Done(job.display, job.parse_key, summary, found, rendered, timing.since(before), key, staged)


def _finish(archive: Archive, cache: BuildCache, keys: RenderKeys, done: list[_Done], chosen: list[Stage],
            out: Path, staging: Path, only: Iterable[str], strict: bool, salt: str) -> Result:
    """Merge the workers' results; if all is well, move the staged files into place."""
    by_path = {d.path: d for d in archive.digests}
    result = Result(archive.diagnostics, parsed=len(done), strict=strict)
    for item in sorted(done, key=lambda d: d.display):
        result.diagnostics += item.diagnostics
        by_path.pop(item.display, None)
        if item.digest is not None:
            by_path[item.display] = item.digest
        cache.entries[item.display] = Entry(item.parse_key, item.digest, item.diagnostics, item.rendered)
        if item.context:  # made by a worker
            keys.digests[item.display, item.parse_key] = item.context
    archive.replace_digests(sorted(by_path.values(), key=lambda d: d.path))
    result.diagnostics += check_parsed(archive)
    result.diagnostics = list(dict.fromkeys(result.diagnostics))
    if result.failed:
        return result
    produced: set[str] = set()
    for digest in archive.digests:
        for _, outputs in cache.entries[digest.path].rendered.values():
            _claim(produced, outputs)
    result.rendered = sum(1 for item in done if item.rendered)
    _pause_before_commit()
    for item in done:
        for _, outputs in item.rendered.values():
            for path in outputs:
                if (staging / item.staged / path).exists():
                    _commit(staging / item.staged / path, out / path, result)
    _write_pages(archive, cache, chosen, out, produced, result, salt)
    result.unchanged = len(produced) - result.written
    _remove_stale(out, produced, set(only))
    cache.world, cache.contexts = keys.world, keys.known(cache.entries)
    cache.save({d.path for d in archive.digests} | {item.display for item in done})
    return result


# Fault injection for the interrupted-build test: with this variable set to a path, the build writes
# its pid there once every output is staged and none is committed, then waits for a signal.
PAUSE_BEFORE_COMMIT = "CLINICS_PAUSE_BEFORE_COMMIT"


def _pause_before_commit() -> None:
    flag = os.environ.get(PAUSE_BEFORE_COMMIT)
    if flag:
        Path(flag).write_text(str(os.getpid()), encoding="ascii")
        signal.pause()


def _claim(produced: set[str], paths: Iterable[str]) -> None:
    """Add `paths` to the outputs of this build; a path made twice is a programmer's error."""
    for path in paths:
        if path in produced:
            raise OutputClash(path)
        produced.add(path)


def _write_pages(archive: Archive, cache: BuildCache, chosen: list[Stage], out: Path, produced: set[str],
                 result: Result, salt: str) -> None:
    """Write the archive-wide outputs (main page sections, tools page, calendar, announcements).

    They are made from the digests' summaries, the catalog and the schedule: when none of those
    changed (a digest's notes were edited, not its title), last build's files stand.
    """
    summaries = ((d.id, d.meta.number, d.meta.date, d.language, d.meta.call_language, d.meta.status, d.meta.time,
                  d.meta.scheduled, d.meta.intro, d.titles, d.citations) for d in archive.digests)
    entries = [(e.id, e.name, e.description, e.kind, e.url, e.page, e.aliases) for e in archive.catalog.entries]
    key = fingerprint_rows((salt, entries, archive.calls), summaries)
    for stage in chosen:
        if not stage.per_archive:
            continue
        old_key, old_outputs = cache.pages.get(stage.name, ("", ()))
        if old_key == key and all((out / p).exists() for p in old_outputs):
            _claim(produced, old_outputs)
            continue
        outputs = []
        for output in stage.per_archive(archive):
            _claim(produced, [output.path])
            outputs.append(output.path)
            with timing.stage("write"):
                if not _same(out / output.path, output.data):
                    write_atomic(out / output.path, output.data)
                    result.written += 1
        cache.pages[stage.name] = (key, tuple(outputs))


def _stage_file(path: Path, data: bytes) -> None:
    """Write a file of the staging folder: private to this build, so a plain write will do."""
    try:
        handle = open(path, "wb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "wb")
    with handle:
        handle.write(data)


def _commit(staged: Path, target: Path, result: Result) -> None:
    """Move a staged file into place (an atomic rename), unless the target already holds its bytes."""
    with timing.stage("write"):
        try:
            same = target.stat().st_size == staged.stat().st_size and target.read_bytes() == staged.read_bytes()
        except OSError:
            same = False
        if same:
            return
        try:
            os.replace(staged, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
    result.written += 1


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the output folder's lock, or raise BuildLocked at once.

    A folder created for the lock alone is removed again when nothing was written in it.
    """
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    lock = out / ".lock"
    try:
        with open(lock, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise BuildLocked(f"another build is writing to '{out}'; wait for it to finish, then run it again") from exc
                raise
            for stale in out.glob(".staging-*"):  # left by a build that was killed
                shutil.rmtree(stale, ignore_errors=True)
            yield
    finally:
        if created and [p.name for p in out.iterdir()] == [".lock"]:
            lock.unlink()
            out.rmdir()


def _same(target: Path, data: bytes) -> bool:
    try:
        return target.stat().st_size == len(data) and target.read_bytes() == data
    except OSError:
        return False


def _remove_stale(out: Path, produced: set[str], only: set[str]) -> None:
    """Delete the files an earlier build made that this one no longer makes, in the stages built."""
    manifest_path = out / MANIFEST
    try:
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    current = {}
    for stage in stages():
        prefix = _PREFIXES.get(stage.name, stage.name + "/")
        files = sorted(p for p in produced if p.startswith(prefix))
        if only and stage.name not in only:
            files = previous.get(stage.name, [])
        else:
            for stale in set(previous.get(stage.name, [])) - set(files):
                with contextlib.suppress(OSError):
                    (out / stale).unlink()
        current[stage.name] = files
    write_atomic(manifest_path, json.dumps(current, indent=1, sort_keys=True).encode())


_PREFIXES = {"model": "model/", "emails": "email/", "wiki": "wiki/", "calendar": "calendar/"}
