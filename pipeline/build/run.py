"""Run the stages and write every output atomically, never one path twice."""
from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import os
import shutil
import signal
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import timing
from pipeline.build.cache import BuildCache, Entry, fingerprint, fingerprint_rows, folder_fingerprint
from pipeline.build.files import write_atomic
from pipeline.build.keys import RenderKeys
from pipeline.build.stages import Stage, stages
from pipeline.build.staging import claim, commit, files_under, pause_before_commit, remove_stale, same, stage_file
from pipeline.check.archive import Intros, check_parsed, check_summaries, read_digest
from pipeline.model.archive import Archive
from pipeline.model.diagnostics import Diagnostic, has_errors
from pipeline.model.digest import Digest
from pipeline.parse.tree import Parser
from pipeline.read.archive import FrontMatter, display_prefix, load_settings, scan_meta
from pipeline.read.source import digest_files
from pipeline.render.email import html


PACKAGE = Path(__file__).resolve().parents[1]  # the code of every stage: its bytes are in every parse key


@dataclass
class Result:
    """What a build found and did."""

    diagnostics: list[Diagnostic]
    written: int = 0
    unchanged: int = 0
    parsed: int = 0
    rendered: int = 0
    notes: list[str] = field(default_factory=list)  # about the build itself: a cache not used, and why
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
    # Digests parsed in this process, for a second round of rendering (see _settle_followups) to
    # render without parsing again; kept only when the jobs run in this process, never in a worker.
    parsed: dict[tuple[str, str], tuple[Digest, list[Diagnostic]]] = field(default_factory=dict)
    parent: int = field(default_factory=os.getpid)


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
    code = code_fingerprint()
    parse_salt, render_salt = salts(archive, site_path, templates, code)
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
    if can_render and any(stage.name == "emails" for stage in chosen):
        html.inliner_for(templates)  # the stylesheet parsed once, here: every worker shares it (and any note)
    global _context
    _context = _Context(archive, parser, intros, staging, out, chosen, keys, fronts)
    try:
        done = _run_jobs(jobs_list, jobs)
        keys, done = _settle_followups(archive, cache, keys, done, chosen, jobs)
        result = _finish(archive, cache, keys, done, chosen, out, staging, only, strict,
                         fingerprint(parse_salt, render_salt), today)
        result.notes[:0] = [cache.note] if cache.note else []
        return result
    finally:
        _context = None
        shutil.rmtree(staging, ignore_errors=True)


def code_fingerprint() -> str:
    """Return the hash of the code of every stage (the cache of another code is not used)."""
    return folder_fingerprint(PACKAGE, pattern="**/*.py")


def salts(archive: Archive, site_path: Path, templates: Path, code: str) -> tuple[str, str]:
    """Return what every digest's parse key and render key are salted with.

    The parse salt: the code, site.yaml, the catalog's names and addresses, the introductions;
    the render salt: the templates. `clinics serve` keys its previews with the same two.
    """
    intro_files = folder_fingerprint(templates, pattern="intro.*.md")
    labels = sorted((label, entry.id, entry.url, entry.pages) for label, entry in archive.catalog.index.items())
    return fingerprint(code, site_path.read_bytes(), labels, intro_files), folder_fingerprint(templates)


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
                old = cache.entries.get(display)
                if summary is not None and old is not None and old.digest is not None:
                    # Its follow-ups as last parsed: most edits leave them, and the workers render
                    # with them; _settle_followups renders again what they got wrong.
                    summary = dataclasses.replace(summary, followups=old.digest.followups, closings=old.digest.closings)
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
    existing = files_under(out)
    for digest in archive.digests:
        if digest.path in pending:
            continue
        entry = cache.entries[digest.path]
        for stage in chosen:
            if not stage.renders(digest):
                continue
            key, outputs = entry.rendered.get(stage.name, ("", ()))
            if key != keys.key(digest, entry.parse_key) or not existing.issuperset(outputs):
                found.append(_Job(Path(archive.folder) / Path(digest.path).name, digest.path, entry.parse_key,
                                  True, entry.rendered))
                break
    return found


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
    known = context.parsed.get((job.display, job.parse_key))
    if known is not None:
        digest, found = known[0], list(known[1])
    else:
        digest, found = read_digest(job.path, job.display, archive.site, context.parser, context.intros,
                                    front=context.fronts.get(job.display))
        if digest is not None and os.getpid() == context.parent:
            context.parsed[job.display, job.parse_key] = (digest, list(found))
    rendered: dict[str, tuple[str, tuple[str, ...]]] = dict(job.previous)
    key = ""
    # Each process stages into a folder of its own: two processes creating files in one folder
    # wait for each other on its lock, which tripled the system time of a build's writes.
    staged = f"p{os.getpid()}"
    if digest is not None and job.render and not has_errors(found):
        key = context.keys.key(digest, job.parse_key)
        for stage in context.stages:
            if not stage.renders(digest):
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
                    stage_file(context.staging / staged / output.path, output.data)
                outputs.append(output.path)
            rendered[stage.name] = (key, tuple(outputs))
    summary = digest.summary() if digest is not None else None
    return _Done(job.display, job.parse_key, summary, found, rendered, timing.since(before), key, staged)


def _settle_followups(archive: Archive, cache: BuildCache, keys: RenderKeys, done: list[_Done],
                      chosen: list[Stage], jobs: int | None) -> tuple[RenderKeys, list[_Done]]:
    """Render again the digests whose follow-ups this build's parses changed; return the keys and results to keep.

    Workers render with the follow-ups the build knew before parsing (the cache's summaries): a
    digest parsed in this build may open or answer items that others list. Once every digest is
    parsed, the keys are made again from all of them, and each digest rendered with another key
    than its true one is rendered again (from the tree this process kept, when it parsed it).
    """
    if has_errors(archive.diagnostics) or any(has_errors(item.diagnostics) for item in done):
        return keys, done  # the build writes nothing
    by_path = {d.path: d for d in archive.digests}
    by_path.update((item.display, item.digest) for item in done if item.digest is not None)
    before = archive.followups.fingerprint_rows()
    archive.replace_digests(sorted(by_path.values(), key=lambda d: d.path))
    if archive.followups.fingerprint_rows() == before:
        return keys, done
    settled = RenderKeys(archive, keys.salt)
    made = {item.display: item for item in done}
    again = []
    for digest in archive.digests:
        item = made.get(digest.path)
        parse_key, rendered = (item.parse_key, item.rendered) if item else (
            cache.entries[digest.path].parse_key, cache.entries[digest.path].rendered)
        key = settled.key(digest, parse_key)
        if any(rendered.get(stage.name, ("", ()))[0] != key for stage in chosen if stage.renders(digest)):
            again.append(_Job(Path(archive.folder) / Path(digest.path).name, digest.path, parse_key, True, rendered))
    if not again:
        return settled, done
    assert _context is not None
    _context.keys = settled
    redone = _run_jobs(again, jobs)
    replaced = {item.display for item in redone}
    return settled, [item for item in done if item.display not in replaced] + redone


def _finish(archive: Archive, cache: BuildCache, keys: RenderKeys, done: list[_Done], chosen: list[Stage],
            out: Path, staging: Path, only: Iterable[str], strict: bool, salt: str,
            today: dt.date | None = None) -> Result:
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
    result.diagnostics += check_parsed(archive, today)
    result.diagnostics = list(dict.fromkeys(result.diagnostics))
    if result.failed:
        return result
    produced: set[str] = set()
    for digest in archive.digests:
        for _, outputs in cache.entries[digest.path].rendered.values():
            claim(produced, outputs)
    result.rendered = sum(1 for item in done if item.rendered)
    pause_before_commit()
    for item in done:
        for _, outputs in item.rendered.values():
            for path in outputs:
                if (staging / item.staged / path).exists():
                    result.written += commit(staging / item.staged / path, out / path)
    _write_pages(archive, cache, chosen, out, produced, result, salt)
    result.unchanged = len(produced) - result.written
    result.notes += remove_stale(out, produced, set(only))
    cache.world, cache.contexts = keys.world, keys.known(cache.entries)
    cache.save({d.path for d in archive.digests} | {item.display for item in done})
    return result


def _write_pages(archive: Archive, cache: BuildCache, chosen: list[Stage], out: Path, produced: set[str],
                 result: Result, salt: str) -> None:
    """Write the archive-wide outputs (main page sections, tools page, calendar, announcements).

    They are made from the digests' summaries, the catalog, the schedule and the follow-ups: when
    none of those changed (a digest's notes were edited, not its title), last build's files stand.
    """
    summaries = ((d.id, d.meta.number, d.meta.date, d.language, d.meta.call_language, d.meta.status, d.meta.time,
                  d.meta.scheduled, d.meta.intro, d.titles, d.citations, d.meta.translated_from,
                  d.meta.source_version) for d in archive.digests)
    entries = [(e.id, e.name, e.description, e.kind, e.url, e.page, e.aliases, e.names, e.descriptions, e.pages)
               for e in archive.catalog.entries]
    key = fingerprint_rows((salt, entries, archive.calls, sorted(archive.sent_events.items()),
                            archive.followups.fingerprint_rows(), sorted(archive.outdated)), summaries)
    for stage in chosen:
        if not stage.per_archive:
            continue
        old_key, old_outputs = cache.pages.get(stage.name, ("", ()))
        if old_key == key and all((out / p).exists() for p in old_outputs):
            claim(produced, old_outputs)
            continue
        outputs = []
        for output in stage.per_archive(archive):
            claim(produced, [output.path])
            outputs.append(output.path)
            with timing.stage("write"):
                if not same(out / output.path, output.data):
                    write_atomic(out / output.path, output.data)
                    result.written += 1
        cache.pages[stage.name] = (key, tuple(outputs))


