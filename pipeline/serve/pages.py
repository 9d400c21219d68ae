"""The preview's pages, from the session's state: the index, a digest version, a problem page.

Every page goes through Jinja2 with autoescape on: whatever a digest, a file name or a diagnostic
says is shown as text. The outputs themselves (the HTML email) are served apart, sandboxed.
"""
from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass
from pathlib import Path

import jinja2

from pipeline.model.diagnostics import Diagnostic
from pipeline.report.formats import counts
from pipeline.serve.session import Session, Version

# The archive-wide pages the index lists, where the build makes them: output path -> title. A page
# added to a stage's per_archive renderer (follow-ups, translations …) is listed under its path
# until it gets a line here.
ARCHIVE_PAGES = {
    "wiki/main-page-sections.wiki": "Main page: the generated sections (wikitext)",
    "wiki/tools-and-resources.wiki": "Tools and resources (wikitext)",
    "calendar/clinics.ics": "Calendar of every call (iCalendar)",
    "wiki/follow-ups.wiki": "Follow-ups (wikitext)",
    "wiki/translations.wiki": "Translations (wikitext)",
}
_SHOWN_SUFFIXES = (".wiki", ".ics", ".txt")  # archive outputs listed when they have no title above

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Problem:
    """A diagnostic as a page shows it: its place, the line it is about, and a caret under the column."""

    severity: str
    code: str
    message: str
    hint: str
    place: str
    line: str
    caret: str
    href: str  # the digest page of the file, when it is a digest


@dataclass(frozen=True)
class Letter:
    """The message one mailing list gets: its headers as sent, and its parts."""

    list_name: str
    to: str
    sender: str
    subject: str
    parts: str
    path: str


def problems(session: Session, found: list[Diagnostic]) -> list[Problem]:
    """Return `found` as the pages show them, each with its source line quoted."""
    pages = {v.display: f"/digest/{v.slug}" for v in session.versions.values()}
    shown = []
    for d in found:
        loc = d.location
        line = session.source_line(loc.path, loc.line)
        caret = " " * (loc.column - 1) + "^" if line and loc.column else ""
        shown.append(Problem(d.severity.value, d.code, d.message, d.hint, str(loc), line, caret,
                             pages.get(loc.path, "")))
    return shown


def index_page(session: Session) -> str:
    """Return the index: every digest version, the problems, upcoming calls and the archive's pages."""
    rows = []
    for version in sorted(session.versions.values(), key=lambda v: v.name):
        errors, warnings = counts(session.problems_of(version))
        meta = version.summary.meta if version.summary is not None else None
        rows.append({"slug": version.slug, "name": version.name, "errors": errors, "warnings": warnings,
                     "number": meta.number if meta else "", "date": meta.date.isoformat() if meta else "",
                     "language": meta.language if meta else "", "status": meta.status.value if meta else ""})
    archive = session.settings.archive
    calls = [{"number": f"{c.number:03d}", "start": c.start.strftime("%Y-%m-%d %H:%M UTC"), "language": c.language,
              "topic": c.scheduled.topic if c.scheduled else "", "link": c.link}
             for c in sorted(archive.calls, key=lambda c: (c.start, c.number))]
    outputs = session.archive_pages()
    pages = [(path, ARCHIVE_PAGES[path]) for path in ARCHIVE_PAGES if path in outputs]
    pages += [(path, path) for path in sorted(outputs)
              if path not in ARCHIVE_PAGES and path.endswith(_SHOWN_SUFFIXES) and "/" in path]
    everything = session.all_problems()
    errors, warnings = counts(everything)
    return _environment.get_template("index.html.j2").render(
        generation=session.generation, folder=str(session.folder), rows=rows, calls=calls, pages=pages,
        problems=problems(session, everything), errors=errors, warnings=warnings)


def digest_page(session: Session, version: Version) -> str:
    """Return a digest version's page: its problems, or its emails, wikitext and letters side by side."""
    own = session.problems_of(version)
    blocking = session.blocking()
    rendering = session.rendering(version)
    if rendering is not None:
        own = sorted(dict.fromkeys(own + list(rendering.diagnostics)), key=Diagnostic.sort_key)
    errors, warnings = counts(own)
    meta = version.summary.meta if version.summary is not None else None
    view = {"html": "", "text": "", "wiki": "", "letters": [], "outputs": []}
    if rendering is not None:
        outputs = rendering.outputs
        view = {"html": next((p for p in outputs if p.endswith(".html")), ""),
                "text": _text(outputs, ".txt"), "wiki": _text(outputs, ".wiki"),
                "letters": [_letter(path, data) for path, data in outputs.items() if path.endswith(".eml")],
                "outputs": sorted(outputs)}
    return _environment.get_template("digest.html.j2").render(
        generation=session.generation, slug=version.slug, name=version.name, display=version.display,
        meta=meta, errors=errors, warnings=warnings, problems=problems(session, own),
        blocking=problems(session, blocking), rendered=rendering is not None, **view)


def missing_page(session: Session, what: str, status: int) -> str:
    """Return the page of an address that shows nothing: a digest removed, a mistyped address."""
    return _environment.get_template("missing.html.j2").render(generation=session.generation, what=what,
                                                               status=status)


def _text(outputs: dict[str, bytes], suffix: str) -> str:
    return next((data.decode("utf-8") for path, data in outputs.items() if path.endswith(suffix)), "")


def _letter(path: str, data: bytes) -> Letter:
    """Return what a list's subscribers get, read back from the .eml exactly as it would be sent."""
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(data)
    parts = ", ".join(part.get_content_type() for part in message.walk() if not part.is_multipart())
    return Letter(path.split("/")[1], str(message["To"]), str(message["From"]), str(message["Subject"]), parts,
                  path)

